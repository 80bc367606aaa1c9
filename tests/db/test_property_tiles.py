"""The register's tile functions (leased areas, municipal property, investment offer, protected
flats) through the tile endpoint: decoded MVT, scoped to the viewer's municipalities."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from gis_app.accounts.roles import Role
from layers.models import RegistrationUnit
from layers.tiles.registry import tile_layer
from registers.housing.models import ProtectedFlat
from registers.leases import services
from tests.conftest import square
from tests.mvt import decode_mvt as decode
from tests.mvt import tile_of

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the UI default is Polish)."""
    with translation.override("en"):
        yield


X, Y = 677_000.0, 211_000.0
Z = 16


@pytest.fixture
def world(make_municipality, make_parcel, make_user):
    town = make_municipality()
    other = make_municipality("186101_1", "Krosno")
    plot = make_parcel("1", X, Y, size=40, municipality=town)
    unit = RegistrationUnit.objects.create(municipality=town, unit_id="G.1", kind="G", group=4,
                                           source_namespace="t", local_id="g1")
    plot.registration_unit = unit
    plot.save()
    officer = make_user("officer", town, (Role.PROPERTY_OFFICER,))
    services.lease_create(officer, dict(
        municipality_id=town.id, number="L/1", lessee_name="A", cadastral_ids=[plot.cadastral_id],
        start_date=date.today() - timedelta(days=300),
        end_date=date.today() + timedelta(days=20), status="proposed"), square(X + 1, Y + 1, 10))
    services.offer_save(officer, dict(municipality_id=town.id, title="Oferta", mode="sale",
                                      cadastral_ids=[plot.cadastral_id], published=True,
                                      price=Decimal("1000")))
    ProtectedFlat.objects.create(municipality=town, address="ul. Słoneczna 1",
                                 cadastral_id=plot.cadastral_id, kind="assisted",
                                 operator_kind="ngo", places=6, occupied_places=5,
                                 usable_area_m2=Decimal("60"))
    return {"town": town, "other": other, "plot": plot, "officer": officer,
            "planner": make_user("planner", town, (Role.PLANNER,)),
            "tax": make_user("tax", town, (Role.TAX_OFFICER,)),
            "stranger": make_user("stranger", other, (Role.PROPERTY_OFFICER,))}


def fetch(user, layer: str) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    c = Client()
    if user is not None:
        c.force_login(user)
    z, x, y = tile_of(X + 10, Y + 10, Z)
    resp = c.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
    return resp.status_code, decode(resp.content) if resp.status_code == 200 else {}


def test_layers_are_registered():
    assert not tile_layer("leased_areas").public
    assert not tile_layer("municipal_property").public
    assert tile_layer("investment_offer").public
    assert not tile_layer("protected_flats").public


def test_leased_areas_tile_by_role(world):
    status, tile = fetch(world["planner"], "leased_areas")
    assert status == 200
    (feature,) = tile["leased_areas"]
    assert feature["number"] == "L/1" and feature["expiry"] == "expiring"
    assert feature["state"] == "proposed"  # the map colours a proposal before its expiry
    assert feature["status"] == "proposed"
    assert fetch(None, "leased_areas")[0] == 401
    assert fetch(world["stranger"], "leased_areas") == (200, {})  # Krosno's officer: no feature


def test_municipal_property_tile(world):
    status, tile = fetch(world["officer"], "municipal_property")
    assert status == 200 and [f["cadastral_id"] for f in tile["municipal_property"]] == [
        world["plot"].cadastral_id]
    services.property_override_save(world["officer"], world["town"].id,
                                     world["plot"].cadastral_id, expected_version=None,
                                     status="exclude")
    assert fetch(world["officer"], "municipal_property") == (200, {})
    assert fetch(None, "municipal_property")[0] == 401


def test_investment_offer_tile_is_public(world):
    status, tile = fetch(None, "investment_offer")
    assert status == 200 and tile["investment_offer"][0]["title"] == "Oferta"


def test_protected_flats_tile_needs_view_housing(world):
    status, tile = fetch(world["planner"], "protected_flats")
    assert status == 200
    assert tile["protected_flats"][0]["places"] == 6
    assert fetch(world["tax"], "protected_flats")[0] == 403  # tax officers lack VIEW_HOUSING
    assert fetch(None, "protected_flats")[0] == 401
    assert fetch(world["stranger"], "protected_flats") == (200, {})
