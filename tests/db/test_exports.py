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
    assert "Feature Count: 5" in info and "WKT_EPSG2180:" in info
    assert "x_northing_EPSG2180:" in info and "y_easting_EPSG2180:" in info
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
    assert client.get(url, HTTP_ACCEPT="text/html").status_code == 302  # a browser: log in
    anonymous = client.get(url)  # a GIS client: a Basic challenge it can answer
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Basic")
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
    data, mime = write_table([{"a": 1, "b": ["x", "y"]}], [("a", "A"), ("b", "B")], "csv",
                             "intl")
    assert data.decode("utf-8-sig").splitlines() == ["A,B", '1,"x, y"']
    assert mime.startswith("text/csv")


def test_csv_is_for_polish_spreadsheets_by_default_and_international_on_request():
    """Issue #18: ';' between cells, decimal comma, tak/nie, UTF-8 with a BOM; ``intl`` keeps
    the comma-separated dialect with a decimal point."""
    import datetime as dt
    from decimal import Decimal

    from layers.exports import ExportFormatError

    rows = [{"n": Decimal("420000.50"), "f": 1.5, "b": True, "c": False, "d": dt.date(2026, 3, 1),
             "t": "Zażółć; gęślą"}]
    columns = [(k, k.upper()) for k in "nfbcdt"]
    data, _mime = write_table(rows, columns, "csv")
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig").splitlines() == [
        "N;F;B;C;D;T", '420000,50;1,5;tak;nie;2026-03-01;"Zażółć; gęślą"']
    data, _mime = write_table(rows, columns, "csv", "intl")
    assert data.decode("utf-8-sig").splitlines()[1] == (
        "420000.50,1.5,true,false,2026-03-01,Zażółć; gęślą")
    with pytest.raises(ExportFormatError, match="dialect"):
        write_table(rows, columns, "csv", "semicolons")


def _sqlite_header(path: Path) -> tuple[bytes, int]:
    import sqlite3

    with sqlite3.connect(path) as db:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    return app_id.to_bytes(4, "big"), version


def test_geopackage_is_version_1_2(client, data, make_user, tmp_path):
    town, _, _ = data
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    path = save(tmp_path, client.get("/ogc/collections/parcels/export.gpkg"))
    assert _sqlite_header(path) == (b"GPKG", 10200)  # GeoPackage 1.2.0


def test_csv_and_xlsx_name_their_axes_and_crs(client, data, make_user, tmp_path):
    import csv
    import io

    import openpyxl

    town, _, parcels = data
    client.force_login(make_user("officer", town, (Role.PROPERTY_OFFICER,)))
    one = Parcel.objects.get(pk=parcels[0].pk)
    inside = one.geom.point_on_surface
    response = client.get(f"/ogc/exports/parcels.csv?ids={one.pk}")
    assert response["X-Export-CRS"] == "EPSG:2180"
    [row] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert row["crs"] == "EPSG:2180"
    # the Polish convention: X is the northing, Y the easting (and they lie in the plot)
    x, y = float(row["x_northing_EPSG2180"]), float(row["y_easting_EPSG2180"])
    assert 200_000 < x < 220_000 and 670_000 < y < 690_000  # Jasło: N ≈ 211 000, E ≈ 677 000
    assert abs(x - inside.y) < 20 and abs(y - inside.x) < 20
    assert one.geom.contains(type(inside)(y, x, srid=2180))
    book = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/ogc/exports/parcels.xlsx?ids={one.pk}").content))
    header = [c.value for c in next(book["parcels"].iter_rows(max_row=1))]
    assert "x_northing_EPSG2180" in header and "y_easting_EPSG2180" in header
    about = {r[0]: r[1] for r in book["about"].iter_rows(min_row=2, values_only=True)}
    assert about["CRS"] == "EPSG:2180" and "northing" in about["coordinates"]


def test_xlsx_never_loses_a_long_wkt(client, data, make_user, tmp_path):
    """A zone whose WKT is longer than an Excel cell (32,767 characters) is split over columns,
    and the file and the response say so."""
    import io
    import math

    import openpyxl
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from layers.models import ParkingZone
    from tests.db.test_ogc import X0, Y0

    town, _, _ = data
    ring = [(X0 + 300 * math.cos(t / 2000 * 2 * math.pi) + (t % 7) * 0.0137,
             Y0 + 300 * math.sin(t / 2000 * 2 * math.pi)) for t in range(2000)]
    ring.append(ring[0])
    zone = ParkingZone.objects.create(municipality=town, code="LONG", name="Długa strefa",
                                      geom=MultiPolygon(Polygon(ring), srid=2180),
                                      source_namespace="test", local_id="long")
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    response = client.get("/ogc/collections/parking-zones/export.xlsx")
    assert "split" in response["X-Export-Warnings"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["parking_zones"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    parts = [i for i, h in enumerate(header) if h and h.startswith("WKT_EPSG2180")]
    assert len(parts) >= 2
    [long_row] = [r for r in rows[1:] if r[header.index("code")] == "LONG"]
    wkt = "".join(long_row[i] or "" for i in parts)
    from django.contrib.gis.geos import GEOSGeometry

    assert len(wkt) > 32_767
    assert GEOSGeometry(wkt, srid=2180).equals_exact(zone.geom, tolerance=0.001)
    notes = [r[1] for r in book["about"].iter_rows(min_row=2, values_only=True)
             if r[0] == "warning"]
    assert notes and "GeoPackage" in notes[0]


def test_shapefile_warns_of_cut_texts_and_renamed_fields(client, data, make_user, tmp_path):
    import csv
    import io
    import zipfile

    from layers.models import RegistrationUnit, Share, Subject

    town, _, _ = data
    unit = RegistrationUnit.objects.get(unit_id="G1")
    for i in range(12):  # 12 owners: their names joined are far over 254 bytes
        who = Subject.objects.create(municipality=town, kind="person",
                                     name=f"Żółtowska-Świętochowska Małgorzata {i}",
                                     source_namespace="test", local_id=f"S-long-{i}")
        Share.objects.create(municipality=town, kind="ownership", numerator=1, denominator=13,
                             subject=who, registration_unit=unit, source_namespace="test",
                             local_id=f"U-long-{i}")
    client.force_login(make_user("tax", town, (Role.TAX_OFFICER,)))
    response = client.get("/ogc/collections/parcel-owners/export.shp")
    warning = response["X-Export-Warnings"]
    assert "'registration_unit' is named 'registrati'" in warning
    assert "'owners': 1 value(s) longer than 254 bytes cut" in warning
    path = save(tmp_path, response)
    with zipfile.ZipFile(path) as zf:
        readme = zf.read("README.txt").decode()
        mapping = dict(csv.reader(io.StringIO(zf.read("parcel_owners_fields.csv").decode())))
    assert "WARNING" in readme and "254 bytes" in readme and "EPSG:2180" in readme
    assert mapping["registration_unit"] == "registrati" and mapping["owners"] == "owners"
    assert "registrati:" in ogrinfo("/vsizip/" + str(path))
    # nothing to say: a README that says so, and no header
    import geopandas as gpd
    import shapely

    from layers.exports import write_geo_export

    quiet = write_geo_export(gpd.GeoDataFrame(
        {"code": ["A"]}, geometry=[shapely.box(677_000, 211_000, 677_010, 211_010)],
        crs="EPSG:2180"), "shp", "zones")
    assert quiet.warnings == []
    with zipfile.ZipFile(io.BytesIO(quiet.data)) as zf:
        assert "Nothing was renamed or cut." in zf.read("README.txt").decode()
