"""Demo data of the leases register for any town the importer loads (idempotent).

Municipal plots come from the cadastre (registration groups 4/5); when the town has too few, a
few plots are marked municipal by hand (the override), as an officer would. On them: leases
(two expiring within 90 days, one long lease with the council's consent, one open-term lease
after a tender, a shared pair, a proposal), one overlapping proposal that is refused and kept on
record, perpetual usufructs (one with a fee update spread over three years) and investment
offers. Dates are relative to today so "expiring soon" stays true whenever the demo is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction

from layers.models import Municipality, Parcel
from registers.leases import services
from registers.leases.models import (
    InvestmentOffer,
    Lease,
    PriceIndex,
    PropertyOverride,
    Usufruct,
)
from registers.leases.selectors import municipal_parcels

MIN_MUNICIPAL = 12
# GUS average annual CPI (previous year = 100), the index lease contracts refer to. Demo data:
# officers keep the table; verify against GUS before real use.
CPI = {2019: D("102.3"), 2020: D("103.4"), 2021: D("105.1"), 2022: D("114.4"),
       2023: D("111.4"), 2024: D("103.6")}
PREFIX = "DEMO/"


@dataclass
class Loaded:
    municipal: list[str] = field(default_factory=list)
    leases: list[Lease] = field(default_factory=list)
    refused: Lease | None = None
    offers: list[InvestmentOffer] = field(default_factory=list)
    usufructs: list[Usufruct] = field(default_factory=list)


def _candidates(municipality: Municipality) -> list[Parcel]:
    """Plots of a sensible size for leasing, in a stable order."""
    return list(Parcel.objects.filter(municipality=municipality, retired_at__isnull=True,
                                      geom_area_m2__gte=150, geom_area_m2__lte=50_000)
                .order_by("cadastral_id")[:400])


def _part_of(parcel: Parcel, half_side: float) -> GEOSGeometry:
    """A square of about 2 × ``half_side`` metres inside the plot, around a point on it."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_Intersection("
            "geom, ST_Expand(ST_PointOnSurface(geom), %s)), 3))) FROM layers_parcel "
            "WHERE id = %s", [half_side, parcel.id])
        return GEOSGeometry(memoryview(cur.fetchone()[0]))


def _override_version(municipality: Municipality, cadastral_id: str) -> int | None:
    """The version a form would carry: the demo saves through the same locked service."""
    return PropertyOverride.objects.filter(
        municipality=municipality, cadastral_id=cadastral_id).values_list(
        "version", flat=True).first()


