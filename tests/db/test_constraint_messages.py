"""Database constraints never reach the user (issue #18): every constraint of the registers has a
field and a Polish message (registers.common.constraints), every register ModelForm checks them
through the mixin, and the forms walked with invalid values answer with a message on the field,
never the constraint's name ("Ograniczenie leases_lease_end_after_start zostało naruszone")."""

from __future__ import annotations

import importlib
import inspect
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.test import Client
from django.utils import translation

from gis_app.accounts.roles import Role
from registers.common.constraints import CONSTRAINT_MESSAGES, ConstraintMessagesMixin
from tests.conftest import square

REGISTERS = ("taxes", "leases", "housing", "parking", "landscape", "payments")


def _register_models():
    return [m for m in apps.get_models() if m._meta.app_label in REGISTERS]


def _constraints():
    return [(m, c) for m in _register_models() for c in m._meta.constraints]


def test_every_register_constraint_has_a_field_and_a_polish_message():
    missing = [c.name for _m, c in _constraints() if c.name not in CONSTRAINT_MESSAGES]
    assert missing == [], f"constraints without a message for people: {missing}"
    untranslated = []
    for model, constraint in _constraints():
        field, message = CONSTRAINT_MESSAGES[constraint.name]
        with translation.override("pl"):
            polish = str(message)
        with translation.override("en"):
            english = str(message)
        if polish == english:
            untranslated.append(constraint.name)
        assert constraint.name not in polish
        if field is not None and field not in {f.name for f in model._meta.get_fields()}:
            # a form-only field (the lease's drawn area) must exist on the model's form
            assert field in {"area_geojson"}, (constraint.name, field)
    assert untranslated == []


def _model_forms():
    for app in REGISTERS:
        module = importlib.import_module(f"registers.{app}.forms")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            # a base form of its own (no Meta.model) is checked through its subclasses
            if (issubclass(cls, forms.ModelForm) and cls.__module__ == module.__name__
                    and cls._meta.model is not None):
                yield cls


def test_every_register_model_form_with_constraints_checks_them_with_messages():
    offenders = [cls.__name__ for cls in _model_forms()
                 if cls._meta.model._meta.constraints
                 and not issubclass(cls, ConstraintMessagesMixin)]
    assert offenders == []


# --- the walk: invalid values into each form ------------------------------------------------

X, Y = 677_000.0, 211_000.0


def _drawn(x: float, y: float, size: float) -> str:
    geom = square(x, y, size)
    geom.transform(4326)
    return geom[0].json


def _no_constraint_name(text: str) -> None:
    names = [c.name for _m, c in _constraints() if c.name in text]
    assert names == [], f"constraint names on the page: {names}"
    assert "Ograniczenie" not in text and "Constraint" not in text


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "field", "message"), [
    ({"end_date": "2024-01-01"}, "end_date",
     "Data zakończenia nie może być wcześniejsza niż data rozpoczęcia."),
    ({"rent_amount": "-5"}, "rent_amount", None),
    ({"lessee_tax_id": "1234567890"}, "lessee_tax_id", "nie jest poprawnym numerem NIP"),
])
def test_lease_page_puts_each_problem_on_its_field(make_parcel, make_user, bad, field,
                                                    message):
    plot = make_parcel("1", X, Y, size=40)
    town = plot.municipality
    client = Client(headers={"accept-language": "pl"})
    client.force_login(make_user("officer", town, (Role.PROPERTY_OFFICER,)))
    data = {
        "municipality": town.id, "number": "GN.8/2025", "kind": "lease", "status": "proposed",
        "lessee_kind": "person", "lessee_name": "Maria Nowak", "cadastral_ids": plot.cadastral_id,
        "purpose": "garden", "rent_amount": "240.00", "rent_period": "yearly", "vat_rate": "23",
        "indexation": "cpi", "start_date": "2025-04-01", "end_date": "2027-03-31",
        "procedure": "no_tender", "area_geojson": _drawn(X + 20, Y + 20, 10), **bad}
    response = client.post("/leases/new/", data)
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field], form.errors
    if message:
        assert message in " ".join(form.errors[field])
    _no_constraint_name(response.content.decode())


