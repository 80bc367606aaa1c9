"""Raster tile latency: p50/p95 cold (rendered) and cached (read from the disk cache).

Builds a synthetic 0.5 m orthophoto COG (4000 × 4000 px, 2 km × 2 km near Jasło) and a 2 m
elevation model the way the importer does (warp to 2180, COG with overviews), then requests
every tile over them at zooms 14–18 (orthophoto JPEG) and 14–17 (hillshade PNG):

* cold: render (overview-aware windowed warp + encode) and write to the cache;
* cached: read from the disk cache and compute the ETag (what the view does on a hit);
* baseline: the same cold renders with overviews disabled (full-resolution reads), run in the
  same process, so the ratio shows what the overviews buy at low zooms.

    .venv/bin/python benchmarks/raster_tiles.py [--tiles 120]

Needs no database rows (Django settings only); writes to a temporary directory.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
os.environ.setdefault("GEOGMINA_DEBUG", "1")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000


def tiles_over(bounds_4326: tuple[float, float, float, float], zooms: range, limit: int
               ) -> list[tuple[int, int, int]]:
    west, south, east, north = bounds_4326
    out = []
    for z in zooms:
        n = 2 ** z

        def tx(lon: float, n: int = n) -> int:
            return int((lon + 180) / 360 * n)

        def ty(lat: float, n: int = n) -> int:
            return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

        out += [(z, x, y) for x in range(tx(west), tx(east) + 1)
                for y in range(ty(north), ty(south) + 1)]
    # spread the sample over every zoom rather than taking the first ones
    step = max(1, len(out) // limit)
    return out[::step][:limit]


def build(tmp: Path) -> tuple[Path, Path, tuple[float, float, float, float]]:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.warp import transform_bounds

    from importers.raster.importer import check_source, write_cog

    rng = np.random.default_rng(1)
    x0, y0 = 677_000.0, 212_000.0
    size = 4000
    base = rng.integers(60, 200, (3, size // 8, size // 8), dtype=np.uint8)
    photo = np.repeat(np.repeat(base, 8, axis=1), 8, axis=2)
    photo = (photo + rng.integers(0, 30, photo.shape, dtype=np.uint8)).astype(np.uint8)
    src = tmp / "photo.tif"
    with rasterio.open(src, "w", driver="GTiff", width=size, height=size, count=3,
                       dtype="uint8", crs="EPSG:2180", tiled=True,
                       transform=from_origin(x0, y0, 0.5, 0.5)) as ds:
        ds.write(photo)
    check_source(src, "orthophoto")
    photo_cog = tmp / "photo-cog.tif"
    write_cog(src, photo_cog, "orthophoto")
    cols, rows = np.meshgrid(np.arange(1000), np.arange(1000))
    heights = (240 + 30 * np.sin(cols / 90) * np.cos(rows / 120)).astype("float32")
    dem = tmp / "dem.tif"
    with rasterio.open(dem, "w", driver="GTiff", width=1000, height=1000, count=1,
                       dtype="float32", crs="EPSG:2180", nodata=-9999, tiled=True,
                       transform=from_origin(x0, y0, 2.0, 2.0)) as ds:
        ds.write(heights, 1)
    dem_cog = tmp / "dem-cog.tif"
    write_cog(dem, dem_cog, "elevation")
    bounds = transform_bounds("EPSG:2180", "EPSG:4326", x0, y0 - 2000, x0 + 2000, y0)
    return photo_cog, dem_cog, bounds


def run(tiles: int) -> None:
    import django

    django.setup()
    from layers.rasters import render

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        photo, dem, bounds = build(tmp)
        jobs = [(photo, "orthophoto", "default", "jpg", t)
                for t in tiles_over(bounds, range(14, 19), tiles)]
        jobs += [(dem, "elevation", "hillshade", "png", t)
                 for t in tiles_over(bounds, range(14, 18), tiles // 2)]
        from django.conf import settings

        from layers.rasters.models import Raster
        from layers.rasters.tiles import get_tile

        settings.MEDIA_ROOT = tmp
        settings.GEOGMINA_VAR_DIR = tmp / "var"
        # unsaved rows: get_tile needs only pk, file path and kind, so no database is touched
        rasters = {photo: Raster(pk=1, kind="orthophoto", file_path=photo.name),
                   dem: Raster(pk=2, kind="elevation", file_path=dem.name)}

        def cold_pass() -> list[float]:
            times = []
            for path, _kind, style, fmt, (z, x, y) in jobs:
                start = time.perf_counter()
                get_tile(rasters[path], style, z, x, y, fmt)
                times.append(time.perf_counter() - start)
            return times

        def cached_pass() -> list[float]:
            times = []
            for path, _kind, style, fmt, (z, x, y) in jobs:
                start = time.perf_counter()
                _data, _etag, hit = get_tile(rasters[path], style, z, x, y, fmt)
                times.append(time.perf_counter() - start)
                assert hit
            return times

        def render_pass() -> list[float]:
            times = []
            for path, kind, style, fmt, (z, x, y) in jobs:
                start = time.perf_counter()
                render.render_tile(path, kind, style, z, x, y, fmt)
                times.append(time.perf_counter() - start)
            return times

        render.render_tile(photo, "orthophoto", "default", *jobs[0][4], "jpg")  # warm GDAL
        cold = cold_pass()
        cached = cached_pass()
        original = render.overview_level
        render.overview_level = lambda ds, wanted: None
        try:
            low = [j for j in jobs if j[4][0] <= 15]
            start_jobs = jobs
            jobs = low
            naive_low = render_pass()
            render.overview_level = original
            with_ovr_low = render_pass()
        finally:
            render.overview_level = original
            jobs = start_jobs

    print(f"raster tiles: {len(jobs)} tiles (orthophoto z14–18 JPEG, hillshade z14–17 PNG)")
    print(f"  cold   (render + cache write): p50 {pct(cold, 50):7.2f} ms   "
          f"p95 {pct(cold, 95):7.2f} ms")
    print(f"  cached (cache hit + ETag)    : p50 {pct(cached, 50):7.2f} ms   "
          f"p95 {pct(cached, 95):7.2f} ms")
    print(f"  cold / cached p50 ratio      : {pct(cold, 50) / pct(cached, 50):7.1f} ×")
    print(f"  z14–15 ({len(low)} tiles) without overviews: p50 {pct(naive_low, 50):7.2f} ms, "
          f"with: {pct(with_ovr_low, 50):7.2f} ms → "
          f"{pct(naive_low, 50) / pct(with_ovr_low, 50):.1f} × faster with overviews")
    print(f"  mean cold {statistics.mean(cold) * 1000:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=120)
    run(parser.parse_args().tiles)
