"""Parking register on PostGIS: tariff validation on save, the calculator API and page, roles,
cross-municipality denial, the card section and the demo loader."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.gis.geos import Point

from gis_app.accounts.roles import Role
from layers.models import ParkingZone
from registers.parking import demo, selectors, services
from registers.parking.models import Tariff
from tests.conftest import square

pytestmark = pytest.mark.django_db

X, Y = 677_000, 211_000


@pytest.fixture
def town(make_municipality):
    return make_municipality("146301_1", "Radom")


@pytest.fixture
def other(make_municipality):
    return make_municipality("180501_1", "Jasło")


def zone(municipality, code="A", x=X, y=Y, kind=ParkingZone.Kind.ORDINARY):
    return ParkingZone.objects.create(
        municipality=municipality, code=code, name=f"Strefa {code}", kind=kind,
        geom=square(x, y, 500), source_namespace="test", local_id=f"{municipality.teryt}-{code}")


def test_demo_tariff_is_radom_and_valid(town):
    z = zone(town)
    (t,) = demo.load_demo(town)
    assert (t.first_hour, t.second_hour, t.third_hour, t.later_hours) == (
        D("3.60"), D("4.20"), D("4.80"), D("3.60"))
    assert services.tariff_violations(t) == []
    assert sorted((s.kind, s.period_days, s.price) for s in t.subscriptions.all()) == [
        ("business", 30, D("195.00")), ("business", 180, D("900.00")),
        ("resident", 30, D("22.50")), ("resident", 180, D("75.00"))]
    assert demo.load_demo(town) == [t]  # idempotent
    assert Tariff.objects.filter(zone=z).count() == 1


def test_krosno_tariff_is_refused_with_article_and_numbers(town):
    z = zone(town)
    t = Tariff(zone=z, resolution_number="K/1", resolution_date=date(2025, 6, 1),
               valid_from=date(2025, 7, 22), first_hour=D("3.90"), second_hour=D("4.70"),
               third_hour=D("5.60"), later_hours=D("3.90"))
    with pytest.raises(services.TariffError) as err:
        services.tariff_save(None, t)
    problems = err.value.args[0]
    assert any("art. 13b ust. 5 u.d.p." in p and "4.70" in p and "4.68" in p for p in problems)
    assert not Tariff.objects.exists()


def test_fee_api_by_zone_and_by_point(client, town):
    z = zone(town)
    demo.load_demo(town)
    r = client.get("/parking/api/fee", {"zone": z.id, "start": "2026-03-03T17:30",
                                        "end": "2026-03-04T09:00"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == "5.40" and body["paid_minutes"] == 90
    assert [d["amount"] for d in body["days"]] == ["1.80", "3.60"]
    r = client.get("/parking/api/fee", {"x": Y + 10, "y": X + 10, "srid": 2180,
                                        "start": "2026-03-03T09:00", "end": "2026-03-03T10:00",
                                        "vehicle": "electric"})
    assert r.status_code == 200 and r.json()["total"] == "0.00"
    assert "art. 13 ust. 3" in r.json()["exemption"]
    r = client.get("/parking/api/fee", {"zone": z.id, "start": "2026-03-03T09:00",
                                        "end": "2026-03-03T10:00", "subscription": "resident"})
    assert r.json()["total"] == "0.00"


@pytest.mark.parametrize(("params", "param"), [
    ({}, "zone"),
    ({"zone": "999999", "start": "2026-03-03T09:00", "end": "2026-03-03T10:00"}, "zone"),
    ({"zone": "Z", "start": "x", "end": "y"}, "zone"),
    ({"x": "a", "y": "1", "start": "2026-03-03T09:00", "end": "2026-03-03T10:00"}, "x"),
    ({"x": "1", "y": "1", "srid": "3857", "start": "2026-03-03T09:00",
      "end": "2026-03-03T10:00"}, "srid"),
    ({"x": "1", "y": "1", "srid": "2180", "start": "2026-03-03T09:00",
      "end": "2026-03-03T10:00"}, "x"),
    ({"zone": "ZONE", "start": "tomorrow", "end": "2026-03-03T10:00"}, "start"),
    ({"zone": "ZONE", "start": "2026-03-03T10:00", "end": "2026-03-03T09:00"}, "end"),
    ({"zone": "ZONE", "start": "2026-03-03T09:00", "end": "2026-03-03T10:00",
      "vehicle": "tank"}, "vehicle"),
    ({"zone": "ZONE", "start": "2026-03-03T09:00", "end": "2026-03-03T10:00",
      "subscription": "other"}, "subscription"),
    ({"zone": "ZONE", "start": "2020-03-03T09:00", "end": "2020-03-03T10:00"}, "start"),
])
def test_fee_api_rejects_bad_parameters_by_name(client, town, params, param):
    z = zone(town)
    demo.load_demo(town)
    params = {k: (str(z.id) if v == "ZONE" else v) for k, v in params.items()}
    r = client.get("/parking/api/fee", params)
    assert r.status_code == 400
    assert r.json()["parameter"] == param and r.json()["error"]


def test_calculator_page_is_public_and_polish(client, town):
    z = zone(town)
    demo.load_demo(town)
    r = client.get("/parking/calculator/", {"zone": z.id, "start": "2026-03-03T08:00",
                                            "end": "2026-03-03T11:00"}, HTTP_ACCEPT_LANGUAGE="pl")
    assert r.status_code == 200
    assert "12.60" in r.content.decode()
    assert client.get("/parking/calculator/", {"zone": z.id, "start": "bad",
                                               "end": "x"}).status_code == 400
    assert client.get("/parking/").status_code == 200


TARIFF_POST = {
    "resolution_number": "XI/1/2026", "resolution_date": "2026-01-10",
    "valid_from": "2026-02-01", "valid_to": "", "first_hour": "3.00", "second_hour": "3.60",
    "third_hour": "4.20", "later_hours": "3.00", "step_minutes": "1", "minimum_charge": "0.50",
    "paid_weekdays": "0-4", "paid_from": "08:00", "paid_to": "17:00", "surcharge": "100",
    "surcharge_reduced": "50", "surcharge_reduced_days": "7", "surcharge_due_days": "14",
    "surcharge_reminder_days": "7",
    "subscriptions-TOTAL_FORMS": "1", "subscriptions-INITIAL_FORMS": "0",
    "subscriptions-MIN_NUM_FORMS": "0", "subscriptions-MAX_NUM_FORMS": "1000",
    "subscriptions-0-kind": "resident", "subscriptions-0-period_days": "30",
    "subscriptions-0-price": "20.00",
}


@pytest.mark.parametrize(("role", "status"), [
    (Role.PLANNER, 302), (Role.ADMINISTRATOR, 302), (Role.LANDSCAPE_INSPECTOR, 403),
    (Role.TAX_OFFICER, 403), (Role.PROPERTY_OFFICER, 403)])
def test_tariff_edit_roles(client, make_user, town, role, status):
    z = zone(town)
    client.force_login(make_user("u", town, (role,)))
    r = client.post("/parking/tariffs/new/", {**TARIFF_POST, "zone": z.id})
    assert r.status_code == status
    assert Tariff.objects.filter(zone=z).exists() == (status == 302)
    if status == 302:
        t = Tariff.objects.get(zone=z)
        assert t.paid_weekdays == "0,1,2,3,4" and t.subscriptions.count() == 1


def test_tariff_edit_public_redirects_to_login(client, town):
    zone(town)
    (t,) = demo.load_demo(town)
    for url in ("/parking/tariffs/new/", f"/parking/tariffs/{t.id}/edit/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
        r = client.post(url, {**TARIFF_POST, "zone": t.zone_id})
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert Tariff.objects.count() == 1


@pytest.mark.parametrize("role", [Role.LANDSCAPE_INSPECTOR, Role.TAX_OFFICER])
def test_staff_without_edit_parking_still_uses_public_pages(client, make_user, town, role):
    z = zone(town)
    demo.load_demo(town)
    client.force_login(make_user("u", town, (role,)))
    assert client.get("/parking/").status_code == 200
    assert client.get("/parking/api/fee", {"zone": z.id, "start": "2026-03-03T09:00",
                                           "end": "2026-03-03T10:00"}).status_code == 200
    t = Tariff.objects.get()
    assert client.get(f"/parking/tariffs/{t.id}/edit/").status_code == 403


def test_tariff_form_refuses_unlawful_tariff_and_other_towns_zone(client, make_user, town, other):
    z, foreign = zone(town), zone(other, x=X + 5000)
    client.force_login(make_user("planner", town, (Role.PLANNER,)))
    r = client.post("/parking/tariffs/new/", {**TARIFF_POST, "zone": z.id, "second_hour": "3.61"})
    assert r.status_code == 400 and "art. 13b ust. 5 u.d.p." in r.content.decode()
    r = client.post("/parking/tariffs/new/", {**TARIFF_POST, "zone": foreign.id})
    assert r.status_code == 400 and not Tariff.objects.exists()
    demo.load_demo(other)
    t = Tariff.objects.get(zone=foreign)
    assert client.get(f"/parking/tariffs/{t.id}/edit/").status_code == 404


def test_card_section(make_parcel, town):
    z = zone(town)
    demo.load_demo(town)
    inside = make_parcel("10", X + 50, Y + 50, municipality=town)
    outside = make_parcel("11", X + 5000, Y, municipality=town)
    section = selectors.card_section(None, inside)
    assert [zz["code"] for zz in section["zones"]] == [z.code]
    assert section["zones"][0]["tariff"]["rates"][0] == D("3.60")
    assert selectors.card_section(None, outside) is None
    from django.template.loader import render_to_string
    html = render_to_string("parking/card_section.html", {"section": section})
    assert "LXXXIV/803/2022" in html


def test_calculator_page_by_point_on_the_map(client, town):
    zone(town)
    demo.load_demo(town)
    from django.contrib.gis.geos import Point

    p = Point(X + 100, Y + 100, srid=2180).transform(4326, clone=True)
    r = client.get("/parking/calculator/", {"zone": "", "x": p.y, "y": p.x, "srid": 4326,
                                            "start": "2026-03-06T17:00",
                                            "end": "2026-03-09T08:15"})
    assert r.status_code == 200 and 'id="fee-total">4.50<' in r.content.decode()
    assert "zones-data" in r.content.decode()


def test_minimum_wage_comes_back_after_a_flush(town):
    from registers.parking.models import MinimumWage

    MinimumWage.objects.all().delete()
    z = zone(town)
    assert demo.load_demo(town)[0].zone == z
    assert MinimumWage.objects.get(year=2026).amount == D("4806")


def test_zones_api_and_audit(client, make_user, town):
    from gis_app.audit.models import AuditEvent

    z = zone(town, kind=ParkingZone.Kind.CITY_CENTRE)
    (t,) = demo.load_demo(town)
    assert AuditEvent.objects.filter(object_type="parking.tariff", object_id=str(t.id),
                                     action="create").exists()
    r = client.get("/parking/api/zones", {"x": Y + 1, "y": X + 1, "srid": 2180})
    body = r.json()
    assert r.status_code == 200 and [zz["code"] for zz in body["zones"]] == [z.code]
    assert body["zones"][0]["kind"] == "city_centre"
    assert body["zones"][0]["tariff"]["rates"] == ["3.60", "4.20", "4.80", "3.60"]
    assert client.get("/parking/api/zones", {"x": Y, "y": X - 100, "srid": 2180}).json() == {
        "zones": []}
    assert client.get("/parking/api/zones", {"x": "a", "y": "1"}).json()["parameter"] == "x"
    assert client.get("/parking/api/zones", {"x": 1, "y": 1, "srid": 1}).status_code == 400
    # one axis convention (issue #17): X the northing, or e/n named explicitly; the same zone
    explicit = client.get("/parking/api/zones", {"e": X + 1, "n": Y + 1, "srid": 2180}).json()
    assert explicit == body
    p = Point(X + 1, Y + 1, srid=2180).transform(4326, clone=True)  # default srid: WGS 84
    assert client.get("/parking/api/zones", {"x": p.y, "y": p.x}).json() == body
    assert client.get("/parking/api/zones", {"e": p.x, "n": p.y}).json() == body
    # swapped by mistake: latitude 18°, longitude 51° is not in Poland, an empty answer
    assert client.get("/parking/api/zones", {"x": p.x, "y": p.y}).json() == {"zones": []}
    for bad, field in (({"x": Y, "y": X, "n": Y}, "x"), ({"e": X}, "n"), ({}, "x"),
                       ({"x": 95, "y": 20}, "x")):
        r = client.get("/parking/api/zones", {"srid": 2180 if "e" in bad else 4326, **bad})
        assert r.status_code == 400 and r.json()["parameter"] == field, (bad, r.json())


def test_duplicate_subscription_is_refused(town):
    z = zone(town)
    t = Tariff(zone=z, **demo.RADOM)
    subs = [*demo.SUBSCRIPTIONS, demo.SUBSCRIPTIONS[0]]
    with pytest.raises(services.TariffError, match=r"twice|dwukrotnie"):
        services.tariff_save(None, t, subs)
    assert not Tariff.objects.exists()
