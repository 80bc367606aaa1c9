"""Administrators are audited too (issue 14): the Django admin is no unaudited back door.

Runs on the permission matrix's world (town A: the demo town Jasło with every register; town B:
Bolesławiec). ``jaslo_admin`` is a superuser who holds the administrator role in town A only;
``national`` is a superuser listed in GEOGMINA_NATIONAL_SUPERUSERS.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from gis_app.accounts.access import grant
from gis_app.accounts.models import Grant
from gis_app.accounts.roles import Role
from gis_app.audit.models import AuditEvent
from tests.db.test_permission_matrix import world  # noqa: F401  (module fixture)

pytestmark = pytest.mark.django_db


def _mark() -> int:
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def _events(since: int, **kw):
    return AuditEvent.objects.filter(pk__gt=since, **kw)


@pytest.fixture
def admins(world, settings):  # noqa: F811
    users = get_user_model().objects
    jaslo = users.create_user("jaslo_admin", password="x", is_staff=True, is_superuser=True)
    grant(jaslo, world.town_a, [Role.ADMINISTRATOR])
    grant(jaslo, world.town_b, [Role.PLANNER])  # a role in B, but not its administrator
    national = users.create_user("national", password="x", is_staff=True, is_superuser=True)
    nobody = users.create_user("no_town_admin", password="x", is_staff=True, is_superuser=True)
    settings.GEOGMINA_NATIONAL_SUPERUSERS = ["national"]
    clients = {}
    for user in (jaslo, national, nobody):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    return clients


def _subject_in(town):
    from layers.models import Subject

    return Subject.objects.create(
        municipality=town, kind="person", name=f"Właściciel {town.name}",
        search_text=f"wlasciciel {town.name.lower()}", source_namespace="test",
        local_id=f"subject-{town.pk}", version_id="1")


# --- every admin, whoever wrote it -------------------------------------------------------------


def test_every_registered_admin_is_audited_and_town_scoped():
    from gis_app.admin_site import TownScopedAdminMixin
    from gis_app.audit.admin_trail import AuditedAdminMixin

    assert len(admin.site._registry) >= 35
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedAdminMixin), model
        assert isinstance(model_admin, TownScopedAdminMixin), model

    # a ModelAdmin registered later (a new app's) gets both as well
    from django.contrib.admin import AdminSite, ModelAdmin

    from gis_app.admin_site import GeogminaAdminSite
    from layers.models import Municipality

    site = GeogminaAdminSite(name="probe")
    site.register(Municipality, type("PlainAdmin", (ModelAdmin,), {}))
    assert isinstance(site._registry[Municipality], AuditedAdminMixin)
    assert isinstance(site._registry[Municipality], TownScopedAdminMixin)
    assert not isinstance(AdminSite(name="plain"), GeogminaAdminSite)


def test_a_change_to_every_registered_model_is_audited(world, admins):  # noqa: F811
    """Walk every model of the admin: save one stored record through its ModelAdmin as the
    national superuser; each save leaves an AuditEvent of that model (or the model is
    read-only in the admin)."""
    from gis_app.audit.admin_trail import municipality_of
    from layers.models import FeatureVersion

    FeatureVersion.objects.create(feature_type="parcel", municipality=world.town_a,
                                  source_namespace="test", local_id="fv-1", version_id="1")
    # a row for each model the world leaves empty, so that every model is walked
    from axes.models import AccessAttempt, AccessFailureLog
    from django.contrib.auth.models import Group

    from importers.models import ImportIssue, ImportRun

    Group.objects.get_or_create(name="probe")
    from datetime import date

    from layers.models import ParkingZone
    from registers.parking.models import Permit

    zone = ParkingZone.objects.filter(municipality=world.town_a).first()
    Permit.objects.create(municipality=world.town_a, zone=zone, kind="resident",
                          plate="RJA12345", valid_from=date(2026, 1, 1),
                          valid_to=date(2026, 12, 31), price="30.00")
    ImportIssue.objects.create(run=ImportRun.objects.filter(municipality=world.town_a).first(),
                               kind="rejected", feature_type="parcel", object_id="x",
                               reason="probe")
    AccessAttempt.objects.create(username="probe", ip_address="10.0.0.9", user_agent="t",
                                 http_accept="*/*", path_info="/accounts/login/",
                                 get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(username="probe", ip_address="10.0.0.9", user_agent="t",
                                    http_accept="*/*", path_info="/accounts/login/")
    request = RequestFactory().post("/admin/")
    request.user = get_user_model().objects.get(username="national")
    exercised, read_only, empty = [], [], []
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            empty.append(model._meta.label_lower)
            continue
        if not model_admin.has_change_permission(request, obj):
            read_only.append(model._meta.label_lower)
            continue
        mark = _mark()
        model_admin.save_model(request, obj, None, True)
        event = _events(mark, object_type=model._meta.label_lower, action="update").get()
        assert event.username == "national"
        assert event.municipality_id == municipality_of(obj), model
        assert str(event.object_id) == str(obj.pk)
        exercised.append(model._meta.label_lower)
    assert {"layers.parcel", "layers.subject", "accounts.grant", "auth.user", "leases.lease",
            "taxes.ratecap", "parking.tariff", "landscape.arearule"} <= set(exercised), exercised
    assert "layers.featureversion" in read_only and "audit.auditevent" in read_only
    assert empty == [], empty
    assert len(exercised) >= 35, (exercised, read_only)
    # no password hash ever reaches the log
    assert not AuditEvent.objects.filter(after__password__startswith="md5$").exists()
    assert not AuditEvent.objects.filter(before__password__startswith="md5$").exists()


# --- changes through the real admin pages -------------------------------------------------------


def _admin_form(client, url: str) -> dict:
    """The admin change form's current values, as a browser would post them back."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif hasattr(value, "ewkt"):  # a geometry: as the map widget posts it
            data[name] = value.json
        else:
            data[name] = getattr(value, "pk", value)
    return data


