"""A small two-town fixture for the map's tests (tiles, search, card), and an MVT reader.

Jasło (A) holds a detailed plot 1 (address with diacritics, KW number, owner, buildings, land
uses, in a paid-parking zone and a landscape area) and a plain plot 2; Krosno (B) holds plot 1
of its own. Users: a planner and a property officer of A, a planner of B.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

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
    # PBKDF2 costs ~0.3 s per user; these users never log in with a password
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
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


def tile_of(x: float, y: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile holding a PL-1992 point."""
    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s),"
                    " 2180), 4326) p", [x, y])
        lon, lat = cur.fetchone()
    n = 2 ** z
    tx = int((lon + 180.0) / 360.0 * n)
    ty = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, tx, ty


# --- a minimal Mapbox Vector Tile reader (protobuf), enough to check layers and attributes ---

def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            length, i = _varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield field, value


def _value(buf: bytes) -> Any:
    import struct

    for field, v in _fields(buf):
        if field == 1:
            return v.decode()
        if field == 2:
            return struct.unpack("<f", v)[0]
        if field == 3:
            return struct.unpack("<d", v)[0]
        if field in (4, 5):
            return v
        if field == 6:
            return (v >> 1) ^ -(v & 1)
        if field == 7:
            return bool(v)
    return None


def decode_mvt(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """{layer name: [feature properties, with "_id"]}."""
    layers: dict[str, list[dict[str, Any]]] = {}
    for field, layer_buf in _fields(data):
        if field != 3:
            continue
        name, keys, values, features = "", [], [], []
        for f, v in _fields(layer_buf):
            if f == 1:
                name = v.decode()
            elif f == 3:
                keys.append(v.decode())
            elif f == 4:
                values.append(_value(v))
            elif f == 2:
                features.append(v)
        out = []
        for feature in features:
            props: dict[str, Any] = {}
            for f, v in _fields(feature):
                if f == 1:
                    props["_id"] = v
                elif f == 2:
                    tags, j = [], 0
                    while j < len(v):
                        t, j = _varint(v, j)
                        tags.append(t)
                    for k, val in zip(tags[::2], tags[1::2], strict=True):
                        props[keys[k]] = values[val]
            out.append(props)
        layers[name] = out
    return layers


@pytest.mark.django_db
def test_the_fixture_town_is_consistent(town):
    assert town.plot.municipality_id == town.a.id
    assert town.other.municipality_id == town.b.id
    assert town.plot.buildings.count() == 3