@pytest.mark.django_db
def test_forms_put_constraint_violations_on_the_field(make_municipality):
    """The form-level walk: each case violates one model constraint the form's own field
    validation lets through; the mixin puts the message on the field."""
    from registers.housing.forms import FlatForm
    from registers.taxes.forms import RuralLandObjectForm, TaxObjectForm
    from registers.taxes.models import Taxpayer

    town = make_municipality()
    towns = type(town).objects.filter(pk=town.pk)
    taxpayer = Taxpayer.objects.create(municipality=town, name="Jan Kowalski")
    flat = {"municipality": town.pk, "address": "ul. Długa 7", "kind": "training",
            "operator_kind": "municipality", "places": "2", "occupied_places": "0",
            "usable_area_m2": "40"}
    land = {"taxpayer": taxpayer.pk, "kind": "land", "category": "G3",
            "cadastral_id": "180501_1.0001.1", "area_m2": "100"}
    rural = {"taxpayer": taxpayer.pk, "tax": "agricultural", "cadastral_id": "180501_1.0001.1",
             "ofu": "R", "soil_class": "IIIa", "area_ha": "1.0000"}
    cases = [
        (FlatForm(dict(flat, places="0"), municipalities=towns), "places"),
        (FlatForm(dict(flat, usable_area_m2="0"), municipalities=towns), "usable_area_m2"),
        (TaxObjectForm(dict(land, exempt="on"), municipality_id=town.pk), "exemption_basis"),
        (TaxObjectForm(dict(land, arose_on="2025-05-01", ceased_on="2025-01-01"),
                       municipality_id=town.pk), "ceased_on"),
        (RuralLandObjectForm(dict(rural, young_stand="on"), municipality_id=town.pk),
         "reserve"),
    ]
    with translation.override("pl"):
        for form, field in cases:
            assert not form.is_valid()
            assert field in form.errors, (type(form).__name__, form.errors)
            assert "__all__" not in form.errors, (type(form).__name__, form.errors)
            _no_constraint_name(str(form.errors))


@pytest.mark.django_db
def test_the_mixin_alone_turns_a_check_constraint_into_a_field_message(make_municipality):
    """Without the form's own check, the constraint's message still lands on its field."""
    from registers.housing.forms import FlatForm

    town = make_municipality()

    class Bare(FlatForm):
        class Meta(FlatForm.Meta):
            pass

    Bare.base_fields["places"].min_value = None
    Bare.base_fields["places"].validators = []
    form = Bare({"municipality": town.pk, "address": "ul. Długa 7", "kind": "training",
                 "operator_kind": "municipality", "places": "0", "occupied_places": "0",
                 "usable_area_m2": Decimal("40")},
                municipalities=type(town).objects.filter(pk=town.pk))
    with translation.override("pl"):
        assert not form.is_valid()
        assert form.errors["places"] == ["Mieszkanie ma co najmniej jedno miejsce."], form.errors


@pytest.mark.django_db
def test_a_lease_of_land_the_town_does_not_own_needs_its_reason(make_parcel, make_user):
    """Issue #18: the lease page warns about plots that are not municipal property and saves
    only with the reason; a municipal plot needs none."""
    from layers.models import RegistrationUnit
    from registers.leases.models import Lease

    foreign = make_parcel("1", X, Y, size=40)
    town = foreign.municipality
    municipal = make_parcel("2", X + 100, Y, size=40, municipality=town)
    municipal.registration_unit = RegistrationUnit.objects.create(
        municipality=town, unit_id="G.1", kind="G", group=4, source_namespace="test",
        local_id="ru-g1")
    municipal.save()
    client = Client(headers={"accept-language": "pl"})
    client.force_login(make_user("officer", town, (Role.PROPERTY_OFFICER,)))

    def post(plot, x, **extra):
        return client.post("/leases/new/", {
            "municipality": town.id, "number": f"GN.{plot.number}", "kind": "lease",
            "status": "proposed", "lessee_kind": "person", "lessee_name": "Maria Nowak",
            "cadastral_ids": plot.cadastral_id, "purpose": "garden", "rent_amount": "240.00",
            "rent_period": "yearly", "vat_rate": "23", "indexation": "cpi",
            "start_date": "2025-04-01", "end_date": "2027-03-31", "procedure": "no_tender",
            "area_geojson": _drawn(x + 10, Y + 10, 10), **extra})

    warned = post(foreign, X)
    assert warned.status_code == 400
    assert list(warned.context["form"].errors) == ["ownership_reason"]
    assert foreign.cadastral_id in warned.context["form"].errors["ownership_reason"][0]
    assert "Gmina nie jest właścicielem" in warned.content.decode()
    assert "Narysuj wielok" in warned.content.decode()  # the drawing toolbar in Polish (JSON)
    assert not Lease.objects.exists()
    assert post(foreign, X, ownership_reason="umowa użyczenia").status_code == 302
    assert Lease.objects.get().ownership_reason == "umowa użyczenia"
    assert post(municipal, X + 100).status_code == 302
