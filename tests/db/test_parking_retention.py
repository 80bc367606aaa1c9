"""The daily purge blanks registration numbers past their retention, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.utils import timezone

from gis_app.audit.models import AuditEvent
from registers.parking import demo, operators
from registers.parking.models import ParkingSession, SurchargeNotice
from registers.parking.retention import purge_plates
from tests.db.test_parking_register import zone

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(make_municipality, make_user):
    town = make_municipality("146301_1", "Radom")
    z = zone(town)
    demo.load_demo(town)
    op, _ = operators.operator_create("moBILET", [town])
    return {"town": town, "zone": z, "op": op, "tariff": z.tariffs.get(),
            "controller": make_user("ctl", town, ("parking_controller",))}


def session(w, plate, ended_days_ago):
    end = NOW - timedelta(days=ended_days_ago)
    return ParkingSession.objects.create(
        operator=w["op"], external_id=plate, municipality=w["town"], zone=w["zone"],
        tariff=w["tariff"], plate=plate, start_time=end - timedelta(hours=1), end_time=end,
        amount=D("3.60"), fee=D("3.60"), start_digest="-")


def notice(w, plate, status, closed_days_ago=None):
    return SurchargeNotice.objects.create(
        number=plate, municipality=w["town"], zone=w["zone"], tariff=w["tariff"], plate=plate,
        issued_at=NOW - timedelta(days=800), geom=Point(677_100, 211_100, srid=2180),
        controller=w["controller"], amount=D("100"), due_date=NOW.date(), status=status,
        closed_at=None if closed_days_ago is None else NOW - timedelta(days=closed_days_ago))


def test_plates_past_retention_are_blanked_the_rest_kept(world, settings):
    settings.GEOGMINA_PARKING_SESSION_PLATE_DAYS = 90
    settings.GEOGMINA_PARKING_NOTICE_PLATE_DAYS = 365
    old, fresh = session(world, "OLD1", 91), session(world, "NEW1", 89)
    paid_old = notice(world, "PAID1", "paid", 366)
    paid_new = notice(world, "PAID2", "paid", 300)
    cancelled_old = notice(world, "CANC1", "cancelled", 400)
    still_open = notice(world, "OPEN1", "issued")  # 800 days old, still being collected
    result = purge_plates(NOW)
    assert (result.sessions, result.notices) == (1, 2)
    for obj, plate in ((old, ""), (fresh, "NEW1"), (paid_old, ""), (paid_new, "PAID2"),
                       (cancelled_old, ""), (still_open, "OPEN1")):
        obj.refresh_from_db()
        assert obj.plate == plate, obj
    old.refresh_from_db()
    assert old.amount == D("3.60")  # the session stays for revenue figures
    e = AuditEvent.objects.get(object_type="parking.plates")
    assert "session plates: 1" in e.detail and "notice plates: 2" in e.detail
    assert purge_plates(NOW) == type(result)(0, 0)  # idempotent


def test_the_retention_is_a_setting(world, settings):
    session(world, "OLD1", 20)
    settings.GEOGMINA_PARKING_SESSION_PLATE_DAYS = 30
    assert purge_plates(NOW).sessions == 0
    settings.GEOGMINA_PARKING_SESSION_PLATE_DAYS = 10
    assert purge_plates(NOW).sessions == 1


def test_the_daily_command_purges(world, monkeypatch):
    session(world, "OLD1", 91)
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    out = StringIO()
    call_command("purge_parking_plates", stdout=out)
    assert "purged 1 session plates" in out.getvalue(), out.getvalue()
    assert ParkingSession.objects.get().plate == ""


def test_no_audit_event_keeps_a_plate_past_the_purge(world, client, monkeypatch, make_user):
    """The log is append-only, so no event may hold the plate itself: a check, a notice, a
    permit changed in the admin write its pseudonym; after the purge the plate is gone."""
    from registers.parking.models import Permit
    from registers.parking.retention import plate_ref

    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    c = world["zone"].geom.centroid.transform(4326, clone=True)
    client.force_login(world["controller"])
    r = client.post("/parking/control/api/check", {"plate": "XQ 77701", "lon": c.x,
                                                    "lat": c.y})
    assert r.status_code == 200 and not r.json()["valid"]
    r = client.post("/parking/control/api/notices", {"plate": "XQ77701", "lon": c.x,
                                                      "lat": c.y})
    assert r.status_code == 201, r.content
    permit = Permit.objects.create(municipality=world["town"], zone=world["zone"],
                                   kind="resident", plate="XQ77702", valid_from=NOW.date(),
                                   valid_to=NOW.date(), price=D("22.50"))
    root = make_user("root-p19", world["town"], ("administrator",))
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    r = client.post(f"/admin/parking/permit/{permit.pk}/change/", {
        "municipality": world["town"].pk, "zone": world["zone"].pk, "kind": "resident",
        "plate": "XQ77703", "valid_from": "2026-06-01", "valid_to": "2026-06-30",
        "price": "22.50", "version": permit.version})
    assert r.status_code in (200, 302), r.content[:500]
    events = list(AuditEvent.objects.values("detail", "object_id", "before", "after"))
    assert events
    text = repr(events)
    for plate in ("XQ77701", "XQ77702", "XQ77703"):
        assert plate not in text, plate
    assert plate_ref("XQ77701") in text


def test_permit_and_exempt_vehicle_plates_are_purged_after_their_end(world, settings):
    from registers.parking.models import Exemption, ExemptVehicle, Permit

    settings.GEOGMINA_PARKING_PERMIT_PLATE_DAYS = 365
    day = NOW.date()

    def permit(plate, ended_days_ago, cancelled_days_ago=None):
        end = day - timedelta(days=ended_days_ago)
        return Permit.objects.create(
            municipality=world["town"], zone=world["zone"], kind="resident", plate=plate,
            valid_from=end - timedelta(days=29), valid_to=end, price=D("22.50"),
            cancelled_at=None if cancelled_days_ago is None
            else NOW - timedelta(days=cancelled_days_ago))

    old, fresh = permit("PERM1", 366), permit("PERM2", 300)
    cancelled = permit("PERM3", -100, cancelled_days_ago=400)  # would run on, cancelled long ago
    ex = Exemption.objects.create(municipality=world["town"], kind="other",
                                  evidence="registered", legal_basis="test")
    gone = ExemptVehicle.objects.create(exemption=ex, plate="EXEM1", valid_from=day,
                                        valid_to=day - timedelta(days=400))
    listed = ExemptVehicle.objects.create(exemption=ex, plate="EXEM2", valid_from=day)
    assert purge_plates(NOW).permits == 3
    for obj, plate in ((old, ""), (fresh, "PERM2"), (cancelled, ""), (gone, ""),
                       (listed, "EXEM2")):
        obj.refresh_from_db()
        assert obj.plate == plate, obj
