"""TileJSON 3.0.0 for every tile layer, so QGIS and MapLibre find its zooms, bounds and fields.

``/tiles/<layer>.json`` describes one layer (the same access as its tiles: a protected layer
needs its capability); ``/tiles/index.json`` lists the layers the viewer may fetch. Bounds come
from the layer's first table (current rows), the fields from a tile the viewer would get at the
layer's first detailed zoom over one of its features, so a viewer holding the detail capability
sees the protected attributes listed too.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from psycopg2 import sql

from gis_app.accounts.access import access, municipality_ids
from layers.tiles.registry import TileLayer, tile_layer, visible_tile_layers
from layers.tiles.views import render_tile

POLAND_CRS84 = [14.07, 49.0, 24.15, 54.84]  # when a layer has no rows yet


def _allowed(request: HttpRequest, layer: TileLayer) -> list[int]:
    if request.user.is_authenticated and layer.detail_capability is not None:
        return sorted(municipality_ids(request.user, layer.detail_capability))
    return []


def _extent_and_sample(layer: TileLayer) -> tuple[list[float] | None, tuple[float, float] | None]:
    """(bounds in CRS84, one feature's point in CRS84) of the layer's first table."""
    if not layer.tables:
        return None, None
    table = sql.Identifier(layer.tables[0])
    query = sql.SQL(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), ST_X(s), ST_Y(s) FROM ("
        " SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 2180), 4326) AS e,"
        " (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) FROM {t} "
        "  WHERE geom IS NOT NULL LIMIT 1) AS s"
        " FROM {t} WHERE geom IS NOT NULL) q").format(t=table)
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(query)
            row = cur.fetchone()
    except DatabaseError:  # a table without a geom column: the layer says less, still valid
        return None, None
    if not row or row[0] is None:
        return None, None
    bounds = [round(v, 6) for v in row[:4]]
    return bounds, (row[4], row[5]) if row[4] is not None else None


def _tile_at(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def layer_fields(layer: TileLayer, allowed: list[int], sample: tuple[float, float] | None
                 ) -> dict[str, str]:
    """The attribute names a viewer's tiles of the layer carry (from a tile over a feature)."""
    import mapbox_vector_tile

    if sample is None:
        return {}
    z = min(max(layer.min_zoom, 16), layer.max_zoom)
    x, y = _tile_at(*sample, z)
    _etag, data = render_tile(layer, z, x, y, allowed)
    if not data:
        return {}
    decoded = mapbox_vector_tile.decode(data).get(layer.name, {})
    fields: dict[str, str] = {}
    for feature in decoded.get("features", []):
        for key, value in feature.get("properties", {}).items():
            kind = "Number" if isinstance(value, int | float) and not isinstance(value, bool) \
                else "Boolean" if isinstance(value, bool) else "String"
            fields.setdefault(key, kind)
    return dict(sorted(fields.items()))


def tilejson(request: HttpRequest, layer: TileLayer) -> dict[str, Any]:
    allowed = _allowed(request, layer)
    bounds, sample = _extent_and_sample(layer)
    bounds = bounds or POLAND_CRS84
    base = request.build_absolute_uri("/tiles/").rstrip("/")
    label = str(layer.label or layer.name)
    return {
        "tilejson": "3.0.0",
        "name": label,
        "description": f"{label}: vector tiles (Mapbox Vector Tile), layer {layer.name!r}",
        "version": "1.0.0",
        "scheme": "xyz",
        "format": "pbf",
        "tiles": [f"{base}/{layer.name}/{{z}}/{{x}}/{{y}}.pbf"],
        "minzoom": layer.min_zoom,
        "maxzoom": layer.max_zoom,
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6),
                   min(max(layer.min_zoom, 14), layer.max_zoom)],
        "vector_layers": [{
            "id": layer.name, "description": label,
            "minzoom": layer.min_zoom, "maxzoom": layer.max_zoom,
            "fields": layer_fields(layer, allowed, sample),
        }],
    }


@require_safe
@access(public=True, description="TileJSON of a tile layer (zooms, bounds, fields); a "
                                 "non-public layer needs its capability")
def layer_tilejson(request: HttpRequest, layer: str) -> HttpResponse:
    spec = tile_layer(layer)
    if spec is None:
        return JsonResponse({"error": f"unknown tile layer {layer!r}"}, status=404)
    if not spec.public:
        if not request.user.is_authenticated:
            return JsonResponse({"error": "authentication required for this layer"}, status=401)
        if not _allowed(request, spec):
            return JsonResponse({"error": f"the layer {layer!r} needs the capability "
                                          f"{spec.detail_capability}"}, status=403)
    response = JsonResponse(tilejson(request, spec))
    response["Cache-Control"] = ("private" if request.user.is_authenticated else "public") + \
        ", max-age=300"
    return response


@require_safe
@access(public=True, description="the tile layers the viewer may fetch, with their TileJSON")
def tilejson_index(request: HttpRequest) -> JsonResponse:
    base = request.build_absolute_uri("/tiles/").rstrip("/")
    return JsonResponse({"layers": [
        {"id": layer.name, "name": str(layer.label or layer.name),
         "tilejson": f"{base}/{layer.name}.json", "minzoom": layer.min_zoom,
         "maxzoom": layer.max_zoom}
        for layer in visible_tile_layers(request.user)]})
