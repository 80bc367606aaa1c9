"""The demo town's rasters: generated from the database's vectors, imported for real, fast."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import rasterio
from django.contrib.gis.geos import Point
from PIL import Image

from importers.raster.demo import load_demo
from layers.models import LandscapeArea
from layers.rasters.models import ProtectedViewpoint, Raster
from layers.rasters.terrain import ground_height
from tests.conftest import square

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GEOGMINA_VAR_DIR = tmp_path / "var"


def test_demo_rasters_make_sense(client, make_municipality, make_parcel):
    town = make_municipality()
    for i in range(36):
        make_parcel(str(i + 1), 677_400 + (i % 6) * 30, 211_000 + (i // 6) * 30, size=30)
    LandscapeArea.objects.create(municipality=town, kind="protected_landscape", code="OChK",
                                 name="Obszar", geom=square(676_900, 210_500, 600),
                                 source_namespace="test", local_id="A1")
    # its speed is measured in benchmarks/demo_town.py, not asserted here (a loaded machine)
    ortho, dem = load_demo(town)
    assert ortho.kind == Raster.Kind.ORTHOPHOTO and dem.kind == Raster.Kind.ELEVATION
    # built-up parcels are grey-ish roofs and ground, not field green
    with rasterio.open(ortho.path) as ds:
        window = ds.read(window=ds.window(677_400, 211_000, 677_580, 211_180))
    assert window.std() > 10  # textured, not flat
    # the DEM is a valley: the lowest ground is far below the highest
    with rasterio.open(dem.path) as ds:
        heights = ds.read(1, masked=True)
    assert heights.max() - heights.min() > 25
    assert ground_height(677_500, 211_100) is not None
    # a viewpoint was put on the area's highest ground
    viewpoint = ProtectedViewpoint.objects.get()
    assert viewpoint.landscape_area.code == "OChK"
    vp_height = ground_height(viewpoint.point.x, viewpoint.point.y)
    assert vp_height >= ground_height(677_200, 210_800) - 0.5
    # and a tile over the town renders
    lon_lat = Point(677_500, 211_100, srid=2180).transform(4326, clone=True)
    z, n = 15, 2 ** 15
    x = int((lon_lat.x + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lon_lat.y))) / math.pi) / 2 * n)
    tile = client.get(f"/rasters/{ortho.name}/{z}/{x}/{y}.png")
    img = np.asarray(Image.open(io.BytesIO(tile.content)).convert("RGBA"))
    assert (img[..., 3] == 255).mean() > 0.5
    # running it again replaces, never duplicates
    load_demo(town)
    assert Raster.objects.count() == 2 and ProtectedViewpoint.objects.count() == 1
