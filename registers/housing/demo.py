"""Demo protected flats for any town the importer loads (idempotent): a training flat, an
assisted flat within the standard and one with 6 people in 60 m² that the check flags; the
council's fee resolution, three residents (two living in the flats, one waiting), the centre's
demand and two candidate municipal flats for the plan.
Flats go on plots with residential buildings where the cadastre has them, else on any plots."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from django.db import transaction

from layers.models import Building, Municipality, Parcel
from registers.housing.models import ProtectedFlat
from registers.housing.services import flat_save

FLATS = [
    dict(kind="training", operator_kind="municipality", operator_name="MOPS",
         places=3, occupied_places=2, usable_area_m2=D("48.50"), accessible=False,
         target_group="osoby opuszczające pieczę zastępczą", stay_months=12,
         voivode_register_date=date(2024, 3, 15)),
    dict(kind="assisted", operator_kind="ngo", operator_name="Stowarzyszenie „Razem”",
         places=4, occupied_places=4, usable_area_m2=D("62.00"), accessible=True,
         target_group="osoby z niepełnosprawnością", voivode_register_date=date(2024, 4, 2)),
    dict(kind="assisted", operator_kind="county", operator_name="PCPR",
         places=6, occupied_places=6, usable_area_m2=D("60.00"), accessible=True,
         target_group="seniorzy", voivode_register_date=date(2024, 5, 20)),
]
STREETS = ["ul. Słoneczna 4/2", "ul. Kościuszki 12/5", "ul. Floriańska 3/1"]


def _plots(municipality: Municipality) -> list[Parcel]:
    residential = (Building.objects.filter(municipality=municipality, kind="m",
                                           retired_at__isnull=True)
                   .values_list("parcels__id", flat=True))
    plots = list(Parcel.objects.filter(id__in=residential, retired_at__isnull=True)
                 .order_by("cadastral_id")[:3])
    if len(plots) < 3:
        plots += list(Parcel.objects.filter(municipality=municipality, retired_at__isnull=True)
                      .exclude(id__in=[p.id for p in plots]).order_by("-cadastral_id")
                      [:3 - len(plots)])
    return plots


@transaction.atomic
def load_demo(municipality: Municipality) -> list[ProtectedFlat]:
    out = []
    for data, street, plot in zip(FLATS, STREETS, _plots(municipality), strict=False):
        address = f"{street}, {municipality.name}"
        existing = ProtectedFlat.objects.filter(municipality=municipality,
                                                address=address).first()
        if existing:
            out.append(existing)
            continue
        building = plot.buildings.filter(retired_at__isnull=True).first()
        out.append(flat_save(None, municipality.id, dict(
            data, address=address, cadastral_id=plot.cadastral_id,
            building_id=building.building_id if building else "")))
    load_residents_and_plan(municipality, out)
    return out


# --- residents, the resolution, the plan ---------------------------------------------------------
# The council's numbers below are demo values shaped on a resolution of the kind Sandomierz asked
# for (protected housing was its theme): the criteria are the social-assistance criteria from
# 1 January 2025 (1 010 zł / 823 zł, UNCONFIRMED here: not in the project's legal facts), the fee
# table and the costs are illustrations, not any town's law.

RESOLUTION = dict(
    number="DEMO/XII/2025", valid_from=date(2025, 1, 1),
    criterion_single=D("1010.00"), criterion_family=D("823.00"), monthly_cost=D("1500.00"),
    fee_brackets=[[100, 0], [150, 10], [200, 20], [250, 30], [300, 50], [None, 70]],
    waiting_points={"homeless": 3, "foster_care": 2, "mental": 2, "disability": 1,
                    "senior": 1},
    adaptation_per_m2=D("900.00"), adaptation_accessibility=D("35000.00"),
    source="demo values (UNCONFIRMED): criteria per the 2024 regulation on the criteria")
RESIDENTS = [
    dict(full_name="Anna Demo-Mieszkanka", birth_year=2005, category="foster_care",
         monthly_income=D("1200.00")),
    dict(full_name="Jan Demo-Lokator", birth_year=1958, category="senior",
         needs_accessible=True, monthly_income=D("2300.00")),
    dict(full_name="Piotr Demo-Oczekujący", birth_year=1979, category="homeless",
         monthly_income=D("0.00")),
]
DEMAND = [
    dict(category="foster_care", kind="training", persons=4, accessible_persons=0),
    dict(category="homeless", kind="training", persons=3, accessible_persons=0),
    dict(category="senior", kind="assisted", persons=8, accessible_persons=5),
    dict(category="disability", kind="assisted", persons=4, accessible_persons=4),
]


def _candidate_plots(municipality: Municipality) -> list[Parcel]:
    from registers.leases.selectors import municipal_parcels

    return list(municipal_parcels([municipality.id]).order_by("cadastral_id")[:2])


def load_residents_and_plan(municipality: Municipality, flats: list[ProtectedFlat]) -> None:
    from registers.housing.models import (
        Candidate,
        Demand,
        HousingResolution,
        Resident,
        Stay,
        WaitingListEntry,
    )
    from registers.housing.services import record_save

    HousingResolution.objects.get_or_create(municipality=municipality,
                                            valid_from=RESOLUTION["valid_from"],
                                            defaults=RESOLUTION)
    centre = f"MOPS {municipality.name}"
    year = date.today().year
    for d in DEMAND:
        if not Demand.objects.filter(municipality=municipality, year=year,
                                     category=d["category"], kind=d["kind"]).exists():
            record_save(None, Demand, dict(d, year=year, entered_by=centre),
                        municipality_id=municipality.id)
    if Resident.objects.filter(municipality=municipality).exists() or len(flats) < 2:
        return
    anna, jan, piotr = (record_save(None, Resident, r, municipality_id=municipality.id)
                        for r in RESIDENTS)
    record_save(None, Stay, dict(
        flat=flats[0], referral_number="MOPS.4011.12.2025", referral_date=date(2025, 2, 10),
        welfare_centre=centre, support="nauka samodzielności, praca socjalna",
        planned_from=date(2025, 3, 1), planned_until=date(2026, 2, 28),
        actual_from=date(2025, 3, 1)), resident=anna)
    record_save(None, Stay, dict(
        flat=flats[1], referral_number="MOPS.4011.31.2025", referral_date=date(2025, 5, 5),
        welfare_centre=centre, support="usługi bytowe, pomoc w czynnościach dnia codziennego",
        planned_from=date(2025, 6, 1), actual_from=date(2025, 6, 1)), resident=jan)
    record_save(None, WaitingListEntry, dict(kind="training", applied_on=date(2025, 9, 1),
                                             criteria=["homeless"]), resident=piotr)
    for plot, (address, area, places, accessible) in zip(
            _candidate_plots(municipality),
            [("ul. Mickiewicza 8/3", D("52.00"), 4, False),
             ("ul. Ogrodowa 2/1", D("41.00"), 4, True)], strict=False):
        record_save(None, Candidate, dict(
            address=f"{address}, {municipality.name}", cadastral_id=plot.cadastral_id,
            kind="assisted", planned_places=places, usable_area_m2=area, accessible=accessible,
            must_be_accessible=True, needs_refurbishment=True),
            municipality_id=municipality.id)
