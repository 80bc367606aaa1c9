"""A small two-town fixture for the map's tests (tiles, search, card), and an MVT reader.

Jasło (A) holds a detailed plot 1 (address with diacritics, KW number, owner, buildings, land
uses, in a paid-parking zone and a landscape area) and a plain plot 2; Krosno (B) holds plot 1
of its own. Users: a planner and a property officer of A, a planner of B.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from gis_app.accounts.roles import Role
from layers.domain.text import normalize_text
from tests.conftest import square

X0, Y0 = 677_000.0, 211_000.0  # PL-1992 metres, Jasło
KW = "KS1J/00012345/6"


@dataclass
class Town:
    a: Any
    b: Any
    plot: Any  # the detailed plot of A
    plain: Any  # another plot of A
    other: Any  # a plot of B
    planner: Any
    officer: Any
    planner_b: Any
    building: Any


@pytest.fixture
def town(make_municipality, make_parcel, make_user, settings) -> Town:
    from layers.models import (
        Address,
        Building,
        LandscapeArea,
        LandUse,
        ParcelLandUse,
        ParkingZone,
        RegistrationUnit,
        Share,
        Subject,
    )

    a = make_municipality("180501_1", "Jasło")
    b = make_municipality("186101_1", "Krosno")
    unit = RegistrationUnit.objects.create(municipality=a, unit_id="180501_1.0001.G12",
                                           kind="G", group=1, source_namespace="test",
                                           local_id="ru-12")
    plot = make_parcel("101/7", X0, Y0, size=40, municipality=a, kw_numbers=[KW],
                       legal_area_m2=Decimal("1612.00"), registration_unit=unit)
    plain = make_parcel("102", X0 + 60, Y0, size=30, municipality=a)
    other = make_parcel("5", X0 + 200, Y0, size=30, municipality=b,
                        local_id="b-5")
    addr = Address.objects.create(
        municipality=a, locality="Jasło", street="Żółkiewskiego", house_number="5",
        search_text=normalize_text("Żółkiewskiego 5 Jasło"), source_namespace="test",
        local_id="addr-1")
    plot.addresses.add(addr)
    owner = Subject.objects.create(municipality=a, kind="person", name="Kowalski Jan",
                                   search_text=normalize_text("Kowalski Jan"),
                                   source_namespace="test", local_id="subj-1")
    Share.objects.create(municipality=a, kind="ownership", numerator=1, denominator=1,
                         subject=owner, registration_unit=unit, source_namespace="test",
                         local_id="share-1")
    building = None
    for i in range(3):
        building = Building.objects.create(
            municipality=a, building_id=f"180501_1.0001.101/7_BUD.{i}", kind="m",
            storeys_above=2, built_up_area_m2=Decimal("80.00"), source_namespace="test",
            local_id=f"bud-{i}", geom=square(X0 + 5 + i * 10, Y0 + 5, 8))
        building.parcels.add(plot)
    for ofu, ozk in (("B", ""), ("R", "IIIa"), ("Ps", "IV")):
        ParcelLandUse.objects.create(parcel=plot, ofu=ofu, ozk=ozk, area_m2=Decimal("500.00"))
    LandUse.objects.create(municipality=a, kind="use", contour_id="c1", ofu="B",
                           geom=square(X0, Y0, 40), source_namespace="test", local_id="lu-1")
    ParkingZone.objects.create(municipality=a, code="A", name="Strefa A",
                               geom=square(X0 - 100, Y0 - 100, 300), source_namespace="test",
                               local_id="spp-a")
    LandscapeArea.objects.create(municipality=a, kind="resolution_zone", code="S1",
                                 name="Strefa śródmiejska", geom=square(X0 - 50, Y0 - 50, 200),
                                 source_namespace="test", local_id="la-1")
    return Town(
        a=a, b=b, plot=plot, plain=plain, other=other,
        planner=make_user("planner_a", a, (Role.PLANNER,)),
        officer=make_user("officer_a", a, (Role.PROPERTY_OFFICER,)),
        planner_b=make_user("planner_b", b, (Role.PLANNER,)),
        building=building,
    )


@pytest.mark.django_db
def test_the_fixture_town_is_consistent(town):
    assert town.plot.municipality_id == town.a.id
    assert town.other.municipality_id == town.b.id
    assert town.plot.buildings.count() == 3
