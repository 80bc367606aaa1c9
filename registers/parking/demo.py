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

import hashlib
import io
import math
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from layers.models import Municipality, ParkingZone
from registers.parking import rules
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


#: ``manage.py load_demo`` passes these to ``load_demo``: the demo command (and only it, not
#: the tests that call ``load_demo`` for a tariff) also simulates the zones' past activity.
#: ``GEOGMINA_DEMO_PARKING_ACTIVITY = False`` (the test suite's setting, to keep its demo loads
#: cheap) leaves the activity out even then.
DEMO_HOOK_OPTIONS = {"activity": True}


@transaction.atomic
def load_demo(municipality: Municipality, *, activity: bool = False) -> list[Tariff]:
    """Give every active zone of the town without a tariff its own resolution's tariff
    (idempotent; a town with no resolution in ``RESOLUTIONS`` gets none); with ``activity``,
    also the simulated sessions, permits, notices and tariff change of ``load_activity``.

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
    if activity and getattr(settings, "GEOGMINA_DEMO_PARKING_ACTIVITY", True):
        load_activity(municipality)
        out = [Tariff.objects.select_related("zone").get(pk=t.pk) for t in out]
    from registers.parking.occupancy import refresh_zone_occupancy

    refresh_zone_occupancy({municipality.pk})
    return out


#: Radom's resolution, which tests and benchmarks use as a real-world tariff
RADOM = RESOLUTIONS["146301_1"]["tariff"]
SUBSCRIPTIONS = RESOLUTIONS["146301_1"]["subscriptions"]


# --- simulated activity: DEMO DATA, every figure below is invented -----------------------------
#
# So that the revenue charts and the occupancy layer of a fresh ``make run`` are not empty, the
# demo town gets ~60 days of operator sessions, residents' permits, surcharge notices and one
# tariff change (before/after on the chart). Nothing here is a fact about the town: the demand
# profile, the shares of the channels, the price response and the plates are made up (seeded,
# so the same day gives the same data). 60 days stay inside the default plate retention
# (``GEOGMINA_PARKING_SESSION_PLATE_DAYS`` = 90): the daily purge blanks no demo plate until
# the sessions are 90 days old, and then only the plates (revenue and occupancy stay).

ACTIVITY_DAYS = 60
#: per town: the plate prefix (the county's; the numbers 90000–99999 are a synthetic pool), the
#: zone whose council "raised" the rates ``CHANGE_DAYS_AGO`` days ago and the new rates (within
#: the 1st-hour cap and the 20 % progression: ``tariff_save`` validates them)
ACTIVITY: dict[str, dict[str, Any]] = {
    "180501_1": {
        "plates": "RJS", "change_zone": "SPP-1",
        "change": {"resolution_number": "RM Jasła SPP zmiana (DEMO)",
                   "first_hour": D("3.60"), "second_hour": D("4.30"), "third_hour": D("5.10"),
                   "later_hours": D("3.60")},
    },
}
CHANGE_DAYS_AGO = 30
PRICE_RESPONSE = 0.9  # demand after the rise, a demo assumption
APP_SHARE = 0.62  # mobile payment vs parking meters, a demo assumption
MEAN_STAY = 87.0  # minutes: the mean of the clipped log-normal stay below
#: target occupancy by local hour (arrivals = bays × occupancy / mean stay), weekday factors
PROFILE = {8: 0.42, 9: 0.62, 10: 0.76, 11: 0.8, 12: 0.7, 13: 0.68, 14: 0.72, 15: 0.62,
           16: 0.48, 17: 0.36}
WEEKDAY = {0: 0.92, 1: 1.0, 2: 1.0, 3: 1.02, 4: 1.08, 5: 0.8, 6: 0.5}
APP_OPERATOR, METER_OPERATOR = "DEMO płatności mobilne", "DEMO parkomaty"
SESSION_COLUMNS = ("operator_id, external_id, municipality_id, zone_id, tariff_id, plate, "
                   "start_time, end_time, amount, fee, status, start_digest, created_at, "
                   "updated_at, version")


def _demo_operators(town: Municipality) -> tuple[Any, Any]:
    from registers.parking.models import Operator
    from registers.parking.operators import operator_create

    out = []
    for name, channel in ((APP_OPERATOR, Operator.Channel.APP),
                          (METER_OPERATOR, Operator.Channel.METER)):
        op = Operator.objects.filter(name=name).first()
        if op is None:  # its token is never shown: a demo operator calls no API
            op, _token = operator_create(name, [town], channel=channel)
        op.municipalities.add(town)
        out.append(op)
    return out[0], out[1]


def _tariff_change(town: Municipality, spec: dict[str, Any], day: date) -> None:
    """End the zone's tariff the day before ``day`` and put the raised one in force from it
    (both through ``tariff_save``: the road act's caps and the progression are checked)."""
    from registers.parking.services import tariff_at

    zone = ParkingZone.objects.filter(municipality=town, code=spec["change_zone"],
                                      retired_at__isnull=True).first()
    current = tariff_at(zone, day) if zone else None
    if current is None or current.valid_from >= day:
        return
    subscriptions = [{"kind": s.kind, "period_days": s.period_days, "price": s.price}
                     for s in current.subscriptions.all()]
    fields = {f.attname: getattr(current, f.attname) for f in Tariff._meta.concrete_fields
              if f.attname not in ("id", "version", "zone_id", "valid_to")}
    current.valid_to = day - timedelta(days=1)
    tariff_save(None, current)
    tariff_save(None, Tariff(zone=zone, **{**fields, **spec["change"], "valid_from": day,
                                          "resolution_date": day - timedelta(days=45)}),
                subscriptions)


def _plate(prefix: str, n: int) -> str:
    return rules.normalise_plate(f"{prefix} {90000 + n % 10000:05d}")


def _sessions(town: Municipality, zones: list[ParkingZone], tariffs: dict[int, list[Tariff]],
              bays: dict[int, int], days: list[date], rnd: random.Random, prefix: str,
              changed: date) -> int:
    """The operator sessions of ``days``, written with one COPY; the fee of each by
    ``rules.calculate_fee`` under the tariff in force that day. Demo operators call no API, so
    ``start_digest`` (the API's repeat check) holds a marker, not a digest."""
    from registers.parking.occupancy import tariff_on

    app, meter = _demo_operators(town)
    tz = ZoneInfo(str(timezone.get_current_timezone()))
    now = timezone.now().isoformat()
    pure: dict[int, rules.Tariff] = {}
    fees: dict[tuple[int, int], D] = {}
    pool = [_plate(prefix, i) for i in range(max(200, sum(bays.values()) * 8))]
    buf = io.StringIO()
    n = 0
    for z in zones:
        for day in days:
            t = tariff_on(tariffs.get(z.id, []), day)
            if t is None or not bays.get(z.id):
                continue
            if t.pk not in pure:
                pure[t.pk] = t.as_rules(subscription_kinds=frozenset())
            window = pure[t.pk].schedule.window(day)
            if window is None:
                continue
            factor = WEEKDAY[day.weekday()] * rnd.gauss(1.0, 0.04)
            if day >= changed and t.valid_from == changed:
                factor *= PRICE_RESPONSE
            open_min = window[0].hour * 60 + window[0].minute
            close_min = window[1].hour * 60 + window[1].minute
            # the offset of the paid hours (a clock change happens at night)
            offset = datetime.combine(day, time(12), tz).strftime("%z")
            head = f"\t{town.pk}\t{z.pk}\t{t.pk}\t"
            for hour in range(window[0].hour, window[1].hour + (window[1].minute > 0)):
                rate = bays[z.id] * PROFILE.get(hour, 0.35) * factor * 60 / MEAN_STAY
                for _i in range(max(0, round(rnd.gauss(rate, math.sqrt(rate))))):
                    start_min = hour * 60 + rnd.randrange(60)
                    if not open_min <= start_min <= close_min - 15:
                        continue
                    stay = min(240, max(15, 5 * round(rnd.lognormvariate(4.3, 0.6) / 5)))
                    end_min = start_min + stay
                    # one paid day: the fee depends only on the minutes inside its paid hours
                    key = (t.pk, min(end_min, close_min) - start_min)
                    if key not in fees:
                        start = datetime.combine(day, time(start_min // 60, start_min % 60))
                        fees[key] = rules.calculate_fee(
                            pure[t.pk], start, start + timedelta(minutes=stay)).total
                    fee = fees[key]
                    op = app.pk if rnd.random() < APP_SHARE else meter.pk
                    plate = pool[int(len(pool) * rnd.random() ** 2)]  # regulars park often
                    buf.write(f"{op}\tdemo-{z.pk}-{day:%Y%m%d}-{n}{head}{plate}\t"
                              f"{day} {start_min // 60:02d}:{start_min % 60:02d}{offset}\t"
                              f"{day} {end_min // 60:02d}:{end_min % 60:02d}{offset}\t"
                              f"{fee}\t{fee}\tstopped\tdemo\t{now}\t{now}\t1\n")
                    n += 1
    buf.seek(0)
    with connection.cursor() as cur:
        cur.cursor.copy_expert(f"COPY parking_parkingsession ({SESSION_COLUMNS}) FROM STDIN",
                               buf)
        cur.execute("ANALYZE parking_parkingsession")
    return n


def _permits(town: Municipality, zones: list[ParkingZone], tariffs: dict[int, list[Tariff]],
             bays: dict[int, int], first: date, today: date, rnd: random.Random,
             prefix: str) -> int:
    """Residents' (and a few businesses') 30-day permits, renewed back to back up to today,
    at the price of the tariff's subscription (``permits.offer``)."""
    from django.core.exceptions import ValidationError

    from registers.parking.models import Permit
    from registers.parking.occupancy import tariff_on
    from registers.parking.permits import offer

    offers: dict[tuple[int, str, int], Any] = {}
    made = 0
    serial = 5000  # permit plates from their own part of the synthetic pool
    for z in zones:
        holders = [(Subscription.Kind.RESIDENT, bays.get(z.id, 0) // 20),
                   (Subscription.Kind.BUSINESS, bays.get(z.id, 0) // 100)]
        for kind, count in holders:
            chains = []
            for _i in range(count):
                serial += 1
                chains.append((_plate(prefix, serial), first + timedelta(days=rnd.randrange(30))))
            previous: dict[str, Permit] = {}
            while chains:
                batch, nxt = [], []
                for plate, start in chains:
                    in_force = tariff_on(tariffs.get(z.id, []), start)
                    key = (z.pk, kind, in_force.pk if in_force else 0)
                    if key not in offers:
                        try:
                            offers[key] = offer(z, kind, 30, start).price
                        except ValidationError:
                            offers[key] = None  # the resolution offers no such permit here
                    if offers[key] is None:
                        continue
                    batch.append(Permit(
                        municipality=town, zone=z, kind=kind, plate=plate, valid_from=start,
                        valid_to=start + timedelta(days=29), period_days=30, price=offers[key],
                        renewed_from=previous.get(plate)))
                    if start + timedelta(days=30) <= today:
                        nxt.append((plate, start + timedelta(days=30)))
                for p in Permit.objects.bulk_create(batch):
                    previous[p.plate] = p
                made += len(batch)
                chains = nxt
    return made


def _notices(town: Municipality, zones: list[ParkingZone], tariffs: dict[int, list[Tariff]],
             days: list[date], today: date, rnd: random.Random, prefix: str) -> int:
    """A handful of surcharge notices: most paid (the reduced amount in time, or the full one),
    one cancelled, some open past the deadline (with and without a reminder), two recent."""
    from django.contrib.auth import get_user_model

    from registers.parking.enforcement import surcharge_amounts
    from registers.parking.models import SurchargeNotice
    from registers.parking.occupancy import tariff_on

    controller, created = get_user_model().objects.get_or_create(username="kontroler_demo")
    if created:
        controller.set_unusable_password()
        controller.save()
    tz = ZoneInfo(str(timezone.get_current_timezone()))
    paid_days = [d for d in days if d.weekday() < 5]
    plan = (["reduced"] * 6 + ["full"] * 2 + ["cancelled"] + ["overdue"] * 2
            + ["reminded"] * 2 + ["recent"] * 2)
    out = []
    for i, fate in enumerate(plan):
        z = zones[i % len(zones)]
        recent = fate == "recent"
        pick = [d for d in paid_days if (d > today - timedelta(days=8)) == recent
                and (fate not in ("overdue", "reminded") or d < today - timedelta(days=25))]
        if not pick:
            continue
        day = rnd.choice(pick)
        t = tariff_on(tariffs.get(z.id, []), day)
        if t is None or t.surcharge is None:
            continue
        amount, reduced = surcharge_amounts(t, day)
        at = datetime.combine(day, time(rnd.randrange(9, 15), rnd.randrange(60))).replace(
            tzinfo=tz)
        n = SurchargeNotice(
            number=f"{town.teryt}/{day.year}/DEMO{i + 1:03d}", municipality=town, zone=z,
            tariff=t, plate=_plate(prefix, 7000 + i), issued_at=at,
            geom=z.geom.point_on_surface, controller=controller, amount=amount,
            reduced_amount=reduced,
            reduced_until=day + timedelta(days=t.surcharge_reduced_days)
            if reduced is not None else None,
            due_date=day + timedelta(days=t.surcharge_due_days))
        closed = datetime.combine(day, time(12)).replace(tzinfo=tz)
        if fate == "reduced":
            n.paid_on = min(day + timedelta(days=rnd.randrange(1, t.surcharge_reduced_days + 1)),
                            today - timedelta(days=1))
            n.paid_amount = reduced if reduced is not None else amount
        elif fate == "full":
            n.paid_on = min(n.due_date, today - timedelta(days=1))
            n.paid_amount = amount
        if n.paid_on:
            n.status = SurchargeNotice.Status.PAID
            n.closed_at = closed + timedelta(days=(n.paid_on - day).days)
        elif fate == "cancelled":
            n.status, n.closed_at = SurchargeNotice.Status.CANCELLED, closed + timedelta(days=3)
            n.cancel_reason = "DEMO: kierowca okazał później ważny bilet z parkomatu"
        elif fate == "reminded":
            n.reminder_sent_on = n.due_date + timedelta(days=2)
        out.append(n)
    SurchargeNotice.objects.bulk_create(out)
    return len(out)


def load_activity(municipality: Municipality, today: date | None = None) -> dict[str, int]:
    """DEMO DATA: the last ``ACTIVITY_DAYS`` days of the town's paid parking (see above).

    Idempotent: a town that already has demo sessions gets nothing more. Returns the counts."""
    from registers.parking.models import ParkingSession, ZoneCapacity
    from registers.parking.occupancy import tariffs_by_zone, zones_in

    spec = ACTIVITY.get(municipality.teryt)
    if spec is None or ParkingSession.objects.filter(
            municipality=municipality, external_id__startswith="demo-").exists():
        return {}
    today = today or timezone.localdate()
    first = today - timedelta(days=ACTIVITY_DAYS)
    days = [first + timedelta(days=i) for i in range(ACTIVITY_DAYS)]  # up to yesterday
    seed = int(hashlib.sha256(f"{municipality.teryt}{today}".encode()).hexdigest()[:12], 16)
    rnd = random.Random(seed)  # noqa: S311 (demo data, seeded: not a secret)
    changed = today - timedelta(days=CHANGE_DAYS_AGO)
    _tariff_change(municipality, spec, changed)
    zones = zones_in({municipality.pk})
    tariffs = tariffs_by_zone([z.id for z in zones])
    bays = dict(ZoneCapacity.objects.filter(zone__in=zones).values_list("zone_id", "bays"))
    prefix = spec["plates"]
    return {
        "sessions": _sessions(municipality, zones, tariffs, bays, days, rnd, prefix, changed),
        "permits": _permits(municipality, zones, tariffs, bays, first, today, rnd, prefix),
        "notices": _notices(municipality, zones, tariffs, days, today, rnd, prefix),
    }
