"""XYZ tiles cut from a COG in EPSG:2180: windowed, overview-aware warps to Web Mercator.

No database here: a tile is a function of the file, the style and z/x/y, so the benchmark and the
unit tests call it directly. Each tile opens the COG at the overview level whose pixel is just
finer than the tile's, then warps exactly the tile's 256×256 grid (a ``WarpedVRT`` with the
tile's transform), so GDAL reads only the source blocks under the tile.
"""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from rasterio.enums import Resampling
from rasterio.transform import from_bounds
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds

from layers.domain.tiles import MAX_ZOOM, TileAddressError, parse_tile_address

TILE = 256
WEB_MERCATOR_HALF = 20037508.342789244
STYLES = ("default", "hillshade")
FORMATS = {"png": "image/png", "jpg": "image/jpeg"}


class TileRequestError(TileAddressError):
    """Bad z/x/y, style or format: the client's mistake (HTTP 400)."""


def parse_tile(z: str, x: str, y: str, fmt: str) -> tuple[int, int, int, str]:
    """Validate z/x/y/format from a URL: integers inside the tile matrix of zoom z."""
    try:
        zi, xi, yi = parse_tile_address(z, x, y)
    except TileAddressError as exc:
        raise TileRequestError(str(exc)) from None
    if fmt not in FORMATS:
        raise TileRequestError(f"format {fmt!r} not offered; use png or jpg")
    return zi, xi, yi, fmt


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile in EPSG:3857 metres."""
    size = 2 * WEB_MERCATOR_HALF / 2 ** z
    west = -WEB_MERCATOR_HALF + x * size
    north = WEB_MERCATOR_HALF - y * size
    return west, north - size, west + size, north


def ground_pixel_m(z: int, y: int) -> float:
    """Ground size of one tile pixel at the tile's centre latitude (Mercator scale removed)."""
    _, south, _, north = tile_bounds(z, 0, y)
    lat = math.degrees(math.atan(math.sinh(((south + north) / 2) / 6378137.0)))
    return (2 * WEB_MERCATOR_HALF / 2 ** z / TILE) * math.cos(math.radians(lat))


def natural_zoom(resolution_m: float, lat: float = 52.0) -> int:
    """The zoom whose pixels match the raster's pixels (tiles beyond it are upsampled)."""
    z = math.log2(2 * WEB_MERCATOR_HALF / TILE * math.cos(math.radians(lat)) / resolution_m)
    return max(0, min(MAX_ZOOM, round(z)))


