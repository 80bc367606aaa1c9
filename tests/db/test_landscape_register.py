"""Landscape register on PostGIS: demo verdicts with citations, fee and penalty of the demo
boards, the check and its API, inspections with photos, export, tiles, roles and scoping."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from gis_app.accounts.roles import Role
from layers.models import LandscapeArea
from layers.tiles.registry import tile_layer
from registers.landscape import demo, selectors, services
from registers.landscape.models import (
    AdvertisingDevice,
    AdvertisingFeeRate,
    AreaRule,
    Inspection,
)
from tests.conftest import square

pytestmark = pytest.mark.django_db

X, Y = 677_000, 211_000
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def town(make_municipality):
    return make_municipality("146301_1", "Radom")


@pytest.fixture
def other(make_municipality):
    return make_municipality("180501_1", "Jasło")


def area(municipality, code, x, y, size=400, kind=LandscapeArea.Kind.RESOLUTION_ZONE):
    return LandscapeArea.objects.create(
        municipality=municipality, kind=kind, code=code, name=f"Strefa {code}",
        geom=square(x, y, size), source_namespace="test",
        local_id=f"{municipality.teryt}-{code}-{kind}")


@pytest.fixture
def zones(town):
    a, b = area(town, "A", X, Y), area(town, "B", X + 400, Y)
    demo.load_demo(town)
    return a, b


def post_check(client, **kw):
    # the check form: X is the northing, Y the easting (the map's convention)
    data = {"x": Y + 100, "y": X + 100, "srid": 2180, "type": "board", "area_m2": "12",
            "height_m": "5", "lit": "no", "mounting": "free_standing", "action": "check"}
    data.update(kw)
    return client.post("/landscape/check/", data)


def test_demo_board_verdicts_with_citations(zones):
    year = 2026
    rows = {d.label: services.device_assessment(d, year, today=date(2026, 3, 10))
            for d in AdvertisingDevice.objects.all()}
    big_a = rows[demo.BILLBOARD_A]
    assert big_a["outcome"] == "fail"
    fails = {(f["rule"], f["citation"]) for f in big_a["findings"] if f["verdict"] == "fail"}
    assert ("max_area_m2", "§ 5 ust. 1 uchwała Nr DEMO/146301_1/2024") in fails
    assert ("mountings_allowed", "§ 5 ust. 5 uchwała Nr DEMO/146301_1/2024") in fails
    assert big_a["fee"].daily == D("8.21")
    assert big_a["penalty"].per_day == D("328.40") and big_a["penalty"].days == 10
    assert big_a["penalty"].total == D("3284.00")
    small_a = rows[demo.SHOP_BOARD_A]
    assert small_a["outcome"] == "pass" and small_a["penalty"] is None
    assert small_a["fee"].days == 365
    big_b = rows[demo.BILLBOARD_B]
    assert big_b["outcome"] == "pass"
    assert {f["citation"] for f in big_b["findings"]} >= {
        "§ 6 ust. 1 uchwała Nr DEMO/146301_1/2024"}
    assert big_b["fee"].gross == D("2996.65")


def test_demo_falls_back_to_other_codes_and_is_idempotent(town):
    area(town, "S1", X, Y)
    area(town, "S2", X + 400, Y)
    first = demo.load_demo(town)
    assert {c: a.code for c, a in first.items()} == {"A": "S1", "B": "S2"}
    demo.load_demo(town)
    assert AdvertisingDevice.objects.count() == 3
    assert AreaRule.objects.filter(area__code="S1").count() == len(demo.RULES["A"])


def test_inspector_checks_and_saves_with_photo(client, make_user, zones, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    inspector = make_user("insp", zones[0].municipality, (Role.LANDSCAPE_INSPECTOR,))
    client.force_login(inspector)
    r = post_check(client, HTTP_ACCEPT_LANGUAGE="pl")
    html = r.content.decode()
    assert r.status_code == 200 and 'data-outcome="fail"' in html
    assert "§ 5 ust. 1 uchwała Nr DEMO/146301_1/2024" in html
    assert "montaż wolnostojące niedozwolony; dozwolone: na budynku" in html
    photo = SimpleUploadedFile("../../evil name.php.png", PNG, content_type="text/html")
    r = client.post("/landscape/check/", {
        "x": Y + 100, "y": X + 100, "srid": 2180, "type": "board", "area_m2": "12",
        "action": "save", "note": "ul. Rynek", "photos": [photo]})
    assert r.status_code == 302
    i = Inspection.objects.get()
    assert i.outcome == "fail" and i.inspector == inspector and i.object["area_m2"] == "12"
    p = i.photos.get()
    assert p.file.name.startswith("landscape/inspections/") and p.file.name.endswith(".png")
    assert ".." not in p.file.name and "evil" not in p.file.name
    assert p.content_type == "image/png" and p.original_name == "evil name.php.png"
    r = client.get(f"/landscape/photos/{p.id}")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"


def test_photo_type_and_count_limits(client, make_user, zones, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(make_user("insp", zones[0].municipality, (Role.LANDSCAPE_INSPECTOR,)))
    fake = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    r = client.post("/landscape/check/", {"x": Y + 1, "y": X + 1, "srid": 2180, "type": "board",
                                          "action": "save", "photos": [fake]})
    assert r.status_code == 400 and "photos" in r.content.decode()
    many = [SimpleUploadedFile(f"{n}.png", PNG) for n in range(6)]
    r = client.post("/landscape/check/", {"x": Y + 1, "y": X + 1, "srid": 2180, "type": "board",
                                          "action": "save", "photos": many})
    assert r.status_code == 400 and not Inspection.objects.exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"x": "abc"}, "x"), ({"srid": "3857"}, "srid"), ({"type": "tower"}, "type"),
    ({"area_m2": "-1"}, "area_m2"), ({"lit": "maybe"}, "lit"), ({"mounting": "roof"}, "mounting"),
    ({"x": 5000, "y": 5000}, "x"),
])
def test_check_api_names_bad_parameters(client, make_user, zones, data, field):
    client.force_login(make_user("insp", zones[0].municipality, (Role.LANDSCAPE_INSPECTOR,)))
    params = {"x": Y + 100, "y": X + 100, "srid": 2180, "type": "board", "area_m2": "12"}
    params.update(data)
    r = client.get("/landscape/api/check", params)
    assert r.status_code == 400 and r.json()["parameter"] == field


def test_check_api_one_axis_convention(client, make_user, zones):
    """X is the northing in the JSON API as on the map and in the check form (issue #17);
    e/n name easting and northing explicitly; mixing them or half a pair is a clear 400 (in
    Polish, the UI's language in the tests)."""
    client.force_login(make_user("insp", zones[0].municipality, (Role.LANDSCAPE_INSPECTOR,)))
    base = {"srid": 2180, "type": "board", "area_m2": "12"}
    polish = client.get("/landscape/api/check", {**base, "x": Y + 100, "y": X + 100})
    explicit = client.get("/landscape/api/check", {**base, "e": X + 100, "n": Y + 100})
    assert polish.status_code == explicit.status_code == 200
    assert [a["code"] for a in polish.json()["areas"]] == ["A"]
    assert polish.json() == explicit.json()
    # the national number format as the map writes it is read too
    spaced = client.get("/landscape/api/check", {**base, "x": f"{Y + 100:_}".replace("_", " ")
                                                 + ",00", "y": f"{X + 100},0"})
    assert spaced.json()["areas"] == polish.json()["areas"]
    # the old easting-first call lands far from the town: refused, not silently answered
    swapped = client.get("/landscape/api/check", {**base, "x": X + 100, "y": Y + 100})
    assert swapped.status_code == 400 and swapped.json()["parameter"] == "x"
    for bad, field, words in (({"x": Y + 100, "y": X + 100, "e": X + 100}, "x", "nie obie"),
                              ({"e": X + 100}, "n", "brak parametru n"),
                              ({"y": X + 100}, "x", "brak parametru x"),
                              ({}, "x", "podaj punkt"),
                              ({"e": "east", "n": Y}, "e", "musi być liczbą")):
        r = client.get("/landscape/api/check", {**base, **bad})
        assert r.status_code == 400 and r.json()["parameter"] == field, bad
        assert words in r.json()["error"], r.json()


def test_check_api_in_wgs84_and_zone_b(client, make_user, zones):
    client.force_login(make_user("insp", zones[0].municipality, (Role.LANDSCAPE_INSPECTOR,)))
    pt = zones[1].geom.point_on_surface.transform(4326, clone=True)
    r = client.get("/landscape/api/check", {"x": pt.y, "y": pt.x, "srid": 4326, "type": "board",
                                            "area_m2": "12", "height_m": "5", "lit": "no",
                                            "moving_images": "no"})
    body = r.json()
    assert r.status_code == 200 and body["outcome"] == "pass"
    assert [a["code"] for a in body["areas"]] == ["B"]


def test_cross_municipality_denial(client, make_user, zones, other):
    area(other, "A", X + 10_000, Y)
    client.force_login(make_user("insp", other, (Role.LANDSCAPE_INSPECTOR,)))
    assert post_check(client).status_code == 403
    r = client.get("/landscape/api/check", {"x": Y + 100, "y": X + 100, "srid": 2180,
                                            "type": "board"})
    assert r.status_code == 403
    Inspection.objects.create(
        municipality=zones[0].municipality, inspector=make_user("a", zones[0].municipality,
                                                                (Role.LANDSCAPE_INSPECTOR,)),
        inspected_at="2026-03-01T10:00Z", geom=zones[0].geom.point_on_surface,
        object={"type": "board"}, findings=[], outcome="fail")
    assert client.get("/landscape/inspections.geojson").json()["features"] == []
    i = Inspection.objects.get()
    assert client.get(f"/landscape/inspections/{i.id}/").status_code == 404
    assert client.get(f"/landscape/areas/{zones[0].id}/rules/").status_code == 404
    csv = client.get("/landscape/inspections/?format=csv").content.decode("utf-8-sig")
    assert csv.strip().count("\n") == 0


@pytest.mark.parametrize(("role", "check", "view", "edit"), [
    (Role.LANDSCAPE_INSPECTOR, 200, 200, 200),
    (Role.PLANNER, 403, 200, 200),
    (Role.TAX_OFFICER, 403, 200, 403),
    (Role.PROPERTY_OFFICER, 403, 200, 403),
    (Role.ADMINISTRATOR, 403, 200, 403),
])
def test_roles(client, make_user, zones, role, check, view, edit):
    client.force_login(make_user("u", zones[0].municipality, (role,)))
    assert client.get("/landscape/check/").status_code == check
    assert client.get("/landscape/api/check", {"x": 1, "y": 1}).status_code in (
        (400,) if check == 200 else (403,))
    for url in ("/landscape/", "/landscape/inspections/", "/landscape/inspections.geojson",
                "/landscape/devices/"):
        assert client.get(url).status_code == view, url
    assert client.get(f"/landscape/areas/{zones[0].id}/rules/").status_code == edit


def test_public_gets_no_inspection_pages(client, zones):
    d = AdvertisingDevice.objects.first()
    for url in ("/landscape/", "/landscape/check/", "/landscape/inspections/",
                "/landscape/inspections.geojson", "/landscape/inspections/1/",
                "/landscape/photos/1", "/landscape/devices/", "/landscape/devices/new/",
                f"/landscape/devices/{d.id}/edit/", "/landscape/fee-rates/",
                f"/landscape/areas/{zones[0].id}/rules/", "/landscape/inspections/?format=csv"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], url
    r = client.get("/landscape/api/check", HTTP_ACCEPT="application/json")
    assert r.status_code == 401


def test_rules_edit_validates_values(client, make_user, zones):
    a = zones[0]
    client.force_login(make_user("planner", a.municipality, (Role.PLANNER,)))
    rules = list(a.rules.all())
    data = {"rules-TOTAL_FORMS": len(rules) + 1, "rules-INITIAL_FORMS": len(rules),
            "rules-MIN_NUM_FORMS": 0, "rules-MAX_NUM_FORMS": 1000}
    for n, r in enumerate(rules):
        data.update({f"rules-{n}-id": r.id, f"rules-{n}-subject": r.subject,
                     f"rules-{n}-kind": r.kind, f"rules-{n}-value": r.value,
                     f"rules-{n}-citation": r.citation})
    n = len(rules)
    bad = {**data, f"rules-{n}-subject": "advertising", f"rules-{n}-kind": "max_height_m",
           f"rules-{n}-value": "tall", f"rules-{n}-citation": "§ 1"}
    r = client.post(f"/landscape/areas/{a.id}/rules/", bad)
    assert r.status_code == 400 and "max_height_m: oczekiwano liczby, podano tall" in \
        r.content.decode()
    k = next(i for i, r in enumerate(rules) if r.kind == "max_area_m2")
    good = {**data, f"rules-{k}-value": "4", f"rules-{n}-subject": "sign",
            f"rules-{n}-kind": "allowed", f"rules-{n}-value": "tak",
            f"rules-{n}-citation": "§ 7 ust. 3"}
    assert client.post(f"/landscape/areas/{a.id}/rules/", good).status_code == 302
    assert a.rules.get(id=rules[k].id).value == "4"
    assert a.rules.filter(subject="sign", kind="allowed").exists()


def test_export_and_tile_function(client, make_user, make_municipality, zones):
    user = make_user("insp", zones[0].municipality, (Role.LANDSCAPE_INSPECTOR,))
    client.force_login(user)
    post_check(client, action="save")
    r = client.get("/landscape/inspections/?format=csv")
    text = r.content.decode("utf-8-sig")
    assert r.status_code == 200 and "§ 5 ust. 1" in text
    assert "niezgodne" in text and "tablica reklamowa" in text
    assert client.get("/landscape/inspections/?format=xlsx").status_code == 200
    assert client.get("/landscape/inspections/?format=pdf").status_code == 400
    layer = tile_layer("landscape_inspections")
    assert layer is not None and not layer.public
    mid = zones[0].municipality_id
    with connection.cursor() as cur:
        # the z/x/y tile of the inspection point (EPSG:3857) at z16
        cur.execute("""
            SELECT x, y FROM (SELECT ST_Transform(geom, 3857) g FROM landscape_inspection) p,
            LATERAL (SELECT floor((ST_X(g) + 20037508.34) / (40075016.68 / 65536))::int AS x,
                            floor((20037508.34 - ST_Y(g)) / (40075016.68 / 65536))::int AS y) t""")
        tx, ty = cur.fetchone()
        cur.execute("SELECT length(landscape_inspections_tile(16, %s, %s, %s))",
                    [tx, ty, [mid]])
        assert cur.fetchone()[0] > 0
        cur.execute("SELECT length(landscape_inspections_tile(16, %s, %s, %s))",
                    [tx, ty, []])
        assert cur.fetchone()[0] == 0
    # through the tile endpoint: the inspector gets the point, with an ETag; others get nothing
    r = client.get(f"/tiles/landscape_inspections/16/{tx}/{ty}.pbf")
    assert r.status_code == 200 and len(r.content) > 0 and r.has_header("ETag")
    client.logout()
    assert client.get(f"/tiles/landscape_inspections/16/{tx}/{ty}.pbf").status_code == 401
    client.force_login(make_user("tax", zones[0].municipality, (Role.TAX_OFFICER,)))
    r = client.get(f"/tiles/landscape_inspections/16/{tx}/{ty}.pbf")
    assert r.status_code == 200 and len(r.content) > 0  # VIEW_LANDSCAPE: all staff
    client.force_login(make_user("stranger", make_municipality("180501_1", "Jasło"),
                                 (Role.LANDSCAPE_INSPECTOR,)))
    assert client.get(f"/tiles/landscape_inspections/16/{tx}/{ty}.pbf").content == b""


def test_card_section_public_rules_staff_devices(make_parcel, make_user, zones):
    town = zones[0].municipality
    parcel = make_parcel("7", X + 10, Y + 10, size=420, municipality=town)
    section = selectors.card_section(None, parcel)
    assert [a["code"] for a in section["areas"]] == ["A", "B"]
    assert any(r["citation"].startswith("§ 5 ust. 1") for r in section["areas"][0]["rules"])
    assert section["devices"] is None
    staff = make_user("p", town, (Role.PLANNER,))
    assert selectors.card_section(staff, parcel)["devices"] is not None
    from django.template.loader import render_to_string
    html = render_to_string("landscape/card_section.html", {"section": section})
    assert "§ 5 ust. 1" in html
    far = make_parcel("8", X + 9000, Y, municipality=town)
    assert selectors.card_section(None, far) is None


def test_register_board_by_point_and_fee_rates(client, make_user, make_parcel, zones, other):
    town = zones[0].municipality
    parcel = make_parcel("21", X + 50, Y + 50, municipality=town)
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    form = {"kind": "board", "label": "neon", "area_m2": "4", "height_m": "3", "lit": "on",
            "mounting": "building", "placed_from": "2026-01-01", "property_tax_paid": "0",
            "x": Y + 60, "y": X + 60, "srid": 2180}  # X northing, Y easting
    assert client.post("/landscape/devices/new/", form).status_code == 302
    d = AdvertisingDevice.objects.get(label="neon")
    assert d.parcel_cadastral_id == parcel.cadastral_id and d.municipality == town
    row = services.device_assessment(d, 2026)
    assert row["outcome"] == "fail"  # 4 m² and lit in zone A
    assert {f["rule"] for f in row["findings"] if f["verdict"] == "fail"} == {
        "max_area_m2", "lit_allowed"}
    bad = {**form, "removed_on": "2025-01-01", "compliance_date": "2026-02-01"}
    r = client.post("/landscape/devices/new/", bad)
    assert r.status_code == 400 and AdvertisingDevice.objects.filter(label="neon").count() == 1
    # a point in another town: refused, nothing stored
    area(other, "A", X + 10_000, Y)
    r = client.post("/landscape/devices/new/", {**form, "y": X + 10_100, "label": "foreign"})
    assert r.status_code == 403 and not AdvertisingDevice.objects.filter(label="foreign").exists()
    page = client.get("/landscape/devices/?year=2026").content.decode()
    assert "328,40" in page and "8,21" in page  # Polish number format
    assert client.get("/landscape/devices/?year=abc").status_code == 400
    # council rates above the 2026 caps are refused; at the caps accepted
    r = client.post("/landscape/fee-rates/", {"municipality": town.id, "year": 2026,
                                              "fixed": "3.90", "variable": "0.36"})
    assert r.status_code == 400 and "3.89" in r.content.decode()
    # the demo's 2026 rates are changed from their Edit link, which carries their version ...
    opened = f"/landscape/fee-rates/?municipality={town.id}&year=2026"
    assert client.get(opened).status_code == 200
    version = AdvertisingFeeRate.objects.get(municipality=town, year=2026).version
    r = client.post(opened, {"fixed": "2.00", "variable": "0.20", "version": version})
    assert r.status_code == 302
    assert services.fee_rates(town.id, 2026)[0] == services.rules.FeeRates(D("2.00"), D("0.20"))
    # ... while the blank form naming a year that has rates does not silently replace them
    r = client.post("/landscape/fee-rates/", {"municipality": town.id, "year": 2026,
                                              "fixed": "1.00", "variable": "0.10"})
    assert r.status_code == 409
    assert services.fee_rates(town.id, 2026)[0] == services.rules.FeeRates(D("2.00"), D("0.20"))
    r = client.post("/landscape/fee-rates/", {"municipality": other.id, "year": 2026,
                                              "fixed": "1", "variable": "0.1"})
    assert r.status_code == 400  # not a municipality of this user
    AdvertisingFeeRate.objects.create(municipality=other, year=2026, fixed=D("1"),
                                      variable=D("0.1"))
    foreign = f"/landscape/fee-rates/?municipality={other.id}&year=2026"
    assert client.get(foreign).status_code == 404
    assert client.post(foreign, {"fixed": "0.5", "variable": "0.1", "version": 1}
                       ).status_code == 404
    assert AdvertisingFeeRate.objects.get(municipality=other, year=2026).fixed == D("1")


@pytest.mark.parametrize(("role", "status"), [
    (Role.LANDSCAPE_INSPECTOR, 200), (Role.PLANNER, 200), (Role.TAX_OFFICER, 403),
    (Role.ADMINISTRATOR, 403)])
def test_board_and_rate_pages_roles(client, make_user, zones, role, status):
    client.force_login(make_user("u", zones[0].municipality, (role,)))
    assert client.get("/landscape/devices/new/").status_code == status
    assert client.get("/landscape/fee-rates/").status_code == status
    edit_link = f"/landscape/fee-rates/?municipality={zones[0].municipality_id}&year=2026"
    assert client.get(edit_link).status_code == status
    d = AdvertisingDevice.objects.first()
    assert client.get(f"/landscape/devices/{d.id}/edit/").status_code == status


def test_caps_come_back_after_a_flush(zones):
    from registers.landscape.models import AdvertisingFeeCap

    AdvertisingFeeCap.objects.all().delete()
    assert services.fee_rates(0, 2026)[0] == services.rules.FeeRates(D("3.89"), D("0.36"))


def test_inspection_detail_photo_and_audit_scoped(client, make_user, zones, other, settings,
                                                  tmp_path):
    from gis_app.audit.models import AuditEvent

    settings.MEDIA_ROOT = tmp_path
    town = zones[0].municipality
    inspector = make_user("insp", town, (Role.LANDSCAPE_INSPECTOR,))
    client.force_login(inspector)
    client.post("/landscape/check/", {"x": Y + 100, "y": X + 100, "srid": 2180, "type": "fence",
                                      "material": "prefabrykowane płyty betonowe",
                                      "height_m": "2", "action": "save",
                                      "photos": [SimpleUploadedFile("a.png", PNG)]})
    i = Inspection.objects.get()
    assert i.outcome == "fail"
    assert {f["citation"] for f in i.findings if f["verdict"] == "fail"} == {
        "§ 9 ust. 1 uchwała Nr DEMO/146301_1/2024", "§ 9 ust. 2 uchwała Nr DEMO/146301_1/2024"}
    assert AuditEvent.objects.filter(object_type="landscape.inspection",
                                     object_id=str(i.id), action="create").exists()
    page = client.get(f"/landscape/inspections/{i.id}/").content.decode()
    assert "§ 9 ust. 2" in page and "niezgodne" in page
    # the object as labelled rows in Polish, never "type=fence height_m=2" (issue #18)
    assert "<th scope=\"row\">Wysokość [m]</th><td>2,00</td>" in page and "ogrodzenie" in page
    assert "height_m=" not in page and "type=fence" not in page
    stranger = make_user("stranger", other, (Role.PLANNER,))
    client.force_login(stranger)
    assert client.get(f"/landscape/inspections/{i.id}/").status_code == 404
    assert client.get(f"/landscape/photos/{i.photos.get().id}").status_code == 404
    client.logout()
    r = client.get(f"/landscape/photos/{i.photos.get().id}")
    assert r.status_code == 302


def test_demo_finds_zones_coded_strefa_of_any_kind(town):
    area(town, "Strefa A", X, Y, kind=LandscapeArea.Kind.CULTURAL_PARK)
    area(town, "B", X + 400, Y)
    found = demo.load_demo(town)
    assert found["A"].code == "Strefa A" and found["B"].code == "B"


def test_line_of_sight_from_protected_viewpoint(client, make_user, zones, settings, tmp_path):
    """A 20 m wall in the elevation model hides the board from the viewpoint; on the
    viewpoint's side of the wall the board is seen and the check adds a review item."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from importers.raster.importer import import_raster
    from layers.rasters.models import ProtectedViewpoint

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GEOGMINA_VAR_DIR = tmp_path / "var"
    size, px = 400, 2.0  # 800 m square from (X - 100, Y - 100)
    heights = np.full((size, size), 200.0, dtype="float32")
    heights[:, 140:150] = 220.0  # a wall at x = X + 180 … X + 200
    src = tmp_path / "dem.tif"
    with rasterio.open(src, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="float32", crs="EPSG:2180", nodata=-9999,
                       transform=from_origin(X - 100, Y - 100 + size * px, px, px)) as ds:
        ds.write(heights, 1)
    import_raster(src, kind="elevation", municipality=zones[0].municipality.teryt, name="nmt")
    from django.contrib.gis.geos import Point

    ProtectedViewpoint.objects.create(landscape_area=zones[0], name="Punkt widokowy A",
                                      point=Point(X + 300, Y + 300, srid=2180))
    client.force_login(make_user("insp", zones[0].municipality, (Role.LANDSCAPE_INSPECTOR,)))
    params = {"srid": 2180, "type": "board", "area_m2": "1", "height_m": "3", "lit": "no",
              "moving_images": "no", "mounting": "building"}
    seen = client.get("/landscape/api/check", {**params, "x": Y + 250, "y": X + 250}).json()
    assert seen["line_of_sight"] == {"visible": True, "seen_from": ["Punkt widokowy A"],
                                     "viewpoints": 1}
    assert seen["outcome"] == "review"
    assert any(f["rule"] == "line_of_sight" for f in seen["findings"])
    hidden = client.get("/landscape/api/check", {**params, "x": Y + 300, "y": X + 100}).json()
    assert hidden["line_of_sight"]["visible"] is False and hidden["outcome"] == "pass"
    unknown = client.get("/landscape/api/check", {**params, "x": Y + 300, "y": X + 100,
                                                  "height_m": ""}).json()
    assert unknown["line_of_sight"] is None


# --- the resolution's lifecycle: adjustment period, penalty periods --------------------------

def _board(town, zone, placed_from, proceedings=None, compliance=None, area_m2=D("12")):
    from registers.landscape.rules import Mounting
    return AdvertisingDevice.objects.create(
        municipality=town, parcel_cadastral_id="", label="old billboard", area_m2=area_m2,
        height_m=D("5"), mounting=Mounting.FREE_STANDING, geom=zone.geom.point_on_surface,
        placed_from=placed_from, proceedings_started=proceedings, compliance_date=compliance)


def test_board_placed_before_the_resolution_neither_charged_nor_penalised_in_adjustment(zones):
    """Resolution in force 1 March 2026, 12 months to adjust: a non-compliant billboard in zone A
    standing since 2020 pays no fee in 2026 and no penalty on 10 March 2026 (proceedings
    started on 3 March); it is "to adjust by 1 March 2027"."""
    from registers.landscape.models import LandscapeResolution
    town = zones[0].municipality
    LandscapeResolution.objects.all().delete()
    LandscapeResolution.objects.create(municipality=town, number="XX/1/2026",
                                       in_force_on=date(2026, 3, 1), adjustment_months=12)
    board = _board(town, zones[0], date(2020, 1, 1), proceedings=date(2026, 3, 3))
    row = services.device_assessment(board, 2026, today=date(2026, 3, 10))
    assert row["outcome"] == "fail"
    assert row["fee"].days == 0 and row["fee"].due == D("0.00")
    assert row["penalty"] is None
    assert row["adjust_by"] == date(2027, 3, 1)
    # after the period: charged from 2 March 2027, penalised from then on (the council's
    # 2027 rates as 2026's)
    AdvertisingFeeRate.objects.create(municipality=town, year=2027, fixed=D("3.89"),
                                      variable=D("0.36"))
    later = services.device_assessment(board, 2027, today=date(2027, 3, 11))
    assert later["fee"].days == 365 - 60 and later["adjust_by"] is None
    assert later["penalty"].days == 10 and later["penalty"].total == D("3284.00")


def test_penalty_period_priced_at_its_own_years_rates_not_the_pages_year(zones):
    """Proceedings 30 Dec 2025, compliance 2 Jan 2026, 12 m² at the caps: 2 days at 2025's
    312.00 and 2 days at 2026's 328.40 = 1 280.80 zł, whichever year the page shows."""
    town = zones[0].municipality
    board = _board(town, zones[0], date(2025, 6, 1), proceedings=date(2025, 12, 30),
                   compliance=date(2026, 1, 2))
    AdvertisingFeeRate.objects.filter(municipality=town).delete()  # the statutory caps apply
    for year in (2025, 2026):
        p = services.device_assessment(board, year, today=date(2026, 3, 10))["penalty"]
        assert [(ln.year, ln.days, ln.per_day) for ln in p.lines] == [
            (2025, 2, D("312.00")), (2026, 2, D("328.40"))]
        assert p.total == D("1280.80")


def test_adjustment_period_shorter_than_the_statute_is_refused(town):
    from django.core.exceptions import ValidationError

    from registers.landscape.models import LandscapeResolution
    r = LandscapeResolution(municipality=town, number="XX/2/2026", in_force_on=date(2026, 3, 1),
                            adjustment_months=6)
    with pytest.raises(ValidationError) as e:
        r.full_clean()
    assert "adjustment_months" in e.value.message_dict
    assert "12" in e.value.message_dict["adjustment_months"][0]


def test_each_demo_town_cites_its_own_resolution(zones, other):
    from registers.landscape.models import LandscapeResolution
    radom = zones[0].municipality
    assert demo.resolution_name(radom) == "uchwała Nr DEMO/146301_1/2024"
    assert demo.resolution_name(other) == "uchwała Nr DEMO/180501_1/2024"
    assert set(AreaRule.objects.filter(area__municipality=radom).values_list(
        "citation", flat=True)) >= {"§ 5 ust. 1 uchwała Nr DEMO/146301_1/2024"}
    assert LandscapeResolution.objects.get(municipality=radom).in_force_on == date(2024, 7, 1)
    assert not AdvertisingFeeRate.objects.filter(
        municipality=radom, resolution_number__contains="180501").exists()
