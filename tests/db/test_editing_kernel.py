"""Every register edits through one kernel (registers/common/editing.py): each record a register's
page or the Django admin changes in place is ``Versioned`` (or a part of a versioned record), and
every edit view answers 409, writing nothing, when the record moved on after its form was
served. Runs on the permission matrix's world (the demo town through the registers' hooks)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.db.models import F
from django.forms.models import BaseInlineFormSet
from django.test import Client
from django.urls import reverse

from gis_app.accounts.roles import CAPABILITIES
from gis_app.audit.admin_trail import REGISTER_APPS, shared_object_types
from gis_app.audit.models import AuditEvent
from gis_app.permissions import walk
from registers.common.editing import StaleEditError, Versioned
from tests.db.test_fault_concurrent_edits import served_form
from tests.db.test_permission_matrix import world  # noqa: F401  (module fixture)

# Models whose forms only ever create a record (no page changes one in place), and town records
# the admin shows for corrections by installation staff but no page edits.
CREATE_ONLY = {"taxes.taxpayer", "taxes.taxobject", "taxes.rurallandobject"}
ADMIN_ONLY = {"landscape.inspection", "leases.leasedocument"}


def _versioned(model: type) -> bool:
    return issubclass(model, Versioned) or callable(getattr(model, "versioned_whole", None))


def _form_models() -> set[type]:
    found: set[type] = set()
    for label in REGISTER_APPS:
        module = importlib.import_module(f"{apps.get_app_config(label).name}.forms")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, forms.ModelForm) and \
                    getattr(obj._meta, "model", None) is not None:
                found.add(obj._meta.model)
            if isinstance(obj, type) and issubclass(obj, BaseInlineFormSet):
                found.add(obj.model)
    return found


@pytest.mark.django_db
def test_every_editable_register_model_is_versioned():
    shared = shared_object_types()
    edited = {m for m in _form_models() if m._meta.label_lower not in CREATE_ONLY}
    admin_edited = {m for m, ma in admin.site._registry.items()
                    if m._meta.app_label in REGISTER_APPS
                    and m._meta.label_lower not in shared | ADMIN_ONLY
                    and ma.has_change_permission(_Request()) and _has_editable_field(m, ma)}
    assert edited  # (the admin may edit none of them in place: then it has nothing to lock)
    missing = sorted(m._meta.label_lower for m in edited | admin_edited if not _versioned(m))
    assert not missing, f"edited in place without a version (use editing.Versioned): {missing}"
    # parts name a versioned whole; every Versioned names its audit object type
    for model in edited | admin_edited:
        if issubclass(model, Versioned):
            assert model.audit_type, model
    # the fingerprints are gone: one StaleEditError, exported by every register's services
    for label in REGISTER_APPS:
        services = importlib.import_module(f"{apps.get_app_config(label).name}.services")
        assert services.StaleEditError is StaleEditError, label
        assert not [n for n in vars(services) if "fingerprint" in n.lower()], label


class _Request:
    """An installation administrator's request, for asking a ModelAdmin what it lets change."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        self.user = get_user_model().objects.get_or_create(
            username="root-k15", defaults={"is_staff": True, "is_superuser": True})[0]


def _has_editable_field(model: type, model_admin: admin.ModelAdmin) -> bool:
    request: Any = _Request()
    readonly = set(model_admin.get_readonly_fields(request))
    inlines = model_admin.get_inline_instances(request)
    own = [f.name for f in model._meta.fields if f.editable and not f.primary_key]
    return bool(set(own) - readonly) or bool(inlines)


# --- every edit view answers 409 on a stale version ----------------------------------------

# url name -> (page serving the form or None: the edit URL itself, form action or None)
EDIT_VIEWS = {
    "leases:lease_edit": None, "leases:property_edit": None, "leases:offer_edit": None,
    "leases:usufruct_update": "leases:usufruct_list", "housing:flat_edit": None,
    "parking:tariff_edit": None, "landscape:area_rules": None, "landscape:device_edit": None,
    "landscape:fee_rates": None, "taxes:case_status": "taxes:cases",
    "housing:resident_edit": None, "housing:stay_edit": None, "housing:waiting_edit": None,
    "housing:demand_edit": None, "housing:candidate_edit": None,
    "ppp:project_edit": None, "ppp:worksheet": None,
}
# what the officer types into a form that is served empty
FILLED_IN = {"leases:usufruct_update": {"new_land_value": "150000.00"}}
# edit endpoints that change no stored record in place (they add one, or run a computation)
NOT_IN_PLACE = {"leases:document_upload", "taxes:reconcile", "taxes:resolution_new",
                "taxes:taxpayer_new", "taxes:taxobject_new", "taxes:import",
                "leases:lease_new", "leases:offer_new", "housing:flat_new",
                "parking:tariff_new", "landscape:device_new",
                "taxes:rural_new", "taxes:batch", "taxes:decision_new", "taxes:decision_amend",
                "payments:import", "payments:reminders_issue", "payments:accounts",
                "housing:resident_new", "housing:stay_new", "housing:waiting_new",
                "housing:demand_new", "housing:candidate_new",
                "ppp:project_new", "ppp:milestone_add", "ppp:obligation_add"}
