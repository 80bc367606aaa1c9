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


def test_public_sees_the_address_where_addresses_are_public(town, settings):
    out = search_parcels(None, "zolkiewskiego 5")
    assert ids(out) == [town.plot.cadastral_id]
    assert out.results[0].label == f"Żółkiewskiego 5, Jasło · {town.plot.cadastral_id}"
    settings.GEOGMINA_PUBLIC_ADDRESSES = False  # a town that does not publish them
    out = search_parcels(None, "zolkiewskiego 5")
    assert out.results[0].label == town.plot.cadastral_id
    # a user of the town sees it whatever the setting
    assert "Żółkiewskiego 5" in search_parcels(town.planner, "zolkiewskiego 5").results[0].label


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
    assert empty["results"] == [] and empty["count"] == 0 and empty["pages"] == 0
    assert Client().get("/api/search", {"q": "5", "page": "x"}).status_code == 400
    assert Client().get("/api/search", {"q": "5", "page_size": "101"}).status_code == 400


def plot(town, precinct: str, number: str, x: float, **kw):
    from layers.models import Parcel, Precinct
    from tests.conftest import square

    pr, _ = Precinct.objects.get_or_create(
        teryt=f"{town.a.teryt}.{precinct}",
        defaults={"municipality": town.a, "name": precinct, "source_namespace": "test",
                  "local_id": f"{town.a.teryt}.{precinct}"})
    return Parcel.objects.create(
        municipality=town.a, precinct=pr, cadastral_id=f"{pr.teryt}.{number}", number=number,
        legal_area_m2=900, source_namespace="test", local_id=f"{precinct}-{number}",
        version_id="1", geom=square(x, Y0 + 500, 30), **kw)


@pytest.fixture
def street(town):
    """25 plots numbered 1..25 in precinct 0002, each with an address on ul. Długa (made in a
    shuffled order, so the ids do not give the order away)."""
    import random

    from layers.domain.text import normalize_text
    from layers.models import Address

    numbers = list(range(1, 26))
    random.Random(7).shuffle(numbers)
    plots = []
    for n in numbers:
        p = plot(town, "0002", str(n), X0 + n * 40)
        a = Address.objects.create(
            municipality=town.a, locality="Jasło", street="Długa", house_number=str(n),
            search_text=normalize_text(f"Długa {n} Jasło"), source_namespace="test",
            local_id=f"dl-{n}")
        p.addresses.add(a)
        plots.append(p)
    return plots


def test_count_paging_and_natural_order(town, street):
    out = search_parcels(town.planner, "dluga", page=1, page_size=10)
    assert out.count == 25 and out.pages == 3 and len(out.results) == 10
    labels = [r.label.split(" · ")[0] for r in out.results]
    assert labels[:3] == ["Długa 1, Jasło", "Długa 2, Jasło", "Długa 3, Jasło"]
    assert labels[9] == "Długa 10, Jasło"  # 10 after 9, not after 1
    last = search_parcels(town.planner, "dluga", page=3, page_size=10)
    assert len(last.results) == 5 and last.count == 25
    assert last.results[-1].label.startswith("Długa 25,")
    seen = [r.parcel_id for p in (1, 2, 3)
            for r in search_parcels(town.planner, "dluga", page=p, page_size=10).results]
    assert len(seen) == len(set(seen)) == 25
    beyond = search_parcels(town.planner, "dluga", page=9, page_size=10)
    assert beyond.results == [] and beyond.count == 25
    # the API: no silent cap of 20
    data = Client().get("/api/search", {"q": "dluga", "page_size": "100"}).json()
    assert data["count"] == 25 and len(data["results"]) == 25 and data["pages"] == 1
    data = Client().get("/api/search", {"q": "dluga"}).json()
    assert data["count"] == 25 and len(data["results"]) == 20 and data["pages"] == 2


def test_partial_parcel_ids_and_plot_numbers(town, street):
    for n in ("108/10", "1080", "108", "108/2"):
        plot(town, "0001", n, X0 + 3000 + len(n) * 50)
    plot(town, "0002", "108", X0 + 4000)
    in_0001 = ["180501_1.0001.108", "180501_1.0001.108/2", "180501_1.0001.108/10"]
    assert ids(search_parcels(None, "180501_1.0001.108")) == ["180501_1.0001.108"]
    for q in ("1.0001.108", "0001.108", "0001 108"):
        assert ids(search_parcels(None, q)) == in_0001, q
    # a plot number alone: every precinct, natural order (108 < 108/2 < 108/10; 1080 apart)
    out = search_parcels(None, "108")
    assert out.kind == "number"
    assert ids(out) == [*in_0001, "180501_1.0002.108"]
    assert ids(search_parcels(None, "108/2")) == ["180501_1.0001.108/2"]
    assert ids(search_parcels(town.planner, "0002 2")) == ["180501_1.0002.2"]
    assert ids(search_parcels(town.planner, "1.0002.25")) == ["180501_1.0002.25"]
    assert ids(search_parcels(town.planner, "3.0002.25")) == []  # another unit type


