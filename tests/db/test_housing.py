"""Protected housing on the real database: the standard check with data-keyed parameters,
pages per role, counts only, optimistic locking, audit."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from registers.housing import selectors, services
from registers.housing.models import HousingStandard, ProtectedFlat

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the UI default is Polish)."""
    with translation.override("en"):
        yield



@pytest.fixture
def town(make_municipality):
    return make_municipality()


@pytest.fixture
def plot(make_parcel, town):
    return make_parcel("7", 677_000, 211_000, municipality=town)


@pytest.fixture
def users(make_user, town, make_municipality):
    other = make_municipality("186101_1", "Krosno")
    return {
        "officer": make_user("officer", town, (Role.PROPERTY_OFFICER,)),
        "planner": make_user("planner", town, (Role.PLANNER,)),
        "tax": make_user("tax", town, (Role.TAX_OFFICER,)),
        "stranger": make_user("stranger", other, (Role.PROPERTY_OFFICER,)),
    }


def flat_data(plot, **kw):
    data = dict(address="ul. Kościuszki 5/3, Jasło", cadastral_id=plot.cadastral_id,
                kind="assisted", operator_kind="ngo", operator_name="Stowarzyszenie Razem",
                places=6, occupied_places=6, usable_area_m2=Decimal("60"), accessible=True,
                target_group="osoby z niepełnosprawnością")
    data.update(kw)
    return data


def client_for(user=None):
    c = Client(headers={"accept-language": "en"})
    if user is not None:
        c.force_login(user)
    return c


def test_six_people_in_60_m2_is_flagged(users, town, plot):
    flat = services.flat_save(users["officer"], town.id, flat_data(plot))
    issues = selectors.flat_check(flat)
    assert [i.code for i in issues] == ["too_small"]
    rows = selectors.flat_rows(users["planner"], flagged="yes")
    assert [r["id"] for r in rows] == [flat.id] and rows[0]["m2_per_person"] == Decimal("10.00")
    page = client_for(users["planner"]).get("/housing/").content.decode()
    assert "10.00 m² per person is below the standard of 12" in page


def test_standard_is_data_keyed_by_date(users, town, plot):
    flat = services.flat_save(users["officer"], town.id, flat_data(plot))
    # the migration seeds the draft; a transactional test elsewhere may have flushed it
    HousingStandard.objects.get_or_create(valid_from=datetime.date(2023, 11, 1), defaults={
        "max_persons": 6, "min_m2_per_person": Decimal("12")})
    HousingStandard.objects.create(valid_from=datetime.date(2020, 1, 1), max_persons=7,
                                   min_m2_per_person=Decimal("10"))
    # the seeded draft (from 2023-11-01) still applies today ...
    assert selectors.standard_on().min_m2_per_person == Decimal("12")
    # ... but not on a day before it
    old = selectors.standard_on(datetime.date(2022, 1, 1))
    assert selectors.flat_check(flat, old) == []


def test_only_counts_are_stored():
    names = {f.name for f in ProtectedFlat._meta.get_fields()}
    assert not names & {"resident", "residents", "pesel", "resident_name", "first_name"}


def test_stale_save_refused_and_changes_audited(users, town, plot):
    flat = services.flat_save(users["officer"], town.id, flat_data(plot))
    services.flat_save(users["officer"], town.id, {"occupied_places": 4}, flat_id=flat.id,
                       expected_version=1)
    with pytest.raises(services.StaleEditError):
        services.flat_save(users["officer"], town.id, {"occupied_places": 5}, flat_id=flat.id,
                           expected_version=1)
    flat.refresh_from_db()
    assert flat.occupied_places == 4 and flat.version == 2
    ev = AuditEvent.objects.get(object_type="protected_flat", action="update")
    assert ev.before == {"occupied_places": 6} and ev.after == {"occupied_places": 4}


def test_unknown_plot_and_roles_refused(users, town, plot):
    with pytest.raises(ValidationError, match="No such plot"):
        services.flat_save(users["officer"], town.id, flat_data(plot, cadastral_id="x.1"))
    with pytest.raises(PermissionDenied):
        services.flat_save(users["planner"], town.id, flat_data(plot))
    with pytest.raises(PermissionDenied):
        services.flat_save(users["stranger"], town.id, flat_data(plot))


def test_pages_per_role(users, town, plot):
    flat = services.flat_save(users["officer"], town.id, flat_data(plot))
    for name in ("officer", "planner"):
        assert client_for(users[name]).get("/housing/").status_code == 200
    assert client_for(users["tax"]).get("/housing/").status_code == 403
    assert client_for().get("/housing/").status_code == 302
    assert "Kościuszki" not in client_for(users["stranger"]).get("/housing/").content.decode()
    edit = f"/housing/{flat.id}/edit/"
    assert client_for(users["officer"]).get(edit).status_code == 200
    assert client_for(users["planner"]).get(edit).status_code == 403
    assert client_for(users["planner"]).post("/housing/new/", {}).status_code == 403
    assert client_for(users["stranger"]).get(edit).status_code == 404
    assert client_for().get("/housing/new/").status_code == 302


def test_officer_adds_a_flat_through_the_page(users, town, plot):
    data = flat_data(plot, municipality=town.id, kind="training", stay_months=12, places=3,
                     occupied_places=2, usable_area_m2="45.00", accessible="on")
    resp = client_for(users["officer"]).post("/housing/new/", data)
    assert resp.status_code == 302, resp.content.decode()[:1500]
    flat = ProtectedFlat.objects.get()
    assert (flat.kind, flat.places, flat.stay_months) == ("training", 3, 12)
    bad = dict(data, cadastral_id="180501_1.0001.999")
    resp = client_for(users["officer"]).post("/housing/new/", bad)
    assert resp.status_code == 400 and "No such plot" in resp.content.decode()


def test_export(users, town, plot):
    services.flat_save(users["officer"], town.id, flat_data(plot))
    csv = client_for(users["planner"]).get("/housing/?export=csv").content.decode("utf-8-sig")
    assert "Kościuszki" in csv and "10.00" in csv


def test_card_section(users, town, plot):
    services.flat_save(users["officer"], town.id, flat_data(plot))
    section = selectors.card_section(users["planner"], plot)
    assert section["flats"][0]["places"] == 6 and not section["can_edit"]
    assert "12" in section["flats"][0]["issues"][0]
    assert selectors.card_section(users["officer"], plot)["can_edit"]
    assert selectors.card_section(users["tax"], plot) is None
    assert selectors.card_section(users["stranger"], plot) is None
    assert selectors.card_section(AnonymousUser(), plot) is None


@pytest.mark.parametrize("bad", [{"places": "0"}, {"usable_area_m2": "-3"},
                                 {"occupied_places": "9"}, {"voivode_register_date": "jutro"}])
def test_bad_flat_input_is_a_form_error(users, town, plot, bad):
    data = flat_data(plot, municipality=town.id, **bad)
    resp = client_for(users["officer"]).post("/housing/new/", data)
    assert resp.status_code == 400 and 'class="errorlist' in resp.content.decode()
    assert not ProtectedFlat.objects.exists()
