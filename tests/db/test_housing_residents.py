"""Residents of protected flats, the waiting list and the plan on the real database.

The rule proven here: residents' data (names, referrals, stays, income, the waiting list) are
readable and editable by the social-welfare housing officer of the resident's municipality only.
Every other role (planner, property officer, tax officer, landscape inspector, administrator,
parking controller), the installation's superuser without a grant and the public are refused,
and every read by the officer is written to the audit log. The plan shows counts only.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from gis_app.accounts.access import grant
from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from registers.housing import selectors, services
from registers.housing.models import (
    Candidate,
    Demand,
    HousingResolution,
    Resident,
    Stay,
    WaitingListEntry,
)
from registers.leases.models import PropertyOverride

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def make_user(username, municipality=None, roles=(), **kw):
    """A user without password hashing (the tests log in with force_login)."""
    user = get_user_model().objects.create(username=username, **kw)
    if municipality is not None:
        grant(user, municipality, roles)
    return user


@pytest.fixture
def world(make_municipality, make_parcel):
    town = make_municipality("180501_1", "Jasło")
    other = make_municipality("186101_1", "Krosno")
    plot = make_parcel("7", 677_000, 211_000, municipality=town)
    municipal = make_parcel("8", 677_100, 211_000, municipality=town)
    PropertyOverride.objects.create(municipality=town, cadastral_id=municipal.cadastral_id,
                                    status=PropertyOverride.Status.INCLUDE)
    users = {role.value: make_user(f"u_{role.value}", town, (role.value,)) for role in Role}
    users["other_welfare"] = make_user("welfare_b", other, (Role.SOCIAL_WELFARE_OFFICER,))
    users["root"] = make_user("root", None, (), is_staff=True, is_superuser=True)
    flat = services.flat_save(None, town.id, dict(
        address="ul. Słoneczna 4/2, Jasło", cadastral_id=plot.cadastral_id, kind="training",
        operator_kind="municipality", places=2, occupied_places=0, usable_area_m2=D("48.50"),
        stay_months=12))
    HousingResolution.objects.create(
        municipality=town, number="XII/1/2025", valid_from=datetime.date(2025, 1, 1),
        criterion_single=D("1010"), criterion_family=D("823"), monthly_cost=D("1500"),
        fee_brackets=[[100, 0], [150, 10], [200, 20], [None, 50]],
        waiting_points={"homeless": 3, "foster_care": 2, "disability": 1},
        adaptation_per_m2=D("900"), adaptation_accessibility=D("35000"))
    welfare = users[Role.SOCIAL_WELFARE_OFFICER.value]
    resident = services.record_save(welfare, Resident, dict(
        full_name="Anna Testowa", category="foster_care", monthly_income=D("1515.00")),
        municipality_id=town.id)
    stay = services.record_save(welfare, Stay, dict(
        flat=flat, referral_number="MOPS.4011.1.2026", referral_date=datetime.date(2026, 1, 5),
        welfare_centre="MOPS Jasło", planned_from=datetime.date(2026, 1, 10),
        planned_until=datetime.date(2099, 1, 9), actual_from=datetime.date(2026, 1, 10)),
        resident=resident)
    return dict(town=town, other=other, plot=plot, municipal=municipal, flat=flat,
                users=users, resident=resident, stay=stay, welfare=welfare)


def client_for(user=None):
    c = Client(headers={"accept-language": "en"})
    if user is not None:
        c.force_login(user)
    return c


def resident_urls(w):
    r, s = w["resident"].pk, w["stay"].pk
    return ["/housing/residents/", f"/housing/residents/{r}/", f"/housing/residents/{r}/edit/",
            "/housing/residents/new/", f"/housing/residents/{r}/stays/new/",
            f"/housing/residents/{r}/waiting/new/", f"/housing/stays/{s}/edit/",
            "/housing/waiting/"]


def test_residents_closed_to_every_role_but_the_social_welfare_officer(world):
    w = world
    for name, user in w["users"].items():
        if name == Role.SOCIAL_WELFARE_OFFICER.value or name == "other_welfare":
            continue
        client = client_for(user)
        for url in resident_urls(w):
            response = client.get(url)
            assert response.status_code == 403, (name, url, response.status_code)
            assert b"Anna Testowa" not in response.content
        # the pages they may see (flats, plan) carry no resident
        if name in ("planner", "property_officer", "administrator"):
            for url in ("/housing/", "/housing/plan/"):
                response = client.get(url)
                assert response.status_code == 200, (name, url)
                assert b"Anna Testowa" not in response.content and b"MOPS.4011" not in \
                    response.content
    for url in resident_urls(w):
        assert client_for().get(url).status_code == 302  # the public: the login page
    # the officer of another town: an empty list, a 404 for the resident
    other = client_for(w["users"]["other_welfare"])
    assert b"Anna Testowa" not in other.get("/housing/residents/").content
    assert other.get(f"/housing/residents/{w['resident'].pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.record_save(w["users"]["administrator"], Resident, {"notes": "x"},
                             pk=w["resident"].pk, expected_version=w["resident"].version)
    assert not AuditEvent.objects.filter(action="read_residents").exists()


def test_every_read_is_audited_and_the_fee_follows_the_resolution(world):
    w = world
    client = client_for(w["welfare"])
    page = client.get(f"/housing/residents/{w['resident'].pk}/").content.decode()
    # 1 515 zł against the single-person criterion 1 010 zł = 150.00 %: 10 % of 1 500 zł
    assert "150.00 %" in page and "150.00 zł a month" in page and "MOPS.4011.1.2026" in page
    listing = client.get("/housing/residents/").content.decode()
    assert "Anna Testowa" in listing and "ul. Słoneczna 4/2" in listing
    reads = AuditEvent.objects.filter(action="read_residents", username=w["welfare"].username)
    assert {(e.object_type, e.object_id) for e in reads} == {
        ("housing.resident", str(w["resident"].pk)), ("housing.resident", "")}
    assert all(e.municipality_id == w["town"].id for e in reads)
    assert client.get(f"/housing/stays/{w['stay'].pk}/edit/").status_code == 200
    assert AuditEvent.objects.filter(action="read_residents", object_type="housing.stay",
                                     object_id=str(w["stay"].pk)).exists()
    # a family member: the per-person criterion 823 zł → 1 515 zł = 184.08 % → 20 %
    Resident.objects.filter(pk=w["resident"].pk).update(household_size=3)
    page = client.get(f"/housing/residents/{w['resident'].pk}/").content.decode()
    assert "184.08 %" in page and "300.00 zł a month" in page


def test_stay_rules_through_the_page(world):
    w = world
    client = client_for(w["welfare"])
    url = f"/housing/residents/{w['resident'].pk}/stays/new/"
    data = {"flat": w["flat"].pk, "referral_number": "MOPS.2", "referral_date": "2026-02-01",
            "welfare_centre": "MOPS Jasło", "planned_from": "2026-03-01"}
    response = client.post(url, data)  # a training flat without a planned end
    assert response.status_code == 400
    assert "A training flat is for a fixed period" in response.content.decode()
    response = client.post(url, dict(data, planned_until="2026-09-01",
                                     actual_from="2026-03-01"))
    assert response.status_code == 400  # she already lives there from 10 January
    assert "already lives in a flat then" in response.content.decode()
    assert Stay.objects.filter(resident=w["resident"]).count() == 1
    # stale edit: 409, nothing written
    stay = w["stay"]
    form = {"flat": w["flat"].pk, "referral_number": stay.referral_number,
            "referral_date": "2026-01-05", "welfare_centre": "MOPS Jasło",
            "planned_from": "2026-01-10", "planned_until": "2099-01-09",
            "actual_from": "2026-01-10", "actual_until": "2026-06-30", "version": 1}
    Stay.objects.filter(pk=stay.pk).update(version=2)
    response = client.post(f"/housing/stays/{stay.pk}/edit/", form)
    assert response.status_code == 409
    stay.refresh_from_db()
    assert stay.actual_until is None
    response = client.post(f"/housing/stays/{stay.pk}/edit/", dict(form, version=2))
    assert response.status_code == 302
    stay.refresh_from_db()
    assert stay.actual_until == datetime.date(2026, 6, 30) and stay.version == 3


def test_waiting_list_in_the_resolutions_order(world):
    w = world
    welfare, town = w["welfare"], w["town"]
    people = {}
    for name, criteria, applied in [("Bartosz", ["foster_care", "disability"], (2026, 2, 3)),
                                    ("Cezary", ["homeless"], (2026, 2, 1)),
                                    ("Dorota", ["disability"], (2026, 1, 1))]:
        people[name] = services.record_save(welfare, Resident, dict(
            full_name=f"{name} Czekający", category="other"), municipality_id=town.id)
        services.record_save(welfare, WaitingListEntry, dict(
            kind="training", applied_on=datetime.date(*applied), criteria=criteria),
            resident=people[name])
    with pytest.raises(ValidationError, match="Unknown criteria"):
        services.record_save(welfare, WaitingListEntry, dict(
            kind="training", applied_on=TODAY, criteria=["rich"]), resident=people["Dorota"])
    page = client_for(welfare).get("/housing/waiting/").content.decode()
    order = [page.index(f"{n} Czekający") for n in ("Cezary", "Bartosz", "Dorota")]
    assert order == sorted(order)
    assert AuditEvent.objects.filter(action="read_residents", object_type="housing.waiting"
                                     ).exists()


def test_plan_counts_candidates_costs_and_pdf(world):
    w = world
    town, welfare = w["town"], w["welfare"]
    services.record_save(welfare, Demand, dict(year=TODAY.year, category="foster_care",
                                               kind="training", persons=5,
                                               accessible_persons=0, entered_by="MOPS"),
                         municipality_id=town.id)
    officer = w["users"]["property_officer"]
    with pytest.raises(ValidationError, match="not municipal property"):
        services.record_save(officer, Candidate, dict(
            address="ul. Prywatna 1", cadastral_id=w["plot"].cadastral_id, kind="training",
            planned_places=2, usable_area_m2=D("40")), municipality_id=town.id)
    with pytest.raises(PermissionDenied):  # the centre enters demand, not candidates
        services.record_save(welfare, Candidate, dict(
            address="ul. Gminna 8/3", cadastral_id=w["municipal"].cadastral_id, kind="training",
            planned_places=2, usable_area_m2=D("40")), municipality_id=town.id)
    services.record_save(officer, Candidate, dict(
        address="ul. Gminna 8/3", cadastral_id=w["municipal"].cadastral_id, kind="training",
        planned_places=2, usable_area_m2=D("40.00"), accessible=False, must_be_accessible=True,
        needs_refurbishment=True), municipality_id=town.id)
    data = selectors.plan(w["users"]["planner"], town.id, TODAY.year)
    (balance,) = data["balance"]
    # demand 5; 2 places in use; the candidate (20 m² per person) adds 2 → 1 still missing
    assert (balance["demand"], balance["in_use"], balance["candidates"], balance["gap"]) \
        == (5, 2, 2, 1)
    # 40 m² × 900 zł + 35 000 zł accessibility works
    assert data["total_cost"] == D("71000.00")
    assert data["flats"][0]["occupied"] == 1  # from the stays: one resident lives there
    planner = client_for(w["users"]["planner"])
    page = planner.get("/housing/plan/").content.decode()
    assert "71000.00" in page and "ul. Gminna 8/3" in page and "Anna Testowa" not in page
    assert 'id="candidates-map"' in page
    pdf = planner.get(f"/housing/plan.pdf?municipality={town.id}&year={TODAY.year}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"Anna" not in pdf.content
    assert planner.get("/housing/plan/?year=abc").status_code == 400
    # the tax officer holds no housing capability at all
    assert client_for(w["users"]["tax_officer"]).get("/housing/plan/").status_code == 403


def test_the_audit_trail_keeps_no_resident_values(world):
    """The audit viewer belongs to the administrator, who may not read residents: a change of
    a resident is logged with the fields that moved, their values masked."""
    w = world
    services.record_save(w["welfare"], Resident, {"monthly_income": D("2000.00")},
                         pk=w["resident"].pk, expected_version=w["resident"].version)
    event = AuditEvent.objects.filter(object_type="housing.resident", action="update").get()
    assert event.before == {"monthly_income": "•••"} and event.after == {"monthly_income": "•••"}
    created = AuditEvent.objects.filter(object_type__in=["housing.resident", "housing.stay"],
                                        action="create")
    assert created.count() == 2
    assert not [e for e in created if "Anna" in str(e.after) or "MOPS" in str(e.after)]