def test_a_parcel_change_through_the_admin_is_audited_with_before_and_after(world, admins):  # noqa: F811
    from layers.models import Parcel

    parcel = Parcel.objects.filter(municipality=world.town_a, retired_at__isnull=True).first()
    url = f"/admin/layers/parcel/{parcel.pk}/change/"
    data = _admin_form(admins["jaslo_admin"], url)
    old_area = parcel.legal_area_m2
    data["legal_area_m2"] = str(old_area + 1)
    mark = _mark()
    response = admins["jaslo_admin"].post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response.status_code)
    parcel.refresh_from_db()
    assert parcel.legal_area_m2 == old_area + 1
    event = _events(mark, object_type="layers.parcel", action="update").get()
    assert event.username == "jaslo_admin" and event.municipality_id == world.town_a.pk
    assert float(event.before["legal_area_m2"]) == float(old_area)
    assert float(event.after["legal_area_m2"]) == float(old_area + 1)


def test_the_cadastral_history_is_read_only_in_the_admin(world, admins):  # noqa: F811
    from layers.models import FeatureVersion, Parcel

    version = FeatureVersion.objects.create(
        feature_type="parcel", municipality=world.town_a, source_namespace="test",
        local_id="fv-2", version_id="1", attributes={"legal_area_m2": "100"})
    client = admins["national"]
    assert client.get("/admin/layers/featureversion/").status_code == 200
    assert client.get(f"/admin/layers/featureversion/{version.pk}/change/").status_code == 200
    assert client.get("/admin/layers/featureversion/add/").status_code == 403
    response = client.post(f"/admin/layers/featureversion/{version.pk}/change/",
                           {"feature_type": "x", "local_id": "forged"})
    assert response.status_code == 403
    assert client.post(f"/admin/layers/featureversion/{version.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    bulk = client.post("/admin/layers/featureversion/",
                       {"action": "delete_selected", "_selected_action": [version.pk],
                        "post": "yes"})
    assert bulk.status_code in (200, 302, 403)
    version.refresh_from_db()
    assert version.local_id == "fv-2" and version.feature_type == "parcel"
    # a retired record is history too
    retired = Parcel.objects.filter(municipality=world.town_a).first()
    Parcel.objects.filter(pk=retired.pk).update(retired_at="2026-01-01T00:00:00Z")
    assert client.post(f"/admin/layers/parcel/{retired.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert Parcel.objects.filter(pk=retired.pk).exists()


# --- a superuser sees only the towns he administers ----------------------------------------------


def test_a_town_admin_neither_lists_nor_opens_another_towns_owners(world, admins):  # noqa: F811
    mine, theirs = _subject_in(world.town_a), _subject_in(world.town_b)
    client = admins["jaslo_admin"]
    listing = client.get("/admin/layers/subject/?q=wlasciciel")
    assert listing.status_code == 200
    shown = {obj.pk for obj in listing.context["cl"].result_list}
    assert mine.pk in shown and theirs.pk not in shown
    assert client.get(f"/admin/layers/subject/{theirs.pk}/change/").status_code in (302, 404)
    # renaming through a hand-made POST changes nothing
    client.post(f"/admin/layers/subject/{theirs.pk}/change/",
                {"name": "Przejęty", "kind": "person", "municipality": world.town_b.pk})
    theirs.refresh_from_db()
    assert theirs.name == "Właściciel Bolesławiec"
    # the national superuser sees both
    national = admins["national"].get("/admin/layers/subject/?q=wlasciciel")
    assert {mine.pk, theirs.pk} <= {obj.pk for obj in national.context["cl"].result_list}


def test_every_town_scoped_admin_list_hides_the_other_town(world, admins):  # noqa: F811
    from gis_app.audit.admin_trail import town_path

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="jaslo_admin")
    checked = 0
    for model, model_admin in admin.site._registry.items():
        path = town_path(model)
        if path is None:
            continue
        towns = set(model_admin.get_queryset(request).values_list(path, flat=True).distinct())
        assert towns <= {world.town_a.pk}, model
        everywhere = model._default_manager.values_list(path, flat=True).distinct()
        if world.town_b.pk in set(everywhere):
            checked += 1
    assert checked >= 4  # town B's municipality, precinct, parcel, grants … are hidden


