"""Demo tax register for any town in the database, with a known set of planted discrepancies.

``load_demo(municipality)`` adopts Jasło's real 2025 rates (legal-facts §1.9) and 2026 rates
within the 2026 caps, then records taxpayers and tax objects for the town's parcels and
buildings from the cadastre (owners from layers.Subject/Share where present) and, on purpose,
gets a deterministic few wrong. It returns the planted fingerprints: reconciliation must find
exactly those. Re-running replaces the town's demo objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from layers.models import Building, Municipality, Parcel, Share
from registers.leases import selectors as leases_register
from registers.taxes import rules
from registers.taxes.models import CoOwner, TaxObject, Taxpayer
from registers.taxes.services import (
    OTHER_PROPERTY_OFU,
    RateInput,
    ReconciliationParams,
    reconcile,
    resolution_save,
)

D = Decimal
# Jasło 2025 (um.jaslo.pl, legal-facts §1.9); G2, G4, B3 are not on the page: set at the cap.
JASLO_2025 = {"G1": D("1.25"), "G2": D("6.84"), "G3": D("0.60"), "G4": D("4.51"),
              "B1": D("1.00"), "B2": D("32.00"), "B3": D("15.92"), "B4": D("6.95"),
              "B5": D("8.00"), "BU": D("2")}
# 2026: an illustrative 4 % rise, every rate within the 2026 caps (M.P. 2025 poz. 726).
DEMO_2026 = {"G1": D("1.30"), "G2": D("7.15"), "G3": D("0.62"), "G4": D("4.72"),
             "B1": D("1.04"), "B2": D("33.28"), "B3": D("16.64"), "B4": D("7.23"),
             "B5": D("8.32"), "BU": D("2")}
DEMO_TAG = "demo"
MUNICIPAL_BASIS = "art. 7 ust. 1 pkt 15 UPOL (mienie gminy)"


@dataclass
class Planted:
    """What the demo got wrong on purpose: fingerprints reconciliation must report."""

    fingerprints: set[str] = field(default_factory=set)
    taxpayers: int = 0
    objects: int = 0

    def add(self, kind: str, key: str) -> None:
        self.fingerprints.add(f"{kind}:{key}")


def _owners(municipality: Municipality) -> dict[int, list[tuple[str, str, int, int]]]:
    """registration unit id → [(name, subject kind, numerator, denominator)] (ownership)."""
    out: dict[int, list[tuple[str, str, int, int]]] = {}
    shares = Share.objects.filter(municipality=municipality, retired_at__isnull=True,
                                  kind=Share.Kind.OWNERSHIP, subject__isnull=False,
                                  registration_unit__isnull=False)
    for ru, name, kind, num, den in shares.values_list(
            "registration_unit_id", "subject__name", "subject__kind", "numerator",
            "denominator").order_by("registration_unit_id", "id"):
        out.setdefault(ru, []).append((name or "?", kind, num or 1, den or 1))
    return out


def _land_uses(municipality: Municipality) -> dict[int, dict[str, Decimal]]:
    with connection.cursor() as cur:
        cur.execute("""SELECT lu.parcel_id, lu.ofu, sum(COALESCE(lu.area_m2, 0))
                       FROM layers_parcellanduse lu JOIN layers_parcel p ON p.id = lu.parcel_id
                       WHERE p.municipality_id = %s AND p.retired_at IS NULL
                       GROUP BY lu.parcel_id, lu.ofu""", [municipality.pk])
        out: dict[int, dict[str, Decimal]] = {}
        for pid, ofu, area in cur.fetchall():
            out.setdefault(pid, {})[ofu] = area
    return out


def _leases(municipality: Municipality) -> list[dict]:
    return sorted(leases_register.leases_for_tax_reconciliation(municipality.pk, date.today()),
                  key=lambda lease: lease["lease_id"])


def _demo_leases(municipality: Municipality, objects: list[TaxObject],
                 uses: dict[int, dict[str, Decimal]], planted: Planted, taxpayer) -> None:
    """Declare every other lease's land for its lessee (the leased part taken off the plot's
    other object, so the areas still add up); plant the others as leases with no taxpayer."""
    from layers.domain.text import normalize_text

    land = {}
    for obj in objects:
        if obj.kind == "land":
            land.setdefault(obj.cadastral_id, obj)
    planted_plots = {fp.split(":", 1)[1] for fp in planted.fingerprints}
    for j, lease in enumerate(_leases(municipality)):
        cids = list(lease.get("cadastral_ids") or [])
        holders = {normalize_text(o.taxpayer.name) for o in objects
                   if o.kind == "land" and o.cadastral_id in cids}
        if normalize_text(lease.get("lessee_name") or "") in holders:
            continue  # the lessee already declares this land: nothing to find
        area = Decimal(str(lease.get("leased_area_m2") or 0)).quantize(Decimal("0.01"))
        host = land.get(cids[0]) if len(cids) == 1 else None
        if (j % 2 == 0 or host is None or cids[0] in planted_plots or area <= 0
                or host.area_m2 < area):
            planted.add("lease_untaxed", str(lease["lease_id"]))
            continue
        company = lease.get("lessee_kind") == "company"
        business_land = company or bool(uses.get(host.parcel_row_id, {}).get("Ba"))
        host.area_m2 -= area
        objects.append(_object(
            municipality=municipality,
            taxpayer=taxpayer(f"lease{lease['lease_id']}", lease["lessee_name"], company),
            kind="land", category="G1" if business_land else "G3", cadastral_id=cids[0],
            parcel_row_id=host.parcel_row_id, area_m2=area,
            declaration=f"IN-1/L{lease['lease_id']}", note=DEMO_TAG))


def _object(**fields: Any) -> TaxObject:
    """A demo tax object with every column given: a column left to its database default
    (``db_default``) makes ``bulk_create`` compile an expression per row (a third of the hook's
    CPU at 20,000 plots)."""
    return TaxObject(arose_event="", ceased_event="", **fields)


@transaction.atomic
def load_demo(municipality: Municipality, user=None) -> Planted:
    """Create the demo register for ``municipality``; returns the planted discrepancies."""
    TaxObject.objects.filter(municipality=municipality, note__startswith=DEMO_TAG).delete()
    Taxpayer.objects.filter(municipality=municipality, external_ref__startswith=DEMO_TAG,
                            tax_objects__isnull=True, co_owned__isnull=True).delete()
    for year, rates, number, adopted in (
            (2025, JASLO_2025, "demo/2025 (stawki Jasła 2025)", date(2024, 11, 28)),
            (2026, DEMO_2026, "demo/2026", date(2025, 11, 27))):
        from registers.taxes.models import RateResolution

        existing = RateResolution.objects.filter(municipality=municipality, year=year).first()
        resolution_save(user, municipality, year, number, adopted,
                        [RateInput(c, r) for c, r in rates.items()], resolution=existing)

    from registers.taxes.models import TaxOfficeSettings

    # the organ as decisions name it; the appeal body and tax district are examples
    # (UNCONFIRMED for the real towns: an administrator sets them in the admin)
    TaxOfficeSettings.objects.get_or_create(municipality=municipality, defaults={
        "organ": f"Organ podatkowy gminy {municipality.name}",
        "appeal_body": "Samorządowe Kolegium Odwoławcze", "district": "II"})
    params = ReconciliationParams.from_settings()
    owners = _owners(municipality)
    uses = _land_uses(municipality)
    taxpayers: dict[str, Taxpayer] = {}
    # the demo's taxpayers of an earlier run are kept (their ids, accounts, payments); new
    # ones are written together with the tax objects (one INSERT, not one per taxpayer)
    stored = {t.external_ref: t for t in Taxpayer.objects.filter(
        municipality=municipality, external_ref__startswith=f"{DEMO_TAG}-")}
    new_taxpayers: list[Taxpayer] = []

    def taxpayer(key: str, name: str, company: bool) -> Taxpayer:
        ref = f"{DEMO_TAG}-{key}"
        if ref not in taxpayers:
            found = stored.get(ref)
            if found is None:
                found = Taxpayer(
                    municipality=municipality, external_ref=ref, name=name,
                    kind=Taxpayer.Kind.COMPANY if company else Taxpayer.Kind.PERSON,
                    business=company)
                new_taxpayers.append(found)
            taxpayers[ref] = found
        return taxpayers[ref]

    town = taxpayer("gmina", f"Gmina {municipality.name}", True)
    parcels = list(Parcel.objects.filter(municipality=municipality, retired_at__isnull=True)
                   .select_related("registration_unit").order_by("cadastral_id"))
    residential_parcels = set(Building.objects.filter(
        municipality=municipality, retired_at__isnull=True, kind="m"
    ).values_list("parcels__id", flat=True))
    planted = Planted()
    objects: list[TaxObject] = []
    co_owners: list[tuple[TaxObject, list[tuple[Taxpayer, int, int]]]] = []

    def owner_of(ru_id: int | None, key: str, index: int) -> tuple[Taxpayer, list]:
        holders = owners.get(ru_id or -1, [])
        if not holders:
            company = index % 9 == 0
            name = f"{'Firma' if company else 'Podatnik'} {index + 1}"
            return taxpayer(f"p{key}", name, company), []
        name, kind, _, _ = holders[0]
        main = taxpayer(f"ru{ru_id}-0", name, kind not in {"person", "marriage"})
        rest = [(taxpayer(f"ru{ru_id}-{i}", n, k not in {"person", "marriage"}), num, den)
                for i, (n, k, num, den) in enumerate(holders[1:], start=1)]
        return main, rest

    # -- land: every parcel the reconciliation expects, with planted errors at fixed strides
    taxable = []
    for p in parcels:
        pu = uses.get(p.id)
        municipal = p.registration_unit is not None and p.registration_unit.group in (4, 5)
        area = p.legal_area_m2 if p.legal_area_m2 is not None else D(str(round(
            p.geom_area_m2, 2)))
        if municipal:
            objects.append(_object(municipality=municipality, taxpayer=town, kind="land",
                                   category="G3", cadastral_id=p.cadastral_id, parcel_row=p,
                                   area_m2=area, exempt=True, exemption_basis=MUNICIPAL_BASIS,
                                   note=DEMO_TAG))
            continue
        property_m2 = None if pu is None else sum(
            (a for ofu, a in pu.items() if ofu in OTHER_PROPERTY_OFU or ofu in {"Ba", "Ws"}), D(0))
        if pu is not None and not property_m2:
            continue  # agricultural / forest / exempt land only: not in the property-tax roll
        taxable.append((p, pu or {}, area))

    n = len(taxable)
    k = max(1, min(25, n // 40))
    stride = max(1, n // (4 * k + 1))
    picks = [i * stride for i in range(4 * k)]
    untaxed, mismatch, as_other = set(picks[0::4]), set(picks[1::4]), set(picks[2::4])
    for i, (p, pu, area) in enumerate(taxable):
        main, rest = owner_of(p.registration_unit_id, p.cadastral_id, i)
        if i in untaxed:
            planted.add("parcel_untaxed", p.cadastral_id)
            continue
        declared = area
        business = main.business and p.id not in residential_parcels
        category = "G1" if (pu.get("Ba") or business) else "G3"
        if i in mismatch and area >= 10:
            declared = (area * D("0.8")).quantize(D("0.01"))
            planted.add("area_mismatch", p.cadastral_id)
        elif i in as_other and p.id not in residential_parcels:
            if not main.business:
                main = taxpayer(f"biz{i}", f"Spółka Demo {i} sp. z o.o.", True)
                rest = []
            category = "G3"
            planted.add("business_as_other", p.cadastral_id)
        elif i % 97 == 5 and not main.business:
            objects.append(_object(
                municipality=municipality, taxpayer=main, kind="land", category="G3",
                cadastral_id=p.cadastral_id, parcel_row=p, area_m2=declared, exempt=True,
                exemption_basis="art. 7 ust. 1 pkt 6 UPOL (zabytek w rejestrze)",
                note=DEMO_TAG))
            continue
        obj = _object(municipality=municipality, taxpayer=main, kind="land",
                      category=category, cadastral_id=p.cadastral_id, parcel_row=p,
                      area_m2=declared, declaration=f"IN-1/{i + 1}", note=DEMO_TAG)
        objects.append(obj)
        if rest:
            co_owners.append((obj, rest))

    # -- leases of municipal land (when the leases register is installed and has some): every
    # other lessee declared, the rest planted as untaxed (art. 3 ust. 1 pkt 4 lit. a UPOL)
    _demo_leases(municipality, objects, uses, planted, taxpayer)

    # -- buildings
    buildings = list(Building.objects.filter(municipality=municipality, retired_at__isnull=True)
                     .select_related("registration_unit")
                     .prefetch_related("parcels__registration_unit")
                     .order_by("building_id"))
    nb = len(buildings)
    kb = max(1, min(25, nb // 40))
    bstride = max(1, nb // (2 * kb + 1))
    bpicks = [i * bstride for i in range(2 * kb)]
    b_untaxed, b_under = set(bpicks[0::2]), set(bpicks[1::2])
    for i, b in enumerate(buildings):
        bparcels = list(b.parcels.all())
        ru = b.registration_unit or (bparcels[0].registration_unit if bparcels else None)
        municipal = (ru is not None and ru.group in (4, 5)) or (
            bparcels and all(bp.registration_unit is not None
                             and bp.registration_unit.group in (4, 5) for bp in bparcels))
        footprint = b.built_up_area_m2 if b.built_up_area_m2 is not None else (
            D(str(round(b.geom_area_m2, 2))) if b.geom_area_m2 else None)
        storeys = max(b.storeys_above or 1, 1)
        estimate = (footprint * storeys * params.usable_ratio).quantize(D("0.01")) \
            if footprint else D("100")
        cadastre = sum((a for a in (b.usable_area_separate_m2, b.usable_area_other_m2,
                                    b.usable_area_ancillary_m2) if a is not None), D(0))
        usable = max(estimate, cadastre)
        cid = bparcels[0].cadastral_id if bparcels else ""
        if municipal:
            objects.append(_object(
                municipality=municipality, taxpayer=town, kind="building",
                category=rules.building_category(b.kind), cadastral_id=cid,
                building_id=b.building_id, building_row=b, usable_full_m2=usable, exempt=True,
                exemption_basis=MUNICIPAL_BASIS, note=DEMO_TAG))
            continue
        if i in b_untaxed:
            planted.add("building_untaxed", b.building_id)
            continue
        if i in b_under and footprint:
            usable = (estimate * D("0.3")).quantize(D("0.01"))
            planted.add("building_underdeclared", b.building_id)
        main, _rest = owner_of(ru.pk if ru else None, f"p{cid}" if cid else f"b{b.building_id}",
                               i)
        objects.append(_object(
            municipality=municipality, taxpayer=main, kind="building",
            category=rules.building_category(b.kind, main.business), cadastral_id=cid,
            building_id=b.building_id, building_row=b, usable_full_m2=usable,
            declaration=f"IN-1/B{i + 1}", note=DEMO_TAG))

    Taxpayer.objects.bulk_create(new_taxpayers, batch_size=2000)
    TaxObject.objects.bulk_create(objects, batch_size=2000)
    CoOwner.objects.bulk_create([
        CoOwner(tax_object=obj, taxpayer=t, numerator=num, denominator=max(den, num))
        for obj, rest in co_owners for t, num, den in rest if t.pk != obj.taxpayer_id
    ], ignore_conflicts=True)
    planted.taxpayers = len(taxpayers)
    planted.objects = len(objects)
    # The rows above are not committed yet, so autovacuum cannot have counted them: without
    # fresh statistics the reconciliation plans for empty tables (nested loops) and took 763 s
    # of server CPU at 100,000 plots instead of ~3 s.
    with connection.cursor() as cur:
        cur.execute("ANALYZE taxes_taxpayer, taxes_taxobject, taxes_coowner")
    reconcile(municipality.pk)  # the case list and the map's tax status are ready at once
    return planted
