"""The map page, search, the parcel card and the health check.

Every view is public: what each viewer gets is decided per record by the selectors (the public
sees ids and geometry, a logged-in user only the municipalities granted to them, owners only
with VIEW_OWNERS, audit-logged).
"""

from __future__ import annotations

import json
from typing import Any

import folium
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access
from layers.selectors import (
    map_extent,
    municipality_list,
    parcel_at_point,
    search_parcels,
)
from layers.tiles.registry import TileLayer, visible_tile_layers
from map_ui.basemaps import BASE_MAPS, all_base_maps, default_base_map
from map_ui.card import build_card
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
    gettext_noop("Leased areas"), gettext_noop("Municipal property"),
    gettext_noop("Investment offer"), gettext_noop("Plots with protected flats"),
    gettext_noop("Tax status"),
]
DEFAULT_CENTRE = [51.9, 19.1]  # Poland, when no plot is visible yet


def layer_style(layer: TileLayer, index: int) -> dict[str, Any]:
    if layer.style:
        return dict(layer.style)
    if layer.name in LAYER_STYLES:
        return LAYER_STYLES[layer.name]
    colour = _FALLBACK_COLOURS[index % len(_FALLBACK_COLOURS)]
    return {"color": colour, "weight": 1.5, "fill": True, "fillColor": colour,
            "fillOpacity": 0.25}


def _style_js(style: dict[str, Any]) -> str:
    """A VectorGrid style as JavaScript: a plain object, or, when the style names an attribute
    (``by``) and a ``palette`` of value → colour pairs, a function colouring each feature."""
    base = {k: v for k, v in style.items() if k not in ("by", "palette")}
    if "by" not in style or "palette" not in style:
        return json.dumps(base)
    palette = {entry[0]: entry[1] for entry in style["palette"]}  # pairs or labelled triples
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
        "maxNativeZoom": min(layer.max_zoom, 20),
    }
    body = json.dumps(options)[1:-1]
    styles = "{" + json.dumps(layer.name) + ": " + _style_js(style) + "}"
    return "{rendererFactory: L.canvas.tile, " + body + ", vectorTileLayerStyles: " + styles + "}"


def build_map(request: HttpRequest) -> tuple[folium.Map, list[dict[str, Any]]]:
    """The folium map for this viewer and the legend entries of the layers on it."""
    extent = map_extent(request.user)
    m = offline_map(location=DEFAULT_CENTRE, zoom_start=6, control_scale=True,
                    prefer_canvas=True, max_zoom=22)
    base_maps = all_base_maps()
    default = default_base_map(base_maps)
    for base in base_maps:
        show = base is default
        # Leaflet writes layer names and attributions as HTML: a raster's label and attribution
        # are data (typed in at import or in the admin), so they reach it as escaped text.
        name = escape(str(base.label))
        attribution = base.attribution if base in BASE_MAPS else escape(base.attribution)
        if base.url is None:
            PlainBaseLayer(name, show=show).add_to(m)
        else:
            folium.TileLayer(
                tiles=base.url, attr=attribution or name, name=name,
                overlay=False, show=show, max_zoom=base.max_zoom,
                max_native_zoom=base.max_native_zoom or base.max_zoom,
                **({"bounds": base.bounds} if base.bounds else {}),
            ).add_to(m)
    legend = []
    for i, layer in enumerate(visible_tile_layers(request.user)):
        style = layer_style(layer, i)
        label = str(LAYER_LABELS.get(layer.name) or _(str(layer.label)) or layer.name)
        url = f"/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.pbf"
        OfflineVectorGrid(url, name=escape(label), options=_vectorgrid_options(layer, style),
                          show=layer.name in SHOWN_ON_OPENING).add_to(m)
        legend.append({"name": layer.name, "label": label, "color": style.get("color"),
                       "fill": style.get("fillColor", style.get("color")),
                       "min_zoom": layer.min_zoom,
                       "palette": [[str(e[0]), e[1], *([str(e[2])] if len(e) > 2 else [])]
                                   for e in style.get("palette", ())]})
    folium.LayerControl(collapsed=False).add_to(m)
    if extent:
        west, south, east, north = extent
        m.fit_bounds([[south, west], [north, east]])
    return m, legend


@access(public=True, description="the map page; the public sees public layers, ids only")
def map_page(request: HttpRequest) -> HttpResponse:
    m, legend = build_map(request)
    root = m.get_root()
    root.render()
    config = {
        "legend": legend,
        "urls": {"at": reverse("map_ui:parcel_at"), "search": reverse("map_ui:search_api"),
                 "card": reverse("map_ui:card", args=[0]).replace("/0/", "/{id}/")},
        "parcel": request.GET.get("parcel", ""),
        "labels": {"coords": "EPSG:2180", "noParcel": _("No parcel here."),
                   "noResults": _("Nothing found."), "legend": _("Legend"),
                   "fromZoom": _("from zoom")},
    }
    context = {
        # folium's header holds one inline script: it gets the request's CSP nonce (the
        # template puts the nonce on the map's own script blocks)
        "map_header": _with_nonce(root.header.render(), request),
        "map_html": root.html.render(),
        "map_script": root.script.render(),
        "map_name": m.get_name(),
        "map_config": config,
        "municipalities": municipality_list(request.user),
        "proj4_js": static("vendor/proj4/proj4.js"),
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


def _search(request: HttpRequest) -> dict[str, Any]:
    q = request.GET.get("q", "")
    if len(q) > 200:
        return {"error": _("The query is too long (at most 200 characters)."), "status": 400}
    outcome = search_parcels(request.user, q)
    message = _(outcome.message) if outcome.message else ""
    return {"query": outcome.query, "kind": outcome.kind, "message": message,
            "results": [r.as_dict() for r in outcome.results], "status": 200}


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


@access(public=True, description="parcel card (HTML fragment): details and owners by role")
def card_fragment(request: HttpRequest, parcel_id: int) -> HttpResponse:
    return render(request, "map_ui/card_fragment.html", {"card": _card_or_404(request, parcel_id)})


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
