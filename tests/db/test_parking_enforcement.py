"""Enforcement on PostGIS: the controller's check (session, unpaid hours, town scoping, audit),
surcharge notices with photos and the resolution's amounts, the notices register (payment,
reduced amount, reminder, ripe for enforcement, cancellation) and who may use each page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gis_app.audit.models import AuditEvent
from registers.parking import demo, enforcement, operators
from registers.parking.models import ParkingSession, SurchargeNotice
from tests.db.test_parking_register import zone

pytestmark = pytest.mark.django_db

def png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # Tuesday, 11:00 in Warsaw: a paid hour


@pytest.fixture
def world(make_municipality, make_user, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    radom = make_municipality("146301_1", "Radom")
    jaslo = make_municipality("180501_1", "Jasło")
    za = zone(radom)
    zb = zone(jaslo, code="B", x=640_000, y=180_000)
    demo.load_demo(radom)
    demo.load_demo(jaslo)
    op, _token = operators.operator_create("moBILET", [radom])
    c = za.geom.centroid.transform(4326, clone=True)
    cb = zb.geom.centroid.transform(4326, clone=True)
    return {
        "radom": radom, "za": za, "zb": zb, "op": op, "lon": c.x, "lat": c.y,
        "lon_b": cb.x, "lat_b": cb.y,
        "controller": make_user("ctl", radom, ("parking_controller",)),
        "controller_b": make_user("ctl_b", jaslo, ("parking_controller",)),
        "admin": make_user("adm", radom, ("administrator",)),
        "admin_b": make_user("adm_b", jaslo, ("administrator",)),
        "planner": make_user("pl", radom, ("planner",)),
    }


def session(w, plate="RZ12345", start=NOW - timedelta(minutes=30), minutes=60):
    t = w["za"].tariffs.first()
    return ParkingSession.objects.create(
        operator=w["op"], external_id=f"x-{plate}-{start.timestamp()}",
        municipality=w["radom"], zone=w["za"], tariff=t, plate=plate, start_time=start,
        end_time=start + timedelta(minutes=minutes), amount=D("3.60"), fee=D("3.60"),
        start_digest="-")


def check(client, w, plate, lon=None, lat=None):
    return client.post("/parking/control/api/check",
                       {"plate": plate, "lon": lon or w["lon"], "lat": lat or w["lat"]})


def test_a_car_with_a_session_covering_now_is_valid(client, world):
    session(world)
    client.force_login(world["controller"])
    r = check(client, world, "rz 12345")
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["valid"] and d["charged_now"] and d["session"]["operator"] == "moBILET"
    assert d["zone"]["code"] == "A"


def test_an_expired_or_other_zone_session_is_not_valid(client, world):
    session(world, start=NOW - timedelta(hours=3))  # ended two hours ago
    client.force_login(world["controller"])
    d = check(client, world, "RZ12345").json()
    assert not d["valid"] and d["session"] is None and d["surcharge"] == "100.00"


def test_outside_paid_hours_every_car_may_stand(client, world, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 3, 19, 0, tzinfo=UTC))
    client.force_login(world["controller"])
    d = check(client, world, "KR1AB").json()
    assert d["valid"] and not d["charged_now"]


def test_each_check_is_audited_with_the_plates_pseudonym_not_the_plate(client, world):
    from registers.parking.retention import plate_ref

    client.force_login(world["controller"])
    check(client, world, "RZ 99")
    e = AuditEvent.objects.filter(object_type="parking.check").get()
    assert e.action == "read_owners" and plate_ref("RZ99") in e.detail
    assert "RZ99" not in e.detail and plate_ref("RZ98") != plate_ref("RZ99")
    assert e.municipality_id == world["radom"].id and e.user == world["controller"]


def test_a_controller_checks_only_in_his_town(client, world):
    client.force_login(world["controller"])
    r = check(client, world, "RZ12345", world["lon_b"], world["lat_b"])
    assert r.status_code == 404 and r.json()["field"] == "position"
    client.force_login(world["controller_b"])
    assert check(client, world, "RZ12345", world["lon_b"], world["lat_b"]).status_code == 200


def test_a_malformed_plate_or_no_position_is_400(client, world):
    client.force_login(world["controller"])
    r = check(client, world, "R$")
    assert r.status_code == 400 and r.json()["field"] == "plate"
    r = client.post("/parking/control/api/check", {"plate": "RZ1"})
    assert r.status_code == 400 and r.json()["field"] == "position"


@pytest.mark.parametrize("user,expected", [("planner", 403), ("admin", 403), (None, 302)])
def test_only_controllers_use_the_check(client, world, user, expected):
    if user:
        client.force_login(world[user])
    assert check(client, world, "RZ1").status_code == (expected if user else 401)
    assert client.get("/parking/control/").status_code == expected


def test_the_phone_page_has_no_inline_script(client, world):
    client.force_login(world["controller"])
    html = client.get("/parking/control/").content.decode()
    assert 'src="/static/parking/control.js"' in html
    assert 'type="application/json"' in html
    bodies = html.split("<script")[1:]
    assert all(b.split(">", 1)[0].strip().startswith(("src=", 'id="ctl-', 'type="application'))
               or "src=" in b.split(">", 1)[0] or "application/json" in b.split(">", 1)[0]
               for b in bodies)


def issue(client, w, plate="RZ12345", photos=()):
    return client.post("/parking/control/api/notices",
                       {"plate": plate, "lon": w["lon"], "lat": w["lat"],
                        "photos": list(photos)})


def test_a_notice_takes_the_resolutions_amounts_photos_and_the_controller(client, world):
    client.force_login(world["controller"])
    r = issue(client, world, photos=[SimpleUploadedFile("a.png", png(), "image/png")])
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["amount"] == "100.00" and d["reduced_amount"] == "50.00"
    assert d["reduced_until"] == "2026-03-10" and d["due_date"] == "2026-03-17"
    assert d["number"].startswith("146301_1/2026/") and d["photos"] == 1
    n = SurchargeNotice.objects.get()
    assert n.controller == world["controller"] and n.plate == "RZ12345"
    assert n.geom.distance(world["za"].geom.centroid) < 1
    assert n.photos.get().content_type == "image/png"
    assert AuditEvent.objects.filter(object_type="parking.surchargenotice",
                                     action="create").count() == 1


def test_no_notice_for_a_car_with_a_valid_session(client, world):
    session(world)
    client.force_login(world["controller"])
    r = issue(client, world)
    assert r.status_code == 409 and not SurchargeNotice.objects.exists()


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_stored(client, world):
    client.force_login(world["controller"])
    fake = SimpleUploadedFile("a.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg")
    r = issue(client, world, photos=[fake])
    assert r.status_code == 400 and r.json()["field"] == "photos"
    assert not SurchargeNotice.objects.exists()


def test_the_surcharge_is_capped_by_art_13f(world):
    t = world["za"].tariffs.first()
    t.surcharge, t.surcharge_reduced = D("900.00"), D("600.00")
    assert enforcement.surcharge_amounts(t, date(2026, 3, 3)) == (D("480.60"), D("480.60"))


def _notice(client, world):
    client.force_login(world["controller"])
    assert issue(client, world).status_code == 201
    return SurchargeNotice.objects.get()


def test_the_register_shows_notices_of_the_town_only_and_audits_the_read(client, world):
    n = _notice(client, world)
    client.force_login(world["admin"])
    r = client.get("/parking/notices/")
    assert r.status_code == 200 and n.number.encode() in r.content
    assert AuditEvent.objects.filter(object_type="parking.surchargenotice",
                                     action="read_owners").exists()
    client.force_login(world["admin_b"])
    assert n.number.encode() not in client.get("/parking/notices/").content
    assert client.post(f"/parking/notices/{n.pk}/cancel",
                       {"reason": "valid ticket shown"}).status_code == 404
    client.force_login(world["planner"])
    assert client.get("/parking/notices/").status_code == 403


def test_paid_within_the_days_the_reduced_amount_settles_it(client, world):
    n = _notice(client, world)
    client.force_login(world["admin"])
    r = client.post(f"/parking/notices/{n.pk}/pay", {"amount": "50", "paid_on": "2026-03-09",
                                                    "version": n.version})
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.status == "paid" and n.paid_amount == D("50")


def test_after_the_reduced_days_the_full_amount_is_due(client, world):
    n = _notice(client, world)
    client.force_login(world["admin"])
    r = client.post(f"/parking/notices/{n.pk}/pay", {"amount": "50", "paid_on": "2026-03-12"})
    assert r.status_code == 400 and "100" in r.content.decode()
    n.refresh_from_db()
    assert n.status == "issued"


def test_reminder_after_the_deadline_then_ripe_for_enforcement(client, world, monkeypatch):
    n = _notice(client, world)
    client.force_login(world["admin"])
    assert client.post(f"/parking/notices/{n.pk}/remind").status_code == 409  # not yet due
    later = date(2026, 3, 20)  # the calendar moves on (the login does not expire)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later)
    body = client.get("/parking/notices/?show=reminder_due").content.decode()
    assert n.number in body and '<td class="state">do wysłania upomnienia' in body
    assert client.post(f"/parking/notices/{n.pk}/remind").status_code == 302
    assert client.post(f"/parking/notices/{n.pk}/remind").status_code == 409  # once
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later + timedelta(days=8))
    body = client.get("/parking/notices/?show=ripe").content.decode()
    assert n.number in body and '<td class="state">do egzekucji' in body
    assert "ripe" not in body.replace("?show=ripe", "")  # the code stays in the link only


def test_cancellation_needs_a_reason_and_a_fresh_version(client, world):
    n = _notice(client, world)
    client.force_login(world["admin"])
    assert client.post(f"/parking/notices/{n.pk}/cancel", {"reason": ""}).status_code == 400
    r = client.post(f"/parking/notices/{n.pk}/cancel",
                    {"reason": "a valid session shown later", "version": n.version + 5})
    assert r.status_code == 409
    r = client.post(f"/parking/notices/{n.pk}/cancel",
                    {"reason": "a valid session shown later", "version": n.version})
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.status == "cancelled" and n.cancel_reason == "a valid session shown later"
    assert client.post(f"/parking/notices/{n.pk}/pay", {"amount": "100"}).status_code == 409


def test_a_permit_for_the_zone_and_day_makes_the_car_valid(client, world):
    from django.core.exceptions import ValidationError

    from registers.parking.models import Permit

    p = Permit(municipality=world["radom"], zone=world["za"], kind="resident",
               plate="wr 777aa", valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 31),
               price=D("22.50"))
    p.full_clean()
    p.save()
    assert p.plate == "WR777AA"
    client.force_login(world["controller"])
    d = check(client, world, "WR777AA").json()
    assert d["valid"] and d["session"] is None and d["permit"]["valid_to"] == "2026-03-31"
    assert issue(client, world, plate="WR777AA").status_code == 409
    Permit.objects.filter(pk=p.pk).update(valid_to=date(2026, 3, 2))  # expired yesterday
    assert not check(client, world, "WR777AA").json()["valid"]
    with pytest.raises(ValidationError):
        Permit(municipality=world["radom"], zone=world["zb"], kind="resident", plate="WR1",
               valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 31), price=0).full_clean()


def test_revenue_per_zone_and_day_in_the_town_with_xlsx(client, world):
    import io

    import openpyxl

    session(world, "RZ1")
    session(world, "RZ2", start=NOW - timedelta(days=1))
    n = _notice(client, world)
    SurchargeNotice.objects.filter(pk=n.pk).update(status="paid", paid_on=date(2026, 3, 3),
                                                   paid_amount=D("50"))
    client.force_login(world["admin"])  # the administrator may see revenue (the planner not)
    q = {"from": "2026-03-01", "to": "2026-03-31"}
    body = client.get("/parking/revenue/", q).content.decode()
    assert "2026-03-03" in body and "53,60" in body and "2026-03-02" in body
    r = client.get("/parking/revenue/", {**q, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[2][1] == "A" and float(rows[2][-1]) == 53.6
    client.force_login(world["admin_b"])
    assert "2026-03-03" not in client.get("/parking/revenue/", q).content.decode()
    assert client.get("/parking/revenue/", {"from": "2026-03-05", "to": "2026-03-01"}
                      ).status_code == 400


def test_the_days_a_reminder_gives_are_the_resolutions_parameter(client, world, monkeypatch):
    n = _notice(client, world)
    n.tariff.surcharge_reminder_days = 3
    n.tariff.save(update_fields=["surcharge_reminder_days"])
    sent = date(2026, 3, 20)
    n.reminder_sent_on = sent
    n.save(update_fields=["reminder_sent_on"])
    n = enforcement.notices_for(world["admin"]).get(pk=n.pk)
    assert enforcement.state(n, sent + timedelta(days=3)) == "reminded"
    assert enforcement.state(n, sent + timedelta(days=4)) == "ripe"


def test_each_town_gets_its_own_resolution_in_the_demo(world):
    radom_t = world["za"].tariffs.get()
    jaslo_t = world["zb"].tariffs.get()
    assert radom_t.resolution_number == "LXXXIV/803/2022"
    assert jaslo_t.resolution_number != radom_t.resolution_number
    assert "Jas" in jaslo_t.resolution_number
    # Jasło: 50 zł within 7 days, 100 zł after, enforcement after 14 days (Straż Miejska)
    assert (jaslo_t.surcharge_reduced, jaslo_t.surcharge, jaslo_t.surcharge_due_days) == (
        D("50.00"), D("100.00"), 14)


def test_a_town_without_its_resolution_gets_no_demo_tariff(make_municipality):
    town = make_municipality("260101_1", "Nowhere")
    zone(town, code="N", x=600_000, y=300_000)
    assert demo.load_demo(town) == []