def test_a_town_admin_cannot_grant_himself_a_role_in_another_town(world, admins):  # noqa: F811
    client = admins["jaslo_admin"]
    me = get_user_model().objects.get(username="jaslo_admin")
    before = Grant.objects.count()
    response = client.post("/admin/accounts/grant/add/", {
        "user": me.pk, "municipality": world.town_b.pk, "role": Role.TAX_OFFICER})
    assert response.status_code == 200  # the form again: town B is no valid choice
    assert "municipality" in response.context["adminform"].form.errors
    assert Grant.objects.count() == before
    assert not Grant.objects.filter(user=me, municipality=world.town_b,
                                    role=Role.TAX_OFFICER).exists()
    # a grant in his own town is fine, and audited
    mark = _mark()
    response = client.post("/admin/accounts/grant/add/", {
        "user": me.pk, "municipality": world.town_a.pk, "role": Role.TAX_OFFICER})
    assert response.status_code == 302
    event = _events(mark, object_type="accounts.grant", action="create").get()
    assert event.municipality_id == world.town_a.pk and event.after["role"] == "tax_officer"
    # town B's grants are neither listed nor changeable
    theirs = Grant.objects.filter(municipality=world.town_b).exclude(user=me).first()
    assert client.get(f"/admin/accounts/grant/{theirs.pk}/change/").status_code in (302, 404)
    listing = client.get("/admin/accounts/grant/")
    assert all(g.municipality_id == world.town_a.pk for g in listing.context["cl"].result_list)