# in-place edits whose 409 on a stale version is proven by their register's own tests (their
# records are not in the permission matrix's world yet)
STALE_TESTED_ELSEWHERE = {
    "taxes:decision_status": "tests/db/test_tax_decisions.py (stale status change: 409)",
    "payments:resolve": "tests/db/test_payments_pages.py (stale queue resolution: 409)",
    "payments:reminder_delivered": "tests/db/test_payments_pages.py (stale delivery: 409)",
    "payments:bank": "tests/db/test_payments_pages.py (stale bank: 409)",
}


def test_the_edit_views_listed_are_all_there_are():
    edit = {ep.name for ep in walk() if ep.rule is not None and ep.rule.capability is not None
            and ep.rule.capability.value.startswith("edit_")}
    listed = {n.split(":")[1] for n in set(EDIT_VIEWS) | NOT_IN_PLACE
              | set(STALE_TESTED_ELSEWHERE)}
    assert edit == listed, "add the new edit view to EDIT_VIEWS (or NOT_IN_PLACE)"


def _record(world: Any, name: str) -> tuple[Any, dict[str, Any]]:  # noqa: F811
    """(model, lookup) of the record the edit view ``name`` changes in the world."""
    from layers.models import Parcel
    from registers.housing.models import (
        Candidate,
        Demand,
        ProtectedFlat,
        Resident,
        Stay,
        WaitingListEntry,
    )
    from registers.landscape.models import AdvertisingDevice, AdvertisingFeeRate, AreaRuleSet
    from registers.leases.models import InvestmentOffer, Lease, PropertyOverride, Usufruct
    from registers.parking.models import Tariff
    from registers.ppp.models import PppProject
    from registers.taxes.models import ReconciliationCase

    kw = world.by_name.get(name.split(":")[1], {})
    if name == "leases:property_edit":
        plot = Parcel.objects.get(pk=kw["parcel_id"])
        return PropertyOverride, {"municipality_id": plot.municipality_id,
                                  "cadastral_id": plot.cadastral_id}
    if name == "landscape:area_rules":
        return AreaRuleSet, {"area_id": kw["pk"]}
    if name == "landscape:fee_rates":
        query = dict(p.split("=") for p in world.query["fee_rates"].split("&"))
        return AdvertisingFeeRate, {"municipality_id": query["municipality"],
                                    "year": query["year"]}
    if name == "taxes:case_status":
        return ReconciliationCase, {"pk": world.kwargs["case_id"]}
    model = {"leases:lease_edit": Lease, "leases:offer_edit": InvestmentOffer,
             "leases:usufruct_update": Usufruct, "housing:flat_edit": ProtectedFlat,
             "parking:tariff_edit": Tariff, "landscape:device_edit": AdvertisingDevice,
             "housing:resident_edit": Resident, "housing:stay_edit": Stay,
             "housing:waiting_edit": WaitingListEntry, "housing:demand_edit": Demand,
             "housing:candidate_edit": Candidate,
             "ppp:project_edit": PppProject, "ppp:worksheet": PppProject}[name]
    return model, {"pk": kw["pk"]}


def _urls(world: Any, name: str) -> tuple[str, str, str | None]:  # noqa: F811
    """(page to load, URL to post to, the form's action on the page)."""
    kw = world.by_name.get(name.split(":")[1], {})
    if name == "landscape:fee_rates":
        url = reverse(name) + "?" + world.query["fee_rates"]
        return url, url, None
    if name == "taxes:case_status":
        url = reverse(name, kwargs={"case_id": world.kwargs["case_id"]})
        return reverse("taxes:cases", kwargs={"municipality_id": world.town_a.pk}), url, url
    url = reverse(name, kwargs=kw)
    page = EDIT_VIEWS[name]
    return (reverse(page), url, url) if page else (url, url, None)


def _editor(world: Any, name: str) -> Client:  # noqa: F811
    ep = next(e for e in walk() if e.name == name.split(":")[1])
    roles = CAPABILITIES[ep.rule.capability]
    key = next(k for k in sorted(world.users) if k.startswith("A:") and k[2:] in roles)
    client = Client(headers={"accept-language": "en"})
    client.force_login(world.users[key])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EDIT_VIEWS))
def test_every_edit_view_answers_409_on_a_stale_version(world, name):  # noqa: F811
    client = _editor(world, name)
    page, url, action = _urls(world, name)
    data = served_form(client, page, action) | FILLED_IN.get(name, {})
    assert "version" in data, f"{name}: the form sends no version"
    model, lookup = _record(world, name)
    # a colleague saves the record after this form was served
    moved = model.objects.filter(**lookup)
    if moved.exists():
        moved.update(version=F("version") + 1)
    else:  # a record that appears with its first change (the rules of an area)
        model.objects.create(**lookup)
    stored = model.objects.get(**lookup)
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.post(url, data)
    assert response.status_code == 409, (name, response.status_code,
                                         response.content.decode()[:1500])
    assert "Someone else" in response.content.decode()
    after = model.objects.get(**lookup)
    assert after.version == stored.version, f"{name}: a stale save wrote the record"
    assert not AuditEvent.objects.filter(pk__gt=mark).exclude(action="read_tax").exists()

