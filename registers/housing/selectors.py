"""Read queries of the protected-housing register, scoped to the user's municipalities."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_noop

from gis_app.accounts.access import has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from layers.models import Parcel
from registers.housing.messages import issue_text
from registers.housing.models import (
    Candidate,
    Category,
    Demand,
    HousingResolution,
    HousingStandard,
    ProtectedFlat,
    Resident,
    Stay,
    WaitingListEntry,
)
from registers.housing.rules import (
    DRAFT_STANDARD,
    AdaptationRates,
    ResidentFee,
    Standard,
    WaitingEntry,
    adaptation_cost,
    candidate_issues,
    flat_issues,
    m2_per_person,
    occupancy_issues,
    plan_balance,
    rank_waiting_list,
    resident_fee,
    stay_active,
    stay_issues,
)


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


# --- residents (VIEW_RESIDENTS, every read audited) ---------------------------------------------

def _audit_read(user: Any, object_type: str, object_id: Any, municipality_id: int,
                detail: Note | str = "") -> None:
    audit(user, AuditAction.READ_RESIDENTS, object_type, object_id,
          municipality_id=municipality_id, detail=detail)


def resident_queryset(user: Any, capability: Capability = Capability.VIEW_RESIDENTS
                      ) -> QuerySet[Resident]:
    return Resident.objects.filter(municipality_id__in=municipality_ids(user, capability))


def resolution_on(municipality_id: int, on: date | None = None) -> HousingResolution | None:
    """The council's resolution in force on ``on``: the latest valid by then."""
    return (HousingResolution.objects.filter(municipality_id=municipality_id,
                                             valid_from__lte=on or date.today())
            .order_by("-valid_from").first())


def fee_of(resident: Resident, resolution: HousingResolution | None
           ) -> tuple[ResidentFee | None, Decimal | None]:
    """(the fee, the criterion applied); (None, None) without a resolution."""
    if resolution is None:
        return None, None
    criterion = (resolution.criterion_single if resident.household_size == 1
                 else resolution.criterion_family)
    return resident_fee(resident.monthly_income, criterion, resolution.monthly_cost,
                        resolution.brackets()), criterion


def current_stay(resident: Resident, on: date) -> Stay | None:
    for stay in resident.stays.all():
        if stay_active(stay.actual_from, stay.actual_until, on):
            return stay
    return None


def resident_rows(user: Any, *, q: str = "", on: date | None = None) -> list[dict[str, Any]]:
    """The residents' list with each one's current flat and fee; one audited read per town."""
    on = on or date.today()
    qs = (resident_queryset(user).select_related("municipality")
          .prefetch_related(Prefetch("stays", queryset=Stay.objects.select_related("flat"))))
    if q.strip():
        qs = qs.filter(full_name__icontains=q.strip())
    resolutions: dict[int, HousingResolution | None] = {}
    rows = []
    for r in qs:
        if r.municipality_id not in resolutions:
            resolutions[r.municipality_id] = resolution_on(r.municipality_id, on)
        fee, _criterion = fee_of(r, resolutions[r.municipality_id])
        stay = current_stay(r, on)
        rows.append({"id": r.id, "full_name": r.full_name, "category": r.get_category_display(),
                     "municipality": r.municipality.name, "stay": stay,
                     "flat": stay.flat.address if stay else "", "fee": fee,
                     "issues": [issue_text(i) for i in _stay_issues(stay, on)] if stay else []})
    for mid in sorted({r.municipality_id for r in qs} or set()):
        _audit_read(user, "housing.resident", "", mid,
                    detail=Note(gettext_noop("resident list, rows: %(count)s"),
                                count=len(rows)))
    return rows


def _stay_issues(stay: Stay, on: date) -> list[Any]:
    return stay_issues(kind=stay.flat.kind, planned_from=stay.planned_from,
                       planned_until=stay.planned_until, actual_from=stay.actual_from,
                       actual_until=stay.actual_until, on=on)


def resident_detail(user: Any, pk: int, on: date | None = None) -> dict[str, Any] | None:
    """One resident with stays, the fee and the waiting entries (an audited read), or None."""
    on = on or date.today()
    resident = resident_queryset(user).select_related("municipality").filter(pk=pk).first()
    if resident is None:
        return None
    _audit_read(user, "housing.resident", resident.pk, resident.municipality_id)
    resolution = resolution_on(resident.municipality_id, on)
    fee, criterion = fee_of(resident, resolution)
    stays = list(resident.stays.select_related("flat").order_by("-planned_from"))
    return {"resident": resident, "resolution": resolution, "fee": fee, "criterion": criterion,
            "stays": [{"stay": s, "active": stay_active(s.actual_from, s.actual_until, on),
                       "issues": [issue_text(i) for i in _stay_issues(s, on)]} for s in stays],
            "waiting": list(resident.waiting.order_by("-applied_on")),
            "can_edit": has_capability(user, Capability.EDIT_RESIDENTS,
                                       resident.municipality_id)}


