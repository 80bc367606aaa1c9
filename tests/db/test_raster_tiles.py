"""Raster tiles: decoded PNG pixels land where the source says, caching, errors, hillshade."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_origin

from importers.raster.importer import import_raster
from layers.rasters.selectors import base_layers
from tests.db.test_raster_import import LAT, LON, write_marker_tiff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GEOGMINA_VAR_DIR = tmp_path / "var"


def tile_pixel(lon: float, lat: float, z: int) -> tuple[int, int, int, int]:
    """(tile x, tile y, pixel column, pixel row) of a WGS 84 point at zoom z."""
    n = 2 ** z
    fx = (lon + 180) / 360 * n
    fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int(fx), int(fy), int((fx % 1) * 256), int((fy % 1) * 256)


@pytest.fixture
def ortho(tmp_path, make_municipality):
    make_municipality()
    src = tmp_path / "ortho.tif"
    write_marker_tiff(src, 2178, 1.0)
    return import_raster(src, kind="orthophoto", municipality="180501_1", name="orto",
                         attribution="test")


def decode(response) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGBA"))


def test_png_tile_shows_the_marker_at_its_coordinate(client, ortho):
    z = 18  # ≈ 0.4 m pixels at 50°N: the 5 m marker spans ~12 tile pixels
    tx, ty, col, row = tile_pixel(LON, LAT, z)
    response = client.get(f"/rasters/orto/{z}/{tx}/{ty}.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    img = decode(response)
    assert img.shape == (256, 256, 4)
    r, g, b, a = (int(v) for v in img[row, col])
    assert a == 255 and r > 180 and g < 90 and b < 90, (r, g, b, a)
    # 20 m away (≈ 50 px) the image is the grey background
    far = img[min(255, row + 50) if row < 200 else row - 50, col]
    assert abs(int(far[0]) - 120) < 25 and far[3] == 255


def test_jpeg_tile_and_cache(client, ortho):
    z = 16
    tx, ty, _, _ = tile_pixel(LON, LAT, z)
    url = f"/rasters/orto/{z}/{tx}/{ty}.jpg"
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/jpeg"
    assert first["X-Tile-Cache"] == "miss" and "max-age" in first["Cache-Control"]
    second = client.get(url)
    assert second["X-Tile-Cache"] == "hit" and second.content == first.content
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_tile_outside_the_footprint_is_transparent(client, ortho):
    tx, ty, _, _ = tile_pixel(LON + 0.2, LAT, 16)
    response = client.get(f"/rasters/orto/16/{tx}/{ty}.png")
    assert response.status_code == 200
    assert decode(response)[..., 3].max() == 0
    # a low-zoom tile holding the raster has some opaque and many transparent pixels
    tx, ty, _, _ = tile_pixel(LON, LAT, 12)
    alpha = decode(client.get(f"/rasters/orto/12/{tx}/{ty}.png"))[..., 3]
    assert 0 < (alpha > 0).sum() < alpha.size


@pytest.mark.parametrize("path", ["orto/abc/1/1.png", "orto/5/32/1.png", "orto/5/1/-1.png",
                                  "orto/23/1/1.png", "orto/5/1/1.gif"])
def test_bad_tile_requests_are_400(client, ortho, path):
    response = client.get("/rasters/" + path)
    assert response.status_code == 400 and "error" in response.json()


def test_unknown_raster_is_404(client, ortho):
    assert client.get("/rasters/nope/5/1/1.png").status_code == 404
    assert client.get("/rasters/orto/hillshade/5/1/1.png").status_code == 400


@pytest.fixture
def dem(tmp_path, make_municipality):
    """A DEM in EPSG:2180 of a north–south ridge: west slope faces the NW light, east not."""
    make_municipality()
    x, y = Transformer.from_crs(4326, 2180, always_xy=True).transform(LON, LAT)
    size, px = 400, 2.0
    cols = np.arange(size) * px
    ridge = 300 - np.abs(cols - size * px / 2) * 0.5  # 0.5 m/m slopes either side
    heights = np.tile(ridge, (size, 1)).astype("float32")
    src = tmp_path / "dem.tif"
    with rasterio.open(src, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="float32", crs="EPSG:2180", nodata=-9999,
                       transform=from_origin(x - size, y + size, px, px)) as ds:
        ds.write(heights, 1)
    return import_raster(src, kind="elevation", municipality="180501_1", name="nmt")


def test_hillshade_lights_the_north_west_slope(client, dem):
    z = 16
    tx, ty, col, row = tile_pixel(LON, LAT, z)
    response = client.get(f"/rasters/nmt/hillshade/{z}/{tx}/{ty}.png")
    assert response.status_code == 200
    img = decode(response)
    # the ridge crest is at the marker's column; west of it lit, east of it in shade
    west, east = img[row, max(0, col - 20)], img[row, min(255, col + 20)]
    assert west[3] == 255 and east[3] == 255
    assert int(west[0]) > int(east[0]) + 60, (west, east)
    tint = decode(client.get(f"/rasters/nmt/{z}/{tx}/{ty}.png"))
    assert tint[row, col, 3] == 255


def test_base_layers_lists_ortho_and_hillshade(ortho, dem):
    layers = base_layers()
    assert [item["name"] for item in layers] == ["orto", "nmt-hillshade"]
    assert layers[0]["url"] == "/rasters/orto/{z}/{x}/{y}.jpg"
    assert layers[1]["url"] == "/rasters/nmt/hillshade/{z}/{x}/{y}.png"
    (south, west), (north, east) = layers[0]["bounds"]
    assert south < LAT < north and west < LON < east
    assert layers[0]["attribution"] == "test" and 17 <= layers[0]["max_native_zoom"] <= 20


def test_the_map_offers_the_orthophoto_as_its_offline_default(client, ortho, dem):
    """The map page lists the app's own rasters as base maps, the orthophoto shown first."""
    from map_ui.basemaps import all_base_maps, default_base_map

    base_maps = all_base_maps()
    assert default_base_map(base_maps).url.startswith(f"/rasters/{ortho.name}/")
    html = client.get("/").content.decode()
    assert f"/rasters/{ortho.name}/{{z}}/{{x}}/{{y}}.jpg" in html
    assert f"/rasters/{dem.name}/hillshade/{{z}}/{{x}}/{{y}}.png" in html
