"""The map page, search, the parcel card and the health check.

Every view is public: what each viewer gets is decided per record by the selectors (the public
sees ids and geometry, a logged-in user only the municipalities granted to them, owners only
with VIEW_OWNERS, audit-logged).
"""

from __future__ import annotations

import json
from typing import Any

import folium
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import Transform
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access, has_capability
from gis_app.accounts.roles import Capability
from gis_app.params import BadParameter, int_param
from layers.models import Parcel
from layers.selectors import (
    SEARCH_LIMIT,
    SEARCH_MAX_PAGE_SIZE,
    map_extent,
    municipality_list,
    parcel_at_point,
    search_parcels,
    search_scope,
)
from layers.tiles.registry import TileLayer, visible_tile_layers
from layers.tiles.views import data_versions
from map_ui.basemaps import BASE_MAPS, all_base_maps, default_base_map
from map_ui.card import build_card
from map_ui.identify import identify
from map_ui.offline import OfflineVectorGrid, PlainBaseLayer, offline_map

# Styles of the layers this app registers; a register's layer brings its own (TileLayer.style).
LAYER_STYLES: dict[str, dict[str, Any]] = {
    "parcels": {"color": "#b5482b", "weight": 1, "fill": True, "fillColor": "#b5482b",
                "fillOpacity": 0.04},
    "buildings": {"color": "#4a4a4a", "weight": 1, "fill": True, "fillColor": "#8c8c8c",
                  "fillOpacity": 0.5},
    "land_uses": {"color": "#3f8f3f", "weight": 0.6, "fill": True, "fillColor": "#7cc47c",
                  "fillOpacity": 0.15, "dashArray": "2 3"},
    "parking_zones": {"color": "#1f5fbf", "weight": 2, "fill": True, "fillColor": "#1f5fbf",
                      "fillOpacity": 0.08},
    "landscape_areas": {"color": "#8a3fbf", "weight": 2, "fill": True, "fillColor": "#8a3fbf",
                        "fillOpacity": 0.06, "dashArray": "6 4"},
}
LAYER_LABELS = {
    "parcels": gettext_lazy("Parcels"),
    "buildings": gettext_lazy("Buildings"),
    "land_uses": gettext_lazy("Land uses"),
    "parking_zones": gettext_lazy("Paid-parking zones"),
    "landscape_areas": gettext_lazy("Landscape areas"),
}
_FALLBACK_COLOURS = ["#d08b00", "#008b8b", "#c2185b", "#5d4037", "#2e7d32", "#283593"]
# Layers shown when the page opens; the others wait in the layer control.
SHOWN_ON_OPENING = {"parcels", "buildings"}
# Messages that come from layers.selectors, and the labels registers give their tile layers as
# plain strings, listed here so makemessages finds them and the layer control speaks Polish.
SELECTOR_MESSAGES = [
    gettext_noop("log in to search by land register (KW) number"),
    gettext_noop("type at least 3 letters of a street, place or name"),
    gettext_noop("Leased areas"), gettext_noop("Municipal property"),
    gettext_noop("Investment offer"), gettext_noop("Plots with protected flats"),
    gettext_noop("Tax status"),
]
TILE_SIZE = 512  # the vector layers' tiles on screen, in pixels (one MVT zoom out)
DEFAULT_CENTRE = [51.9, 19.1]  # Poland, when no plot is visible yet


# The layer tree's groups, in the order it shows them; a layer not listed is a register's.
LAYER_GROUPS: dict[str, str] = {
    "parcels": "cadastre", "buildings": "cadastre", "land_uses": "cadastre",
    "parking_zones": "planning", "landscape_areas": "planning",
}
GROUP_LABELS = {
    "cadastre": gettext_lazy("Cadastre"),
    "registers": gettext_lazy("Registers"),
    "planning": gettext_lazy("Planning"),
    "base": gettext_lazy("Base maps"),
}
# Scales offered by the scale chooser and the print dialog (1:500 … 1:25,000).
SCALES = [500, 1000, 2000, 2500, 5000, 10000, 25000]
PRINT_PAPERS = ["A4", "A3"]
EXPORT_FORMATS = [("gpkg", "GeoPackage"), ("shp", "Shapefile (ZIP)"), ("csv", "CSV"),
                  ("xlsx", "XLSX")]


