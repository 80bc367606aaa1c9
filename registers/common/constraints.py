"""Every database constraint of the registers, told to people: the field it belongs to and a
message in their language (issue #18: "Ograniczenie leases_lease_end_after_start zostało
naruszone" on top of the lease form).

The constraints stay in the database (the last word: nothing inconsistent is ever stored); the
forms check them first through ``ConstraintMessagesMixin``, which validates each constraint of
the form's model and puts this table's message on this table's field. A constraint missing here
fails ``tests/db/test_constraint_messages.py``; one the mixin meets without an entry still never
shows its name (a general message instead).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

_DATES = _("The end date cannot be before the start date.")
_CEASED = _("The obligation cannot cease before it arose.")
_BASIS = _("An exemption needs its legal basis.")
_GEOM = _("The drawn area is not a valid polygon (its outline crosses itself).")

#: constraint name → (field it is shown on, None: the whole form; message)
CONSTRAINT_MESSAGES: dict[str, tuple[str | None, Any]] = {
    # taxes
    "taxes_ratecap_year_category_uniq": (
        "category", _("A maximum rate for this year and category is already recorded.")),
    "taxes_conversion_key_uniq": (
        "soil_class", _("This conversion factor is already recorded.")),
    "taxes_resolution_year_uniq": (
        "year", _("The municipality already has a rate resolution for this year.")),
    "taxes_rate_variant_uniq": (
        "variant", _("This category already has a rate with this variant code.")),
    "taxes_taxpayer_ref_uniq": (
        "external_ref", _("Another taxpayer of the municipality has this reference number.")),
    "taxes_object_base_matches_kind": (
        "category", _("The category and the base do not fit the kind of object: land needs "
                      "its area, a building its usable area, a structure its value.")),
    "taxes_object_exemption_has_basis": ("exemption_basis", _BASIS),
    "taxes_object_dates_ordered": ("ceased_on", _CEASED),
    "taxes_coowner_uniq": ("taxpayer", _("This taxpayer is already a co-owner of the object.")),
    "taxes_coowner_share_valid": (
        "numerator", _("The share must be a fraction of at most 1 with a positive "
                       "denominator.")),
    "taxes_assessmentyear_uniq": ("year", _("This year is already open for assessment.")),
    "taxes_case_fingerprint_uniq": (None, _("This discrepancy is already recorded as a case.")),
    "taxes_rural_exemption_has_basis": ("exemption_basis", _BASIS),
    "taxes_rural_forest_flags_only_on_forest": (
        "reserve", _("Nature reserve and young stand apply to forest only.")),
    "taxes_rural_dates_ordered": ("ceased_on", _CEASED),
    "taxes_decision_seq_uniq": (None, _("The numbering of decisions for this year exists.")),
    "taxes_decision_number_uniq": (
        "number", _("Another decision of the municipality has this number.")),
    "taxes_decision_in_force_uniq": (
        None, _("The taxpayer already has a decision in force for this year and tax.")),
    "taxes_decision_amount_ge0": ("amount", _("The amount cannot be negative.")),
    "taxes_decision_delivered_after_issue": (
        "delivered_on", _("The delivery date cannot be before the date of issue.")),
    "taxes_instalment_number_uniq": (
        "number", _("The decision already has an instalment with this number.")),
    # leases
    "leases_propertyoverride_parcel_uniq": (
        "cadastral_id", _("This plot already has a property record.")),
    "leases_priceindex_cpi_positive": ("cpi", _("The price index must be greater than zero.")),
    "leases_lease_geom_valid": ("area_geojson", _GEOM),
    "leases_lease_end_after_start": ("end_date", _DATES),
    "leases_lease_rent_nonnegative": ("rent_amount", _("The rent cannot be negative.")),
    "leases_lease_has_plots": (
        "cadastral_ids", _("Give at least one plot or draw the leased area on the map.")),
    "leases_usufruct_value_nonnegative": (
        "land_value", _("The value of the land cannot be negative.")),
    "leases_offer_geom_valid": ("geom", _GEOM),
    # housing
    "housing_flat_places_positive": ("places", _("A flat has at least one place.")),
    "housing_flat_area_positive": (
        "usable_area_m2", _("The usable area must be greater than zero.")),
    "housing_resolution_uniq": (
        "valid_from", _("The municipality already has a fee resolution from this date.")),
    "housing_resident_household_positive": (
        "household_size", _("A household has at least one person.")),
    "housing_resident_income_nonnegative": (
        "monthly_income", _("The income cannot be negative.")),
    "housing_demand_uniq": (
        None, _("The demand for this year, category and kind of flat is already recorded.")),
    "housing_candidate_places_positive": (
        "planned_places", _("A candidate flat offers at least one place.")),
    "housing_candidate_area_positive": (
        "usable_area_m2", _("The usable area must be greater than zero.")),
    # parking
    "parking_tariff_period_order": ("valid_to", _DATES),
    "parking_subscription_uniq": ("period_days", _("The tariff already has this subscription.")),
    "parking_session_operator_external_uniq": (
        "external_id", _("The operator already reported a session with this id.")),
    "parking_session_period_order": ("end_time", _("The end must be after the start.")),
    "parking_permit_period_order": ("valid_to", _DATES),
    # landscape
    "landscape_resolution_uniq": (
        "number", _("The municipality already has a resolution with this number.")),
    "landscape_feerate_uniq": (
        "year", _("The municipality already has fee rates for this year.")),
    "landscape_feedecision_number_uniq": (
        "number", _("Another advertising-fee decision of the municipality has this number.")),
    # payments
    "payments_account_nrb_26_digits": ("nrb", _("An account number (NRB) has 26 digits.")),
    "payments_charge_open_in_range": (
        None, _("The open amounts must lie between zero and the amount of the charge.")),
    "payments_statement_fingerprint_uniq": (None, _("This statement is already imported.")),
    "payments_payment_fingerprint_uniq": (None, _("This payment is already recorded.")),
    "payments_payment_allocated_has_taxpayer": (
        "taxpayer", _("A matched or allocated payment needs its taxpayer.")),
    "payments_reminder_number_uniq": (
        "number", _("Another reminder of the municipality has this number.")),
}

#: What a constraint without an entry says (never its name).
UNKNOWN_CONSTRAINT = _("The record conflicts with the register's rules or with another record.")


def constraint_error(name: str, field_names: Any = ()) -> tuple[str, Any]:
    """(field or NON_FIELD_ERRORS, message) for the constraint ``name``; a field the form does
    not show gets the message on the whole form."""
    field, message = CONSTRAINT_MESSAGES.get(name, (None, UNKNOWN_CONSTRAINT))
    if field is None or (field_names and field not in field_names):
        return NON_FIELD_ERRORS, message
    return field, message


class ConstraintMessagesMixin:
    """For a register's ``ModelForm``: each model constraint checked one by one, its violation
    shown on its field with a message for people (``CONSTRAINT_MESSAGES``), never the
    constraint's name. Fields the form leaves out but the record already holds (the town of a
    record being edited) take part in the check too."""

    def _post_clean(self) -> None:
        form: Any = self
        instance = form.instance
        # the model's own check would name the constraint; this mixin checks them below
        instance.validate_constraints = _skip_constraints
        try:
            super()._post_clean()  # type: ignore[misc]
        finally:
            del instance.validate_constraints
        self.check_constraints()

    def check_constraints(self) -> None:
        form: Any = self
        instance = form.instance
        exclude = form._get_validation_exclusions()
        exclude.update(name for name in form.errors if name != NON_FIELD_ERRORS)
        declared = form._meta.fields
        if isinstance(declared, list | tuple):  # a form field of a model field's name that the
            # form fills itself (the lease's plots, from the drawn area): the service checks it
            exclude.update(name for name in form.fields
                           if name not in declared and _has_field(instance, name))
        # A check on the record's own values also takes the values it holds without a form
        # field (the town of a record being edited). Uniqueness keeps Django's exclusions: a
        # colleague's record saved meanwhile is the kernel's stale edit (409), not a typo.
        check_exclude = set(exclude)
        for name in list(check_exclude):
            field = instance._meta.get_field(name) if _has_field(instance, name) else None
            if field is not None and field.concrete and \
                    getattr(instance, field.attname, None) not in (None, "") and \
                    name not in form.fields:
                check_exclude.discard(name)
        errors: dict[str, list[Any]] = {}
        for constraint in instance._meta.constraints:
            unique = isinstance(constraint, models.UniqueConstraint)
            try:
                constraint.validate(type(instance), instance,
                                    exclude=exclude if unique else check_exclude)
            except ValidationError:
                key, message = constraint_error(constraint.name, form.fields)
                if key in form.errors and key != NON_FIELD_ERRORS:
                    continue  # the field's own problem is said already
                if message not in errors.setdefault(key, []):
                    errors[key].append(message)
        if errors:
            form._update_errors(ValidationError(
                {k: [ValidationError(m, code="constraint") for m in v]
                 for k, v in errors.items()}))


def _skip_constraints(exclude: Any = None) -> None:
    return None


def _has_field(instance: Any, name: str) -> bool:
    try:
        instance._meta.get_field(name)
    except Exception:
        return False
    return True


class ConstraintModelForm(ConstraintMessagesMixin, forms.ModelForm):
    """A ``ModelForm`` whose constraint violations read as field messages."""