def test_a_town_admin_manages_only_his_towns_accounts(world, admins):  # noqa: F811
    client = admins["jaslo_admin"]
    users = get_user_model().objects
    listing = client.get("/admin/auth/user/?all=")
    names = {u.username for u in listing.context["cl"].result_list}
    assert {"a_planner", "jaslo_admin"} <= names
    assert not names & {"b_planner", "national", "staff_admin", "no_town_admin"}
    b_user = users.get(username="b_planner")
    assert client.get(f"/admin/auth/user/{b_user.pk}/change/").status_code in (302, 404)
    assert client.post(f"/admin/auth/user/{b_user.pk}/password/",
                       {"password1": "Zmienione-haslo-77", "password2": "Zmienione-haslo-77"}
                       ).status_code in (302, 404)
    b_user.refresh_from_db()
    assert not b_user.check_password("Zmienione-haslo-77")
    # his own town's officer: the password change is audited, without the password
    a_user = users.get(username="a_planner")
    mark = _mark()
    response = client.post(f"/admin/auth/user/{a_user.pk}/password/",
                           {"password1": "Nowe-haslo-urzedu-42",
                            "password2": "Nowe-haslo-urzedu-42", "set_usable_password": "true"})
    assert response.status_code == 302
    event = _events(mark, object_type="auth.user").get()
    assert event.object_id == str(a_user.pk) and event.username == "jaslo_admin"
    assert "Nowe-haslo" not in str(event.after) and "md5$" not in str(event.after)
    # he cannot make anyone a superuser
    data = _admin_form(client, f"/admin/auth/user/{a_user.pk}/change/")
    data.update({"is_superuser": "on", "first_name": "Anna"})
    client.post(f"/admin/auth/user/{a_user.pk}/change/", data)
    a_user.refresh_from_db()
    assert not a_user.is_superuser


def test_a_superuser_who_administers_no_town_sees_nothing(world, admins):  # noqa: F811
    client = admins["no_town_admin"]
    assert client.get("/admin/layers/subject/").status_code == 403
    assert client.get("/admin/layers/parcel/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403


def test_national_tables_are_view_only_for_a_town_admin(world, admins):  # noqa: F811
    from registers.parking.models import MinimumWage

    wage = MinimumWage.objects.order_by("year").first()
    client = admins["jaslo_admin"]
    assert client.get("/admin/parking/minimumwage/").status_code == 200
    assert client.post(f"/admin/parking/minimumwage/{wage.pk}/change/",
                       {"year": wage.year, "amount": "1", "source": "x"}).status_code == 403
    wage.refresh_from_db()
    assert wage.amount != 1
    # axes' login records and permission groups: not a town's, hidden
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403


# --- reads of owner data through the admin -----------------------------------------------------


def test_owner_reads_through_the_admin_are_audited(world, admins):  # noqa: F811
    subject = _subject_in(world.town_a)
    client = admins["jaslo_admin"]
    mark = _mark()
    listing = client.get("/admin/layers/subject/?q=wlasciciel")
    assert listing.status_code == 200
    event = _events(mark, action="read_owners", object_type="layers.subject").get()
    assert event.username == "jaslo_admin" and event.municipality_id == world.town_a.pk
    assert str(subject.pk) in event.after["shown"]
    mark = _mark()
    assert client.get(f"/admin/layers/subject/{subject.pk}/change/").status_code == 200
    event = _events(mark, action="read_owners", object_type="layers.subject").get()
    assert event.object_id == str(subject.pk)
    mark = _mark()
    assert client.get("/admin/layers/share/").status_code == 200
    assert _events(mark, action="read_owners", object_type="layers.share").exists()
    # archived versions of owners are owner data too; of parcels, not
    from layers.models import FeatureVersion

    owner_version = FeatureVersion.objects.create(
        feature_type="subject", municipality=world.town_a, source_namespace="test",
        local_id="fv-owner", version_id="1", attributes={"name": "Dawny Właściciel"})
    mark = _mark()
    assert client.get("/admin/layers/featureversion/?feature_type=subject").status_code == 200
    event = _events(mark, action="read_owners", object_type="layers.featureversion").get()
    assert str(owner_version.pk) in event.after["shown"]
    mark = _mark()
    assert client.get("/admin/layers/featureversion/?feature_type=parcel").status_code == 200
    assert not _events(mark, action="read_owners").exists()
    # a list that shows no owner data writes no owner read
    mark = _mark()
    assert client.get("/admin/layers/parcel/").status_code == 200
    assert not _events(mark, action="read_owners").exists()
