"""Raster tiles, terrain queries and the parcel dossier."""

from __future__ import annotations

import math
import time

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from layers.domain.srid import STORAGE_SRID
from layers.models import LandscapeArea
from layers.points import PointError, point_from_params
from layers.rasters import terrain
from layers.rasters.models import Raster
from layers.rasters.render import FORMATS, TileRequestError, parse_tile
from layers.rasters.tiles import get_tile, prune_soon
from layers.tiles.views import server_timing

CACHE_CONTROL = "public, max-age=86400"


def _tile_response(request: HttpRequest, name: str, style: str, z: str, x: str, y: str,
                   fmt: str) -> HttpResponse:
    started = time.perf_counter()
    try:
        zi, xi, yi, fmt = parse_tile(z, x, y, fmt.lower())
    except TileRequestError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    raster = Raster.objects.filter(name=name).first()
    if raster is None:
        raise Http404(_("No raster named %(name)s") % {"name": name})
    if style == "hillshade" and raster.kind != Raster.Kind.ELEVATION:
        return JsonResponse({"error": "a hillshade needs an elevation model"}, status=400)
    render_started = time.perf_counter()
    data, etag, cached = get_tile(raster, style, zi, xi, yi, fmt)
    render_ms = (time.perf_counter() - render_started) * 1000
    prune_soon()  # the disk cache's cap: a background prune at most once per interval
    if request.headers.get("if-none-match") == etag:
        response = HttpResponse(status=304)
    else:
        # An empty tile (outside the footprint) is a transparent PNG even for .jpg URLs:
        # JPEG has no transparency, and browsers sniff the image type.
        mime = "image/png" if data[:4] == b"\x89PNG" else FORMATS[fmt]
        response = HttpResponse(data, content_type=mime)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Tile-Cache"] = "hit" if cached else "miss"
    server_timing(response, started, render=render_ms)
    return response


@require_safe
@access(public=True, description="orthophoto / elevation XYZ tiles (PNG or JPEG), base map")
def raster_tile(request: HttpRequest, name: str, z: str, x: str, y: str,
                fmt: str) -> HttpResponse:
    return _tile_response(request, name, "default", z, x, y, fmt)


@require_safe
@access(public=True, description="hillshade XYZ tiles of an elevation model")
def hillshade_tile(request: HttpRequest, name: str, z: str, x: str, y: str,
                   fmt: str) -> HttpResponse:
    return _tile_response(request, name, "hillshade", z, x, y, fmt)


def _float(request: HttpRequest, key: str, default: float | None = None) -> float:
    raw = request.GET.get(key)
    if raw is None or raw == "":
        if default is None:
            raise TerrainParamError(key, f"missing parameter {key}")
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise TerrainParamError(key, f"parameter {key} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise TerrainParamError(key, f"parameter {key} must be finite")
    return value


class TerrainParamError(ValueError):
    """A parameter of a terrain query is wrong; ``parameter`` names it (the 400 says which)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter

    def response(self) -> JsonResponse:
        return JsonResponse({"error": str(self), "parameter": self.parameter}, status=400)


def _point(request: HttpRequest) -> tuple[float, float]:
    """The point of a terrain query as (easting, northing) in EPSG:2180, read in the app's one
    axis convention (``layers.points.point_from_params``): ``x`` is the northing and ``y`` the
    easting (latitude and longitude with srid=4326), or ``e``/``n`` named explicitly; srid 2180
    by default, 2176–2179 or 4326."""
    try:
        point = point_from_params(request.GET, default_srid=STORAGE_SRID)
    except PointError as exc:
        raise TerrainParamError(exc.field, exc.message) from None
    east, north = point.x, point.y
    if not (0 < east < 1_500_000 and 0 < north < 1_500_000):
        raise TerrainParamError("x", "the point lies outside the PL-1992 grid")
    return east, north


@require_safe
@access(public=True, description="ground height at a point from the elevation model (JSON)")
def terrain_height(request: HttpRequest) -> JsonResponse:
    try:
        x, y = _point(request)
    except TerrainParamError as exc:
        return exc.response()
    raster = terrain.elevation_model_at(x, y)
    height = terrain.ground_height(x, y, raster) if raster else None
    if height is None:
        return JsonResponse({"error": "no elevation model covers this point",
                             **terrain.point_json(x, y)}, status=404)
    return JsonResponse({**terrain.point_json(x, y), "height_m": round(height, 2),
                         "elevation_model": raster.name})


@require_safe
@access(Capability.VIEW_LANDSCAPE,
        description="is a proposed object visible from protected viewpoints (JSON); "
                    "viewpoints of the user's municipalities only")
def terrain_visibility(request: HttpRequest) -> JsonResponse:
    allowed = municipality_ids(request.user, Capability.VIEW_LANDSCAPE)
    try:
        x, y = _point(request)
        height = _float(request, "height")
        area = None
        area_ref = request.GET.get("area", "")
        if area_ref:
            areas = LandscapeArea.objects.filter(municipality_id__in=allowed,
                                                 retired_at__isnull=True)
            area = (areas.filter(pk=int(area_ref)).first() if area_ref.isdigit()
                    else areas.filter(code=area_ref).first())
            if area is None:
                return JsonResponse({"error": f"no landscape area {area_ref!r} in your "
                                              "municipalities"}, status=404)
        result = terrain.visibility(x, y, height, municipality_ids=allowed, area=area)
    except TerrainParamError as exc:
        return exc.response()
    except terrain.TerrainError as exc:
        if "no elevation" in str(exc):
            return JsonResponse({"error": str(exc)}, status=404)
        # an object height out of range is named; what is left is about the point
        return TerrainParamError("height" if "height must" in str(exc) else "x",
                                 str(exc)).response()
    return JsonResponse(result)


@require_safe
@access(Capability.VIEW_MAP, description="PDF dossier of a parcel (owners only with "
                                         "view_owners; audited)")
def parcel_dossier(request: HttpRequest, parcel_id: int) -> HttpResponse:
    from layers.rasters.dossier import dossier_response

    return dossier_response(request, parcel_id)
