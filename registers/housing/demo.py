"""Demo protected flats for any town the importer loads (idempotent): a training flat, an
assisted flat within the standard and one with 6 people in 60 m² that the check flags.
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
    return out
