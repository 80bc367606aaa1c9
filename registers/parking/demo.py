"""Demo data: each town's own paid-parking resolution (legal-facts §4) on its zones.

``RESOLUTIONS`` is keyed by the town's TERYT: a town gets the tariff of its own council's
resolution, never another town's. What legal-facts marks UNCONFIRMED is said so next to the
value (a demo value a town corrects in the tariff form, not a fact). A town with no entry gets
no demo tariff. Krosno is left out on purpose: its published rates (3.90 / 4.70 zł for the 1st
and 2nd hour) rise by 20.5 %, above the 20 % progression cap of art. 13b ust. 5, so the
validated tariff form refuses them (a finding for the town, kept as a test case in
tests/unit, not demo data).
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal as D
from typing import Any

from django.db import transaction

from layers.models import Municipality, ParkingZone
from registers.parking.models import Exemption, Subscription, Tariff
from registers.parking.services import tariff_save

RESIDENT, BUSINESS = Subscription.Kind.RESIDENT, Subscription.Kind.BUSINESS

RESOLUTIONS: dict[str, dict[str, Any]] = {
    # Radom, uchwała Nr LXXXIV/803/2022 z 28.11.2022, from 1.03.2023: 3.60 zł for the 1st hour
    # and 0.60 zł more for each next one; the 4th+ hour set to the 1st hour as art. 13b ust. 5
    # requires (the 3rd/4th hour and the surcharge are UNCONFIRMED). Working days 8:00–18:00.
    "146301_1": {
        "tariff": {
            "resolution_number": "LXXXIV/803/2022", "resolution_date": date(2022, 11, 28),
            "valid_from": date(2025, 1, 1),
            "first_hour": D("3.60"), "second_hour": D("4.20"), "third_hour": D("4.80"),
            "later_hours": D("3.60"), "step_minutes": 1, "minimum_charge": D("0.90"),
            "paid_weekdays": "0,1,2,3,4", "paid_from": time(8), "paid_to": time(18),
            "surcharge": D("100.00"), "surcharge_reduced": D("50.00"),  # UNCONFIRMED
            "parking_card_zero_rate": True,
        },
        "subscriptions": [
            {"kind": RESIDENT, "period_days": 30, "price": D("22.50")},
            {"kind": RESIDENT, "period_days": 180, "price": D("75.00")},
            {"kind": BUSINESS, "period_days": 30, "price": D("195.00")},
            {"kind": BUSINESS, "period_days": 180, "price": D("900.00")},
        ],
        # the zero rate of art. 13b ust. 4 pkt 2 for parking-card holders on the designated
        # bays (Radom's wording UNCONFIRMED)
        "exemptions": [(Exemption.Kind.PARKING_CARD, "uchwała LXXXIV/803/2022: stawka zerowa "
                        "na stanowiskach dla kart parkingowych (art. 13b ust. 4 pkt 2 u.d.p.)")],
    },
    # Jasło, uchwała Rady Miejskiej w Jaśle "w sprawie ustalenia strefy płatnego parkowania na
    # terenie miasta Jasła oraz wysokości opłat i opłaty dodatkowej …" (its number and date
    # UNCONFIRMED). Confirmed by the Straż Miejska (strazmiejskajaslo.pl): surcharge 50 zł if
    # paid within 7 days, 100 zł after, administrative enforcement after 14 days. The hourly
    # rates, hours and permit prices are UNCONFIRMED demo values within the caps.
    "180501_1": {
        "tariff": {
            "resolution_number": "RM Jasła SPP (nr UNCONFIRMED)",
            "resolution_date": date(2022, 11, 28),  # UNCONFIRMED (the 2022 amendment)
            "valid_from": date(2025, 1, 1),
            "first_hour": D("3.00"), "second_hour": D("3.60"), "third_hour": D("4.30"),
            "later_hours": D("3.00"), "step_minutes": 1, "minimum_charge": D("1.00"),
            "paid_weekdays": "0,1,2,3,4", "paid_from": time(8), "paid_to": time(16),
            "surcharge": D("100.00"), "surcharge_reduced": D("50.00"),
            "surcharge_reduced_days": 7, "surcharge_due_days": 14,
            "parking_card_zero_rate": True,
        },
        "subscriptions": [
            {"kind": RESIDENT, "period_days": 30, "price": D("30.00")},   # UNCONFIRMED
            {"kind": BUSINESS, "period_days": 30, "price": D("120.00")},  # UNCONFIRMED
        ],
        "exemptions": [(Exemption.Kind.PARKING_CARD, "uchwała RM Jasła o SPP: stawka zerowa na "
                        "stanowiskach dla kart parkingowych (UNCONFIRMED)")],
    },
}


# Paid bays per zone code, the denominator of the estimated occupancy (ZoneCapacity, data a town
# corrects in the admin). Demo estimates of the order of a small town's paid zone (a few hundred
# bays round the centre, about a hundred on the market square): UNCONFIRMED, not counted.
BAYS: dict[str, dict[str, int]] = {
    "180501_1": {"SPP-1": 420, "ŚSPP-1": 96},  # Jasło (demo town) UNCONFIRMED
    "146301_1": {"A": 1850},  # Radom's paid zone (SPPN): an order of magnitude, UNCONFIRMED
}


def load_bays(municipality: Municipality) -> int:
    """The demo's bay counts for the town's zones (idempotent; a count already set stays)."""
    from registers.parking.models import ZoneCapacity

    figures = BAYS.get(municipality.teryt, {})
    n = 0
    for zone in ParkingZone.objects.filter(municipality=municipality, retired_at__isnull=True,
                                           code__in=list(figures)):
        _obj, created = ZoneCapacity.objects.get_or_create(
            zone=zone, defaults={"bays": figures[zone.code],
                                 "source": "demo estimate (UNCONFIRMED)"})
        n += created
    return n


def resolution_of(municipality: Municipality) -> dict[str, Any] | None:
    """The town's own resolution in the demo table, or None."""
    return RESOLUTIONS.get(municipality.teryt)


@transaction.atomic
def load_demo(municipality: Municipality) -> list[Tariff]:
    """Give every active zone of the town without a tariff its own resolution's tariff
    (idempotent; a town with no resolution in ``RESOLUTIONS`` gets none).

    The zones come from the importer (the demo town's GeoPackage); a city-centre zone gets the
    same rates, which stay far below its higher cap.
    """
    spec = resolution_of(municipality)
    if spec is None:
        return []
    number = spec["tariff"]["resolution_number"]
    for kind, basis in spec.get("exemptions", []):
        Exemption.objects.get_or_create(
            municipality=municipality, zone=None, kind=kind,
            defaults={"evidence": Exemption.Evidence.ON_SITE, "legal_basis": basis})
    out = []
    zones = ParkingZone.objects.filter(municipality=municipality, retired_at__isnull=True)
    for zone in zones.order_by("code"):
        existing = zone.tariffs.filter(resolution_number=number).first()
        if existing:
            out.append(existing)
            continue
        if zone.tariffs.exists():
            continue  # the town already has its own tariff here: leave it
        out.append(tariff_save(None, Tariff(zone=zone, **spec["tariff"]), spec["subscriptions"]))
    load_bays(municipality)
    from registers.parking.occupancy import refresh_zone_occupancy

    refresh_zone_occupancy({municipality.pk})
    return out


#: Radom's resolution, which tests and benchmarks use as a real-world tariff
RADOM = RESOLUTIONS["146301_1"]["tariff"]
SUBSCRIPTIONS = RESOLUTIONS["146301_1"]["subscriptions"]