def layer_style(layer: TileLayer, index: int) -> dict[str, Any]:
    if layer.style:
        return dict(layer.style)
    if layer.name in LAYER_STYLES:
        return LAYER_STYLES[layer.name]
    colour = _FALLBACK_COLOURS[index % len(_FALLBACK_COLOURS)]
    return {"color": colour, "weight": 1.5, "fill": True, "fillColor": colour,
            "fillOpacity": 0.25}


def palette_entries(style: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A style's palette as (value, colour, label in words) triples; a pair's label is its
    value (CONTRACTS.md: triples name the class, pairs stay valid)."""
    out = []
    for entry in style.get("palette", ()):
        value, colour = str(entry[0]), str(entry[1])
        label = str(entry[2]) if len(entry) > 2 and entry[2] else value
        out.append((value, colour, label))
    return out


def _style_js(style: dict[str, Any]) -> str:
    """A VectorGrid style as JavaScript: a plain object, or, when the style names an attribute
    (``by``) and a ``palette`` of value → colour entries, a function colouring each feature."""
    base = {k: v for k, v in style.items() if k not in ("by", "palette")}
    if "by" not in style or "palette" not in style:
        return json.dumps(base)
    palette = {value: colour for value, colour, _label in palette_entries(style)}
    return (
        "function (p) { var c = " + json.dumps(palette) + "[p[" + json.dumps(style["by"])
        + "]]; var s = " + json.dumps(base) + "; if (c) { s.color = c; s.fillColor = c; }"
        " return s; }"
    )


def _vectorgrid_options(layer: TileLayer, style: dict[str, Any]) -> str:
    """VectorGrid options as JavaScript: the canvas renderer is a function, not JSON.

    The style is keyed by the tile's MVT layer name, which must equal the registry name."""
    options = {
        "interactive": False,
        "minZoom": layer.min_zoom,
        "maxZoom": 22,
        # 512-pixel tiles, each the MVT tile one zoom out (the URL's {tz} is the map's zoom
        # minus one): a quarter of the requests of 256-pixel tiles for the same view, at the same
        # detail per pixel (issue 17: the first view's tiles queued behind each other). The
        # native zooms are the map's: the layer's own zooms plus one.
        "tileSize": TILE_SIZE,
        "minNativeZoom": layer.min_zoom + 1,
        "maxNativeZoom": min(layer.max_zoom, 20) + 1,
    }
    body = json.dumps(options)[1:-1]
    styles = "{" + json.dumps(layer.name) + ": " + _style_js(style) + "}"
    return ("{rendererFactory: L.canvas.tile, tz: function (d) { return d.z - 1; }, " + body
            + ", vectorTileLayerStyles: " + styles + "}")


def _export_collection(layer_name: str) -> str | None:
    """The OGC collection holding a tile layer's features (for "this layer in the view")."""
    from layers.ogc.registry import get_collection

    for candidate in (layer_name.replace("_", "-"), layer_name):
        if get_collection(candidate) is not None:
            return candidate
    return None


def initial_view(request: HttpRequest) -> tuple[list[float], float] | None:
    """The view a permalink asks for (``c=lat,lng&z=zoom``), so the first tiles asked for are
    the right ones; None when the URL names no valid view."""
    try:
        lat, lng = (float(v) for v in request.GET.get("c", "").split(","))
        zoom = float(request.GET.get("z", ""))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180 and 0 <= zoom <= 22):
        return None
    return [lat, lng], zoom


