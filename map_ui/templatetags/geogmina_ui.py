"""The shared pieces of every register page: sortable column headers and the pager of a paged
list (gis_app.listing), e.g. ``{% sort_th listing "number" %}`` and ``{% pager listing %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def sort_th(listing: Any, key: str, label: Any = None) -> SafeString:
    """A column header that sorts the list by ``key`` (aria-sort tells its state)."""
    link = listing.headers[key]
    cls = ' class="num"' if link.numeric else ""
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(link.aria_sort, "")
    return format_html('<th scope="col" aria-sort="{}"{}><a href="{}">{}</a>{}</th>',
                       link.aria_sort, SafeString(cls), link.url,
                       label if label is not None else link.label, arrow)


@register.simple_tag
def sort_links(listing: Any) -> SafeString:
    """The sort order as a row of links, for a list whose columns are not one key each (a card
    per row): each link sorts by its key, ascending then descending (aria-current marks it)."""
    links = format_html_join(
        " · ", '<a href="{}"{}>{}{}</a>',
        ((link.url, SafeString(' aria-current="true"') if link.aria_sort != "none" else "",
          link.label, {"ascending": " ▲", "descending": " ▼"}.get(link.aria_sort, ""))
         for link in listing.headers.values()))
    return format_html('<p class="sort-by">{}: {}</p>', _("Sort by"), links)


@register.inclusion_tag("map_ui/_pager.html")
def pager(listing: Any) -> dict[str, Any]:
    return {"page": listing.page, "query": listing.query, "sort": listing.sort}


@register.simple_tag
def export_links(listing: Any, param: str = "export") -> SafeString:
    """CSV and XLSX of exactly the rows the filters keep (every page, in the list's order)."""
    q = listing.query + ("&" if listing.query else "")
    sort = f"sort={listing.sort}&" if listing.sort and "sort=" not in listing.query else ""
    return format_html('<a class="export" href="?{}{}{}=csv">CSV</a> '
                       '<a class="export" href="?{}{}{}=xlsx">XLSX</a>',
                       q, sort, param, q, sort, param)
