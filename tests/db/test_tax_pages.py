"""Tax pages, tile layer and card section: who may see and change what, audit of every read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from layers.tiles.registry import tile_layer
from registers.taxes import services
from registers.taxes.demo import load_demo
from registers.taxes.models import ReconciliationCase, TaxObject, Taxpayer
from registers.taxes.selectors import card_section
from tests.db.test_tax_fixtures import build_town

pytestmark = pytest.mark.django_db

DENIED_ROLES = [Role.PLANNER, Role.PROPERTY_OFFICER, Role.LANDSCAPE_INSPECTOR,
                Role.ADMINISTRATOR]


@pytest.fixture
def setup(make_municipality):
    jaslo = make_municipality("180501_1", "Jasło")
    krosno = make_municipality("186101_1", "Krosno")
    build_town(jaslo, 30)
    build_town(krosno, 10, x0=700_000)
    load_demo(jaslo)
    load_demo(krosno)
    services.reconcile(jaslo.pk, on_date=date(2026, 6, 1))
    services.reconcile(krosno.pk, on_date=date(2026, 6, 1))
    return jaslo, krosno


def _client(make_user, town, roles, name="u"):
    # messages are asserted in English (the UI default is Polish)
    c = Client(headers={"accept-language": "en"})
    c.force_login(make_user(name, town, roles))
    return c


def _pages(town):
    tp = Taxpayer.objects.filter(municipality=town, tax_objects__isnull=False).first()
    case = ReconciliationCase.objects.filter(municipality=town).first()
    return {
        "get": [f"/taxes/{town.pk}/resolutions/", f"/taxes/{town.pk}/taxpayers/",
                f"/taxes/{town.pk}/roll/?year=2026", f"/taxes/{town.pk}/roll/?year=2026&format=csv",
                f"/taxes/{town.pk}/reconciliation/", f"/taxes/taxpayer/{tp.pk}/?year=2026",
                f"/taxes/{town.pk}/resolutions/new/", f"/taxes/{town.pk}/taxpayers/new/",
                f"/taxes/{town.pk}/objects/new/", f"/taxes/{town.pk}/import/"],
        "post": [f"/taxes/{town.pk}/reconciliation/run/", f"/taxes/case/{case.pk}/status/"],
    }


def test_tax_officer_reads_every_page_and_reads_are_audited(setup, make_user):
    jaslo, _ = setup
    c = _client(make_user, jaslo, (Role.TAX_OFFICER,))
    pages = _pages(jaslo)
    before = AuditEvent.objects.filter(action="read_tax").count()
    for url in [*pages["get"], "/taxes/"]:
        assert c.get(url).status_code == 200, url
    found = c.get(f"/taxes/{jaslo.pk}/taxpayers/?q=Właściciel 1").content.decode()
    assert "Właściciel 1" in found and "Gmina Jasło" not in found
    roll = c.get(f"/taxes/{jaslo.pk}/roll/?year=2026").content.decode()
    assert "G3" in roll and "Jasło" in roll
    assert AuditEvent.objects.filter(action="read_tax").count() >= before + 5
    assert AuditEvent.objects.filter(action="export", object_type="taxes.roll").exists()


@pytest.mark.parametrize("role", DENIED_ROLES)
def test_other_roles_are_denied(setup, make_user, role):
    jaslo, _ = setup
    c = _client(make_user, jaslo, (role,))
    pages = _pages(jaslo)
    for url in pages["get"] + ["/taxes/"]:
        assert c.get(url).status_code == 403, url
    for url in pages["post"]:
        assert c.post(url, {"status": "explained"}).status_code == 403, url


def test_public_is_sent_to_login(setup):
    jaslo, _ = setup
    pages = _pages(jaslo)
    for url in pages["get"]:
        resp = Client().get(url)
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"], url
    for url in pages["post"]:
        assert Client().post(url).status_code == 302


def test_other_municipality_is_denied(setup, make_user):
    jaslo, krosno = setup
    c = _client(make_user, jaslo, (Role.TAX_OFFICER,))
    for url in _pages(krosno)["get"]:
        resp = c.get(url)
        assert resp.status_code == 403, url
        assert b"186101_1" not in resp.content
    case = ReconciliationCase.objects.filter(municipality=krosno).first()
    assert c.post(f"/taxes/case/{case.pk}/status/", {"status": "explained"}).status_code == 403
    case.refresh_from_db()
    assert case.status == "new"


def test_status_change_records_who_and_when(setup, make_user):
    jaslo, _ = setup
    c = _client(make_user, jaslo, (Role.TAX_OFFICER,), "ewa")
    case = ReconciliationCase.objects.filter(municipality=jaslo).first()
    resp = c.post(f"/taxes/case/{case.pk}/status/", {"status": "in_review", "note": "wezwanie",
                                                     "version": case.version})
    assert resp.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_review" and case.status_changed_by.username == "ewa"
    assert case.version == 2  # the next officer's form must carry it
    assert AuditEvent.objects.filter(action="update", object_id=str(case.pk)).exists()
    bad = c.post(f"/taxes/case/{case.pk}/status/", {"status": "lost"})
    assert bad.status_code == 400 and b"status" in bad.content


def test_resolution_form_refuses_a_rate_above_the_cap(setup, make_user):
    jaslo, _ = setup
    c = _client(make_user, jaslo, (Role.TAX_OFFICER,))
    resp = c.post(f"/taxes/{jaslo.pk}/resolutions/new/", {
        "year": 2026, "number": "X/1/2025", "adopted_on": "2025-11-20", "rate_B1": "1.30"})
    assert resp.status_code == 400
    text = resp.content.decode()
    message = "the rate 1.30 zł/m² is above the maximum for 2026, 1.25 zł/m²"
    assert text.count(message) == 1  # once, on the rate's field (issue #18: twice)


def test_tax_object_form_and_import_page(setup, make_user):
    jaslo, _ = setup
    c = _client(make_user, jaslo, (Role.TAX_OFFICER,))
    tp = Taxpayer.objects.filter(municipality=jaslo).first()
    bad = c.post(f"/taxes/{jaslo.pk}/objects/new/", {
        "taxpayer": tp.pk, "kind": "land", "category": "B1", "cadastral_id": "x"})
    assert bad.status_code == 400 and "applies to building" in bad.content.decode()
    ok = c.post(f"/taxes/{jaslo.pk}/objects/new/", {
        "taxpayer": tp.pk, "kind": "land", "category": "G3",
        "cadastral_id": "180501_1.0001.1", "area_m2": "12.5"})
    assert ok.status_code == 302
    assert TaxObject.objects.filter(area_m2=D("12.5"), parcel_row__isnull=False).exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("d.csv", b"taxpayer_ref,taxpayer_name,object_kind,category\n"
                                         b"T,X,land,G3\n")
    resp = c.post(f"/taxes/{jaslo.pk}/import/", {"file": upload})
    assert resp.status_code == 400 and "area_m2: required for land" in resp.content.decode()


def test_card_section_only_for_tax_officers_of_the_town(setup, make_user):
    jaslo, krosno = setup
    parcel = jaslo.parcels.get(cadastral_id="180501_1.0001.3")  # i=2: Ba land + building
    officer = make_user("tax", jaslo, (Role.TAX_OFFICER,))
    section = card_section(officer, parcel, year=2026)
    assert section is not None and section["lines"]
    assert section["total"] == sum(line["amount"] for line in section["lines"])
    assert AuditEvent.objects.filter(action="read_tax", object_id=parcel.cadastral_id).exists()
    from django.template.loader import render_to_string

    html = render_to_string("taxes/card_section.html", {"section": section})
    amount = str(section["lines"][0]["amount"])
    assert amount in html or amount.replace(".", ",") in html  # localised decimal comma
    assert card_section(make_user("pl", jaslo, (Role.PLANNER,)), parcel) is None
    assert card_section(make_user("kr", krosno, (Role.TAX_OFFICER,)), parcel) is None
    from django.contrib.auth.models import AnonymousUser

    assert card_section(AnonymousUser(), parcel) is None


def _tile(allowed):
    # z16 tile over the fixture town (PL-1992 677 400 / 211 000 ≈ 21.48 E, 49.74 N)
    with connection.cursor() as cur:
        cur.execute("SELECT ST_Transform(ST_SetSRID(ST_Point(677550, 211050), 2180), 4326)")
        cur.execute("""
            WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_Point(677550, 211050), 2180), 3857) g)
            SELECT floor((ST_X(g) + 20037508.34) / (40075016.68 / 2^14))::int,
                   floor((20037508.34 - ST_Y(g)) / (40075016.68 / 2^14))::int FROM p""")
        x, y = cur.fetchone()
        cur.execute("SELECT taxes_tax_status_tile(14, %s, %s, %s::bigint[])", [x, y, allowed])
        return bytes(cur.fetchone()[0] or b"")


def test_tax_status_tile_layer(setup):
    jaslo, krosno = setup
    layer = tile_layer("tax_status")
    assert layer is not None and not layer.public and layer.function == "taxes_tax_status_tile"
    tile = _tile([jaslo.pk])
    assert len(tile) > 0
    for status in (b"differs", b"assessed", b"exempt"):
        assert status in tile
    assert b"180501_1.0001.1" in tile
    assert _tile([]) == b""  # the public and other towns get nothing
    assert _tile([krosno.pk]) == b""


def test_card_shows_which_tax_each_contour_pays(setup, make_user):
    jaslo, _ = setup
    officer = make_user("tax", jaslo, (Role.TAX_OFFICER,))
    mixed = card_section(officer, jaslo.parcels.get(cadastral_id="180501_1.0001.1"), year=2026)
    by_ofu = {c["ofu"]: c for c in mixed["contours"]}
    assert by_ofu["B"]["tax"] == "property" and by_ofu["B"]["category"] == "G3"
    # 200 m² of forest: 0.02 ha × 0.220 m³ × 281.37 zł (2026) = 1.24 zł
    assert by_ofu["Ls"]["tax"] == "forest" and by_ofu["Ls"]["amount"] == D("1.24")
    farm = card_section(officer, jaslo.parcels.get(cadastral_id="180501_1.0001.5"), year=2026)
    # 900 m² of arable land IVa, non-farm: 0.09 ha × 5 q × 66.42 zł (2026) = 29.89 zł
    assert farm["contours"][0]["tax"] == "agricultural"
    assert farm["contours"][0]["amount"] == D("29.89")
    # farmland is in no property-tax land object; only the building on it is
    assert farm["lines"] and all(line["building_id"] for line in farm["lines"])


def test_card_section_takes_a_fixed_number_of_queries(setup, make_user):
    from django.test.utils import CaptureQueriesContext

    jaslo, _ = setup
    officer = make_user("tax", jaslo, (Role.TAX_OFFICER,))
    parcel = jaslo.parcels.get(cadastral_id="180501_1.0001.3")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            card_section(officer, parcel, year=2026)
        return len(ctx.captured_queries)

    card_section(officer, parcel, year=2026)  # the user's grants are cached after this
    few = count()
    tp = Taxpayer.objects.filter(municipality=jaslo).first()
    TaxObject.objects.bulk_create([
        TaxObject(municipality=jaslo, taxpayer=tp, kind="building", category="B2",
                  cadastral_id=parcel.cadastral_id, building_id=f"extra-{i}",
                  usable_full_m2=D(10 + i)) for i in range(25)])
    assert count() == few


def test_roll_export_over_http(setup, make_user):
    jaslo, _ = setup
    c = _client(make_user, jaslo, (Role.TAX_OFFICER,))
    xlsx = c.get(f"/taxes/{jaslo.pk}/roll/?year=2026&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx["Content-Disposition"]
    csv = c.get(f"/taxes/{jaslo.pk}/roll/?year=2026&format=csv").content.decode("utf-8-sig")
    roll = services.roll(jaslo.pk, 2026)
    assert f";{roll.subtotal};".replace(".", ",") in csv and f";{roll.assessed_total};" in csv
    bad = c.get(f"/taxes/{jaslo.pk}/roll/?year=2026&format=pdf")
    assert bad.status_code == 400 and b"pdf" in bad.content


def test_resolution_form_with_differentiated_rates(setup, make_user):
    jaslo, _ = setup
    c = _client(make_user, jaslo, (Role.TAX_OFFICER,))
    bad = c.post(f"/taxes/{jaslo.pk}/resolutions/new/", {
        "year": 2027 - 1, "number": "X/2/2025", "adopted_on": "2025-11-20", "rate_B1": "1.10",
        "variants": "B1;GAR;garaże\nB9;X;y;1\nB1;GAR2;garaże;1,26"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "line 2" in text and "B9" in text
    ok = c.post(f"/taxes/{jaslo.pk}/resolutions/new/", {
        "year": 2026, "number": "X/2/2025", "adopted_on": "2025-11-20", "rate_B1": "1.10",
        "rate_G3": "0.70", "variants": "B1;GAR;garaże w budynkach mieszkalnych;0,90"})
    assert ok.status_code == 302
    rates = services.rates_for(jaslo.pk, 2026)
    assert rates[("B1", "GAR")] == D("0.90") and rates[("B1", "")] == D("1.10")
    above = c.post(f"/taxes/{jaslo.pk}/resolutions/new/", {
        "year": 2026, "number": "X/3/2025", "adopted_on": "2025-11-20", "rate_B1": "1.10",
        "variants": "B1;GAR;garaże;1.26"})
    assert above.status_code == 400 and "B1/GAR: the rate 1.26 zł/m²" in above.content.decode()


def test_tax_status_tiles_over_http(setup, make_user):
    jaslo, krosno = setup
    officer = _client(make_user, jaslo, (Role.TAX_OFFICER,), "t1")
    with connection.cursor() as cur:
        cur.execute("""
            WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_Point(677550, 211050), 2180), 3857) g)
            SELECT floor((ST_X(g) + 20037508.34) / (40075016.68 / 2^14))::int,
                   floor((20037508.34 - ST_Y(g)) / (40075016.68 / 2^14))::int FROM p""")
        x, y = cur.fetchone()
    url = f"/tiles/tax_status/14/{x}/{y}.pbf"
    resp = officer.get(url)
    assert resp.status_code == 200 and b"assessed" in resp.content
    etag = resp.get("ETag")
    assert etag  # the register's tables are tracked: tiles can be cached
    assert "no-store" in resp["Cache-Control"]  # tax data: no cache keeps a copy
    assert officer.get(url, headers={"if-none-match": etag}).status_code == 304
    case = ReconciliationCase.objects.filter(municipality=jaslo).first()
    services.case_set_status(None, case, "explained", expected_version=case.version)
    assert officer.get(url, headers={"if-none-match": etag}).status_code == 200  # changed
    planner = _client(make_user, jaslo, (Role.PLANNER,), "p1")
    assert planner.get(url).status_code == 403
    assert Client().get(url).status_code == 401
    other = _client(make_user, krosno, (Role.TAX_OFFICER,), "k1")
    resp = other.get(url)
    assert resp.status_code == 200 and b"180501_1" not in resp.content
