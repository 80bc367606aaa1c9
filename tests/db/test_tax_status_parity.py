"""One home for a parcel's tax status (issue #15): the card and the tax_status tile read the
same SQL function, and agree for every status and legend class — including the two cases the
old copies disagreed on (a case marked corrected; an object that ceased)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from gis_app.accounts.roles import Role
from registers.payments import services as payments
from registers.taxes.models import ReconciliationCase, TaxObject, Taxpayer
from registers.taxes.selectors import card_section
from tests.mvt import decode_mvt, tile_of

pytestmark = pytest.mark.django_db
X0, Y0 = 677400, 211000


@pytest.fixture
def town(make_municipality):
    town = make_municipality("180501_1", "Jasło")
    payments.bank_settings_save(None, town, "10201026", "1805")
    return town


def _land(town, parcel, taxpayer, **kw):
    return TaxObject.objects.create(municipality=town, taxpayer=taxpayer, kind="land",
                                    category="G3", cadastral_id=parcel.cadastral_id,
                                    area_m2=D("400"), **kw)


def _charge(town, tp, amount, due, paid=D("0")):
    c = payments.post_schedule(town.pk, tp.pk, due.year, "property", f"PN.{tp.pk}",
                               [(1, due, amount)], today=due - timedelta(days=400))[0]
    if paid:
        type(c).objects.filter(pk=c.pk).update(principal_open=amount - paid)


def test_card_and_tile_agree_for_every_status(town, make_parcel, make_user):
    today = timezone.localdate()
    past, future = today - timedelta(days=30), today + timedelta(days=60)
    expected = {}

    def plot(i, klass):
        p = make_parcel(str(i), X0 + (i % 6) * 25, Y0 + (i // 6) * 25)
        expected[p.cadastral_id] = klass
        return p

    tp = {k: Taxpayer.objects.create(municipality=town, name=f"T{k}") for k in range(10)}
    plot(0, "not_assessed")
    _land(town, plot(1, "exempt"), tp[1], exempt=True, exemption_basis="art. 7 ust. 1 pkt 6")
    _land(town, plot(2, "assessed"), tp[2])  # no decision posted
    _land(town, plot(3, "paid"), tp[3])
    _charge(town, tp[3], D("300.00"), past, paid=D("300.00"))
    _land(town, plot(4, "arrears_low"), tp[4])
    _charge(town, tp[4], D("120.00"), past)
    _land(town, plot(5, "arrears_mid"), tp[5])
    _charge(town, tp[5], D("4999.99"), past)
    _land(town, plot(6, "arrears_high"), tp[6])
    _charge(town, tp[6], D("5000.00"), past)
    _land(town, plot(7, "paid"), tp[7])  # only a future instalment: paid to date
    _charge(town, tp[7], D("800.00"), future)
    p8 = plot(8, "differs")
    _land(town, p8, tp[8])
    ReconciliationCase.objects.create(municipality=town, fingerprint="x:8", kind="area_mismatch",
                                      cadastral_id=p8.cadastral_id, estimated_loss=D("10"))
    p9 = plot(9, "assessed")  # a case marked corrected is closed: not "differs"
    _land(town, p9, tp[9])
    ReconciliationCase.objects.create(municipality=town, fingerprint="x:9", kind="area_mismatch",
                                      cadastral_id=p9.cadastral_id, estimated_loss=D("10"),
                                      status="corrected")
    _land(town, plot(10, "not_assessed"), tp[0], ceased_on=today - timedelta(days=40))

    officer = make_user("tax", town, (Role.TAX_OFFICER,))
    card = {}
    for cad in expected:
        parcel = town.parcels.get(cadastral_id=cad)
        section = card_section(officer, parcel)
        card[cad] = section["klass"]
    z, x, y = tile_of(X0 + 60, Y0 + 30, 16)
    with connection.cursor() as cur:
        cur.execute("SELECT taxes_tax_status_tile(%s, %s, %s, %s::bigint[])", [z, x, y, [town.pk]])
        features = decode_mvt(bytes(cur.fetchone()[0]))["tax_status"]
    tile = {f["cadastral_id"]: f["klass"] for f in features}
    assert card == expected
    assert tile == expected
    statuses = {f["cadastral_id"]: f["status"] for f in features}
    assert set(statuses.values()) == {"not_assessed", "exempt", "assessed", "paid",
                                      "in_arrears", "differs"}
    arrears = {f["cadastral_id"]: f["arrears"] for f in features}
    assert arrears[town.parcels.get(number="5").cadastral_id] == pytest.approx(4999.99)


def test_card_links_the_balance_to_the_statement(town, make_parcel, make_user):
    from django.template.loader import render_to_string

    tp = Taxpayer.objects.create(municipality=town, name="Dłużnik")
    parcel = make_parcel("1", X0, Y0)
    _land(town, parcel, tp)
    _charge(town, tp, D("250.00"), date(2025, 3, 17))
    section = card_section(make_user("tax", town, (Role.TAX_OFFICER,)), parcel)
    assert section["status"] == "in_arrears" and section["arrears"] == D("250.00")
    html = render_to_string("taxes/card_section.html", {"section": section})
    assert f"/payments/taxpayer/{tp.pk}/" in html


def test_arrears_by_precinct_choropleth(town, make_parcel):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from layers.models import Precinct

    tp = Taxpayer.objects.create(municipality=town, name="Dłużnik")
    parcel = make_parcel("1", X0, Y0)
    _land(town, parcel, tp)
    _charge(town, tp, D("2500.00"), date(2025, 3, 17))
    box = Polygon.from_bbox((X0 - 50, Y0 - 50, X0 + 200, Y0 + 200))
    box.srid = 2180
    Precinct.objects.filter(pk=parcel.precinct_id).update(geom=MultiPolygon(box, srid=2180))
    z, x, y = tile_of(X0 + 10, Y0 + 10, 14)
    with connection.cursor() as cur:
        cur.execute("SELECT payments_arrears_precinct_tile(%s, %s, %s, %s::bigint[])",
                    [z, x, y, [town.pk]])
        features = decode_mvt(bytes(cur.fetchone()[0]))["tax_arrears_precincts"]
        cur.execute("SELECT payments_arrears_precinct_tile(%s, %s, %s, '{}'::bigint[])",
                    [z, x, y])
        assert bytes(cur.fetchone()[0]) == b""  # the public sees nothing
    assert [(f["band"], f["arrears"], f["debtors"]) for f in features] == [("2", 2500.0, 1)]
