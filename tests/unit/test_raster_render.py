"""Raster tile maths and terrain geometry without a database."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image
from rasterio.transform import from_origin

from layers.rasters.render import (
    EMPTY_PNG,
    TileRequestError,
    ground_pixel_m,
    hillshade,
    natural_zoom,
    parse_tile,
    render_tile,
    tile_bounds,
)
from layers.rasters.terrain import HeightGrid, line_of_sight


@pytest.mark.parametrize(("z", "x", "y", "fmt"), [("a", "1", "1", "png"), ("3", "8", "0", "png"),
                                                  ("3", "0", "8", "png"), ("-1", "0", "0", "png"),
                                                  ("23", "0", "0", "png"), ("3", "1", "1", "tif")])
def test_parse_tile_refuses_what_is_not_a_tile(z, x, y, fmt):
    with pytest.raises(TileRequestError):
        parse_tile(z, x, y, fmt)


def test_parse_tile_and_bounds():
    assert parse_tile("3", "7", "0", "jpg") == (3, 7, 0, "jpg")
    west, _, _, north = tile_bounds(0, 0, 0)
    assert west == pytest.approx(-20037508.34) and north == pytest.approx(20037508.34)
    w, s, e, _ = tile_bounds(1, 1, 0)
    assert (w, s) == pytest.approx((0, 0), abs=1e-6) and e == pytest.approx(20037508.34)
    # at 50°N a z18 pixel is about 0.38 m on the ground
    y = int((1 - math.asinh(math.tan(math.radians(50))) / math.pi) / 2 * 2 ** 18)
    assert ground_pixel_m(18, y) == pytest.approx(0.384, abs=0.01)
    assert natural_zoom(0.25, 50) == 19 and natural_zoom(1.0, 50) == 17


def test_hillshade_faces():
    """A slope rising to the east faces west: lit less than flat ground by a NW light,
    a slope rising to the west (facing east) even less; flat ground gets sin(altitude)."""
    cols = np.tile(np.arange(20, dtype=float), (20, 1))
    flat = hillshade(np.zeros((20, 20)), 1.0)
    assert flat.mean() == pytest.approx(math.sin(math.radians(45)))
    facing_west = hillshade(cols * 0.5, 1.0)[5:15, 5:15].mean()
    facing_east = hillshade(-cols * 0.5, 1.0)[5:15, 5:15].mean()
    assert facing_west > flat.mean() > facing_east
    rows = np.tile(np.arange(20, dtype=float)[:, None], (1, 20))
    facing_north = hillshade(rows * 0.5, 1.0)[5:15, 5:15].mean()  # rises southwards
    assert facing_north > flat.mean()


def test_empty_tile_is_a_transparent_png():
    img = np.asarray(Image.open(io.BytesIO(EMPTY_PNG)).convert("RGBA"))
    assert img.shape == (256, 256, 4) and img[..., 3].max() == 0


def test_render_tile_misses_a_raster_elsewhere(tmp_path):
    path = tmp_path / "o.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=3, dtype="uint8",
                       crs="EPSG:2180", transform=from_origin(600000, 250000, 1, 1)) as ds:
        ds.write(np.full((3, 10, 10), 200, np.uint8))
    assert render_tile(path, "orthophoto", "default", 5, 0, 0, "png") == EMPTY_PNG
    with pytest.raises(TileRequestError):
        render_tile(path, "orthophoto", "hillshade", 5, 0, 0, "png")


def grid(heights: np.ndarray, px: float = 1.0) -> HeightGrid:
    return HeightGrid(heights=heights.astype(float), transform=Affine(px, 0, 0, 0, -px, 0),
                      resolution_m=px)


def test_line_of_sight_over_a_hill_and_the_curvature():
    flat = grid(np.zeros((10, 2000)))
    # over 1.9 km of flat ground two eyes at 0.1 m see each other only if the Earth were flat:
    # the bulge at mid-way is 950²·0.87/(2·6371 km) ≈ 0.06 m
    seen = line_of_sight(flat, (10.5, -5.5), 0.1, (1910.5, -5.5), 0.1)
    assert seen.visible and seen.clearance_m == pytest.approx(0.1 - 0.0616, abs=0.005)
    hidden = line_of_sight(flat, (10.5, -5.5), 0.05, (1910.5, -5.5), 0.05)
    assert not hidden.visible
    heights = np.zeros((10, 200))
    heights[:, 100] = 10.0  # a 10 m wall one pixel wide half-way
    wall = grid(heights)
    assert not line_of_sight(wall, (10.5, -5.5), 2.0, (190.5, -5.5), 5.0).visible
    assert line_of_sight(wall, (10.5, -5.5), 2.0, (190.5, -5.5), 30.0).visible


def test_height_grid_bilinear_and_nodata():
    heights = np.array([[0.0, 10.0], [20.0, np.nan]])
    g = grid(heights)
    assert g.sample(np.array([0.5]), np.array([-0.5]))[0] == 0.0  # a pixel centre
    assert g.sample(np.array([1.0]), np.array([-0.5]))[0] == pytest.approx(5.0)
    assert math.isnan(g.sample(np.array([1.0]), np.array([-1.0]))[0])  # touches nodata
    assert math.isnan(g.sample(np.array([5.0]), np.array([-5.0]))[0])  # outside