def waiting_list(user: Any, *, kind: str = "") -> list[dict[str, Any]]:
    """Waiting applicants in the order of the resolution's criteria (an audited read)."""
    qs = (WaitingListEntry.objects.filter(
        status=WaitingListEntry.Status.WAITING,
        resident__municipality_id__in=municipality_ids(user, Capability.VIEW_RESIDENTS))
        .select_related("resident", "resident__municipality"))
    if kind:
        qs = qs.filter(kind=kind)
    out = []
    by_town: dict[int, list[WaitingListEntry]] = {}
    for e in qs:
        by_town.setdefault(e.resident.municipality_id, []).append(e)
    for mid, entries in sorted(by_town.items()):
        resolution = resolution_on(mid)
        points = {str(k): int(v) for k, v in (resolution.waiting_points if resolution
                                              else {}).items()}
        by_id = {e.id: e for e in entries}
        for ranked in rank_waiting_list([WaitingEntry(e.id, e.applied_on, tuple(e.criteria))
                                         for e in entries], points):
            e = by_id[ranked.key]
            out.append({"position": ranked.position, "points": ranked.points, "entry": e,
                        "resident": e.resident, "municipality": e.resident.municipality.name,
                        "criteria": [str(dict(Category.choices).get(c, c)) for c in e.criteria],
                        "resolution": resolution})
        _audit_read(user, "housing.waiting", "", mid,
                    detail=Note(gettext_noop("waiting list, entries: %(count)s"),
                                count=len(entries)))
    return out


# --- the plan (counts only: VIEW_HOUSING) --------------------------------------------------------

def occupied_from_stays(flat_ids: list[int], on: date) -> dict[int, int]:
    """Residents living in each flat on ``on`` (a count: no resident is read)."""
    counts: dict[int, int] = {}
    for fid, a_from, a_until in Stay.objects.filter(flat_id__in=flat_ids).values_list(
            "flat_id", "actual_from", "actual_until"):
        if stay_active(a_from, a_until, on):
            counts[fid] = counts.get(fid, 0) + 1
    return counts


def plan(user: Any, municipality_id: int, year: int) -> dict[str, Any]:
    """Demand (the centre's, by category and kind) against supply: places in the flats in use
    and in candidate municipal flats that meet the standard, with the cost of adapting them."""
    on = date(year, 1, 1) if year != date.today().year else date.today()
    standard = standard_on(on)
    resolution = resolution_on(municipality_id, on)
    rates = AdaptationRates(resolution.adaptation_per_m2 if resolution else Decimal("0"),
                            resolution.adaptation_accessibility if resolution else Decimal("0"))
    demand = list(Demand.objects.filter(municipality_id=municipality_id, year=year)
                  .order_by("kind", "category"))
    flats = list(ProtectedFlat.objects.filter(municipality_id=municipality_id)
                 .order_by("address"))
    occupied = occupied_from_stays([f.id for f in flats], on)
    flat_rows_ = [{"flat": f, "occupied": occupied.get(f.id, f.occupied_places),
                   "issues": [issue_text(i) for i in flat_check(f, standard)]
                   + [issue_text(i) for i in occupancy_issues(
                       f.places, occupied.get(f.id, f.occupied_places))
                      if occupied.get(f.id, f.occupied_places) > f.places]}
                  for f in flats]
    candidates = []
    for c in Candidate.objects.filter(municipality_id=municipality_id).order_by("address"):
        issues = candidate_issues(usable_area_m2=c.usable_area_m2, places=c.planned_places,
                                  accessible=c.accessible,
                                  must_be_accessible=c.must_be_accessible, standard=standard)
        meets = not [i for i in issues if i.code != "not_accessible"]
        candidates.append({
            "candidate": c, "issues": [issue_text(i) for i in issues], "meets": meets,
            "m2_per_person": m2_per_person(c.usable_area_m2, c.planned_places),
            "cost": adaptation_cost(usable_area_m2=c.usable_area_m2,
                                    needs_refurbishment=c.needs_refurbishment,
                                    accessible=c.accessible,
                                    must_be_accessible=c.must_be_accessible, rates=rates)})
    demand_by_kind: dict[str, int] = {}
    for d in demand:
        demand_by_kind[d.kind] = demand_by_kind.get(d.kind, 0) + d.persons
    in_use: dict[str, int] = {}
    for f in flats:
        in_use[f.kind] = in_use.get(f.kind, 0) + f.places
    cand: dict[str, int] = {}
    for c in candidates:
        if c["meets"]:
            kind = c["candidate"].kind
            cand[kind] = cand.get(kind, 0) + c["candidate"].planned_places
    kinds = dict(ProtectedFlat._meta.get_field("kind").choices)
    balance = [{"kind": kinds.get(b.category, b.category), "demand": b.demand,
                "in_use": b.in_use, "candidates": b.candidates, "gap": b.gap,
                "gap_without_candidates": b.gap_without_candidates}
               for b in plan_balance(demand_by_kind, in_use, cand)]
    return {"year": year, "standard": standard, "resolution": resolution, "rates": rates,
            "demand": demand, "flats": flat_rows_, "candidates": candidates,
            "balance": balance,
            "accessible_demand": sum(d.accessible_persons for d in demand),
            "accessible_supply": sum(f.places for f in flats if f.accessible)
            + sum(c["candidate"].planned_places for c in candidates
                  if c["meets"] and (c["candidate"].accessible
                                     or c["candidate"].must_be_accessible)),
            "total_cost": sum((c["cost"] for c in candidates if c["meets"]), Decimal("0.00"))}
