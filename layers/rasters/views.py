"""Raster tiles, terrain queries and the parcel dossier."""

from __future__ import annotations

import math

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from gis_app.accounts.access import access, municipality_ids
from gis_app.accounts.roles import Capability
from layers.domain.srid import STORAGE_SRID
from layers.models import LandscapeArea
from layers.points import PointError
from layers.rasters import terrain
from layers.rasters.models import Raster
from layers.rasters.render import FORMATS, TileRequestError, parse_tile
from layers.rasters.tiles import get_tile, prune_soon

CACHE_CONTROL = "public, max-age=86400"


def _tile_response(request: HttpRequest, name: str, style: str, z: str, x: str, y: str,
                   fmt: str) -> HttpResponse:
    try:
        zi, xi, yi, fmt = parse_tile(z, x, y, fmt.lower())
    except TileRequestError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    raster = Raster.objects.filter(name=name).first()
    if raster is None:
        raise Http404(_("No raster named %(name)s") % {"name": name})
    if style == "hillshade" and raster.kind != Raster.Kind.ELEVATION:
        return JsonResponse({"error": "a hillshade needs an elevation model"}, status=400)
    data, etag, cached = get_tile(raster, style, zi, xi, yi, fmt)
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
            raise TerrainParamError(f"missing parameter {key}")
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise TerrainParamError(f"parameter {key} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise TerrainParamError(f"parameter {key} must be finite")
    return value


class TerrainParamError(ValueError):
    pass


def _point(request: HttpRequest) -> tuple[float, float]:
    """x/y in ``srid`` (the storage SRID by default; 4326 as lon/lat; 2176–2179 as
    easting/northing)."""
    raw_srid = request.GET.get("srid", str(STORAGE_SRID))
    try:
        srid = int(raw_srid)
    except ValueError as exc:
        raise TerrainParamError(f"srid must be an EPSG integer, got {raw_srid!r}") from exc
    x, y = _float(request, "x"), _float(request, "y")
    try:
        x, y = terrain.to_storage(x, y, srid)
    except PointError as exc:
        raise TerrainParamError(exc.message) from None
    if not (0 < x < 1_500_000 and 0 < y < 1_500_000):
        raise TerrainParamError("the point lies outside the PL-1992 grid")
    return x, y


@require_safe
@access(public=True, description="ground height at a point from the elevation model (JSON)")
def terrain_height(request: HttpRequest) -> JsonResponse:
    try:
        x, y = _point(request)
    except TerrainParamError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    raster = terrain.elevation_model_at(x, y)
    height = terrain.ground_height(x, y, raster) if raster else None
    if height is None:
        return JsonResponse({"error": "no elevation model covers this point",
                             "x": x, "y": y, "srid": STORAGE_SRID}, status=404)
    return JsonResponse({"x": x, "y": y, "srid": STORAGE_SRID, "height_m": round(height, 2),
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
        return JsonResponse({"error": str(exc)}, status=400)
    except terrain.TerrainError as exc:
        return JsonResponse({"error": str(exc)}, status=404 if "no elevation" in str(exc)
                            else 400)
    return JsonResponse(result)


@require_safe
@access(Capability.VIEW_MAP, description="PDF dossier of a parcel (owners only with "
                                         "view_owners; audited)")
def parcel_dossier(request: HttpRequest, parcel_id: int) -> HttpResponse:
    from layers.rasters.dossier import dossier_response

    return dossier_response(request, parcel_id)
