"""The registers' demo loaders on the real demo town (Jasło, imported from its GML and
GeoPackages): the parking zones get the town's tariff and, as ``manage.py load_demo`` asks, 60
days of simulated sessions, permits, notices and a tariff change; zones A and B their rules, and
the demo boards their verdicts with the paragraphs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from layers.models import LandscapeArea, Municipality, ParkingZone
from registers.landscape import demo as landscape_demo
from registers.landscape import services as landscape_services
from registers.landscape.models import AdvertisingDevice
from registers.parking import demo as parking_demo
from registers.parking import services as parking_services
from registers.parking.models import ParkingSession, Permit, SurchargeNotice, ZoneOccupancy
from registers.parking.retention import purge_plates
from registers.parking.selectors import revenue_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def jaslo(settings, tmp_path):
    settings.GEOGMINA_VAR_DIR = tmp_path
    call_command("load_demo", "--parcels", "200", "--no-hooks", verbosity=0)
    return Municipality.objects.get(teryt="180501_1")


def test_demo_town_hooks(jaslo, client, make_user, settings):
    settings.GEOGMINA_DEMO_PARKING_ACTIVITY = True  # what manage.py load_demo does
    tariffs = parking_demo.load_demo(jaslo, **parking_demo.DEMO_HOOK_OPTIONS)
    assert {t.zone.kind for t in tariffs} == {ParkingZone.Kind.ORDINARY,
                                               ParkingZone.Kind.CITY_CENTRE}
    assert all(parking_services.tariff_violations(t) == [] for t in tariffs)
    centre = ParkingZone.objects.get(municipality=jaslo, kind=ParkingZone.Kind.CITY_CENTRE)
    fee = parking_services.fee_for(centre, datetime(2026, 3, 3, 9), datetime(2026, 3, 3, 11))
    # two hours on a Tuesday morning at the town's own resolution: the 1st and the 2nd hour
    assert fee.fee.total == fee.tariff.first_hour + fee.tariff.second_hour
    assert fee.tariff.resolution_number not in ("", None)
    _parking_activity(jaslo, client, make_user)

    areas = landscape_demo.load_demo(jaslo)
    assert {c: a.code for c, a in areas.items()} == {"A": "A", "B": "B"}
    rows = {d.label: landscape_services.device_assessment(d, 2026, today=date(2026, 3, 10))
            for d in AdvertisingDevice.objects.filter(municipality=jaslo)}
    big_a = rows[landscape_demo.BILLBOARD_A]
    assert big_a["outcome"] == "fail"
    assert ("max_area_m2", "§ 5 ust. 1 uchwała Nr DEMO/180501_1/2024") in {
        (f["rule"], f["citation"]) for f in big_a["findings"] if f["verdict"] == "fail"}
    assert big_a["penalty"].per_day == D("328.40")
    assert rows[landscape_demo.SHOP_BOARD_A]["outcome"] == "pass"
    big_b = rows[landscape_demo.BILLBOARD_B]
    assert big_b["outcome"] == "pass" and big_b["fee"].daily == D("8.21")
    # the boards stand on the town's plots and outside the protected landscape area
    assert all(d.parcel_cadastral_id for d in AdvertisingDevice.objects.filter(
        municipality=jaslo))
    protected = LandscapeArea.objects.get(municipality=jaslo, code="OChK-J")
    assert not AdvertisingDevice.objects.filter(geom__intersects=protected.geom).exists()


def _parking_activity(jaslo, client, make_user):
    """The simulated activity: revenue on many days by both channels, the occupancy layer's
    figures, the tariff change's before/after in the charts' JSON, and fees by the rules."""
    today = timezone.localdate()
    start = today - timedelta(days=parking_demo.ACTIVITY_DAYS)
    rows = revenue_rows({jaslo.pk}, start, today)
    session_days = {r["day"] for r in rows if r["sessions"]}
    assert len(session_days) >= 30  # the paid days of 60 (weekdays less holidays)
    assert sum(r["app"] for r in rows) > 0 and sum(r["meter"] for r in rows) > 0
    assert sum(r["permits"] for r in rows) > 0 and sum(r["surcharges"] for r in rows) > 0
    # every fee is the tariff's, as the operators' API would have checked it
    pks = list(ParkingSession.objects.filter(municipality=jaslo).values_list("pk", flat=True))
    for s in ParkingSession.objects.filter(pk__in=pks[::1500]).select_related("zone"):
        expected = parking_services.fee_for(s.zone, s.start_time, s.end_time)
        assert (s.amount, s.fee, s.tariff_id) == (expected.fee.total, expected.fee.total,
                                                  expected.tariff.pk)
    occupancy = list(ZoneOccupancy.objects.filter(zone__municipality=jaslo))
    assert {o.zone.code for o in occupancy} == {"SPP-1", "ŚSPP-1"}
    assert all(0 < o.occupancy < 100 and o.revenue > 0 for o in occupancy)  # per cent
    notices = SurchargeNotice.objects.filter(municipality=jaslo)
    assert notices.filter(status="paid").exists()
    assert notices.filter(status="issued", due_date__lt=today).exists()
    assert Permit.objects.filter(municipality=jaslo, renewed_from__isnull=False).exists()

    zone = ParkingZone.objects.get(municipality=jaslo, code="SPP-1")
    client.force_login(make_user("zarzad", jaslo, ("parking_manager",)))
    changed = today - timedelta(days=parking_demo.CHANGE_DAYS_AGO)
    data = client.get(reverse("parking:revenue_data"), {  # two weeks each side
        "zone": zone.pk, "from": (changed - timedelta(days=14)).isoformat(),
        "to": (changed + timedelta(days=13)).isoformat()}).json()
    (change,) = data["tariff_changes"]
    assert change["date"] == changed.isoformat()
    before, after = change["before"], change["after"]
    assert before["days"] >= 7 and after["days"] >= 7
    assert float(after["revenue"]) > float(before["revenue"])  # dearer, fewer cars
    assert 0 < float(after["occupancy"]) < float(before["occupancy"])
    # the demo plates are kept by the default retention (90 days) and purged when their time
    # comes: 35 days on, the sessions of the window's first days lose theirs, no other
    sessions = ParkingSession.objects.filter(municipality=jaslo)
    assert purge_plates().sessions == 0
    later = timezone.now() + timedelta(days=35)
    ripe = sessions.filter(end_time__lt=later - timedelta(days=90)).count()
    assert ripe > 0 and purge_plates(later).sessions == ripe
    assert sessions.filter(plate="").count() == ripe
