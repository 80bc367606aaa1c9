"""Changes to the protected-housing register: checked, versioned and audit-logged."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gis_app.accounts.roles import Capability
from layers.models import Parcel
from registers.common.editing import (
    StaleEditError as StaleEditError,  # callers catch it from the register's services
)
from registers.common.editing import (
    audit_change,
    changes,
    locked_update,
    require_capability,
    snapshot,
)
from registers.housing import rules
from registers.housing.messages import issue_text
from registers.housing.models import (
    Candidate,
    Category,
    Demand,
    ProtectedFlat,
    Resident,
    Stay,
    WaitingListEntry,
)

FLAT_FIELDS = [
    "address", "cadastral_id", "building_id", "premises_id", "kind", "operator_kind",
    "operator_name", "places", "occupied_places", "usable_area_m2", "accessible", "target_group",
    "voivode_register_date", "stay_months", "notes",
]


def _check(flat: ProtectedFlat) -> None:
    if not Parcel.objects.filter(municipality_id=flat.municipality_id, retired_at__isnull=True,
                                 cadastral_id=flat.cadastral_id).exists():
        raise ValidationError({"cadastral_id": _("No such plot in this municipality: %(id)s")
                               % {"id": flat.cadastral_id}})
    if flat.occupied_places is not None and flat.places is not None \
            and flat.occupied_places > flat.places:
        raise ValidationError({"occupied_places": _("More places occupied than the flat has.")})


def flat_save(user: Any, municipality_id: int, data: dict[str, Any], *, flat_id: int | None = None,
              expected_version: int | None = None) -> ProtectedFlat:
    """Create (``flat_id`` None) or update a flat; an update needs the version it was read at.

    Breaches of the standard are shown, not refused: the register must record a flat as it is.
    """
    require_capability(user, Capability.EDIT_HOUSING, municipality_id,
                       _("You may not edit protected housing of this municipality."))
    with transaction.atomic():
        if flat_id is None:
            flat = ProtectedFlat(municipality_id=municipality_id)
            before = None
        else:
            flat = locked_update(
                ProtectedFlat.objects.filter(pk=flat_id, municipality_id=municipality_id),
                expected_version,
                stale=lambda stored: _(
                    "Someone else saved this flat (version %(theirs)s) after you opened it "
                    "(version %(yours)s). Reload the page and edit again.")
                % {"theirs": stored.version, "yours": expected_version},
                gone=_("The flat no longer exists."))
            before = snapshot(flat, FLAT_FIELDS)
            flat.bump()
        for name, value in data.items():
            if name not in FLAT_FIELDS:
                raise ValueError(f"not a flat field: {name}")
            setattr(flat, name, value)
        _check(flat)
        flat.save()
        audit_change(user, flat, before, snapshot(flat, FLAT_FIELDS),
                     municipality_id=municipality_id)
    return flat



# --- residents, stays, the waiting list, the plan -----------------------------------------------
#
# One save for every record of the residents' part and the plan: the capability in the record's
# town, the row locked at the version the form was built from, the register's checks, the
# before/after snapshot in the audit log. Residents' snapshots are audited like every change;
# the audit viewer is the administrator's, who sees that a record changed (fields by label).

RESIDENT_FIELDS = ["full_name", "birth_year", "category", "needs_accessible", "household_size",
                   "monthly_income", "notes"]
STAY_FIELDS = ["flat", "referral_number", "referral_date", "welfare_centre", "support",
               "planned_from", "planned_until", "actual_from", "actual_until"]
WAITING_FIELDS = ["kind", "applied_on", "criteria", "status"]
DEMAND_FIELDS = ["year", "category", "kind", "persons", "accessible_persons", "entered_by"]
CANDIDATE_FIELDS = ["address", "cadastral_id", "premises_id", "kind", "planned_places",
                    "usable_area_m2", "accessible", "must_be_accessible", "needs_refurbishment",
                    "notes"]


def _check_stay(stay: Stay) -> None:
    if stay.flat.municipality_id != stay.resident.municipality_id:
        raise ValidationError({"flat": _("The flat is in another municipality than the "
                                         "resident's.")})
    refused = {"planned_backwards", "actual_backwards", "training_needs_end"}
    problems = [i for i in rules.stay_issues(
        kind=stay.flat.kind, planned_from=stay.planned_from, planned_until=stay.planned_until,
        actual_from=stay.actual_from, actual_until=stay.actual_until, on=date.today())
        if i.code in refused]
    if problems:
        raise ValidationError([issue_text(i) for i in problems])
    overlapping = Stay.objects.filter(resident_id=stay.resident_id,
                                      actual_from__isnull=False).exclude(pk=stay.pk)
    if stay.actual_from is not None:
        for other in overlapping:
            if other.actual_from <= (stay.actual_until or date.max) and \
                    stay.actual_from <= (other.actual_until or date.max):
                raise ValidationError({"actual_from": _(
                    "The resident already lives in a flat then (referral %(number)s).")
                    % {"number": other.referral_number}})


def _check_waiting(entry: WaitingListEntry) -> None:
    known = set(Category.values)
    unknown = sorted(set(entry.criteria) - known)
    if unknown:
        raise ValidationError({"criteria": _("Unknown criteria: %(c)s") % {
            "c": ", ".join(unknown)}})


def _check_demand(demand: Demand) -> None:
    if demand.accessible_persons > demand.persons:
        raise ValidationError({"accessible_persons": _(
            "More persons needing accessibility than persons.")})


def _check_candidate(candidate: Candidate) -> None:
    from registers.leases.selectors import municipal_parcels

    if not municipal_parcels([candidate.municipality_id]).filter(
            cadastral_id=candidate.cadastral_id).exists():
        raise ValidationError({"cadastral_id": _(
            "Plot %(id)s is not municipal property of this municipality (the property "
            "register).") % {"id": candidate.cadastral_id}})


SPECS: dict[type, tuple[list[str], Capability, Any]] = {
    Resident: (RESIDENT_FIELDS, Capability.EDIT_RESIDENTS, None),
    Stay: (STAY_FIELDS, Capability.EDIT_RESIDENTS, _check_stay),
    WaitingListEntry: (WAITING_FIELDS, Capability.EDIT_RESIDENTS, _check_waiting),
    Demand: (DEMAND_FIELDS, Capability.EDIT_RESIDENTS, _check_demand),
    Candidate: (CANDIDATE_FIELDS, Capability.EDIT_HOUSING, _check_candidate),
}


def municipality_of(obj: Any) -> int:
    if isinstance(obj, Stay | WaitingListEntry):
        return obj.resident.municipality_id
    return obj.municipality_id


def record_save(user: Any, model: type, data: dict[str, Any], *, pk: int | None = None,
                expected_version: int | None = None, **create: Any) -> Any:
    """Create (``pk`` None, ``create`` giving the municipality or the resident) or update one
    record of the residents' part or the plan; an update needs the version it was read at."""
    fields, capability, check = SPECS[model]
    with transaction.atomic():
        if pk is None:
            obj = model(**create)
            before = None
        else:
            obj = locked_update(model.objects.filter(pk=pk), expected_version,
                                gone=_("The record no longer exists."))
            before = snapshot(obj, fields)
            obj.bump()
        town = municipality_of(obj)
        require_capability(user, capability, town,
                           _("You may not change these records of this municipality."))
        for name, value in data.items():
            if name not in fields:
                raise ValueError(f"not a {model.__name__} field: {name}")
            setattr(obj, name, value)
        if isinstance(obj, Stay):
            require_capability(user, capability, obj.flat.municipality_id,
                               _("You may not change these records of this municipality."))
        if check is not None:
            check(obj)
        obj.save()
        before, after = changes(before, snapshot(obj, fields))
        if model in SENSITIVE:
            # the audit viewer is the administrator's: it learns which fields moved, not
            # their values (residents' data stay with the social-welfare officer)
            before = None if before is None else dict.fromkeys(before, MASK)
            after = dict.fromkeys(after, MASK)
        audit_change(user, obj, before, after, municipality_id=town, only_changes=False)
    return obj


SENSITIVE = (Resident, Stay, WaitingListEntry)
MASK = "•••"
