"""Leased areas uploaded as files (GeoJSON, GeoPackage, zipped Shapefile via geopandas): read in
any accepted CRS, and refused with a clear message for a missing or foreign CRS, an invalid
polygon, a non-polygon, a broken or empty file."""

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from shapely.geometry import LineString, Polygon, box

from registers.leases.services import area_from_file

X, Y = 677_000.0, 211_000.0

@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the UI default is Polish)."""
    with translation.override("en"):
        yield

AREA = box(X, Y, X + 10, Y + 10)


def frame(geom=AREA, crs="EPSG:2180"):
    return gpd.GeoDataFrame({"name": ["a"]}, geometry=[geom], crs=crs)


def as_bytes(gdf, tmp_path: Path, driver: str, suffix: str) -> bytes:
    path = tmp_path / f"area{suffix}"
    gdf.to_file(path, driver=driver)
    return path.read_bytes()


def zipped_shapefile(gdf, tmp_path: Path) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "obszar.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    return buf.getvalue()


def test_geojson_in_wgs84_is_transformed(tmp_path):
    data = as_bytes(frame().to_crs(4326), tmp_path, "GeoJSON", ".geojson")
    geom = area_from_file("obszar.geojson", data)
    assert geom.srid == 2180 and geom.area == pytest.approx(100, abs=0.01)
    assert geom.extent[0] == pytest.approx(X, abs=0.01)


def test_geopackage_in_pl2000(tmp_path):
    data = as_bytes(frame().to_crs(2178), tmp_path, "GPKG", ".gpkg")
    assert area_from_file("obszar.gpkg", data).area == pytest.approx(100, abs=0.01)


def test_zipped_shapefile(tmp_path):
    assert area_from_file("obszar.zip", zipped_shapefile(frame(), tmp_path)).area == \
        pytest.approx(100, abs=0.01)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs_is_refused(tmp_path):
    data = as_bytes(frame(crs=None), tmp_path, "GPKG", ".gpkg")
    with pytest.raises(ValidationError, match="does not say its coordinate system"):
        area_from_file("obszar.gpkg", data)


def test_foreign_crs_is_refused(tmp_path):
    data = as_bytes(frame().to_crs(3035), tmp_path, "GPKG", ".gpkg")
    with pytest.raises(ValidationError, match="3035"):
        area_from_file("obszar.gpkg", data)


def test_wrongly_declared_crs_lands_outside_poland(tmp_path):
    # PL-1992 metres declared as PL-2000 zone 7: the area ends up far from Poland's PL-1992 box
    data = as_bytes(frame(crs="EPSG:2178"), tmp_path, "GPKG", ".gpkg")
    with pytest.raises(ValidationError, match="outside Poland"):
        area_from_file("obszar.gpkg", data)


def test_invalid_polygon_is_refused(tmp_path):
    bowtie = Polygon([(X, Y), (X + 10, Y + 10), (X + 10, Y), (X, Y + 10)])
    data = as_bytes(frame(bowtie), tmp_path, "GPKG", ".gpkg")
    with pytest.raises(ValidationError, match="Feature 1 is not a valid polygon"):
        area_from_file("obszar.gpkg", data)


def test_line_is_refused(tmp_path):
    data = as_bytes(frame(LineString([(X, Y), (X + 5, Y + 5)])), tmp_path, "GPKG", ".gpkg")
    with pytest.raises(ValidationError, match="LineString"):
        area_from_file("obszar.gpkg", data)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("obszar.dxf", b"0\nSECTION", "not .dxf"),
    ("obszar.zip", b"not a zip", "cannot be opened"),
    ("obszar.geojson", b"{broken", "cannot be read"),
])
def test_broken_files_get_clear_errors(name, data, message):
    with pytest.raises(ValidationError, match=message):
        area_from_file(name, data)


def test_zip_without_shapefile(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(ValidationError, match="no Shapefile"):
        area_from_file("obszar.zip", buf.getvalue())