def test_partial_kw_numbers(town):
    plot(town, "0001", "501", X0 + 3000, kw_numbers=["KS1J/00099999/1"])
    court = KW.split("/")[0]
    out = search_parcels(town.planner, court.lower())
    assert out.kind == "kw" and town.plot.cadastral_id in ids(out)
    middle = KW.split("/")[1]
    out = search_parcels(town.planner, middle)
    assert out.kind == "kw" and ids(out) == [town.plot.cadastral_id]
    assert KW in out.results[0].label
    assert ids(search_parcels(town.planner, "ks1j/0009")) == ["180501_1.0001.501"]
    public = search_parcels(None, court)
    assert public.results == [] and "log in" in public.message
    assert ids(search_parcels(town.planner_b, middle)) == []  # another town's plot


def test_export_of_a_search_exports_what_the_search_finds(town, street, make_user):
    """One selector: an owner search found plots on the map and exported 0 features."""
    import csv
    import io

    from gis_app.accounts.roles import Role
    from layers.models import RegistrationUnit, Share, Subject

    owner = Subject.objects.get(name="Kowalski Jan")
    for i, p in enumerate(street[:12]):
        unit = RegistrationUnit.objects.create(
            municipality=town.a, unit_id=f"180501_1.0002.G{i}", kind="G", group=1,
            source_namespace="test", local_id=f"ru-d{i}")
        Share.objects.create(municipality=town.a, kind="ownership", numerator=1,
                             denominator=1, subject=owner, registration_unit=unit,
                             source_namespace="test", local_id=f"sh-d{i}")
        p.registration_unit = unit
        p.save()
    c = Client()
    c.force_login(town.officer)
    found = c.get("/api/search", {"q": "kowalski"}).json()
    assert found["count"] == 13  # the 12 plots and 101/7
    body = c.get("/ogc/exports/parcels.csv", {"q": "kowalski"})
    assert body.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert sorted(r["cadastral_id"] for r in rows) == sorted(
        r["cadastral_id"] for r in c.get("/api/search", {"q": "kowalski",
                                                          "page_size": 100}).json()["results"])
    for q in ("dluga", "0002 1", "108", KW):
        on_map = c.get("/api/search", {"q": q, "page_size": 100}).json()
        exported = c.get("/ogc/exports/parcels.csv", {"q": q}).content.decode("utf-8-sig")
        got = {r["cadastral_id"] for r in csv.DictReader(io.StringIO(exported))}
        assert got == {r["cadastral_id"] for r in on_map["results"]}, q
    # a planner (no VIEW_OWNERS) neither finds nor exports by owner
    planner = make_user("exp_planner", town.a, (Role.PLANNER,))
    c.force_login(planner)
    body = c.get("/ogc/exports/parcels.csv", {"q": "kowalski"}).content.decode("utf-8-sig")
    assert len(body.strip().splitlines()) == 1  # the header only


def test_text_search_walks_a_bounded_page_and_caps_the_count(town, street, monkeypatch):
    """A broad free-text query reads a page's worth of addresses in the sort order (not every
    match) and counts up to a cap; the pages stay exactly those of the full, uncapped list."""
    from layers import selectors
    from layers.domain.text import normalize_text
    from layers.models import Address

    # a second address on plot 1 (sorts last) and plot 2 shares "Długa 2" with a new plot:
    # one row per plot, ties by parcel id
    one = next(p for p in street if p.number == "1")
    extra = Address.objects.create(
        municipality=town.a, locality="Jasło", street="Długa", house_number="99",
        search_text=normalize_text("Długa 99 Jasło"), source_namespace="test", local_id="dl-99")
    one.addresses.add(extra)
    twin = plot(town, "0003", "2", X0 + 2000)
    twin.addresses.add(Address.objects.get(local_id="dl-2"))
    full = search_parcels(town.planner, "dluga", page_size=100)
    assert full.count == 26 and not full.count_capped
    order = [r.cadastral_id for r in full.results]
    assert order[:3] == ["180501_1.0002.1", "180501_1.0002.2", "180501_1.0003.2"]
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 5)
    monkeypatch.setattr(selectors, "_WALK_MIN", 1)
    first = search_parcels(town.planner, "dluga", page=1, page_size=3)
    assert first.count_capped and first.count >= 5 and ids(first) == order[:3]
    middle = search_parcels(town.planner, "dluga", page=4, page_size=3)
    assert ids(middle) == order[9:12]
    last = search_parcels(town.planner, "dluga", page=9, page_size=3)  # the walk ran out
    assert ids(last) == order[24:] and last.count == 26 and not last.count_capped
    data = Client().get("/api/search", {"q": "dluga", "page_size": "3"}).json()
    assert data["count_capped"] is True and len(data["results"]) == 3
    short = Client().get("/api/search", {"q": "dl"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert short["results"] == [] and "at least 3 letters" in short["message"]
