"""The law of paid parking as pure functions (no Django, no database).

Sources (shared/domain/legal-facts.md §4): ustawa o drogach publicznych (u.d.p., t.j. Dz.U. 2025
poz. 889) art. 13 ust. 3 (statutory exemptions, incl. battery-electric vehicles), art. 13b ust. 4–5
(caps on the first hour and the progression), art. 13f (the surcharge). The minimum wage of the
year is a parameter: callers pass it from the year-keyed table, never a constant here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from layers.domain.calendar import is_public_holiday

GROSZ = Decimal("0.01")


def gettext_noop(message: str) -> str:
    """Marks a message for translation (makemessages knows this name); Django translates it."""
    return message

# Shares of the minimum wage (art. 13b ust. 4 pkt 1, art. 13f ust. 2). Statutory, not yearly.
FIRST_HOUR_SHARE = Decimal("0.0015")  # SPP
FIRST_HOUR_SHARE_CITY_CENTRE = Decimal("0.0045")  # ŚSPP
SURCHARGE_SHARE = Decimal("0.10")
PROGRESSION_LIMIT = Decimal("1.20")  # each of the first three hours ≤ 120 % of the previous


def truncate(amount: Decimal) -> Decimal:
    """Caps are "nie może przekraczać": a cap in grosze is truncated, never rounded up."""
    return amount.quantize(GROSZ, rounding=ROUND_DOWN)


def money(amount: Decimal) -> Decimal:
    """A charge rounded to the grosz, half up."""
    return amount.quantize(GROSZ, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Caps:
    first_hour: Decimal
    surcharge: Decimal


def caps(minimum_wage: Decimal, city_centre: bool) -> Caps:
    share = FIRST_HOUR_SHARE_CITY_CENTRE if city_centre else FIRST_HOUR_SHARE
    return Caps(first_hour=truncate(minimum_wage * share),
                surcharge=truncate(minimum_wage * SURCHARGE_SHARE))


@dataclass(frozen=True)
class Schedule:
    """Paid days (0 = Monday … 6 = Sunday) and hours; ``holidays`` are further unpaid dates.

    Public holidays (the project's Polish calendar, ``layers.domain.calendar``) are unpaid
    unless ``public_holidays_unpaid`` is False: paid parking is charged on working days, not on
    6 January, Easter Monday or 11 November that fall on a weekday.
    """

    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(8, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    public_holidays_unpaid: bool = True

    def unpaid_day(self, day: date) -> bool:
        return (day.weekday() not in self.weekdays or day in self.holidays
                or (self.public_holidays_unpaid and is_public_holiday(day)))

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        if self.unpaid_day(day):
            return None
        return datetime.combine(day, self.start), datetime.combine(day, self.end)


@dataclass(frozen=True)
class Tariff:
    """One zone's tariff as the council resolution sets it (amounts in zł)."""

    first_hour: Decimal
    second_hour: Decimal
    third_hour: Decimal
    later_hours: Decimal
    city_centre: bool = False
    step_minutes: int = 1  # 1 = per minute; 15 = every started quarter of an hour
    minimum_charge: Decimal = Decimal("0")
    schedule: Schedule = field(default_factory=Schedule)
    surcharge: Decimal | None = None
    surcharge_reduced: Decimal | None = None  # when paid within 7 days
    parking_card_zero_rate: bool = False  # council's choice for reserved bays (art. 13b ust. 4)
    subscriptions: frozenset[str] = frozenset()  # kinds offered: resident, business …

    def hourly_rate(self, hour_index: int) -> Decimal:
        """Rate of the (0-based) hour of a stay."""
        return (self.first_hour, self.second_hour, self.third_hour)[hour_index] \
            if hour_index < 3 else self.later_hours


@dataclass(frozen=True)
class Violation:
    """A broken rule: ``template % params`` is the message (translated by the caller)."""

    article: str
    template: str
    params: dict[str, object]
    actual: Decimal
    limit: Decimal

    @property
    def message(self) -> str:
        return self.template % self.params

    def __str__(self) -> str:
        return f"{self.article}: {self.message}"


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return ((part / whole - 1) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def validate_tariff(tariff: Tariff, minimum_wage: Decimal) -> list[Violation]:
    """Every rule of art. 13b ust. 4–5 and 13f the tariff breaks, each with its numbers."""
    found: list[Violation] = []
    limit = caps(minimum_wage, tariff.city_centre)
    share = "0,45 %" if tariff.city_centre else "0,15 %"
    rates = (("1", tariff.first_hour), ("2", tariff.second_hour), ("3", tariff.third_hour),
             ("4+", tariff.later_hours))
    for name, value in rates:
        if value < 0:
            found.append(Violation(
                "art. 13b ust. 4 u.d.p.",
                gettext_noop("the rate of hour %(hour)s (%(value)s zł) is negative"),
                {"hour": name, "value": value}, value, Decimal("0")))
    if found:
        return found
    if tariff.first_hour > limit.first_hour:
        found.append(Violation(
            "art. 13b ust. 4 pkt 1 u.d.p.",
            gettext_noop("the 1st hour %(value)s zł exceeds %(share)s of the minimum wage "
                         "%(wage)s zł = %(limit)s zł"),
            {"value": tariff.first_hour, "share": share, "wage": minimum_wage,
             "limit": limit.first_hour}, tariff.first_hour, limit.first_hour))
    pairs = (("2", tariff.second_hour, "1", tariff.first_hour),
             ("3", tariff.third_hour, "2", tariff.second_hour))
    for name, value, prev_name, prev in pairs:
        if prev == 0:
            if value > 0:
                found.append(Violation(
                    "art. 13b ust. 5 u.d.p.",
                    gettext_noop("hour %(hour)s costs %(value)s zł after a free hour %(prev)s"),
                    {"hour": name, "value": value, "prev": prev_name}, value, Decimal("0")))
            continue
        if value > prev * PROGRESSION_LIMIT:
            most = truncate(prev * PROGRESSION_LIMIT)
            found.append(Violation(
                "art. 13b ust. 5 u.d.p.",
                gettext_noop("hour %(hour)s (%(value)s zł) is %(pct)s %% above hour %(prev)s "
                             "(%(prev_value)s zł); the progression may not exceed 20 %% "
                             "(at most %(limit)s zł)"),
                {"hour": name, "value": value, "pct": _pct(value, prev), "prev": prev_name,
                 "prev_value": prev, "limit": most}, value, most))
    if tariff.later_hours > tariff.first_hour:
        found.append(Violation(
            "art. 13b ust. 5 u.d.p.",
            gettext_noop("the 4th and later hours (%(value)s zł) exceed the 1st hour "
                         "(%(limit)s zł)"),
            {"value": tariff.later_hours, "limit": tariff.first_hour},
            tariff.later_hours, tariff.first_hour))
    surcharges: tuple[tuple[str, Decimal | None], ...] = (
        (gettext_noop("surcharge"), tariff.surcharge),
        (gettext_noop("reduced surcharge"), tariff.surcharge_reduced))
    for label, surcharge in surcharges:
        if surcharge is not None and surcharge > limit.surcharge:
            found.append(Violation(
                "art. 13f ust. 2 u.d.p.",
                gettext_noop("the %(label)s %(value)s zł exceeds 10 %% of the minimum wage "
                             "%(wage)s zł = %(limit)s zł"),
                {"label": label, "value": surcharge, "wage": minimum_wage,
                 "limit": limit.surcharge}, surcharge, limit.surcharge))
    if (tariff.surcharge is not None and tariff.surcharge_reduced is not None
            and tariff.surcharge_reduced > tariff.surcharge):
        found.append(Violation(
            "art. 13f u.d.p.",
            gettext_noop("the reduced surcharge %(value)s zł exceeds the surcharge "
                         "%(limit)s zł"),
            {"value": tariff.surcharge_reduced, "limit": tariff.surcharge},
            tariff.surcharge_reduced, tariff.surcharge))
    if not 1 <= tariff.step_minutes <= 60:
        found.append(Violation(
            "art. 13b ust. 4 pkt 3 u.d.p.",
            gettext_noop("the billing step %(value)s min must be 1–60 min"),
            {"value": tariff.step_minutes}, Decimal(tariff.step_minutes), Decimal(60)))
    return found


class Vehicle(StrEnum):
    ORDINARY = "ordinary"
    ELECTRIC = "electric"  # BEV, art. 2 pkt 12 ustawy o elektromobilności
    PARKING_CARD = "parking_card"  # karta parkingowa on a reserved bay


@dataclass(frozen=True)
class DayCharge:
    day: date
    start: datetime
    end: datetime
    paid_minutes: int
    billed_minutes: int
    amount: Decimal
    hours: tuple[tuple[int, int, Decimal, Decimal], ...]  # (hour no, minutes, rate, amount)


@dataclass(frozen=True)
class Fee:
    total: Decimal
    paid_minutes: int
    days: tuple[DayCharge, ...]
    exemption: str = ""  # why nothing is due (statute, council choice, subscription)


def paid_intervals(start: datetime, end: datetime,
                   schedule: Schedule) -> list[tuple[datetime, datetime]]:
    """The parts of a stay that fall in paid days and hours, one per paid day."""
    if end <= start:
        return []
    out = []
    day = start.date()
    while day <= end.date():
        window = schedule.window(day)
        if window:
            lo, hi = max(start, window[0]), min(end, window[1])
            if hi > lo:
                out.append((lo, hi))
        day += timedelta(days=1)
    return out


def charge_minutes(tariff: Tariff, minutes: int
                   ) -> tuple[Decimal, int, list[tuple[int, int, Decimal, Decimal]]]:
    """The charge for ``minutes`` of paid time in one paid day.

    Minutes round up to the billing step; each minute is priced at the rate of the hour of the
    stay it falls in (1st, 2nd, 3rd, 4th and later); the total is rounded to the grosz and
    lifted to the minimum charge.
    """
    if minutes <= 0:
        return Decimal("0.00"), 0, []
    step = max(1, tariff.step_minutes)
    billed = -(-minutes // step) * step
    total = Decimal("0")
    hours: list[tuple[int, int, Decimal, Decimal]] = []
    left, index = billed, 0
    while left > 0:
        used = min(60, left)
        rate = tariff.hourly_rate(index)
        amount = rate * used / 60
        hours.append((index + 1, used, rate, money(amount)))
        total += amount
        left -= used
        index += 1
    total = max(money(total), tariff.minimum_charge)
    return total, billed, hours


def calculate_fee(tariff: Tariff, start: datetime, end: datetime,
                  vehicle: Vehicle = Vehicle.ORDINARY,
                  subscription: str | None = None) -> Fee:
    """Fee for one stay (local, naive datetimes).

    Only paid days and hours are charged. The hour ladder (1st, 2nd, 3rd, 4th+) starts again on
    each paid day: paid hours end the stay's paid part, so the next morning is a new first hour
    (our reading of the resolutions, which sell tickets per paid day; the statute is silent).
    """
    if end <= start:
        raise ValueError("the end of the stay must be after its start")
    intervals = paid_intervals(start, end, tariff.schedule)
    paid = sum(int((hi - lo).total_seconds() // 60) for lo, hi in intervals)
    if vehicle == Vehicle.ELECTRIC:
        return Fee(Decimal("0.00"), paid, (), "art. 13 ust. 3 u.d.p. (BEV)")
    if vehicle == Vehicle.PARKING_CARD and tariff.parking_card_zero_rate:
        return Fee(Decimal("0.00"), paid, (), "art. 13b ust. 4 pkt 2 u.d.p. (parking card)")
    if subscription:
        if subscription not in tariff.subscriptions:
            raise ValueError(f"the zone offers no {subscription!r} subscription")
        return Fee(Decimal("0.00"), paid, (), f"subscription: {subscription}")
    days = []
    for lo, hi in intervals:
        minutes = int((hi - lo).total_seconds() // 60)
        amount, billed, hours = charge_minutes(tariff, minutes)
        days.append(DayCharge(lo.date(), lo, hi, minutes, billed, amount, tuple(hours)))
    total = sum((d.amount for d in days), Decimal("0.00"))
    return Fee(total, paid, tuple(days))


def parse_weekdays(text: str) -> frozenset[int]:
    """'0-4' or '0,1,2,3,4,5' → weekday numbers (0 = Monday)."""
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = (int(v) for v in part.split("-", 1))
            days.update(range(a, b + 1))
        else:
            days.add(int(part))
    if not days or any(d < 0 or d > 6 for d in days):
        raise ValueError("weekdays must be numbers 0 (Monday) … 6 (Sunday)")
    return frozenset(days)


def format_weekdays(days: Iterable[int]) -> str:
    return ",".join(str(d) for d in sorted(days))


PLATE_MIN, PLATE_MAX = 2, 10
_PLATE_SEPARATORS = str.maketrans("", "", " -\t")


def normalise_plate(text: str) -> str:
    """A vehicle registration number as stored and compared: uppercase, no spaces or hyphens.

    Raises ValueError naming the problem when what is left is not 2–10 Latin letters and digits
    (Polish plates are 4–8; foreign ones up to 10) with at least one letter."""
    if not isinstance(text, str):
        raise ValueError("the registration number must be a text")
    plate = text.translate(_PLATE_SEPARATORS).upper()
    if not plate:
        raise ValueError("the registration number is empty")
    if not plate.isascii() or not plate.isalnum():
        raise ValueError(f"the registration number {text!r} may hold only letters A–Z, digits, "
                         "spaces and hyphens")
    if not PLATE_MIN <= len(plate) <= PLATE_MAX:
        raise ValueError(f"the registration number {text!r} must have {PLATE_MIN}–{PLATE_MAX} "
                         "letters and digits")
    if plate.isdigit():
        raise ValueError(f"the registration number {text!r} has no letter")
    return plate


def amount_matches(paid: Decimal, fee: Decimal, tolerance: Decimal) -> bool:
    """Whether the amount an operator collected is the fee, within ``tolerance`` (zł)."""
    return abs(paid - fee) <= tolerance
