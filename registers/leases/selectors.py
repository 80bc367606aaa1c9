"""Read queries of the leases register, each scoped to the municipalities a user may see."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from gis_app.accounts.access import has_capability, municipality_ids
from gis_app.accounts.roles import Capability
from layers.domain.codes import MUNICIPAL_GROUPS
from layers.models import Parcel
from registers.leases.models import InvestmentOffer, Lease, PriceIndex, PropertyOverride, Usufruct
from registers.leases.rules import rent_schedule

LIVE_STATUSES = (Lease.Status.PROPOSED, Lease.Status.ACTIVE)


def municipal_parcels(municipality_ids_: set[int] | list[int]) -> QuerySet[Parcel]:
    """Active plots owned or held by the municipality: registration groups 4/5 of the cadastre,
    minus plots excluded by hand, plus plots included by hand."""
    overrides = PropertyOverride.objects.filter(municipality_id__in=municipality_ids_)
    included = overrides.filter(status=PropertyOverride.Status.INCLUDE).values("cadastral_id")
    excluded = overrides.filter(status=PropertyOverride.Status.EXCLUDE).values("cadastral_id")
    return (Parcel.objects
            .filter(municipality_id__in=municipality_ids_, retired_at__isnull=True)
            .filter(Q(registration_unit__group__in=sorted(MUNICIPAL_GROUPS))
                    & ~Q(cadastral_id__in=excluded)
                    | Q(cadastral_id__in=included)))


def property_list(user: Any, *, municipality_id: int | None = None, q: str = "",
                  management_form: str = "", leased: str = "") -> list[dict[str, Any]]:
    """Rows of the municipal-property list (a dict per plot) for the user's municipalities."""
    ids = municipality_ids(user, Capability.VIEW_LEASES)
    if municipality_id is not None:
        ids = ids & {municipality_id}
    parcels = municipal_parcels(ids).select_related("municipality", "registration_unit")
    if q:
        parcels = parcels.filter(cadastral_id__icontains=q.strip())
    # Every plot (no cap: the list pages and the export must hold all of them); the overrides
    # and active leases are read per town, not per plot key, so the query stays one of each.
    parcels = list(parcels.order_by("cadastral_id"))
    overrides = {o.cadastral_id: o for o in
                 PropertyOverride.objects.filter(municipality_id__in=ids)}
    today = date.today()
    leased_ids: set[str] = set()
    for row in (Lease.objects.filter(municipality_id__in=ids, status=Lease.Status.ACTIVE,
                                     start_date__lte=today)
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
                .values_list("cadastral_ids", flat=True)):
        leased_ids.update(row)
    rows = []
    for p in parcels:
        o = overrides.get(p.cadastral_id)
        row = {
            "parcel_id": p.id,
            "cadastral_id": p.cadastral_id,
            "municipality": p.municipality.name,
            "municipality_id": p.municipality_id,
            "legal_area_m2": p.legal_area_m2,
            "group": p.registration_unit.group if p.registration_unit else None,
            "source": o.get_status_display() if o else PropertyOverride.Status.CADASTRE.label,
            "manager": o.manager if o else "",
            "management_form": o.management_form if o else "",
            "management_form_label": o.get_management_form_display() if o else "",
            "inventory_number": o.inventory_number if o else "",
            "leased": p.cadastral_id in leased_ids,
        }
        if management_form and row["management_form"] != management_form:
            continue
        if leased in ("yes", "no") and row["leased"] != (leased == "yes"):
            continue
        rows.append(row)
    return rows


def lease_queryset(user: Any, capability: Capability = Capability.VIEW_LEASES) -> QuerySet[Lease]:
    return Lease.objects.filter(municipality_id__in=municipality_ids(user, capability))


def lease_get(user: Any, lease_id: int,
              capability: Capability = Capability.VIEW_LEASES) -> Lease | None:
    """The lease if the user holds ``capability`` in its municipality, else None."""
    return lease_queryset(user, capability).select_related("municipality").filter(
        pk=lease_id).first()


def lease_list(user: Any, *, status: str = "", kind: str = "", q: str = "",
               expiring_within: int | None = None, on_date: date | None = None,
               municipality_id: int | None = None, review: bool = False) -> QuerySet[Lease]:
    qs = lease_queryset(user).select_related("municipality")
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        q = q.strip()
        qs = qs.filter(Q(lessee_name__icontains=q) | Q(number__icontains=q)
                       | Q(cadastral_ids__contains=[q]))
    if expiring_within is not None:
        qs = leases_expiring(qs, expiring_within, on_date or date.today())
    if review:
        qs = leases_needing_review(qs)
    return qs.order_by("end_date", "id")