def _ensure_municipal(municipality: Municipality) -> list[Parcel]:
    current = list(municipal_parcels([municipality.id]).filter(
        geom_area_m2__gte=150, geom_area_m2__lte=50_000).order_by("cadastral_id")[:40])
    if len(current) >= MIN_MUNICIPAL:
        return current
    chosen = {p.id for p in current}
    candidates = _candidates(municipality)
    step = max(1, len(candidates) // (MIN_MUNICIPAL + 1))  # spread over the town
    for parcel in candidates[::step]:
        if len(current) >= MIN_MUNICIPAL:
            break
        if parcel.id in chosen:
            continue
        services.property_override_save(
            None, municipality.id, parcel.cadastral_id,
            expected_version=_override_version(municipality, parcel.cadastral_id),
            status=PropertyOverride.Status.INCLUDE, notes="demo: marked municipal by hand")
        current.append(parcel)
    return current


def _lease(municipality: Municipality, number: str, parcel: Parcel, area: Any,
           **kw: Any) -> Lease:
    existing = Lease.objects.filter(municipality=municipality, number=PREFIX + number).first()
    if existing:
        return existing
    start = kw.pop("start_date")
    data = dict(municipality_id=municipality.id, number=PREFIX + number,
                cadastral_ids=[parcel.cadastral_id], start_date=start,
                contract_date=start - timedelta(days=5),
                notice_posted_on=start - timedelta(days=40),
                notice_removed_on=start - timedelta(days=19),
                notice_reference=f"Zarządzenie nr {number}", status=Lease.Status.ACTIVE)
    data.update(kw)
    return services.lease_create(None, data, area)


@transaction.atomic
def load_demo(municipality: Municipality) -> Loaded:
    out = Loaded()
    for year, cpi in CPI.items():
        PriceIndex.objects.get_or_create(year=year, defaults={
            "cpi": cpi, "source": "GUS, średnioroczny wskaźnik cen towarów i usług "
                                  "konsumpcyjnych (demo)"})
    plots = _ensure_municipal(municipality)
    out.municipal = [p.cadastral_id for p in plots]
    if len(plots) < 8:
        return out  # a town too small for the demo leases
    today = date.today()
    for i, p in enumerate(plots[:4]):
        services.property_override_save(
            None, municipality.id, p.cadastral_id,
            expected_version=_override_version(municipality, p.cadastral_id),
            manager="Zarząd Gospodarki Mieszkaniowej" if i % 2 else "Wydział Mienia Komunalnego",
            management_form=PropertyOverride.ManagementForm.LEASED if i < 3
            else PropertyOverride.ManagementForm.OWN,
            inventory_number=f"GM-{1000 + i}")
    a, b, c, d, e, f, g, h = plots[:8]
    garden = _lease(municipality, "1/2024", a, None, whole_plot=True,
                    lessee_name="Jan Kowalski", purpose=Lease.Purpose.GARDEN,
                    rent_amount=D("320.00"), rent_period="yearly", vat_rate=D("0"),
                    start_date=today - timedelta(days=700), end_date=today + timedelta(days=20))
    kiosk = _lease(municipality, "2/2024", b, _part_of(b, 4), lessee_kind="company",
                   lessee_name="Kiosk Ruch Sp. z o.o.", lessee_tax_id="5260300517",
                   purpose=Lease.Purpose.COMMERCIAL, rent_amount=D("450.00"),
                   rent_period="monthly", start_date=today - timedelta(days=400),
                   end_date=today + timedelta(days=75))
    long = _lease(municipality, "3/2023", c, None, whole_plot=True, lessee_kind="company",
                  lessee_name="Agro-Pol s.c.", purpose=Lease.Purpose.AGRICULTURE,
                  rent_amount=D("1800.00"), start_date=date(today.year - 2, 1, 1),
                  end_date=date(today.year + 3, 12, 31),
                  council_resolution=f"DEMO/{municipality.teryt}/2022")
    open_term = _lease(municipality, "4/2022", d, _part_of(d, 5), lessee_kind="company",
                       lessee_name="Stacja Paliw Orlen", purpose=Lease.Purpose.COMMERCIAL,
                       procedure=Lease.Procedure.TENDER, rent_amount=D("2400.00"),
                       rent_period="quarterly", start_date=date(today.year - 3, 4, 1),
                       end_date=None)
    shared_1 = _lease(municipality, "5/2025", e, _part_of(e, 6), shared=True,
                      lessee_name="Koło Gospodyń Wiejskich", purpose=Lease.Purpose.OTHER,
                      kind=Lease.Kind.FREE_USE, rent_amount=D("0"),
                      start_date=today - timedelta(days=100),
                      end_date=today + timedelta(days=600))
    shared_2 = _lease(municipality, "6/2025", e, _part_of(e, 6), shared=True,
                      lessee_name="OSP", purpose=Lease.Purpose.OTHER, kind=Lease.Kind.FREE_USE,
                      rent_amount=D("0"), start_date=today - timedelta(days=90),
                      end_date=today + timedelta(days=600))
    proposal = _lease(municipality, "7/2026", f, _part_of(f, 5), status=Lease.Status.PROPOSED,
                      lessee_name="Anna Wiśniewska", purpose=Lease.Purpose.GARAGE,
                      rent_amount=D("60.00"), rent_period="monthly",
                      start_date=today + timedelta(days=60), end_date=today + timedelta(days=790),
                      notice_posted_on=None, notice_removed_on=None, contract_date=None)
    out.leases = [garden, kiosk, long, open_term, shared_1, shared_2, proposal]
    # An overlapping proposal on the kiosk's land: refused, and kept on record with its reason.
    out.refused = Lease.objects.filter(municipality=municipality,
                                       number=PREFIX + "8/2026").first()
    if out.refused is None:
        try:
            services.lease_create(None, dict(
                municipality_id=municipality.id, number=PREFIX + "8/2026",
                cadastral_ids=[b.cadastral_id], lessee_name="Handel Obwoźny J. Nowak",
                purpose=Lease.Purpose.COMMERCIAL, rent_amount=D("300.00"),
                rent_period="monthly", start_date=today + timedelta(days=10),
                end_date=today + timedelta(days=375), status=Lease.Status.PROPOSED),
                _part_of(b, 3), record_refusal=True)
        except services.LeaseRefusedError as exc:
            out.refused = exc.lease
    # Perpetual usufruct: one fee updated this year (notice given in December of the year before,
    # art. 78 UGN), more than doubled, spread over three years.
    for parcel, holder, purpose, value, updated, previous in (
            (g, "Spółdzielnia Mieszkaniowa „Przyszłość”", "housing_public", D("350000"),
             today.year, D("1000.00")),
            (h, "Hotel Pod Basztą Sp. z o.o.", "tourism", D("800000"), today.year - 4, None)):
        u, _ = Usufruct.objects.get_or_create(
            municipality=municipality, cadastral_id=parcel.cadastral_id,
            defaults={"holder_name": holder, "purpose": purpose, "land_value": value,
                      "fee_updated_year": updated, "previous_fee": previous,
                      "fee_notice_on": date(updated - 1, 12, 15) if previous else None})
        out.usufructs.append(u)
    # Investment offer: the next free municipal plots.
    for parcel, title, mode, price in (
            (plots[8] if len(plots) > 8 else g, "Teren pod usługi – ul. Przemysłowa", "sale",
             D("420000")),
            (plots[9] if len(plots) > 9 else h, "Działka pod inwestycję PPP – parking", "ppp",
             None)):
        offer = InvestmentOffer.objects.filter(municipality=municipality, title=title).first()
        if offer is None:
            offer = services.offer_save(None, dict(
                municipality_id=municipality.id, title=title, mode=mode,
                cadastral_ids=[parcel.cadastral_id], price=price, published=True,
                conditions="MPZP: U/P; media w drodze; przetarg ustny nieograniczony",
                contact="Wydział Mienia Komunalnego, tel. 13 443 62 00"))
        out.offers.append(offer)
    return out