def build_map(request: HttpRequest) -> tuple[folium.Map, dict[str, Any]]:
    """The folium map for this viewer and what the page's script needs to know of its layers
    (the layer tree, the legend, base maps; each with the JavaScript variable folium gave it).

    The first view is the permalink's when the URL has one, else the viewer's extent; the
    layers a permalink names are the ones shown from the start (no tile asked for twice)."""
    view = initial_view(request)
    extent = None if view else map_extent(request.user)
    wanted = request.GET.get("layers")
    shown_layers = set(wanted.split(",")) if wanted is not None else SHOWN_ON_OPENING
    m = offline_map(location=view[0] if view else DEFAULT_CENTRE,
                    zoom_start=view[1] if view else 6, control_scale=True,
                    prefer_canvas=True, max_zoom=22)
    base_maps = all_base_maps()
    default = default_base_map(base_maps)
    asked = request.GET.get("base")
    default = next((b for b in base_maps if b.key == asked), default)
    bases = []
    for base in base_maps:
        show = base is default
        # Leaflet writes layer names and attributions as HTML: a raster's label and attribution
        # are data (typed in at import or in the admin), so they reach it as escaped text.
        name = escape(str(base.label))
        attribution = base.attribution if base in BASE_MAPS else escape(base.attribution)
        if base.url is None:
            layer = PlainBaseLayer(name, show=show)
        else:
            layer = folium.TileLayer(
                tiles=base.url, attr=attribution or name, name=name,
                overlay=False, show=show, max_zoom=base.max_zoom,
                max_native_zoom=base.max_native_zoom or base.max_zoom,
                **({"bounds": base.bounds} if base.bounds else {}),
            )
        layer.add_to(m)
        bases.append({"key": base.key, "label": str(base.label), "var": layer.get_name(),
                      "shown": show, "online": base.online})
    can_export = has_capability(request.user, Capability.EXPORT_DATA)
    layers = []
    visible = visible_tile_layers(request.user)
    versions = data_versions(visible)
    for i, layer in enumerate(visible):
        style = layer_style(layer, i)
        label = str(LAYER_LABELS.get(layer.name) or _(str(layer.label)) or layer.name)
        url = f"/tiles/{layer.name}/{{tz}}/{{x}}/{{y}}.pbf"  # tz: see _vectorgrid_options
        if layer.name in versions:
            # the data version keys the edge cache: new data, new URLs (issue #20)
            url += f"?v={versions[layer.name]}"
        grid = OfflineVectorGrid(url, name=escape(label), options=_vectorgrid_options(layer, style),
                                 show=layer.name in shown_layers)
        grid.add_to(m)
        collection = _export_collection(layer.name) if can_export else None
        layers.append({
            "name": layer.name, "label": label, "var": grid.get_name(),
            "group": LAYER_GROUPS.get(layer.name, "registers"),
            "shown": layer.name in shown_layers,
            "color": style.get("color"), "fill": style.get("fillColor", style.get("color")),
            "min_zoom": layer.min_zoom,
            "palette": [list(e) for e in palette_entries(style)],
            "export": reverse("ogc:collection-export", args=[collection, "FMT"])
            if collection else None,
        })
    plot = _parcel_bounds(request.user, _resolve_parcel(request.GET.get("parcel", ""))) \
        if view is None else None
    if plot:  # opened on a plot: its tiles first, not the whole town's
        west, south, east, north = plot
        m.fit_bounds([[south, west], [north, east]], max_zoom=19, padding=(30, 30))
    elif extent:
        west, south, east, north = extent
        m.fit_bounds([[south, west], [north, east]])
    groups = [{"key": k, "label": str(v)} for k, v in GROUP_LABELS.items()]
    return m, {"layers": layers, "baseMaps": bases, "groups": groups, "canExport": can_export}


def _parcel_bounds(user: Any, parcel_id: str) -> tuple[float, float, float, float] | None:
    """West, south, east, north (WGS 84) of a plot the viewer may find, else None."""
    if not parcel_id.isdigit():
        return None
    qs = Parcel.objects.filter(pk=int(parcel_id), retired_at__isnull=True)
    scope = search_scope(user)
    if scope is not None:
        qs = qs.filter(municipality_id__in=scope)
    extent = qs.aggregate(e=Extent(Transform("geom", 4326)))["e"]
    return tuple(extent) if extent else None


def _print_url() -> str:
    try:
        return reverse("map_print")
    except NoReverseMatch:  # map17gis's endpoint (CONTRACTS.md) not merged yet: its address
        return "/map/print.pdf"


def _resolve_parcel(raw: str) -> str:
    """?parcel= takes the plot's number in the app or its cadastral id (what registers show)."""
    raw = raw.strip()
    if not raw or raw.isdigit():
        return raw
    found = Parcel.objects.filter(cadastral_id=raw, retired_at__isnull=True).values_list(
        "id", flat=True).first()
    return str(found) if found else ""


