"""Read queries of the tax register for the map card and the pages (tax secrecy: audited)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gis_app.accounts.access import has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction
from layers.models import Parcel
from registers.taxes import rules
from registers.taxes.models import ReconciliationCase, TaxObject, Taxpayer
from registers.taxes.services import contour_taxes, object_line, rates_for


def taxpayer_list(user: Any, capability: Capability = Capability.VIEW_TAX) -> QuerySet[Taxpayer]:
    return Taxpayer.objects.filter(municipality_id__in=municipality_ids(user, capability))


def case_list(user: Any, municipality_id: int) -> QuerySet[ReconciliationCase]:
    if not has_capability(user, Capability.VIEW_TAX, municipality_id):
        return ReconciliationCase.objects.none()
    return ReconciliationCase.objects.filter(municipality_id=municipality_id)


def card_section(user: Any, parcel: Parcel, year: int | None = None) -> dict | None:
    """The tax part of the parcel card: what is taxed on the plot this year, at which rate, who
    pays and how much. None unless the user holds VIEW_TAX in the parcel's municipality; the
    read is audit-logged."""
    if not has_capability(user, Capability.VIEW_TAX, parcel.municipality_id):
        return None
    year = year or timezone.localdate().year
    building_ids = list(parcel.buildings.values_list("building_id", flat=True))
    objects = list(TaxObject.objects.filter(municipality_id=parcel.municipality_id).filter(
        Q(cadastral_id=parcel.cadastral_id) | Q(building_id__in=building_ids, kind="building")
    ).select_related("taxpayer").order_by("kind", "building_id", "id"))
    rates = rates_for(parcel.municipality_id, year)
    lines = []
    for obj in objects:
        line = object_line(obj, year, rates)
        if line is None:
            continue
        lines.append({"object_id": obj.pk, "kind": obj.get_kind_display(),
                      "category": obj.category,
                      "category_label": rules.CATEGORY_LABELS[obj.category],
                      "building_id": obj.building_id, "taxpayer": obj.taxpayer.name,
                      "taxpayer_id": obj.taxpayer_id, "base": line.base, "rate": line.rate,
                      "unit": rules.category_unit(obj.category), "months": line.months,
                      "exempt": obj.exempt, "exemption_basis": obj.exemption_basis,
                      "amount": line.amount})
    cases = list(ReconciliationCase.objects.filter(
        municipality_id=parcel.municipality_id, cadastral_id=parcel.cadastral_id,
        still_detected=True).exclude(status=ReconciliationCase.Status.EXPLAINED)
        .values("id", "kind", "status", "estimated_loss"))
    if cases:
        status = "differs"
    elif any(not line["exempt"] for line in lines):
        status = "assessed"
    elif lines:
        status = "exempt"
    else:
        status = "not_assessed"
    # Business land only where a taxed (not exempt) land object of this year belongs to a
    # business: the municipality's own exempt land (art. 7 ust. 1 pkt 15 UPOL) is not business
    # land even when the municipality is recorded as running a business.
    taxed_land = {line["object_id"] for line in lines if not line["exempt"]}
    business = any(obj.taxpayer.business for obj in objects
                   if obj.kind == "land" and obj.pk in taxed_land)
    contours = contour_taxes(parcel, year, business=business)
    audit(user, AuditAction.READ_TAX, "layers.parcel", parcel.cadastral_id,
          municipality_id=parcel.municipality_id, detail=f"card tax section {year}")
    return {"year": year, "cadastral_id": parcel.cadastral_id, "lines": lines,
            "total": sum((line["amount"] for line in lines), rules.ZERO),
            "status": status, "cases": cases, "contours": contours}
