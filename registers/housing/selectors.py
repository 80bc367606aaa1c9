"""Read queries of the protected-housing register, scoped to the user's municipalities."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from gis_app.accounts.access import has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from layers.models import Parcel
from registers.housing.messages import issue_text
from registers.housing.models import HousingStandard, ProtectedFlat
from registers.housing.rules import DRAFT_STANDARD, Standard, flat_issues, m2_per_person


def standard_on(on_date: date | None = None) -> Standard:
    """The standard in force on ``on_date`` (data keyed by date; the draft when none is stored)."""
    row = (HousingStandard.objects.filter(valid_from__lte=on_date or date.today())
           .order_by("-valid_from").first())
    if row is None:
        return DRAFT_STANDARD
    return Standard(max_persons=row.max_persons, min_m2_per_person=row.min_m2_per_person)


def flat_queryset(user: Any, capability: Capability = Capability.VIEW_HOUSING
                  ) -> QuerySet[ProtectedFlat]:
    return ProtectedFlat.objects.filter(municipality_id__in=municipality_ids(user, capability))


def flat_get(user: Any, flat_id: int, capability: Capability = Capability.VIEW_HOUSING
             ) -> ProtectedFlat | None:
    return flat_queryset(user, capability).select_related("municipality").filter(
        pk=flat_id).first()


def flat_check(flat: ProtectedFlat, standard: Standard | None = None) -> list[Any]:
    return flat_issues(kind=flat.kind, places=flat.places, occupied=flat.occupied_places,
                       usable_area_m2=flat.usable_area_m2, stay_months=flat.stay_months,
                       standard=standard or standard_on())


def flat_rows(user: Any, *, kind: str = "", operator: str = "", flagged: str = "",
              q: str = "") -> list[dict[str, Any]]:
    """Rows of the flat list with the standard check; ``flagged=yes`` keeps breaches only."""
    qs = flat_queryset(user).select_related("municipality").order_by("address")
    if kind:
        qs = qs.filter(kind=kind)
    if operator:
        qs = qs.filter(operator_kind=operator)
    if q:
        qs = qs.filter(address__icontains=q.strip()) | qs.filter(
            cadastral_id__icontains=q.strip())
    standard = standard_on()
    rows = []
    for f in qs:
        issues = flat_check(f, standard)
        if flagged in ("yes", "no") and bool(issues) != (flagged == "yes"):
            continue
        rows.append({
            "id": f.id, "municipality": f.municipality.name, "address": f.address,
            "cadastral_id": f.cadastral_id, "building_id": f.building_id,
            "premises_id": f.premises_id, "kind": f.kind, "kind_label": f.get_kind_display(),
            "operator": f.get_operator_kind_display(), "operator_name": f.operator_name,
            "places": f.places, "occupied_places": f.occupied_places,
            "usable_area_m2": f.usable_area_m2,
            "m2_per_person": m2_per_person(f.usable_area_m2, max(f.places, f.occupied_places)),
            "accessible": f.accessible, "target_group": f.target_group,
            "voivode_register_date": f.voivode_register_date, "stay_months": f.stay_months,
            "issues": issues, "flagged": bool(issues),
        })
    return rows


def card_section(user: Any, parcel: Parcel) -> dict[str, Any] | None:
    """The parcel card's protected-housing section: counts only; None for users without
    VIEW_HOUSING in the plot's municipality."""
    if not has_capability(user, Capability.VIEW_HOUSING, parcel.municipality_id):
        return None
    standard = standard_on()
    flats = []
    for f in ProtectedFlat.objects.filter(municipality_id=parcel.municipality_id,
                                          cadastral_id=parcel.cadastral_id).order_by("address"):
        flats.append({
            "id": f.id, "address": f.address, "kind": f.get_kind_display(),
            "operator": f.get_operator_kind_display(), "operator_name": f.operator_name,
            "places": f.places, "occupied_places": f.occupied_places,
            "usable_area_m2": f.usable_area_m2, "accessible": f.accessible,
            "issues": [issue_text(i) for i in flat_check(f, standard)],
        })
    return {"cadastral_id": parcel.cadastral_id, "flats": flats,
            "can_edit": has_capability(user, Capability.EDIT_HOUSING, parcel.municipality_id)}
