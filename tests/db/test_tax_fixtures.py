"""Helpers (no tests): a small town with what a real cadastre holds: owners, municipal land,
land uses, buildings.
Coordinates are PL-1992 near Jasło's centre (x ≈ 677 400, y ≈ 211 000 in the demo loader).
"""

from __future__ import annotations

from decimal import Decimal

from layers.models import (
    Building,
    Parcel,
    ParcelLandUse,
    Precinct,
    RegistrationUnit,
    Share,
    Subject,
)
from tests.conftest import square


def build_town(municipality, n: int = 60, x0: float = 677_400.0, y0: float = 211_000.0):
    """``n`` parcels of 30 × 30 m; every 10th municipal; every 7th industrial (Ba); every 11th
    farmland only (R); every 2nd carries a building (every 5th of them residential 'm')."""
    t = municipality.teryt
    precinct, _ = Precinct.objects.get_or_create(
        teryt=f"{t}.0001", defaults={"municipality": municipality, "name": "1",
                                     "source_namespace": "fx", "local_id": f"{t}.0001"})
    parcels = []
    for i in range(n):
        ru = RegistrationUnit.objects.create(
            municipality=municipality, unit_id=f"{t}.G{i}", kind="G",
            group=4 if i % 10 == 3 else (15 if i % 6 == 0 else 7),
            source_namespace="fx", local_id=f"{t}-ru{i}")
        if i % 10 != 3 and i % 4 != 1:  # some parcels have owners in the cadastre
            subject = Subject.objects.create(
                municipality=municipality, kind="institution" if i % 6 == 0 else "person",
                name=f"Właściciel {i}", source_namespace="fx", local_id=f"{t}-s{i}")
            Share.objects.create(municipality=municipality, kind="ownership", numerator=1,
                                 denominator=2 if i % 8 == 0 else 1, subject=subject,
                                 registration_unit=ru, source_namespace="fx",
                                 local_id=f"{t}-sh{i}")
            if i % 8 == 0:
                co = Subject.objects.create(municipality=municipality, kind="person",
                                            name=f"Współwłaściciel {i}", source_namespace="fx",
                                            local_id=f"{t}-s{i}b")
                Share.objects.create(municipality=municipality, kind="ownership", numerator=1,
                                     denominator=2, subject=co, registration_unit=ru,
                                     source_namespace="fx", local_id=f"{t}-sh{i}b")
        x, y = x0 + (i % 10) * 30, y0 + (i // 10) * 30
        p = Parcel.objects.create(
            municipality=municipality, precinct=precinct, cadastral_id=f"{t}.0001.{i + 1}",
            number=str(i + 1), legal_area_m2=Decimal("900.00") if i % 13 else None,
            registration_unit=ru, source_namespace="fx", local_id=f"{t}-p{i}", version_id="1",
            geom=square(x, y, 30))
        if i % 7 == 2:
            ParcelLandUse.objects.create(parcel=p, ofu="Ba", area_m2=Decimal("900"))
        elif i % 11 == 4:
            ParcelLandUse.objects.create(parcel=p, ofu="R", ozu="R", ozk="IVa",
                                         area_m2=Decimal("900"))
        elif i % 5 == 0:
            ParcelLandUse.objects.create(parcel=p, ofu="B", area_m2=Decimal("700"))
            ParcelLandUse.objects.create(parcel=p, ofu="Ls", ozu="Ls", ozk="IV",
                                         area_m2=Decimal("200"))
        if i % 2 == 0:
            b = Building.objects.create(
                municipality=municipality, precinct=precinct, building_id=f"{t}.0001.{i + 1}.1_BUD",
                kind="m" if i % 5 == 0 else ("h" if i % 3 else "i"),
                storeys_above=1 + i % 3, built_up_area_m2=Decimal("100.00"),
                source_namespace="fx", local_id=f"{t}-b{i}", geom=square(x + 5, y + 5, 10))
            b.parcels.add(p)
        parcels.append(p)
    return parcels
