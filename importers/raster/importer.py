"""Import a GeoTIFF orthophoto or elevation model.

The source may be in any CRS (PL-2000 zones, PL-1992, WGS 84, UTM …). It is checked first (a
raster GDAL reads, a GeoTIFF, georeferenced, a sane size and pixel type for its kind, inside
Poland), then warped window by window to EPSG:2180 into a tiled temporary GeoTIFF, then written as
a Cloud-Optimised GeoTIFF (internal tiles + overviews) under ``MEDIA_ROOT/rasters/`` and
registered as a ``layers.rasters.Raster`` row. The file is moved into place only after the row is
saved inside the transaction, and removed again if the transaction fails: a failed import leaves
neither a row nor a file.

Why 2180 and not 3857: terrain queries, dossiers and line-of-sight need metres on the ground and
the same grid as the vector data; tiles warp small windows to 3857 on demand (and are cached).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction
from rasterio.enums import Resampling
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from layers.domain.srid import STORAGE_SRID
from layers.models import Municipality
from layers.rasters.models import Raster

# Sizes beyond these are refused as absurd (a mistake or a hostile file), not attempted.
MAX_SIDE_PX = 60_000
MAX_PIXELS = 1_500_000_000
MIN_PIXEL_M = 0.02
MAX_PIXEL_M = 1_000.0
# PL-1992 area of use (EPSG:2180 bounds, metres, generous).
POLAND_2180 = (140_000.0, 120_000.0, 900_000.0, 800_000.0)
ACCEPTED_DRIVERS = {"GTiff", "COG"}
ORTHO_BANDS = {1, 3, 4}
ProgressFn = Callable[[str, int, int], None]


class RasterImportError(ValueError):
    """A file that cannot be imported; the message names the problem."""


@dataclass(frozen=True)
class SourceInfo:
    driver: str
    crs: str
    epsg: int | None
    width: int
    height: int
    count: int
    dtype: str
    nodata: float | None
    pixel_m: float


def check_source(path: Path, kind: str) -> SourceInfo:
    """Refuse a file that is not a georeferenced GeoTIFF fit for ``kind``; never writes."""
    if kind not in Raster.Kind.values:
        kinds = ", ".join(Raster.Kind.values)
        raise RasterImportError(f"unknown kind {kind!r}: use one of {kinds}")
    if not path.is_file():
        raise RasterImportError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise RasterImportError(f"{path.name}: the file is empty")
    try:
        src = rasterio.open(path)
    except RasterioIOError as exc:
        raise RasterImportError(
            f"{path.name}: not a raster GDAL can read (unsupported format, or a corrupt or "
            f"truncated file): {_first_line(exc)}") from exc
    with src:
        if src.driver not in ACCEPTED_DRIVERS:
            raise RasterImportError(
                f"{path.name}: unsupported format {src.driver}; a GeoTIFF is expected")
        if src.crs is None:
            raise RasterImportError(
                f"{path.name}: the file has no coordinate reference system (CRS); "
                "add one (e.g. gdal_edit.py -a_srs EPSG:2180) and import again")
        if src.transform.is_identity or (src.transform.a == 1 and src.transform.e == 1
                                         and src.transform.c == 0 and src.transform.f == 0):
            raise RasterImportError(f"{path.name}: the file has no georeferencing (geotransform)")
        if src.width > MAX_SIDE_PX or src.height > MAX_SIDE_PX \
                or src.width * src.height > MAX_PIXELS:
            raise RasterImportError(
                f"{path.name}: absurd size {src.width}×{src.height} px "
                f"(limit {MAX_SIDE_PX} px a side, {MAX_PIXELS:,} px in all); cut it into sheets")
        if src.width < 2 or src.height < 2:
            raise RasterImportError(f"{path.name}: too small ({src.width}×{src.height} px)")
        dtype = src.dtypes[0]
        if kind == Raster.Kind.ORTHOPHOTO:
            if src.count not in ORTHO_BANDS:
                raise RasterImportError(
                    f"{path.name}: an orthophoto needs 1, 3 or 4 bands, the file has {src.count}")
            if dtype != "uint8":
                raise RasterImportError(
                    f"{path.name}: an orthophoto must be 8-bit (uint8), the file is {dtype}; "
                    "scale it first (gdal_translate -ot Byte -scale)")
        else:
            if src.count != 1:
                raise RasterImportError(
                    f"{path.name}: an elevation model needs exactly 1 band, the file has "
                    f"{src.count}")
            if not np.issubdtype(np.dtype(dtype), np.number) or dtype.startswith("complex"):
                raise RasterImportError(f"{path.name}: unsupported pixel type {dtype}")
        pixel_m = _pixel_size_m(src)
        if not (MIN_PIXEL_M <= pixel_m <= MAX_PIXEL_M):
            raise RasterImportError(
                f"{path.name}: absurd pixel size {pixel_m:.4g} m "
                f"(accepted {MIN_PIXEL_M}–{MAX_PIXEL_M} m)")
        epsg = src.crs.to_epsg()
        return SourceInfo(driver=src.driver, crs=f"EPSG:{epsg}" if epsg else src.crs.to_string(),
                          epsg=epsg, width=src.width, height=src.height, count=src.count,
                          dtype=dtype, nodata=src.nodata, pixel_m=pixel_m)


def _pixel_size_m(src: rasterio.io.DatasetReader) -> float:
    """Pixel size on the ground in metres, also for geographic (degree) sources."""
    res = (abs(src.transform.a) + abs(src.transform.e)) / 2
    if src.crs.is_geographic:
        lat = (src.bounds.top + src.bounds.bottom) / 2
        return res * 111_320.0 * max(math.cos(math.radians(lat)), 0.01)
    return res * (src.crs.linear_units_factor[1] if src.crs.linear_units_factor else 1.0)


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


def import_raster(
    path: Path | str,
    *,
    kind: str,
    municipality: Municipality | str,
    name: str,
    label: str = "",
    attribution: str = "",
    replace: bool = False,
    progress: ProgressFn | None = None,
) -> Raster:
    """Check, warp to 2180, write a COG and register it. Raises ``RasterImportError``."""
    path = Path(path)
    progress = progress or (lambda stage, done, total: None)
    if isinstance(municipality, str):
        found = Municipality.objects.filter(teryt=municipality).first()
        if found is None:
            raise RasterImportError(f"unknown municipality TERYT {municipality!r}")
        municipality = found
    if not name or not all(c.isalnum() or c in "-_" for c in name) or len(name) > 64:
        raise RasterImportError(
            f"invalid name {name!r}: use letters, digits, '-' and '_' (at most 64)")
    existing = Raster.objects.filter(name=name).first()
    if existing and not replace:
        raise RasterImportError(f"a raster named {name!r} exists; pass --replace to replace it")
    info = check_source(path, kind)
    target_dir = Path(settings.MEDIA_ROOT) / "rasters"
    target_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="raster-", dir=target_dir))
    final: Path | None = None
    try:
        warped = work / "warped.tif"
        _warp(path, warped, kind, info, progress)
        cog = work / "cog.tif"
        progress("cog", 0, 1)
        write_cog(warped, cog, kind)
        progress("cog", 1, 1)
        meta = _describe(cog)
        _check_in_poland(meta["footprint"], path.name)
        final = target_dir / f"{name}-{uuid.uuid4().hex[:8]}.tif"
        old_path = existing.path if existing else None
        with transaction.atomic():
            if existing:
                existing.delete()
            raster = Raster.objects.create(
                name=name, label=label or name, kind=kind, municipality=municipality,
                file_path=f"rasters/{final.name}", footprint=meta["footprint"],
                resolution_m=meta["resolution"], width=meta["width"], height=meta["height"],
                band_count=meta["count"], dtype=meta["dtype"], nodata=meta["nodata"],
                source_crs=info.crs, source_file=path.name[:255], attribution=attribution)
            os.replace(cog, final)
            if old_path is not None:
                transaction.on_commit(lambda: _remove_quietly(old_path))
        final = None  # committed: the file belongs to the row now
        return raster
    except RasterImportError:
        raise
    except (RasterioError, OSError) as exc:
        raise RasterImportError(
            f"{path.name}: the file could not be read through (corrupt or truncated?): "
            f"{_first_line(exc)}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if final is not None:
            _remove_quietly(final)


def _remove_quietly(path: Path) -> None:
    path.unlink(missing_ok=True)


def _warp(src_path: Path, out: Path, kind: str, info: SourceInfo, progress: ProgressFn) -> None:
    """Warp to 2180 window by window (bounded memory), keeping a validity mask."""
    resampling = Resampling.bilinear if kind == Raster.Kind.ELEVATION else Resampling.cubic
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(src_path) as src:
        nodata = src.nodata
        if kind == Raster.Kind.ELEVATION and nodata is None:
            nodata = -9999.0
        vrt_opts = {"crs": f"EPSG:{STORAGE_SRID}", "resampling": resampling}
        if kind == Raster.Kind.ELEVATION:
            vrt_opts["src_nodata"] = src.nodata
            vrt_opts["nodata"] = nodata
            vrt_opts["dtype"] = "float32"
        with WarpedVRT(src, **vrt_opts) as vrt:
            bands = [1, 2, 3] if kind == Raster.Kind.ORTHOPHOTO and src.count == 4 else \
                list(range(1, src.count + 1))
            profile = {
                "driver": "GTiff", "width": vrt.width, "height": vrt.height,
                "count": len(bands), "dtype": "float32" if kind == Raster.Kind.ELEVATION
                else "uint8", "crs": vrt.crs, "transform": vrt.transform, "tiled": True,
                "blockxsize": 512, "blockysize": 512, "compress": "deflate", "BIGTIFF": "IF_SAFER",
            }
            if kind == Raster.Kind.ELEVATION:
                profile["nodata"] = nodata
            if vrt.width > MAX_SIDE_PX or vrt.height > MAX_SIDE_PX:
                raise RasterImportError(
                    f"{src_path.name}: the file would be {vrt.width}×{vrt.height} px in "
                    "EPSG:2180, an absurd size")
            windows = [Window(c, r, min(1024, vrt.width - c), min(1024, vrt.height - r))
                       for r in range(0, vrt.height, 1024) for c in range(0, vrt.width, 1024)]
            with rasterio.open(out, "w", **profile) as dst:
                for i, win in enumerate(windows):
                    data = vrt.read(bands, window=win)
                    dst.write(data, window=win)
                    if kind == Raster.Kind.ORTHOPHOTO:
                        if src.count == 4:
                            mask = vrt.read(4, window=win)
                        else:
                            mask = vrt.read_masks(1, window=win)
                        dst.write_mask(mask, window=win)
                    progress("warp", i + 1, len(windows))


def write_cog(warped: Path, cog: Path, kind: str) -> None:
    """COG: internal 512 px tiles and overviews; JPEG for photos, DEFLATE for heights."""
    from rasterio.shutil import copy as rio_copy

    if kind == Raster.Kind.ORTHOPHOTO:
        with rasterio.open(warped) as w:
            count = w.count
        opts = {"COMPRESS": "JPEG" if count == 3 else "DEFLATE", "QUALITY": "85",
                "OVERVIEW_RESAMPLING": "AVERAGE"}
    else:
        opts = {"COMPRESS": "DEFLATE", "PREDICTOR": "3", "OVERVIEW_RESAMPLING": "AVERAGE"}
    with rasterio.Env(GDAL_NUM_THREADS="2"):
        rio_copy(str(warped), str(cog), driver="COG", BLOCKSIZE="512", **opts)


def _describe(path: Path) -> dict:
    """Footprint (valid pixels' outline, simplified) and grid facts of the written COG."""
    from rasterio import features
    from shapely.geometry import shape
    from shapely.ops import unary_union

    with rasterio.open(path) as ds:
        # The footprint from a decimated mask keeps this fast on big files.
        factor = max(1, int(max(ds.width, ds.height) / 1024))
        shape_out = (max(1, ds.height // factor), max(1, ds.width // factor))
        mask = ds.dataset_mask(out_shape=shape_out)
        transform = ds.transform @ ds.transform.scale(ds.width / shape_out[1],
                                                      ds.height / shape_out[0])
        polys = [shape(geom) for geom, value in
                 features.shapes(mask, mask=mask > 0, transform=transform) if value > 0]
        if not polys:
            raise RasterImportError(f"{path.name}: the raster holds no valid pixel")
        union = unary_union(polys).simplify(abs(transform.a), preserve_topology=True)
        geom = GEOSGeometry(memoryview(union.wkb), srid=STORAGE_SRID)
        if geom.geom_type == "Polygon":
            geom = MultiPolygon(geom, srid=STORAGE_SRID)
        elif geom.geom_type != "MultiPolygon":
            geom = MultiPolygon([g for g in geom if g.geom_type == "Polygon"],
                                srid=STORAGE_SRID)
        if not geom.valid:
            geom = geom.buffer(0)
            if geom.geom_type == "Polygon":
                geom = MultiPolygon(geom, srid=STORAGE_SRID)
        return {
            "footprint": geom, "resolution": float(abs(ds.transform.a)), "width": ds.width,
            "height": ds.height, "count": ds.count, "dtype": ds.dtypes[0], "nodata": ds.nodata,
        }


def _check_in_poland(footprint: GEOSGeometry, filename: str) -> None:
    xmin, ymin, xmax, ymax = footprint.extent
    px0, py0, px1, py1 = POLAND_2180
    if xmax < px0 or xmin > px1 or ymax < py0 or ymin > py1:
        raise RasterImportError(
            f"{filename}: the raster lies outside Poland (EPSG:2180 extent "
            f"{xmin:.0f},{ymin:.0f} – {xmax:.0f},{ymax:.0f}); is its CRS right?")