def leases_needing_review(qs: QuerySet[Lease]) -> QuerySet[Lease]:
    """Live leases the cadastre has moved under: a plot retired or gone, or the leased area no
    longer inside its plots (a re-import split, merged or redrew them). Flagged for an officer,
    never changed silently."""
    from registers.leases.rules import EDGE_TOLERANCE_M

    flagged = Lease.objects.raw(
        """
        SELECT l.id FROM leases_lease AS l
        WHERE l.status IN ('proposed', 'active')
          AND (
            EXISTS (SELECT 1 FROM unnest(l.cadastral_ids) AS c(cadastral_id)
                    WHERE NOT EXISTS (SELECT 1 FROM layers_parcel AS p
                                      WHERE p.municipality_id = l.municipality_id
                                        AND p.cadastral_id = c.cadastral_id
                                        AND p.retired_at IS NULL))
            OR NOT ST_CoveredBy(l.geom, (
                SELECT ST_Buffer(ST_Union(p.geom), %s) FROM layers_parcel AS p
                WHERE p.municipality_id = l.municipality_id AND p.retired_at IS NULL
                  AND p.cadastral_id = ANY(l.cadastral_ids)))
          )
        """, [EDGE_TOLERANCE_M])
    return qs.filter(id__in=[row.id for row in flagged])


def leases_expiring(qs: QuerySet[Lease], days: int, on_date: date) -> QuerySet[Lease]:
    """Active leases whose fixed term ends within ``days`` days of ``on_date`` (inclusive);
    leases already ended and open-term leases are not expiring."""
    return qs.filter(status=Lease.Status.ACTIVE, end_date__gte=on_date,
                     end_date__lte=on_date + timedelta(days=days))


def price_index_table() -> dict[int, Any]:
    return dict(PriceIndex.objects.values_list("year", "cpi"))


def lease_rent_schedule(lease: Lease, until_year: int | None = None) -> list[Any]:
    until = until_year or (date.today().year + 1)
    return rent_schedule(amount=lease.rent_amount, period=lease.rent_period,
                         vat_rate_percent=lease.vat_rate, start=lease.start_date,
                         end=lease.end_date, method=lease.indexation,
                         index_table=price_index_table(),
                         until_year=until if lease.end_date is None else None)


def rent_roll(user: Any, year: int, *, municipality_id: int | None = None
              ) -> list[dict[str, Any]]:
    """The rent of every active lease in ``year`` after yearly indexation: one row per lease;
    ``missing_index`` names the year whose price index is not yet in the table."""
    from registers.leases.rules import MissingIndexError, RentYear

    qs = (lease_queryset(user).select_related("municipality")
          .filter(status=Lease.Status.ACTIVE, start_date__lte=date(year, 12, 31))
          .filter(Q(end_date__isnull=True) | Q(end_date__gte=date(year, 1, 1)))
          .order_by("municipality__name", "number", "id"))
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    table = price_index_table()
    rows = []
    for lease in qs:
        row: dict[str, Any] = {
            "id": lease.id, "number": lease.number, "municipality": lease.municipality.name,
            "lessee_name": lease.lessee_name, "cadastral_ids": lease.cadastral_ids,
            "base_rent": lease.rent_amount, "rent_period": lease.get_rent_period_display(),
            "indexation": lease.get_indexation_display(), "missing_index": None,
        }
        try:
            schedule = rent_schedule(amount=lease.rent_amount, period=lease.rent_period,
                                     vat_rate_percent=lease.vat_rate, start=lease.start_date,
                                     end=lease.end_date, method=lease.indexation,
                                     index_table=table, until_year=year)
        except MissingIndexError as exc:  # pragma: no cover - rent_schedule stops instead
            schedule, row["missing_index"] = [], exc.year
        this_year: RentYear | None = next((r for r in schedule if r.year == year), None)
        if this_year is None:
            row["missing_index"] = row["missing_index"] or max(
                [r.year for r in schedule], default=lease.start_date.year)
        else:
            row.update(rent_per_period=this_year.rent_per_period, months=this_year.months,
                       net=this_year.net, vat=this_year.vat, gross=this_year.gross,
                       index_applied=this_year.index_applied)
        rows.append(row)
    return rows


