"""Terrain: bilinear ground height and line of sight over synthetic terrain with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from django.contrib.gis.geos import Point
from rasterio.transform import from_origin

from gis_app.accounts.roles import Role
from importers.raster.importer import import_raster
from layers.models import LandscapeArea
from layers.rasters.models import ProtectedViewpoint
from layers.rasters.terrain import (
    HeightGrid,
    TerrainError,
    ground_height,
    line_of_sight,
    visibility,
)
from tests.conftest import square

pytestmark = pytest.mark.django_db


X0, Y0 = 600_000.0, 250_000.0  # north-west corner of the synthetic DEM (EPSG:2180)
PX = 2.0
SIZE = 300  # 600 m × 600 m


@pytest.fixture(autouse=True)
def dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GEOGMINA_VAR_DIR = tmp_path / "var"


def write_dem(path, heights: np.ndarray, crs: int = 2180) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=heights.shape[1],
                       height=heights.shape[0], count=1, dtype="float32", crs=f"EPSG:{crs}",
                       nodata=-9999, transform=from_origin(X0, Y0, PX, PX)) as ds:
        ds.write(heights.astype("float32"), 1)


def centre(col: float, row: float) -> tuple[float, float]:
    return X0 + (col + 0.5) * PX, Y0 - (row + 0.5) * PX


@pytest.fixture
def plane(tmp_path, make_municipality):
    """z = 100 + 0.1·(x − X0) − 0.05·(Y0 − y): a tilted plane, which bilinear reproduces."""
    make_municipality()
    cols, rows = np.meshgrid(np.arange(SIZE), np.arange(SIZE))
    xs, ys = centre(cols, rows)
    heights = 100 + 0.1 * (xs - X0) - 0.05 * (Y0 - ys)
    write_dem(tmp_path / "plane.tif", heights)
    return import_raster(tmp_path / "plane.tif", kind="elevation", municipality="180501_1",
                         name="plane")


def test_ground_height_is_bilinear(plane):
    for x, y in [(X0 + 123.4, Y0 - 321.9), (X0 + 10.1, Y0 - 590.3), (X0 + 301.0, Y0 - 2.5)]:
        expected = 100 + 0.1 * (x - X0) - 0.05 * (Y0 - y)
        assert ground_height(x, y) == pytest.approx(expected, abs=1e-3)
    assert ground_height(X0 - 50, Y0 - 50) is None  # off the model


@pytest.fixture
def ridge(tmp_path, make_municipality):
    """Flat ground at 100 m with a 20 m high north–south wall (columns 145–154) mid-way."""
    make_municipality()
    heights = np.full((SIZE, SIZE), 100.0)
    heights[:, 145:155] = 120.0
    write_dem(tmp_path / "ridge.tif", heights)
    return import_raster(tmp_path / "ridge.tif", kind="elevation", municipality="180501_1",
                         name="ridge")


def test_a_ridge_hides_a_low_object_but_not_a_tall_one(ridge):
    grid = HeightGrid.read(ridge, X0, Y0 - SIZE * PX, X0 + SIZE * PX, Y0)
    viewer, target = centre(50, 150), centre(250, 150)  # 400 m apart, the wall in between
    low = line_of_sight(grid, viewer, 1.6, target, 10.0)
    tall = line_of_sight(grid, viewer, 1.6, target, 60.0)
    assert low.visible is False and tall.visible is True
    # the obstruction is on the wall, and the threshold is what geometry says: the line from
    # the eye (101.6 m) over the wall's near top edge (120 m, 190 m out of 400 m) reaches the
    # object's top at 101.6 + 18.4·400/190 = 140.34 m, i.e. 40.34 m above its ground
    ox, _, oz = low.obstruction
    assert X0 + 145 * PX <= ox <= X0 + 156 * PX and oz == pytest.approx(120, abs=0.5)
    assert low.min_visible_height_m == pytest.approx(40.34, abs=0.05)
    assert line_of_sight(grid, viewer, 1.6, target, low.min_visible_height_m + 0.5).visible
    assert not line_of_sight(grid, viewer, 1.6, target, low.min_visible_height_m - 0.5).visible
    # with nothing in between, a 1 m object is seen
    assert line_of_sight(grid, centre(10, 10), 1.6, centre(100, 10), 1.0).visible


def _area(municipality, code: str) -> LandscapeArea:
    return LandscapeArea.objects.create(
        municipality=municipality, kind=LandscapeArea.Kind.PROTECTED_LANDSCAPE, code=code,
        name=code, geom=square(X0, Y0 - SIZE * PX, SIZE * PX), source_namespace="test",
        local_id=code)


def test_visibility_endpoint(client, ridge, make_municipality, make_user):
    town = make_municipality()
    other = make_municipality("120101_1", "Elsewhere")
    area = _area(town, "OChK-1")
    x, y = centre(50, 150)
    ProtectedViewpoint.objects.create(landscape_area=area, name="Wzgórze",
                                      point=Point(x, y, srid=2180), eye_height_m=1.6)
    ox, oy = centre(250, 150)
    # the app's one axis convention: x is the northing, y the easting
    url = f"/rasters/terrain/visibility?x={oy}&y={ox}&height="

    assert client.get(url + "10", HTTP_ACCEPT="text/html").status_code == 302  # a browser: log in
    assert client.get(url + "10").status_code == 401  # a GIS client: a Basic challenge
    client.force_login(make_user("stranger", other, (Role.LANDSCAPE_INSPECTOR,)))
    body = client.get(url + "10").json()
    assert body["viewpoints"] == [] and body["visible"] is False  # town B's user sees none

    client.force_login(make_user("inspector", town, (Role.LANDSCAPE_INSPECTOR,)))
    low = client.get(url + "10").json()
    assert low["visible"] is False and low["viewpoints"][0]["name"] == "Wzgórze"
    assert low["viewpoints"][0]["obstruction"]["height_m"] == pytest.approx(120, abs=0.5)
    assert low["ground_m"] == pytest.approx(100)
    assert low["point"]["x_northing"] == pytest.approx(oy) and low["point"]["y_easting"] == (
        pytest.approx(ox))
    assert low["viewpoints"][0]["viewpoint"]["x_northing"] == pytest.approx(y)
    named = client.get(f"/rasters/terrain/visibility?e={ox}&n={oy}&height=10").json()
    assert named["visible"] is False and named["point"] == low["point"]
    assert client.get(url + "60&area=OChK-1").json()["visible"] is True
    assert client.get(url + "60&area=nope").status_code == 404
    bad = client.get(url + "abc")
    assert bad.status_code == 400 and bad.json()["parameter"] == "height"
    assert client.get(url + "-5").json()["parameter"] == "height"
    assert client.get("/rasters/terrain/visibility?x=-5&y=1&height=5").status_code == 400
    with pytest.raises(TerrainError, match="no elevation model"):
        visibility(X0 + 10_000, Y0 - 10, 10, municipality_ids={town.pk})


def test_height_endpoint(client, plane):
    x, y = X0 + 123.4, Y0 - 321.9
    # x is the northing and y the easting (the app's one convention), or e/n by name
    body = client.get(f"/rasters/terrain/height?x={y}&y={x}").json()
    assert body["height_m"] == pytest.approx(100 + 0.1 * 123.4 - 0.05 * 321.9, abs=0.01)
    assert body["x_northing"] == pytest.approx(y) and body["y_easting"] == pytest.approx(x)
    assert client.get(f"/rasters/terrain/height?e={x}&n={y}").json() == body
    for query, parameter in ((f"x={y}&y=oops", "y"), (f"x={y}&y={x}&srid=3857", "srid"),
                             (f"x={y}", "y"), (f"x={y}&y={x}&e={x}", "x"),
                             ("x=-5&y=1", "x")):
        bad = client.get(f"/rasters/terrain/height?{query}")
        assert bad.status_code == 400 and bad.json()["parameter"] == parameter, query
    assert client.get("/rasters/terrain/height?x=300000&y=700000").status_code == 404
