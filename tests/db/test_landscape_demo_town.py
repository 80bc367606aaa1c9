"""The registers' demo loaders on the real demo town (Jasło, imported from its GML and
GeoPackages): the parking zones get Radom's tariff, zones A and B their rules, and the demo
boards their verdicts with the paragraphs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from layers.models import LandscapeArea, Municipality, ParkingZone
from registers.landscape import demo as landscape_demo
from registers.landscape import services as landscape_services
from registers.landscape.models import AdvertisingDevice
from registers.parking import demo as parking_demo
from registers.parking import services as parking_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def jaslo(settings, tmp_path):
    settings.GEOGMINA_VAR_DIR = tmp_path
    call_command("load_demo", "--parcels", "200", "--no-hooks", verbosity=0)
    return Municipality.objects.get(teryt="180501_1")


def test_demo_town_hooks(jaslo):
    tariffs = parking_demo.load_demo(jaslo)
    assert {t.zone.kind for t in tariffs} == {ParkingZone.Kind.ORDINARY,
                                               ParkingZone.Kind.CITY_CENTRE}
    assert all(parking_services.tariff_violations(t) == [] for t in tariffs)
    centre = ParkingZone.objects.get(municipality=jaslo, kind=ParkingZone.Kind.CITY_CENTRE)
    fee = parking_services.fee_for(centre, datetime(2026, 3, 3, 9), datetime(2026, 3, 3, 11))
    # two hours on a Tuesday morning at the town's own resolution: the 1st and the 2nd hour
    assert fee.fee.total == fee.tariff.first_hour + fee.tariff.second_hour
    assert fee.tariff.resolution_number not in ("", None)

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