def leases_for_tax_reconciliation(municipality_id: int, on_date: date) -> list[dict[str, Any]]:
    """Active leases of municipal land on ``on_date``: the lessee becomes the property-tax payer
    (UPOL art. 3 ust. 1 pkt 4 lit. a). For the tax register's reconciliation; the caller checks
    the user's right to see taxpayers. Free use (użyczenie) is included: the user possesses the
    land under a contract with the owner just the same."""
    municipal = set(municipal_parcels([municipality_id]).values_list("cadastral_id", flat=True))
    leases = (Lease.objects
              .filter(municipality_id=municipality_id, status=Lease.Status.ACTIVE,
                      start_date__lte=on_date)
              .filter(Q(end_date__isnull=True) | Q(end_date__gte=on_date))
              .order_by("id"))
    rows = []
    for lease in leases:
        plots = [c for c in lease.cadastral_ids if c in municipal]
        if not plots:
            continue
        rows.append({
            "lease_id": lease.id,
            "lessee_name": lease.lessee_name,
            "lessee_kind": lease.lessee_kind,
            "cadastral_ids": list(lease.cadastral_ids),
            "leased_area_m2": round(lease.area_m2, 2),
            "start": lease.start_date,
            "end": lease.end_date,
        })
    return rows


def offer_list(*, municipality_id: int | None = None, mode: str = "",
               published_only: bool = True) -> QuerySet[InvestmentOffer]:
    qs = InvestmentOffer.objects.select_related("municipality")
    if published_only:
        qs = qs.filter(published=True)
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    if mode:
        qs = qs.filter(mode=mode)
    return qs.order_by("municipality__name", "title")


def usufruct_list(user: Any) -> QuerySet[Usufruct]:
    return Usufruct.objects.filter(
        municipality_id__in=municipality_ids(user, Capability.VIEW_LEASES)).order_by(
        "cadastral_id")


def card_section(user: Any, parcel: Parcel) -> dict[str, Any] | None:
    """The parcel card's lease section, or None when the user may not see it.

    Anyone sees published investment offers on the plot; holders of VIEW_LEASES in the plot's
    municipality also see whether it is municipal, its leases and usufruct.
    """
    offers = [{"id": o.id, "title": o.title, "mode": o.get_mode_display(),
               "conditions": o.conditions, "price": o.price}
              for o in InvestmentOffer.objects.filter(
                  municipality_id=parcel.municipality_id, published=True,
                  cadastral_ids__contains=[parcel.cadastral_id])]
    if not has_capability(user, Capability.VIEW_LEASES, parcel.municipality_id):
        if not offers:
            return None
        return {"public": True, "offers": offers, "cadastral_id": parcel.cadastral_id}
    today = date.today()
    leases = []
    for lease in (Lease.objects.filter(municipality_id=parcel.municipality_id,
                                       cadastral_ids__contains=[parcel.cadastral_id])
                  .exclude(status=Lease.Status.REFUSED).order_by("-start_date")[:20]):
        leases.append({
            "id": lease.id, "number": lease.number, "lessee_name": lease.lessee_name,
            "kind": lease.get_kind_display(), "status": lease.status,
            "status_label": lease.get_status_display(), "start": lease.start_date,
            "end": lease.end_date, "area_m2": round(lease.area_m2, 2),
            "rent_amount": lease.rent_amount, "rent_period": lease.get_rent_period_display(),
            "days_left": None if lease.end_date is None else (lease.end_date - today).days,
            "shared": lease.shared,
        })
    is_municipal = municipal_parcels([parcel.municipality_id]).filter(pk=parcel.pk).exists()
    override = PropertyOverride.objects.filter(municipality_id=parcel.municipality_id,
                                               cadastral_id=parcel.cadastral_id).first()
    usufructs = list(Usufruct.objects.filter(municipality_id=parcel.municipality_id,
                                             cadastral_id=parcel.cadastral_id))
    return {
        "public": False,
        "cadastral_id": parcel.cadastral_id,
        "parcel_id": parcel.pk,
        "is_municipal": is_municipal,
        "manager": override.manager if override else "",
        "management_form": override.get_management_form_display() if override else "",
        "leases": leases,
        "usufructs": [{"holder_name": u.holder_name, "purpose": u.get_purpose_display()}
                      for u in usufructs],
        "offers": offers,
        "can_edit": has_capability(user, Capability.EDIT_LEASES, parcel.municipality_id),
    }
