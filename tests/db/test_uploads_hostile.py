"""Hostile uploads: lease area files (GeoJSON / GeoPackage / zipped Shapefile), lease documents,
inspection photos and the tax declarations CSV. XML in disguise, archive bombs and tricks,
oversized and truncated files, wrong magic bytes and path tricks in file names are refused with
a clear message before anything is extracted or stored; what is stored lands under a generated
name inside MEDIA_ROOT."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from shapely.geometry import box

from gis_app.accounts.roles import Role
from registers.leases import services
from registers.leases.models import Lease, LeaseDocument
from tests.conftest import square

pytestmark = pytest.mark.django_db

X, Y = 677_000.0, 211_000.0
SECRET = "TOPSECRET-7f3a"

GML = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file://{secret}">]>
<ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/"
    xmlns:gml="http://www.opengis.net/gml">
<gml:featureMember><ogr:a><ogr:name>&xxe;</ogr:name><ogr:geometryProperty>
<gml:Polygon srsName="EPSG:2180"><gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>
677000,211000 677010,211000 677010,211010 677000,211010 677000,211000
</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon>
</ogr:geometryProperty></ogr:a></gml:featureMember></ogr:FeatureCollection>"""

LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'
                    for i in range(1, 10))
          + ']>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&lol9;</name>'
          '<Polygon><outerBoundaryIs><LinearRing><coordinates>21.1,51.4 21.2,51.4 21.2,51.5 '
          '21.1,51.4</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>')


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _refused(name: str, content: bytes, *fragments: str) -> str:
    with pytest.raises(ValidationError) as err:
        services.area_from_file(name, content)
    message = " ".join(err.value.messages)
    for f in fragments:
        assert f in message, message
    return message


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _shapefile_members(tmp_path: Path) -> dict[str, bytes]:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(X, Y, X + 10, Y + 10)],
                     crs="EPSG:2180").to_file(folder / "obszar.shp")
    return {f.name: f.read_bytes() for f in folder.iterdir()}


# --- XML in disguise (GDAL chooses its driver from the bytes, not the name) -------------------


@pytest.mark.parametrize("name", ["area.geojson", "area.json", "area.gpkg"])
def test_gml_with_an_external_entity_renamed_is_refused(name, secret):
    gml = GML.format(secret=secret).encode()
    message = _refused(name, gml)
    assert SECRET not in message


@pytest.mark.parametrize("name", ["area.geojson", "area.kml", "area.gml", "area.xml"])
def test_billion_laughs_is_refused_at_once(name):
    started = time.monotonic()
    _refused(name, LAUGHS.encode())
    assert time.monotonic() - started < 2


def test_gml_and_kml_are_not_accepted_formats(secret):
    _refused("area.gml", GML.format(secret=secret).encode(), ".gml")
    _refused("area.kml", LAUGHS.encode(), ".kml")


def test_shp_in_zip_that_is_really_gml_is_refused(secret):
    _refused("area.zip", _zip({"obszar.shp": GML.format(secret=secret).encode()}),
             "not a Shapefile")


# --- archives ---------------------------------------------------------------------------------


def test_zip_bomb_member_is_refused_before_extraction(tmp_path):
    members = _shapefile_members(tmp_path)
    members["obszar.dbf"] = b"\0" * (40 * 1024 * 1024)  # 40 MB of zeros: ~40 KB deflated
    content = _zip(members)
    assert len(content) < 200_000
    _refused("area.zip", content, "suspiciously")


def test_zip_with_thousands_of_members_is_refused(tmp_path):
    members = _shapefile_members(tmp_path)
    members.update({f"f{i}.txt": b"x" for i in range(3000)})
    _refused("area.zip", _zip(members), f"{len(members)} files")


def test_nested_zip_is_refused(tmp_path):
    inner = _zip(_shapefile_members(tmp_path))
    _refused("area.zip", _zip({"inner.zip": inner}), "another archive")


def test_large_total_is_refused(tmp_path):
    members = _shapefile_members(tmp_path)
    for i in range(6):  # 6 × 9 MB of random-ish data: not a bomb by ratio, too much in total
        members[f"extra{i}.bin"] = (bytes(range(256)) * 40_000)[:9 * 1024 * 1024]
    content = _zip(members, zipfile.ZIP_STORED)
    assert len(content) > services.AREA_FILE_MAX_BYTES
    _refused("area.zip", content, "larger than 10 MB")


@pytest.mark.parametrize("evil", ["../../etc/passwd.shp", "/etc/passwd.shp",
                                  "..\\..\\windows\\x.shp", "C:/x.shp", "a/../../x.shp"])
def test_zip_entries_escaping_the_folder_are_refused(evil, tmp_path):
    members = _shapefile_members(tmp_path)
    members[evil] = members["obszar.shp"]
    _refused("area.zip", _zip(members), "unsafe name")