MAP_LABELS = {
    "coords": gettext_lazy("Coordinates"), "noParcel": gettext_lazy("No parcel here."),
    "noResults": gettext_lazy("Nothing found."), "legend": gettext_lazy("Legend"),
    "layers": gettext_lazy("Layers"), "fromZoom": gettext_lazy("from zoom"),
    "opacity": gettext_lazy("Opacity"), "plot": gettext_lazy("Plot"),
    "atPoint": gettext_lazy("At this point"), "nothingHere": gettext_lazy("Nothing here."),
    "scale": gettext_lazy("Scale"), "goTo": gettext_lazy("Go to"),
    "badXY": gettext_lazy("Give X (northing) and Y (easting) as numbers in the chosen system."),
    "outside": gettext_lazy("This point lies outside Poland; check the order of X and Y."),
    "measureLength": gettext_lazy("Measure distance"),
    "measureArea": gettext_lazy("Measure area"),
    "measureHint": gettext_lazy("Click points on the map; double-click or Finish to end."),
    "finish": gettext_lazy("Finish"), "clear": gettext_lazy("Clear"),
    "geodesic": gettext_lazy("geodesic (GRS80)"), "plane": gettext_lazy("EPSG:2180 plane"),
    "length": gettext_lazy("Length"), "area": gettext_lazy("Area"),
    "myPosition": gettext_lazy("My position"),
    "noPosition": gettext_lazy("Your position is not available"),
    "print": gettext_lazy("Print"), "link": gettext_lazy("Link to this view"),
    "exportView": gettext_lazy("Download this layer within the view"),
    "loading": gettext_lazy("Searching…"),
    "resultsCount": gettext_lazy("%(count)s results, page %(page)s of %(pages)s"),
    "previous": gettext_lazy("Previous"), "next": gettext_lazy("Next"),
    "listAsFile": gettext_lazy("The list as a file"),
    "close": gettext_lazy("Close"),
}


@access(public=True, description="the map page; the public sees public layers, ids only")
def map_page(request: HttpRequest) -> HttpResponse:
    m, layers = build_map(request)
    root = m.get_root()
    root.render()
    config = {
        **layers,
        "mapName": m.get_name(),
        "urls": {"at": reverse("map_ui:parcel_at"), "identify": reverse("map_ui:identify"),
                 "search": reverse("map_ui:search_api"),
                 "card": reverse("map_ui:card", args=[0]).replace("/0/", "/{id}/"),
                 "print": _print_url(),
                 "parcelExport": reverse("ogc:parcel-export", args=["FMT"])},
        "parcel": _resolve_parcel(request.GET.get("parcel", "")),
        "crs": ["EPSG:2180", "EPSG:2176", "EPSG:2177", "EPSG:2178", "EPSG:2179", "EPSG:4326"],
        "scales": SCALES,
        "searchPageSize": 20,
        "exportFormats": EXPORT_FORMATS,
        "labels": {k: str(v) for k, v in MAP_LABELS.items()},
    }
    context = {
        # folium's header holds one inline script: it gets the request's CSP nonce (the
        # template puts the nonce on the map's own script blocks)
        "map_header": _with_nonce(root.header.render(), request),
        "map_html": root.html.render(),
        "map_script": root.script.render(),
        "map_config": config,
        "municipalities": municipality_list(request.user),
        "scales": SCALES,
        "papers": PRINT_PAPERS,
    }
    response = render(request, "map_ui/map.html", context)
    # the online base maps offered (never the default) load their tiles from their origins
    origins = sorted({_origin(b.url) for b in BASE_MAPS if b.online and b.url})
    if origins:
        response._csp_update = {"img-src": origins}  # type: ignore[attr-defined]
    return response


def _with_nonce(html: str, request: HttpRequest) -> str:
    """Inline ``<script>`` blocks of folium's generated HTML, with the request's CSP nonce."""
    nonce = str(getattr(request, "csp_nonce", ""))  # a lazy object: str() makes the nonce
    return html.replace("<script>", f'<script nonce="{nonce}">') if nonce else html


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@require_safe
@access(public=True, description="identify: every layer's features under a point (WGS 84), "
                                 "each as the viewer may see it")
def identify_at(request: HttpRequest) -> JsonResponse:
    try:
        lon = _float(request, "lon", -180, 180)
        lat = _float(request, "lat", -90, 90)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(identify(request.user, lon, lat), encoder=DjangoJSONEncoder)