def _encode(rgba: np.ndarray, fmt: str) -> bytes:
    """RGBA (4, h, w) uint8 → PNG (keeps transparency) or JPEG (transparent → white)."""
    out = io.BytesIO()
    if fmt == "jpg":
        alpha = rgba[3:4].astype(np.float32) / 255.0
        rgb = (rgba[:3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
        Image.fromarray(np.moveaxis(rgb, 0, -1), "RGB").save(out, "JPEG", quality=82)
    else:
        image = np.moveaxis(rgba, 0, -1)
        if rgba[3].min() == 255:
            Image.fromarray(image[..., :3], "RGB").save(out, "PNG", compress_level=6)
        else:
            Image.fromarray(image, "RGBA").save(out, "PNG", compress_level=6)
    return out.getvalue()


# the answer for a tile with nothing on it: a transparent PNG
EMPTY_PNG = (lambda: _encode(np.zeros((4, TILE, TILE), np.uint8), "png"))()


def overview_level(ds: rasterio.io.DatasetReader, wanted_m: float) -> int | None:
    """Index of the coarsest overview still finer than ``wanted_m`` (None = full resolution)."""
    res = abs(ds.transform.a)
    level = None
    for i, factor in enumerate(ds.overviews(1)):
        if res * factor <= wanted_m:
            level = i
    return level


def _warp_tile(path: Path, z: int, x: int, y: int, *, buffer: int = 0,
               resampling: Resampling = Resampling.bilinear
               ) -> tuple[np.ndarray, np.ndarray, float | None] | None:
    """Source bands and validity mask on the tile's grid (+``buffer`` px each side), or None
    when the tile misses the raster."""
    west, south, east, north = tile_bounds(z, x, y)
    with rasterio.open(path) as full:
        b = transform_bounds("EPSG:3857", full.crs, west, south, east, north)
        fb = full.bounds
        if b[0] > fb.right or b[2] < fb.left or b[1] > fb.top or b[3] < fb.bottom:
            return None
        level = overview_level(full, ground_pixel_m(z, y))
        nodata = full.nodata
    opened = rasterio.open(path, overview_level=level) if level is not None \
        else rasterio.open(path)
    with opened as ds:
        px = (east - west) / TILE
        size = TILE + 2 * buffer
        transform = from_bounds(west - buffer * px, south - buffer * px, east + buffer * px,
                                north + buffer * px, size, size)
        vrt_opts = {"crs": "EPSG:3857", "transform": transform, "width": size, "height": size,
                    "resampling": resampling}
        if nodata is not None:
            vrt_opts.update(src_nodata=nodata, nodata=nodata)
        else:  # the COG's internal mask becomes an alpha band on the tile grid
            vrt_opts["add_alpha"] = True
        with WarpedVRT(ds, **vrt_opts) as vrt:
            if nodata is None:
                data = vrt.read(list(range(1, vrt.count)))
                mask = vrt.read(vrt.count)
            else:
                data = vrt.read()
                mask = vrt.dataset_mask()
    if not mask.any():
        return None
    return data, mask, nodata


@functools.lru_cache(maxsize=64)
def _height_range(path: str, mtime: float) -> tuple[float, float]:
    """Low/high heights (2nd/98th percentile) from the coarsest overview, for the colour ramp."""
    with rasterio.open(path) as full:
        levels = full.overviews(1)
    opened = rasterio.open(path, overview_level=len(levels) - 1) if levels \
        else rasterio.open(path)
    with opened as ds:
        data = ds.read(1, masked=True)
    values = data.compressed()
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(values, [2, 98])
    return float(lo), float(max(hi, lo + 1))


# Hypsometric tints: green lowlands → yellow → brown hills.
_RAMP = np.array([[76, 140, 80], [160, 190, 110], [230, 215, 140], [190, 140, 90],
                  [150, 110, 90]], dtype=np.float32)


def _tint(heights: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((heights - lo) / (hi - lo), 0, 1) * (len(_RAMP) - 1)
    i = np.minimum(t.astype(int), len(_RAMP) - 2)
    f = (t - i)[..., None]
    rgb = _RAMP[i] * (1 - f) + _RAMP[i + 1] * f
    return np.moveaxis(rgb, -1, 0)


def hillshade(heights: np.ndarray, pixel_m: float, azimuth: float = 315.0,
              altitude: float = 45.0, z_factor: float = 1.0) -> np.ndarray:
    """Lambertian shade 0…1 of a height grid (rows run south, columns east; metres).

    The surface normal is (−∂z/∂E, −∂z/∂N, 1); the light comes from ``azimuth`` degrees
    clockwise from north at ``altitude`` degrees above the horizon.
    """
    d_row, d_col = np.gradient(heights.astype(np.float64) * z_factor, pixel_m)
    dz_de, dz_dn = d_col, -d_row
    az, alt = math.radians(azimuth), math.radians(altitude)
    light = np.array([math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt),
                      math.sin(alt)])
    norm = np.sqrt(dz_de ** 2 + dz_dn ** 2 + 1.0)
    shade = (-dz_de * light[0] - dz_dn * light[1] + light[2]) / norm
    return np.clip(shade, 0.0, 1.0)


def render_tile(path: Path | str, kind: str, style: str, z: int, x: int, y: int,
                fmt: str) -> bytes:
    """Encoded tile bytes; a transparent PNG when the tile misses the raster's valid pixels."""
    path = Path(path)
    if style not in STYLES:
        raise TileRequestError(f"style {style!r} not offered")
    if style == "hillshade" and kind != "elevation":
        raise TileRequestError("a hillshade needs an elevation model")
    if kind == "orthophoto":
        warped = _warp_tile(path, z, x, y, resampling=Resampling.bilinear)
        if warped is None:
            return EMPTY_PNG
        data, mask, _ = warped
        rgb = np.repeat(data[:1], 3, axis=0) if data.shape[0] == 1 else data[:3]
        rgba = np.concatenate([rgb.astype(np.uint8), mask[None].astype(np.uint8)])
        return _encode(rgba, fmt)
    buffer = 1 if style == "hillshade" else 0
    warped = _warp_tile(path, z, x, y, buffer=buffer, resampling=Resampling.bilinear)
    if warped is None:
        return EMPTY_PNG
    data, mask, _ = warped
    heights = data[0].astype(np.float32)
    valid = mask > 0
    if style == "hillshade":
        # Fill holes with the mean so the gradient does not spike at the edge of nodata.
        filled = np.where(valid, heights, heights[valid].mean())
        shade = hillshade(filled, ground_pixel_m(z, y))[1:-1, 1:-1]
        grey = (40 + shade * 215).astype(np.uint8)
        rgba = np.stack([grey, grey, grey, (valid[1:-1, 1:-1] * 255).astype(np.uint8)])
        return _encode(rgba, fmt)
    lo, hi = _height_range(str(path), path.stat().st_mtime)
    rgb = _tint(heights, lo, hi).astype(np.uint8)
    rgba = np.concatenate([rgb, (valid * 255).astype(np.uint8)[None]])
    return _encode(rgba, fmt)
