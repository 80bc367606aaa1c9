"""Read queries of the tax register for the map card and the pages (tax secrecy: audited)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from gis_app.accounts.access import has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
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


# A reconciliation case is open while new or in review; explained and corrected ones are closed
# (the same rule as taxes_parcel_tax_status in sql/tax_status_tile.sql).
OPEN_CASE_STATUSES = (ReconciliationCase.Status.NEW, ReconciliationCase.Status.IN_REVIEW)


def parcel_tax_status(municipality_id: int, cadastral_id: str, on_day: date
                      ) -> tuple[str, Decimal, str]:
    """(status, arrears, legend class) from the one SQL function the tile reads too."""
    with connection.cursor() as cur:
        cur.execute("SELECT status, arrears, klass FROM taxes_parcel_tax_status(%s, %s, %s)",
                    [municipality_id, cadastral_id, on_day])
        status, arrears, klass = cur.fetchone()
    return status, arrears, klass


def taxpayer_balances(taxpayer_ids: list[int], on_day: date) -> dict[int, dict[str, Any]]:
    """Per taxpayer: overdue unpaid instalments, unpaid settled interest and reminder costs,
    and what is not yet due (the payments register's charges; details in its statement)."""
    if not taxpayer_ids:
        return {}
    with connection.cursor() as cur:
        cur.execute("""
            SELECT t.id, t.name,
                   coalesce(sum(c.principal_open) FILTER (WHERE c.kind = 'instalment'
                                                          AND c.due_date < %(d)s), 0),
                   coalesce(sum(c.interest_open), 0),
                   coalesce(sum(c.principal_open) FILTER (WHERE c.kind = 'reminder_cost'), 0),
                   coalesce(sum(c.principal_open) FILTER (WHERE c.kind = 'instalment'
                                                          AND c.due_date >= %(d)s), 0),
                   count(c.id)
            FROM taxes_taxpayer AS t
            LEFT JOIN payments_charge AS c ON c.taxpayer_id = t.id
            WHERE t.id = ANY (%(ids)s)
            GROUP BY t.id, t.name""", {"d": on_day, "ids": taxpayer_ids})
        return {tid: {"taxpayer_id": tid, "name": name, "arrears": arrears,
                      "interest": interest, "costs": costs, "not_yet_due": later,
                      "charged": n > 0}
                for tid, name, arrears, interest, costs, later, n in cur.fetchall()}


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
        still_detected=True, status__in=OPEN_CASE_STATUSES)
        .values("id", "kind", "status", "estimated_loss"))
    status, arrears, klass = parcel_tax_status(parcel.municipality_id, parcel.cadastral_id,
                                               timezone.localdate())
    balances = taxpayer_balances(sorted({line["taxpayer_id"] for line in lines}),
                                 timezone.localdate())
    for line in lines:
        line["balance"] = balances.get(line["taxpayer_id"])
    # Business land only where a taxed (not exempt) land object of this year belongs to a
    # business: the municipality's own exempt land (art. 7 ust. 1 pkt 15 UPOL) is not business
    # land even when the municipality is recorded as running a business.
    taxed_land = {line["object_id"] for line in lines if not line["exempt"]}
    business = any(obj.taxpayer.business for obj in objects
                   if obj.kind == "land" and obj.pk in taxed_land)
    contours = contour_taxes(parcel, year, business=business)
    audit(user, AuditAction.READ_TAX, "layers.parcel", parcel.cadastral_id,
          municipality_id=parcel.municipality_id,
          detail=Note(gettext_noop("tax section of the parcel card, %(year)s"),
                      year=year))
    return {"year": year, "cadastral_id": parcel.cadastral_id, "lines": lines,
            "total": sum((line["amount"] for line in lines), rules.ZERO),
            "status": status, "klass": klass, "arrears": arrears,
            "balances": [balances[tid] for tid in sorted(balances)],
            "cases": cases, "contours": contours}
