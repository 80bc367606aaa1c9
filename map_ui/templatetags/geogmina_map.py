"""What every register's map takes from the map app: base maps, "my position", "zoom to plot"
(`{% map_scripts %}` in a page's head) and links from plot ids to the main map
(`{{ cadastral_id|parcel_map_url }}`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join, json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from map_ui.basemaps import BASE_MAPS, all_base_maps, default_base_map

register = template.Library()

SCRIPTS = ("vendor/proj4/proj4.js", "vendor/geographiclib-geodesic/geographiclib-geodesic.min.js",
           "map_ui/geo.js", "map_ui/features_map.js")


def map_context() -> dict[str, Any]:
    """Base maps (the app's orthophoto or hillshade first; online ones never by default), the
    search API for "zoom to plot" and the labels, for geo.js."""
    bases = all_base_maps()
    default = default_base_map(bases)
    # Leaflet's layer switcher and attribution write these as HTML: a raster's label and
    # attribution are data (typed in at import or in the admin), so they go as escaped text
    return {
        "baseMaps": [{"key": b.key, "label": escape(str(b.label)), "url": b.url,
                      "attribution": (b.attribution if b in BASE_MAPS else escape(b.attribution))
                      or escape(str(b.label)), "max_zoom": b.max_zoom,
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


FEATURE_MAP_LIMIT = 2000  # a register page's map shows at most this many features


def _feature_collection(kind: str, keys: list[Any]) -> dict[str, Any]:
    """GeoJSON (WGS 84) of the plots (by cadastral id) or landscape areas (by id) of a page:
    geometry and identity only, public data in both cases."""
    from django.contrib.gis.db.models.functions import Transform

    from layers.models import LandscapeArea, Parcel

    features = []
    if kind == "parcels":
        qs = Parcel.objects.filter(cadastral_id__in=keys, retired_at__isnull=True)
        rows = qs.annotate(g=Transform("geom", 4326)).values_list("id", "cadastral_id", "g")
        for pid, cid, geom in rows[:FEATURE_MAP_LIMIT]:
            features.append({"type": "Feature", "geometry": _geojson(geom),
                             "properties": {"id": pid, "label": cid,
                                            "href": f"{reverse('map_ui:map')}?parcel={pid}"}})
    elif kind == "landscape_areas":
        qs = LandscapeArea.objects.filter(pk__in=keys, retired_at__isnull=True)
        rows = qs.annotate(g=Transform("geom", 4326)).values_list("id", "code", "name", "g")
        for aid, code, name, geom in rows[:FEATURE_MAP_LIMIT]:
            features.append({"type": "Feature", "geometry": _geojson(geom),
                             "properties": {"id": aid, "label": f"{code} {name}".strip()}})
    else:
        raise template.TemplateSyntaxError(f"features_map: unknown kind {kind!r}")
    return {"type": "FeatureCollection", "features": features}


def _geojson(geom: Any) -> dict[str, Any]:
    import json

    return json.loads(geom.json) if geom is not None else None


@register.simple_tag
def features_map(kind: str, items: Any, key: str = "", element_id: str = "features-map"
                 ) -> SafeString:
    """A map of a register page's plots or areas over the app's base map: ``items`` are rows
    (dicts or objects) whose ``key`` holds a cadastral id, a list of them, or an area id."""
    keys: list[Any] = []
    for item in items or []:
        value = item.get(key) if isinstance(item, dict) else getattr(item, key, item) if key \
            else item
        if isinstance(value, (list, tuple)):
            keys.extend(value)
        elif value not in (None, ""):
            keys.append(value)
    data = _feature_collection(kind, sorted(set(keys), key=str))
    return format_html('<div id="{}" class="features-map" data-features="{}-data" '
                       'data-kind="{}" role="region" aria-label="{}"></div>{}',
                       element_id, element_id, kind, _("Map"),
                       json_script(data, f"{element_id}-data"))


@register.simple_tag(takes_context=True)
def collection_export_links(context: Any, collection_id: str) -> SafeString:
    """Links to a layer's existing exports (/ogc/collections/<id>/export.<fmt>) for a viewer
    who may export (EXPORT_DATA); nothing for the others."""
    from gis_app.accounts.access import has_capability
    from gis_app.accounts.roles import Capability

    request = context.get("request")
    if request is None or not has_capability(request.user, Capability.EXPORT_DATA):
        return SafeString("")
    formats = (("gpkg", "GeoPackage"), ("shp", "Shapefile (ZIP)"), ("csv", "CSV"),
               ("xlsx", "XLSX"))
    links = format_html_join(
        " · ", '<a href="{}" download>{}</a>',
        ((reverse("ogc:collection-export", args=[collection_id, fmt]), label)
         for fmt, label in formats))
    return format_html('<p class="layer-exports">{}: {}</p>', _("Download the layer"), links)


@register.simple_tag(takes_context=True)
def search_export_links(context: Any, query: str) -> SafeString:
    """A search's result list as a file (the parcels export of the same query), for a viewer
    who may export."""
    from urllib.parse import urlencode

    from gis_app.accounts.access import has_capability
    from gis_app.accounts.roles import Capability

    request = context.get("request")
    if not query or request is None or not has_capability(request.user,
                                                          Capability.EXPORT_DATA):
        return SafeString("")
    formats = (("gpkg", "GeoPackage"), ("shp", "Shapefile (ZIP)"), ("csv", "CSV"),
               ("xlsx", "XLSX"))
    links = format_html_join(
        " · ", '<a href="{}?{}" download>{}</a>',
        ((reverse("ogc:parcel-export", args=[fmt]), urlencode({"q": query}), label)
         for fmt, label in formats))
    return format_html('<p class="search-export">{}: {}</p>', _("The list as a file"), links)
