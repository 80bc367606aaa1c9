"""The parcel card: content by role, cross-municipality denial, fixed query count, point lookup."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from gis_app.audit.models import AuditEvent
from tests.db import test_map_data
from tests.db.test_map_data import X0, Y0

pytestmark = pytest.mark.django_db
town = test_map_data.town  # the shared fixture


def client_for(user=None) -> Client:
    c = Client(headers={"accept-language": "en"})
    if user is not None:
        c.force_login(user)
    return c


def test_card_for_a_planner_has_details_but_no_owners(town):
    card = client_for(town.planner).get(f"/api/parcels/{town.plot.id}").json()
    assert card["cadastral_id"] == "180501_1.0001.101/7"
    assert card["legal_area_m2"] == 1612.0 and card["geom_area_m2"] == 1600.0
    assert [u["ofu"] for u in card["land_uses"]] == ["B", "Ps", "R"]
    assert len(card["buildings"]) == 3
    assert card["addresses"][0]["street"] == "Żółkiewskiego"
    assert card["kw_numbers"] == ["KS1J/00012345/6"]
    assert [z["code"] for z in card["parking_zones"]] == ["A"]
    assert [a["code"] for a in card["landscape_areas"]] == ["S1"]
    assert card["owners"] is None
    assert not AuditEvent.objects.filter(action="read_owners").exists()
    html = client_for(town.planner).get(f"/parcels/{town.plot.id}/card").content.decode()
    assert "Kowalski" not in html and "owners-hidden" in html


def test_property_officer_sees_owners_and_the_read_is_audited(town):
    card = client_for(town.officer).get(f"/api/parcels/{town.plot.id}").json()
    assert card["owners"] == [{"share_kind": "ownership", "numerator": 1, "denominator": 1,
                               "name": "Kowalski Jan", "subject_kind": "person"}]
    event = AuditEvent.objects.get(action="read_owners")
    assert event.user == town.officer and event.object_id == town.plot.cadastral_id
    html = client_for(town.officer).get(f"/parcels/{town.plot.id}/card").content.decode()
    assert "Kowalski Jan" in html


def test_public_card_has_ids_and_geometry_only(town):
    card = client_for().get(f"/api/parcels/{town.plot.id}").json()
    assert card["level"] == "public"
    assert card["cadastral_id"] == town.plot.cadastral_id and card["geom_area_m2"] == 1600.0
    for hidden in ("legal_area_m2", "kw_numbers", "owners", "addresses", "buildings",
                   "land_uses", "registration_unit"):
        assert hidden not in card
    html = client_for().get(f"/parcels/{town.plot.id}/card").content.decode()
    assert "KS1J" not in html and "Żółkiewskiego" not in html


def test_another_towns_user_gets_nothing(town):
    assert client_for(town.planner_b).get(f"/api/parcels/{town.plot.id}").status_code == 404
    assert client_for(town.planner_b).get(f"/parcels/{town.plot.id}/card").status_code == 404
    assert client_for(town.planner_b).get(f"/parcels/{town.plot.id}/print").status_code == 404
    assert client_for(town.planner_b).get(f"/api/parcels/{town.other.id}").status_code == 200


def test_unknown_parcel_is_404():
    assert client_for().get("/api/parcels/999999").status_code == 404
    assert client_for().get("/parcels/999999/card").status_code == 404


def test_card_takes_a_fixed_number_of_queries(town, make_parcel,
                                              django_assert_max_num_queries):
    from layers.models import Building, ParcelLandUse
    from tests.conftest import square

    def count(parcel_id: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        c = client_for(town.officer)
        c.get("/health/")  # session and user loaded outside the measured request
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(f"/api/parcels/{parcel_id}").status_code == 200
        if os.environ.get("CARD_QUERIES"):
            print("\n".join(q["sql"][:120] for q in ctx.captured_queries))
        return len(ctx.captured_queries)

    small = count(town.plot.id)
    for i in range(20):
        b = Building.objects.create(municipality=town.a, building_id=f"x{i}", geom=square(
            X0 + i, Y0 + 1, 1), source_namespace="test", local_id=f"x{i}")
        b.parcels.add(town.plot)
        ParcelLandUse.objects.create(parcel=town.plot, ofu="B")
    big = count(town.plot.id)
    assert big == small
    c = client_for(town.officer)
    c.get("/health/")
    # session, user, grants, the card, owners, audit; one Parcel for the register sections and a
    # few fixed queries per section
    from map_ui.card import SECTION_PROVIDERS

    with django_assert_max_num_queries(7 + 6 * len(SECTION_PROVIDERS)):
        c.get(f"/api/parcels/{town.plot.id}")


def test_print_view(town):
    resp = client_for(town.planner).get(f"/parcels/{town.plot.id}/print")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "<svg" in html and 'class="parcel-outline"' in html
    assert 'data-action="print"' in html and "onclick" not in html  # no inline handler (CSP)
    assert "1,612.00" in html or "1\xa0612,00" in html  # grouped, in the page's language


def test_point_in_parcel(town):
    from layers.selectors import parcel_at_point  # noqa: F401

    c = client_for()
    plot_centre = _lonlat(X0 + 20, Y0 + 20)
    found = c.get("/api/parcels/at", {"lon": plot_centre[0], "lat": plot_centre[1]}).json()
    assert found == {"id": town.plot.id, "cadastral_id": town.plot.cadastral_id}
    nothing = _lonlat(X0 - 500, Y0 - 500)
    assert c.get("/api/parcels/at", {"lon": nothing[0], "lat": nothing[1]}).status_code == 404
    bad = c.get("/api/parcels/at", {"lon": "east", "lat": "1"})
    assert bad.status_code == 400 and "lon" in bad.json()["error"]
    assert c.get("/api/parcels/at", {"lon": "200", "lat": "1"}).status_code == 400
    # a user of B does not find A's plot
    b = client_for(town.planner_b)
    assert b.get("/api/parcels/at", {"lon": plot_centre[0],
                                     "lat": plot_centre[1]}).status_code == 404


def _lonlat(x: float, y: float) -> tuple[float, float]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s),"
                    " 2180), 4326) p", [x, y])
        return cur.fetchone()


@pytest.mark.parametrize("role,sees_details,sees_owners", [
    ("planner", True, False),
    ("property_officer", True, True),
    ("tax_officer", True, True),
    ("landscape_inspector", True, False),
    ("administrator", True, False),
])
def test_card_by_role(town, make_user, role, sees_details, sees_owners):
    user = make_user(f"card_{role}", town.a, (role,))
    resp = client_for(user).get(f"/parcels/{town.plot.id}/card")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert ("KS1J/00012345/6" in html) is sees_details
    assert ("Kowalski Jan" in html) is sees_owners
    assert AuditEvent.objects.filter(action="read_owners", user=user).exists() is sees_owners


def test_a_failing_register_section_does_not_break_the_card(town, monkeypatch):
    from map_ui import card as card_module

    broken = card_module.SectionProvider("broken", card_section, "map_ui/card.html")
    monkeypatch.setattr(card_module, "SECTION_PROVIDERS", [broken])
    resp = client_for(town.planner).get(f"/parcels/{town.plot.id}/card")
    assert resp.status_code == 200
    assert "This section could not be shown" in resp.content.decode()
    data = client_for(town.planner).get(f"/api/parcels/{town.plot.id}").json()
    assert data["sections"] == [{"app": "broken", "section": None, "error": True}]


def card_section(user, parcel):  # the broken provider above
    raise RuntimeError("register down")


def test_every_register_section_has_its_template():
    from django.template.loader import get_template

    from map_ui.card import SECTION_PROVIDERS

    assert {p.app for p in SECTION_PROVIDERS} == {"taxes", "leases", "housing", "parking",
                                                  "landscape", "ppp"}
    for provider in SECTION_PROVIDERS:
        get_template(provider.template)  # a missing one fails here, not silently on the card
