"""Demo data: Radom's real tariff (legal-facts §4) on the demo town's paid-parking zones."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal as D

from django.db import transaction

from layers.models import Municipality, ParkingZone
from registers.parking.models import Subscription, Tariff
from registers.parking.services import tariff_save

# Radom, uchwała Nr LXXXIV/803/2022 z 28.11.2022, from 1.03.2023: 3.60 zł for the 1st hour and
# 0.60 zł more for each next one; the 4th+ hour set to the 1st hour as art. 13b ust. 5 requires
# (Radom's 3rd/4th hour and surcharge are UNCONFIRMED in legal-facts). Working days 8:00–18:00.
RADOM = {
    "resolution_number": "LXXXIV/803/2022", "resolution_date": date(2022, 11, 28),
    "valid_from": date(2025, 1, 1),
    "first_hour": D("3.60"), "second_hour": D("4.20"), "third_hour": D("4.80"),
    "later_hours": D("3.60"), "step_minutes": 1, "minimum_charge": D("0.90"),
    "paid_weekdays": "0,1,2,3,4", "paid_from": time(8), "paid_to": time(18),
    "surcharge": D("100.00"), "surcharge_reduced": D("50.00"),
    "parking_card_zero_rate": True,
}
SUBSCRIPTIONS = [
    {"kind": Subscription.Kind.RESIDENT, "period_days": 30, "price": D("22.50")},
    {"kind": Subscription.Kind.RESIDENT, "period_days": 180, "price": D("75.00")},
    {"kind": Subscription.Kind.BUSINESS, "period_days": 30, "price": D("195.00")},
    {"kind": Subscription.Kind.BUSINESS, "period_days": 180, "price": D("900.00")},
]


@transaction.atomic
def load_demo(municipality: Municipality) -> list[Tariff]:
    """Give every active zone of the town without a tariff the Radom tariff (idempotent).

    The zones come from the importer (the demo town's GeoPackage); a city-centre zone gets the
    same rates, which stay far below its higher cap.
    """
    out = []
    zones = ParkingZone.objects.filter(municipality=municipality, retired_at__isnull=True)
    for zone in zones.order_by("code"):
        existing = zone.tariffs.filter(resolution_number=RADOM["resolution_number"]).first()
        if existing:
            out.append(existing)
            continue
        if zone.tariffs.exists():
            continue  # the town already has its own tariff here: leave it
        out.append(tariff_save(None, Tariff(zone=zone, **RADOM), SUBSCRIPTIONS))
    return out