def test_a_good_zip_still_reads(tmp_path):
    area = services.area_from_file("area.zip", _zip(_shapefile_members(tmp_path)))
    assert area.area == pytest.approx(100.0)


# --- oversized, truncated, wrong magic --------------------------------------------------------


def test_oversized_area_file_is_refused():
    big = b'{"type": "FeatureCollection", "features": [' + b" " * (11 * 1024 * 1024) + b"]}"
    _refused("area.geojson", big, "larger than 10 MB")


def test_truncated_files_get_clear_errors(tmp_path):
    frame = gpd.GeoDataFrame({"n": [1]}, geometry=[box(X, Y, X + 10, Y + 10)], crs="EPSG:2180")
    frame.to_file(tmp_path / "a.gpkg", driver="GPKG")
    frame.to_file(tmp_path / "a.geojson", driver="GeoJSON")
    gpkg = (tmp_path / "a.gpkg").read_bytes()
    geojson = (tmp_path / "a.geojson").read_bytes()
    shp_zip = _zip(_shapefile_members(tmp_path))
    for name, content in (("a.gpkg", gpkg[: len(gpkg) // 3]), ("a.gpkg", gpkg[:100]),
                          ("a.geojson", geojson[: len(geojson) // 2]),
                          ("a.zip", shp_zip[: len(shp_zip) // 2]), ("a.zip", shp_zip[:10]),
                          ("a.geojson", b""), ("a.gpkg", b"")):
        with pytest.raises(ValidationError):
            services.area_from_file(name, content)


@pytest.mark.parametrize(("name", "content"), [
    ("a.gpkg", b"PK\x03\x04 not a geopackage"), ("a.zip", b"SQLite format 3\x00..."),
    ("a.geojson", b"\x89PNG\r\n\x1a\n"), ("a.geojson", b"[1, 2, 3]"),
    ("a.json", b"\xff\xfe{\x00"),
])
def test_wrong_magic_bytes_are_refused(name, content):
    _refused(name, content)


# --- through the web: the lease form, documents ------------------------------------------------


@pytest.fixture
def officer_setup(make_municipality, make_parcel, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    town = make_municipality()
    plot = make_parcel("1", X, Y, size=40, municipality=town)
    officer = make_user("officer", town, (Role.PROPERTY_OFFICER,))
    lease = services.lease_create(officer, dict(
        municipality_id=town.id, number="GN.7/2025", lessee_name="Ogródki",
        lessee_kind="company", cadastral_ids=[plot.cadastral_id], rent_amount=Decimal("500"),
        start_date=date(2025, 1, 1), end_date=date(2026, 12, 31), status="proposed"),
        square(X + 5, Y + 5, 10))
    client = Client(headers={"accept-language": "en"})
    client.force_login(officer)
    return town, plot, lease, client, settings.MEDIA_ROOT


def _lease_post(town, plot, **kw):
    data = {"municipality": town.id, "number": "GN.8/2025", "kind": "lease",
            "status": "proposed", "lessee_kind": "person", "lessee_name": "Maria Nowak",
            "cadastral_ids": plot.cadastral_id, "purpose": "garden", "rent_amount": "240.00",
            "rent_period": "yearly", "vat_rate": "23", "indexation": "cpi",
            "start_date": "2025-04-01", "end_date": "2027-03-31", "procedure": "no_tender"}
    data.update(kw)
    return data


@pytest.mark.parametrize(("name", "content", "message"), [
    ("area.geojson", None, "cannot be read as GeoJSON"),
    ("area.gml", None, ".gml"),
    ("area.geojson", b"{" + b" " * (11 * 1024 * 1024), "larger than 10 MB"),
])
def test_lease_form_refuses_hostile_area_files(officer_setup, secret, name, content, message):
    town, plot, _lease, client, _media = officer_setup
    content = content if content is not None else GML.format(secret=secret).encode()
    r = client.post("/leases/new/", _lease_post(town, plot, area_file=SimpleUploadedFile(
        name, content)))
    assert r.status_code == 400
    body = r.content.decode()
    assert message in body and SECRET not in body
    assert not Lease.objects.filter(number="GN.8/2025").exists()


PDF = b"%PDF-1.4\n%hostile test\n"


@pytest.mark.parametrize("name", [
    "../../etc/passwd.pdf", "/etc/cron.d/evil.pdf", "..\\..\\windows\\system32\\x.pdf",
    "CON.pdf", "nul.pdf", "a" * 500 + ".pdf", "ok\x00.exe.pdf", "  .pdf", "💣 umowa.pdf",
    "x.pdf/../../y.pdf",
])
def test_document_names_cannot_escape_media_root(officer_setup, name):
    _town, _plot, lease, client, media = officer_setup
    r = client.post(f"/leases/{lease.pk}/documents/",
                    {"title": "t", "file": SimpleUploadedFile(name, PDF)})
    assert r.status_code in (302, 400), r.status_code
    for doc in LeaseDocument.objects.filter(lease=lease):
        stored = (Path(media) / doc.file.name).resolve()
        assert stored.is_relative_to(Path(media).resolve())
        assert stored.is_file() and stored.read_bytes() == PDF
        parts = Path(doc.file.name).parts
        assert parts[:3] == ("leases", str(lease.municipality_id), str(lease.pk))
        assert ".." not in parts and "\x00" not in doc.file.name
        assert len(doc.file.name) <= 300
    outside = [p for p in Path(media).parent.rglob("*.pdf")
               if not p.resolve().is_relative_to(Path(media).resolve())]
    assert outside == []


@pytest.mark.parametrize(("name", "content", "status"), [
    ("umowa.pdf", b"MZ\x90\x00 a windows program", 400),
    ("umowa.pdf", b"", 400),
    ("umowa.exe", b"MZ\x90\x00", 400),
    ("umowa.pdf", PDF + b"\0" * (11 * 1024 * 1024), 400),
])
def test_document_content_is_checked(officer_setup, name, content, status):
    _town, _plot, lease, client, media = officer_setup
    r = client.post(f"/leases/{lease.pk}/documents/",
                    {"title": "t", "file": SimpleUploadedFile(name, content)})
    assert r.status_code == status
    assert not LeaseDocument.objects.filter(lease=lease).exists()
    assert not list(Path(media).rglob("*.*")) if Path(media).exists() else True


# --- tax declarations CSV ----------------------------------------------------------------------


@pytest.fixture
def tax_client(make_municipality, make_user):
    town = make_municipality()
    client = Client(headers={"accept-language": "en"})
    client.force_login(make_user("tax", town, (Role.TAX_OFFICER,)))
    return town, client


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"taxpayer_ref,taxpayer_name,object_kind,category,area_m2\nT,Na\x00me,land,G3,100\n",
     "NUL"),
    (b"a;b\n" + b"x" * (6 * 1024 * 1024), "larger than"),
])
def test_tax_csv_import_refuses_hostile_files(tax_client, content, message):
    town, client = tax_client
    r = client.post(f"/taxes/{town.id}/import/",
                    {"file": SimpleUploadedFile("deklaracje.csv", content)})
    assert r.status_code == 400
    assert message in r.content.decode()


# --- the request itself: oversized, too many fields, cut-off multipart -------------------------


def test_oversized_form_body_is_a_400(officer_setup):
    _town, _plot, lease, client, _media = officer_setup
    body = "title=" + "x" * (11 * 1024 * 1024)
    r = client.post(f"/leases/{lease.pk}/documents/", body,
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    r = client.post("/landscape/api/check", body, content_type="application/x-www-form-urlencoded")
    assert r.status_code in (400, 403)


def test_too_many_fields_is_a_400(officer_setup):
    _town, _plot, lease, client, _media = officer_setup
    body = "&".join(f"f{i}=1" for i in range(5000))
    r = client.post(f"/leases/{lease.pk}/documents/", body,
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400


def test_cut_off_multipart_upload_stores_nothing(officer_setup):
    _town, _plot, lease, client, media = officer_setup
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"umowa.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + PDF
    r = client.post(f"/leases/{lease.pk}/documents/", body,
                    content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 400
    assert not LeaseDocument.objects.filter(lease=lease).exists()
    assert not (Path(media).exists() and list(Path(media).rglob("*.pdf")))


DEEP = "[" * 100_000 + "]" * 100_000
NESTED = [DEEP, '{"type": "Polygon", "coordinates": ' + DEEP + "}",
          '{"type": "Polygon", "coordinates": [[["a", 0], [0, 1], [1, 1], ["a", 0]]]}',
          '{"type": "Polygon", "coordinates": [[[1e400, 0], [0, 1], [1, 1], [1e400, 0]]]}']


@pytest.mark.parametrize("text", NESTED)
def test_deeply_nested_or_malformed_geojson_is_a_clear_error(text):
    with pytest.raises(ValidationError):
        services.area_from_geojson(text)
    with pytest.raises(ValidationError):
        services.area_from_file("area.geojson", text.encode())


def test_lease_form_with_a_deeply_nested_drawing_is_a_400(officer_setup):
    town, plot, _lease, client, _media = officer_setup
    r = client.post("/leases/new/", _lease_post(town, plot, area_geojson=NESTED[1]))
    assert r.status_code == 400
    assert "not valid GeoJSON" in r.content.decode()