def _search(request: HttpRequest) -> dict[str, Any]:
    q = request.GET.get("q", "")
    if len(q) > 200:
        return {"error": _("The query is too long (at most 200 characters)."), "status": 400}
    try:
        page = int_param(request, "page", low=1, high=100_000, default=1)
        page_size = int_param(request, "page_size", low=1, high=SEARCH_MAX_PAGE_SIZE,
                              default=SEARCH_LIMIT)
    except BadParameter as exc:
        return {"error": exc.message, "status": 400}
    outcome = search_parcels(request.user, q, page=page, page_size=page_size)
    message = _(outcome.message) if outcome.message else ""
    return {"query": outcome.query, "kind": outcome.kind, "message": message,
            "results": [r.as_dict() for r in outcome.results], "count": outcome.count,
            "count_capped": outcome.count_capped,
            "page": outcome.page, "pages": outcome.pages, "page_size": outcome.page_size,
            "status": 200}


@require_safe
@access(public=True, description="search plots by id, address, KW; owners need VIEW_OWNERS")
def search_api(request: HttpRequest) -> JsonResponse:
    data = _search(request)
    return JsonResponse(data, status=data.pop("status"))


@access(public=True, description="search results page with zoom-to links")
def search_page(request: HttpRequest) -> HttpResponse:
    data = _search(request)
    status = data.pop("status")
    return render(request, "map_ui/search.html", data, status=status)


def _float(request: HttpRequest, name: str, low: float, high: float) -> float:
    raw = request.GET.get(name, "")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must lie between {low} and {high}, got {value}")
    return value


@require_safe
@access(public=True, description="the plot under a point (WGS 84), within the viewer's scope")
def parcel_at(request: HttpRequest) -> JsonResponse:
    try:
        lon = _float(request, "lon", -180, 180)
        lat = _float(request, "lat", -90, 90)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    found = parcel_at_point(request.user, lon, lat)
    if found is None:
        return JsonResponse({"error": "no parcel at this point"}, status=404)
    return JsonResponse(found)


def _card_or_404(request: HttpRequest, parcel_id: int) -> dict[str, Any]:
    card = build_card(request.user, parcel_id)
    if card is None:
        raise Http404(_("No such parcel."))
    return card


def card_outputs(user: Any, card: dict[str, Any]) -> dict[str, Any]:
    """The files a card offers this viewer: the PDF dossier (VIEW_MAP in the plot's town) and
    the plot's data in each export format (EXPORT_DATA there)."""
    mid = (card.get("municipality") or {}).get("id")
    out: dict[str, Any] = {"dossier": None, "data": []}
    if card.get("level") == "detail":
        out["dossier"] = reverse("rasters:dossier", args=[card["id"]])
    if mid is not None and has_capability(user, Capability.EXPORT_DATA, mid):
        base = reverse("ogc:parcel-export", args=["FMT"])
        out["data"] = [(label, f"{base.replace('FMT', fmt)}?ids={card['id']}")
                       for fmt, label in EXPORT_FORMATS]
    return out


@access(public=True, description="parcel card (HTML fragment): details and owners by role")
def card_fragment(request: HttpRequest, parcel_id: int) -> HttpResponse:
    card = _card_or_404(request, parcel_id)
    return render(request, "map_ui/card_fragment.html",
                  {"card": card, "outputs": card_outputs(request.user, card)})


@access(public=True, description="parcel card (printable page): details and owners by role")
def card_print(request: HttpRequest, parcel_id: int) -> HttpResponse:
    return render(request, "map_ui/card_print.html", {"card": _card_or_404(request, parcel_id)})


@require_safe
@access(public=True, description="parcel card (JSON): details and owners by role")
def card_api(request: HttpRequest, parcel_id: int) -> JsonResponse:
    card = build_card(request.user, parcel_id)
    if card is None:
        return JsonResponse({"error": "no such parcel"}, status=404)
    for section in card["sections"]:
        section.pop("template", None)
    return JsonResponse(card, encoder=DjangoJSONEncoder)


@access(public=True, description="liveness and database check for monitoring")
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT postgis_lib_version()")
            postgis = cur.fetchone()[0]
    except Exception as exc:  # the database is down: say so, do not crash
        # The error names the server's host or socket path: it goes to the log, never to the
        # (public) answer (issue 14).
        import logging

        logging.getLogger(__name__).warning(
            "health: database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "postgis": postgis})
