"""Exemptions as data honoured by the controller's check, and the zone manager's permits page
(create at the resolution's fee, renew, cancel, stale versions, who may use it)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from gis_app.audit.models import AuditEvent
from registers.parking.models import Exemption, ExemptVehicle, Permit
from tests.db.test_parking_enforcement import NOW, check, issue, world  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 3)


@pytest.fixture
def manager(world, make_user):  # noqa: F811
    return make_user("mgr", world["radom"], ("parking_manager",))


def test_a_listed_vehicle_of_a_registered_exemption_is_valid(client, world):  # noqa: F811
    ex = Exemption.objects.create(municipality=world["radom"], kind="other",
                                  evidence="registered", legal_basis="MZDiK: road authority")
    ExemptVehicle.objects.create(exemption=ex, plate="WR1234", valid_from=TODAY)
    ExemptVehicle.objects.create(exemption=ex, plate="WR9999", valid_from=TODAY,
                                 valid_to=TODAY - timedelta(days=1))  # not listed any more
    client.force_login(world["controller"])
    d = check(client, world, "WR 1234").json()
    assert d["valid"] and d["exemption"]["id"] == ex.pk and d["session"] is None
    assert not check(client, world, "WR9999").json()["valid"]


def test_on_site_exemptions_are_offered_and_honoured_when_claimed(client, world):  # noqa: F811
    client.force_login(world["controller"])
    d = check(client, world, "KR4455").json()
    assert not d["valid"]
    kinds = {e["kind"]: e["id"] for e in d["exemptions_on_site"]}
    # the road act's (every town) and Radom's parking-card zero rate; not Jasło's
    assert any("art. 13" in e["legal_basis"] for e in d["exemptions_on_site"])
    card = Exemption.objects.get(municipality=world["radom"], kind="parking_card")
    assert card.pk in kinds.values()
    r = client.post("/parking/control/api/check", {"plate": "KR4455", "lon": world["lon"],
                                                    "lat": world["lat"], "exemption": card.pk})
    assert r.status_code == 200 and r.json()["valid"]
    assert r.json()["exemption"]["kind"] == card.get_kind_display()
    e = AuditEvent.objects.filter(object_type="parking.check").order_by("-pk").first()
    assert f"exemption {card.pk}" in e.detail
    jaslo_card = Exemption.objects.get(municipality__name="Jasło", kind="parking_card")
    r = client.post("/parking/control/api/check", {"plate": "KR4455", "lon": world["lon"],
                                                    "lat": world["lat"],
                                                    "exemption": jaslo_card.pk})
    assert r.status_code == 400 and r.json()["field"] == "exemption"


def test_a_cancelled_permit_does_not_cover_the_car(client, world, manager):  # noqa: F811
    client.force_login(manager)
    r = client.post("/parking/permits/", {"zone": world["za"].pk, "kind": "resident",
                                          "plate": "rz 777", "valid_from": "2026-03-01",
                                          "period_days": 30})
    assert r.status_code == 302, r.content.decode()[:800]
    p = Permit.objects.get()
    assert (p.plate, p.price, p.valid_to) == ("RZ777", D("22.50"), date(2026, 3, 30))
    client.force_login(world["controller"])
    assert check(client, world, "RZ777").json()["permit"] is not None
    client.force_login(manager)
    assert client.post(f"/parking/permits/{p.pk}/cancel", {"reason": "",
                                                           "version": p.version}
                       ).status_code == 400
    r = client.post(f"/parking/permits/{p.pk}/cancel", {"reason": "car sold, refunded",
                                                        "version": p.version})
    assert r.status_code == 302
    client.force_login(world["controller"])
    d = check(client, world, "RZ777").json()
    assert not d["valid"] and d["permit"] is None
    assert issue(client, world, plate="RZ777").status_code == 201


def test_the_fee_comes_from_the_resolution_and_a_period_not_offered_is_refused(
        client, world, manager):  # noqa: F811
    client.force_login(manager)
    base = {"zone": world["za"].pk, "valid_from": "2026-03-01"}
    r = client.post("/parking/permits/", base | {"kind": "business", "plate": "RZ1",
                                                 "period_days": 180})
    assert r.status_code == 302 and Permit.objects.get().price == D("900.00")
    r = client.post("/parking/permits/", base | {"kind": "resident", "plate": "RZ2",
                                                 "period_days": 45})
    assert r.status_code == 400 and "45" in r.content.decode() and "22.50" in r.content.decode()
    r = client.post("/parking/permits/", base | {"kind": "resident", "plate": "R$",
                                                 "period_days": 30})
    assert r.status_code == 400 and "R$" in r.content.decode()
    assert Permit.objects.count() == 1
    # the plate reaches the log only as its pseudonym
    assert "RZ1" not in repr(list(AuditEvent.objects.filter(
        object_type="parking.permit").values("detail", "before", "after")))


def test_renewal_follows_on_and_a_stale_version_is_409(client, world, manager):  # noqa: F811
    client.force_login(manager)
    client.post("/parking/permits/", {"zone": world["za"].pk, "kind": "resident",
                                      "plate": "RZ5", "valid_from": "2026-03-01",
                                      "period_days": 30})
    p = Permit.objects.get()
    assert client.post(f"/parking/permits/{p.pk}/renew",
                       {"version": p.version + 3}).status_code == 409
    assert client.post(f"/parking/permits/{p.pk}/renew",
                       {"version": p.version}).status_code == 302
    new = Permit.objects.exclude(pk=p.pk).get()
    assert (new.valid_from, new.valid_to, new.price, new.renewed_from_id) == (
        date(2026, 3, 31), date(2026, 4, 29), D("22.50"), p.pk)
    p.refresh_from_db()
    assert client.post(f"/parking/permits/{p.pk}/renew",
                       {"version": p.version}).status_code == 400  # renewed once
    body = client.get("/parking/permits/").content.decode()
    assert "RZ5" in body and "2026-04-29" in body


@pytest.mark.parametrize("who,expected", [("controller", 403), ("planner", 403),
                                          ("admin_b", 200), (None, 302)])
def test_who_may_use_the_permits_page(client, world, manager, who, expected):  # noqa: F811
    Permit.objects.create(municipality=world["radom"], zone=world["za"], kind="resident",
                          plate="RZ42", valid_from=TODAY, valid_to=TODAY, price=D("1"))
    if who:
        client.force_login(world[who])
    r = client.get("/parking/permits/")
    assert r.status_code == expected
    if who == "admin_b":  # another town's administrator: neither sees nor renews it
        assert "RZ42" not in r.content.decode()
        p = Permit.objects.get()
        assert client.post(f"/parking/permits/{p.pk}/renew",
                           {"version": p.version}).status_code == 400
    client.force_login(manager)
    assert "RZ42" in client.get("/parking/permits/").content.decode()


def test_revenue_by_channel_with_permits_and_average_stay(client, world, manager):  # noqa: F811
    from registers.parking import operators
    from registers.parking.models import ParkingSession

    meter, _token = operators.operator_create("Parkomaty", [world["radom"]], channel="meter")
    t = world["za"].tariffs.get()
    for op, sid, minutes, amount in ((world["op"], "a1", 60, "3.60"), (meter, "m1", 120, "7.80")):
        ParkingSession.objects.create(
            operator=op, external_id=sid, municipality=world["radom"], zone=world["za"],
            tariff=t, plate="RZ1", start_time=NOW, end_time=NOW + timedelta(minutes=minutes),
            amount=D(amount), fee=D(amount), start_digest="-")
    Permit.objects.create(municipality=world["radom"], zone=world["za"], kind="resident",
                          plate="RZ2", valid_from=TODAY, valid_to=TODAY, price=D("22.50"))
    from registers.parking.selectors import revenue_rows

    (row,) = revenue_rows({world["radom"].pk}, TODAY, TODAY)
    assert (row["sessions"], row["avg_minutes"], row["app"], row["meter"], row["permits"],
            row["total"]) == (2, 90, D("3.60"), D("7.80"), D("22.50"), D("33.90"))
    client.force_login(manager)
    body = client.get("/parking/revenue/", {"from": "2026-03-03", "to": "2026-03-03"}
                      ).content.decode()
    assert "22,50" in body and "33,90" in body
