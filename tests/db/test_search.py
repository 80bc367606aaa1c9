"""Search: by id (full, precinct + number, with/without sheet), address, KW and owner, by role."""

from __future__ import annotations

import pytest
from django.test import Client

from gis_app.audit.models import AuditEvent
from layers.selectors import search_parcels
from tests.db import test_map_data
from tests.db.test_map_data import KW, X0, Y0

pytestmark = pytest.mark.django_db
town = test_map_data.town  # the shared fixture


def ids(outcome) -> list[str]:
    return [r.cadastral_id for r in outcome.results]


def test_full_id(town):
    out = search_parcels(town.planner, "180501_1.0001.101/7")
    assert out.kind == "id" and ids(out) == ["180501_1.0001.101/7"]
    assert out.results[0].parcel_id == town.plot.id


def test_full_id_matches_a_plot_stored_with_a_sheet(town, make_parcel):
    make_parcel("AR_3.44", X0 + 400, Y0, municipality=town.a, sheet="AR_3", local_id="ar3")
    p = town.a.parcels.get(sheet="AR_3")
    p.number = "44"
    p.save()
    assert ids(search_parcels(None, "180501_1.0001.44")) == ["180501_1.0001.AR_3.44"]
    assert ids(search_parcels(None, "180501_1.0001.ar_3.44")) == ["180501_1.0001.AR_3.44"]
    assert ids(search_parcels(None, "180501_1.0001.AR_4.44")) == []


def test_precinct_and_number(town):
    out = search_parcels(town.planner, "0001 101/7")
    assert out.kind == "precinct_number" and ids(out) == ["180501_1.0001.101/7"]
    assert ids(search_parcels(town.planner, "0001.101/7")) == ["180501_1.0001.101/7"]


def test_address_without_diacritics_and_case(town):
    for q in ("zolkiewskiego 5", "ŻÓŁKIEWSKIEGO 5 jaslo", "Zolkiew"):
        out = search_parcels(town.planner, q)
        assert ids(out) == [town.plot.cadastral_id], q
        assert "Żółkiewskiego" in out.results[0].label
    assert ids(search_parcels(town.planner, "zolkiewskiego 7")) == []


def test_public_finds_by_address_but_sees_the_id_only(town):
    out = search_parcels(None, "zolkiewskiego 5")
    assert ids(out) == [town.plot.cadastral_id]
    assert out.results[0].label == town.plot.cadastral_id


def test_kw_number_needs_a_login(town):
    out = search_parcels(town.planner, KW.lower())
    assert out.kind == "kw" and ids(out) == [town.plot.cadastral_id]
    public = search_parcels(None, KW)
    assert public.results == [] and "log in" in public.message


def test_owner_search_only_with_view_owners_and_audited(town):
    assert search_parcels(town.planner, "kowalski").results == []
    assert not AuditEvent.objects.filter(action="read_owners").exists()
    out = search_parcels(town.officer, "kowalski")
    assert [r.kind for r in out.results] == ["owner"]
    assert "Kowalski Jan" in out.results[0].label
    event = AuditEvent.objects.get(action="read_owners")
    assert event.user == town.officer and event.object_id == "kowalski"
    assert event.municipality_id == town.a.id


def test_users_of_another_town_get_nothing_of_it(town):
    assert ids(search_parcels(town.planner_b, "180501_1.0001.101/7")) == []
    assert ids(search_parcels(town.planner_b, "zolkiewskiego 5")) == []
    assert ids(search_parcels(town.planner_b, KW)) == []
    assert ids(search_parcels(town.planner_b, "186101_1.0001.5")) == [town.other.cadastral_id]
    # the public sees every municipality (ids only)
    assert ids(search_parcels(None, "186101_1.0001.5")) == [town.other.cadastral_id]


def test_search_api_and_page(town):
    c = Client()
    c.force_login(town.planner)
    data = c.get("/api/search", {"q": "zolkiewskiego 5"}).json()
    assert data["kind"] == "text"
    [r] = data["results"]
    assert r["id"] == town.plot.id and len(r["bbox"]) == 4
    west, south, east, north = r["bbox"]
    assert 21 < west < east < 22 and 49 < south < north < 50
    page = c.get("/search/", {"q": "0001 101/7"})
    assert page.status_code == 200
    assert f'href="/?parcel={town.plot.id}"' in page.content.decode()
    assert Client().get("/api/search", {"q": "x" * 201}).status_code == 400
    empty = Client().get("/api/search", {"q": ""}).json()
    assert empty["results"] == []
