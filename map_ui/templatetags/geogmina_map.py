"""What every register's map takes from the map app: base maps, "my position", "zoom to plot"
(`{% map_scripts %}` in a page's head) and links from plot ids to the main map
(`{{ cadastral_id|parcel_map_url }}`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, format_html_join, json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from map_ui.basemaps import all_base_maps, default_base_map

register = template.Library()

SCRIPTS = ("vendor/proj4/proj4.js", "vendor/geographiclib-geodesic/geographiclib-geodesic.min.js",
           "map_ui/geo.js")


def map_context() -> dict[str, Any]:
    """Base maps (the app's orthophoto or hillshade first; online ones never by default), the
    search API for "zoom to plot" and the labels, for geo.js."""
    bases = all_base_maps()
    default = default_base_map(bases)
    return {
        "baseMaps": [{"key": b.key, "label": str(b.label), "url": b.url,
                      "attribution": b.attribution or str(b.label), "max_zoom": b.max_zoom,
                      "max_native_zoom": b.max_native_zoom, "bounds": b.bounds,
                      "default": b is default} for b in bases],
        "urls": {"search": reverse("map_ui:search_api"), "map": reverse("map_ui:map")},
        "labels": {"myPosition": _("My position"),
                   "noPosition": _("Your position is not available"),
                   "zoomToPlot": _("Zoom to plot")},
    }


@register.simple_tag
def map_scripts() -> SafeString:
    """proj4, geographiclib, geo.js and the map context as JSON (no inline script)."""
    tags = format_html_join("\n", '<script src="{}"></script>', ((static(s),) for s in SCRIPTS))
    return format_html("{}\n{}", tags, json_script(map_context(), "geogmina-map-context"))


@register.filter
def parcel_map_url(cadastral_id: Any) -> str:
    """The main map opened on a plot: /?parcel=<cadastral id or number in the app>."""
    return f"{reverse('map_ui:map')}?parcel={quote(str(cadastral_id), safe='')}"


@register.simple_tag
def parcel_links(cadastral_ids: Any) -> SafeString:
    """Comma-separated plot ids, each a link to the plot on the map."""
    ids = [cadastral_ids] if isinstance(cadastral_ids, str) else list(cadastral_ids or [])
    return format_html_join(", ", '<a href="{}" class="plot-link">{}</a>',
                            ((parcel_map_url(i), i) for i in ids if i))
