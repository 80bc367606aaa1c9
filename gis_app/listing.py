"""Paged, sorted register lists (issue #18: ``/leases/property/`` rendered 1,171 rows in 0.9 s).

A list view filters on the server as before (its selector), then hands its rows to ``list_page``:
the rows are sorted by ``?sort=`` (a column key, ``-key`` for descending; only the keys the view
declares sortable) and cut to one page of ``?page=`` (Django's Paginator). The export of the same
request is not paged: ``?export=``/``?format=`` writes every row the filters kept, in the chosen
order.

Why not django-tables2/django-filter: every list already filters through its scoped selector and
exports through ``layers.exports.write_table`` (typed XLSX, neutralised formulas, labels); a
tables2 ``Table`` per list would replace each template's markup and duplicate the export, for
what this module does in one place. Django's Paginator is the kept library underneath.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, QueryDict

from gis_app.params import page_param

PAGE_SIZE = 50


def _sort_value(value: Any) -> tuple[int, Any]:
    """A key that orders None last and never compares unlike types (text, numbers, dates)."""
    if value is None or value == "":
        return (3, "")
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float | Decimal):
        return (0, value)
    if isinstance(value, dt.datetime):
        return (1, value.timestamp())
    if isinstance(value, dt.date):
        return (1, value.toordinal())
    if isinstance(value, list | tuple):
        return _sort_value(value[0] if value else None)
    return (2, str(value).casefold())


@dataclass
class SortLink:
    """One sortable column header: its link and the state screen readers hear (aria-sort)."""

    key: str
    label: Any
    url: str
    aria_sort: str  # "ascending" / "descending" / "none"
    numeric: bool = False


@dataclass
class ListPage:
    page: Page
    sort: str
    query: str  # the filters without page (for the pager's and export links)
    headers: dict[str, SortLink] = field(default_factory=dict)

    @property
    def rows(self) -> Sequence[Any]:
        return self.page.object_list


def sort_rows(rows: Iterable[dict[str, Any]], sort: str,
              sortable: Sequence[str]) -> list[dict[str, Any]]:
    """``rows`` ordered by ``sort`` (``key`` or ``-key``) when the key is sortable."""
    rows = list(rows)
    key = sort.lstrip("-")
    if key not in sortable:
        return rows
    return sorted(rows, key=lambda r: _sort_value(r.get(key)), reverse=sort.startswith("-"))


def requested_sort(request: HttpRequest, sortable: Sequence[str], default: str = "") -> str:
    sort = request.GET.get("sort", "") or default
    return sort if sort.lstrip("-") in sortable else default


def order_queryset(rows: QuerySet[Any], sort: str,
                   fields: Mapping[str, str | Sequence[str]] | None = None) -> QuerySet[Any]:
    """``rows`` ordered in the database by the column ``sort`` (``key``/``-key``): ``fields``
    maps a column to its model field(s) or annotation(s) (default: the key itself); empty values
    come last either way and the primary key breaks ties, so that pages never overlap."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    named = (fields or {}).get(key, key)
    names = [named] if isinstance(named, str) else list(named)
    order = [F(n).desc(nulls_last=True) if descending else F(n).asc(nulls_last=True)
             for n in names]
    return rows.order_by(*order, "-pk" if descending else "pk")


def list_page(request: HttpRequest, rows: Iterable[Any],
              columns: Sequence[tuple[str, Any]], *, default_sort: str = "",
              numeric: Sequence[str] = (), per_page: int | None = None,
              key: Callable[[dict[str, Any]], Any] | None = None,
              fields: Mapping[str, str | Sequence[str]] | None = None) -> ListPage:
    """One page of ``rows`` sorted as the request asks; ``columns`` are (key, label) of the
    sortable columns (their headers link to ascending, then descending order). ``rows`` is a
    list of dicts (sorted here) or a QuerySet (sorted by the database, see ``order_queryset``).
    A sort key the view does not offer is ignored: the list keeps its default order."""
    sortable = [k for k, _label in columns]
    sort = requested_sort(request, sortable, default_sort)
    # a QuerySet stays one: the Paginator then reads one page of it with LIMIT/OFFSET
    if isinstance(rows, QuerySet):
        ordered: Any = order_queryset(rows, sort, fields) if sort else rows
    else:
        ordered = (sort_rows(rows, sort, sortable) if sort
                   else rows if isinstance(rows, list) else list(rows))
    page = Paginator(ordered, per_page or PAGE_SIZE).get_page(page_param(request))
    base, headers = sort_headers(request, columns, sort, numeric)
    return ListPage(page=page, sort=sort, query=base.urlencode(), headers=headers)


def sort_headers(request: HttpRequest, columns: Sequence[tuple[str, Any]], sort: str,
                 numeric: Sequence[str] = ()) -> tuple[QueryDict, dict[str, SortLink]]:
    """The request's filters without page and export (for the pager's and export links), and a
    header link per sortable column: ascending first, then descending. For a list that pages
    itself (the tax roll's SQL) as for ``list_page``."""
    base = request.GET.copy()
    for name in ("page", "export", "format"):
        base.pop(name, None)
    headers = {}
    for k, label in columns:
        nxt = "-" + k if sort == k else k
        q: QueryDict = base.copy()
        q["sort"] = nxt
        state = ("ascending" if sort == k else "descending" if sort == "-" + k else "none")
        headers[k] = SortLink(k, label, "?" + q.urlencode(), state, k in numeric)
    return base, headers
