"""Geo exports open in GDAL with the right feature count, fields and CRS; roles and audit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from layers.exports import write_table
from layers.models import Parcel
from tests.db.test_ogc import populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(make_municipality, make_parcel):
    return populate(make_municipality, make_parcel)


def ogrinfo(path: Path | str, *extra: str) -> str:
    result = subprocess.run(["ogrinfo", "-ro", "-so", "-al", *extra, str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def save(tmp_path: Path, response) -> Path:
    assert response.status_code == 200, response.content[:300]
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


@pytest.mark.parametrize(("fmt", "prefix"), [("gpkg", ""), ("shp", "/vsizip/")])
def test_collection_export_opens_in_gdal(client, data, make_user, tmp_path, fmt, prefix):
    town, _, _ = data
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    path = save(tmp_path, client.get(f"/ogc/collections/parcels/export.{fmt}"))
    info = ogrinfo(prefix + str(path))
    assert "Feature Count: 23" in info  # town A only: town B's 2 parcels stay out
    assert 'ID["EPSG",2180]' in info or "CS92" in info
    for field in ("cadastral_id", "number", "area_m2"):
        # dBase (Shapefile) field names are at most 10 characters
        assert f"{field[:10] if fmt == 'shp' else field}:" in info
    assert "Polygon" in info


def test_parcel_search_export_in_every_format(client, data, make_user, tmp_path):
    town, _, parcels = data
    client.force_login(make_user("officer", town, (Role.PROPERTY_OFFICER,)))
    ids = ",".join(str(p.pk) for p in parcels[:5])
    gpkg = save(tmp_path, client.get(f"/ogc/exports/parcels.gpkg?ids={ids}"))
    info = ogrinfo(gpkg)
    assert "Feature Count: 5" in info and 'ID["EPSG",2180]' in info
    for field in ("cadastral_id", "precinct", "legal_area_m2", "geom_area_m2", "municipality"):
        assert f"{field}:" in info
    shp = save(tmp_path, client.get(f"/ogc/exports/parcels.shp?ids={ids}"))
    info = ogrinfo("/vsizip/" + str(shp))
    assert "Feature Count: 5" in info and "legal_area:" in info  # dBase: 10-char names
    csv = save(tmp_path, client.get(f"/ogc/exports/parcels.csv?ids={ids}"))
    info = ogrinfo(csv)
    assert "Feature Count: 5" in info and "Geometry: " in info and "cadastral_id:" in info
    xlsx = save(tmp_path, client.get(f"/ogc/exports/parcels.xlsx?ids={ids}"))
    info = ogrinfo(xlsx)
    assert "Feature Count: 5" in info and "x_EPSG2180:" in info and "WKT_EPSG2180:" in info
    # a search by text exports what it finds
    found = save(tmp_path, client.get("/ogc/exports/parcels.gpkg?q=.1"))
    assert "Feature Count: " in ogrinfo(found)
    assert AuditEvent.objects.filter(action="export", object_type="parcel").count() == 5


def test_geometries_in_the_geopackage_are_the_database_ones(client, data, make_user, tmp_path):
    import geopandas as gpd

    town, _, parcels = data
    client.force_login(make_user("officer", town, (Role.PROPERTY_OFFICER,)))
    path = save(tmp_path, client.get(f"/ogc/exports/parcels.gpkg?ids={parcels[3].pk}"))
    gdf = gpd.read_file(path)
    assert gdf.crs.to_epsg() == 2180
    db = Parcel.objects.get(pk=parcels[3].pk)
    assert gdf.geometry.iloc[0].equals_exact(
        __import__("shapely").from_wkt(db.geom.wkt), tolerance=1e-6)
    assert gdf["legal_area_m2"].iloc[0] == float(db.legal_area_m2)


def test_export_access(client, data, make_user):
    town, other, parcels = data
    url = "/ogc/collections/parcels/export.gpkg"
    assert client.get(url).status_code == 302  # the public: to the login page
    client.force_login(make_user("inspector", town, (Role.LANDSCAPE_INSPECTOR,)))
    assert client.get(url).status_code == 403  # no export capability
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    assert client.get("/ogc/collections/parcel-owners/export.gpkg").status_code == 403
    assert client.get("/ogc/collections/parcels/export.pdf").status_code == 400
    assert client.get("/ogc/collections/nope/export.gpkg").status_code == 404
    assert client.get("/ogc/exports/parcels.csv").status_code == 400
    assert client.get("/ogc/exports/parcels.csv?ids=a,b").status_code == 400
    # a user of town B exporting town A's parcel ids gets an empty file, not the parcels
    client.force_login(make_user("b", other, (Role.PLANNER,)))
    body = client.get(f"/ogc/exports/parcels.csv?ids={parcels[0].pk}").content.decode()
    assert parcels[0].cadastral_id not in body


def test_owner_export_is_audited_as_read_owners(client, data, make_user, tmp_path):
    town, _, _ = data
    client.force_login(make_user("tax", town, (Role.TAX_OFFICER,)))
    path = save(tmp_path, client.get("/ogc/collections/parcel-owners/export.gpkg"))
    assert "owners:" in ogrinfo(path)
    assert AuditEvent.objects.filter(action="read_owners", username="tax").exists()
    assert AuditEvent.objects.filter(action="export", username="tax").exists()


def test_write_table_still_works():
    data, mime = write_table([{"a": 1, "b": ["x", "y"]}], [("a", "A"), ("b", "B")], "csv")
    assert data.decode("utf-8-sig").splitlines() == ["A,B", '1,"x, y"']
    assert mime.startswith("text/csv")
