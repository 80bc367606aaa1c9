"""The landscape resolution and the advertising fee as pure functions (no Django, no database).

Sources (shared/domain/legal-facts.md §3, §8): art. 37a–37d u.p.z.p. (rules per area of the
landscape resolution; penalty art. 37d = 40 × (fixed + variable × area) per day from the start of
proceedings until compliance), art. 17a–17b and 19 UPOL (advertising fee: fixed part + variable
part per m² per day within the year's caps; property tax paid on the board is credited),
art. 6 ust. 1 u.o.p. and art. 16–17 u.o.z. (forms of protection).

The resolution's lifecycle (art. 37a u.p.z.p., legal-facts §3.2, SECONDARY): the resolution sets
the conditions and the period for adjusting existing boards, devices and fences, not shorter than
12 months (``ADJUSTMENT_MIN_MONTHS``, a parameter). A board placed before the resolution came into
force is neither charged the advertising fee nor penalised until that period ends (II OSK
1602/23 goes further for boards placed lawfully: the penalty then needs a compensation mechanism).
A penalty decision covers a period; each day of it is priced at the rates of its own year.

A rule is data: (subject, kind, value, citation). ``evaluate`` answers pass / fail / review for
every rule that applies to the described object, each with the paragraph it comes from.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

GROSZ = Decimal("0.01")
PENALTY_MULTIPLIER = Decimal(40)  # art. 37d ust. 4 u.p.z.p.
# art. 37a ust. 1 u.p.z.p.: the adjustment period for existing objects is not shorter than
# 12 months (legal-facts §3.2, SECONDARY): the statutory minimum, a parameter.
ADJUSTMENT_MIN_MONTHS = 12


def gettext_noop(message: str) -> str:
    """Marks a message for translation (makemessages knows this name); Django translates it."""
    return message


class Subject(StrEnum):
    ADVERTISING = "advertising"  # advertising boards and devices (tablice i urządzenia reklamowe)
    SIGN = "sign"  # szyld
    FENCE = "fence"
    SMALL_ARCHITECTURE = "small_architecture"


class ObjectType(StrEnum):
    BOARD = "board"
    DEVICE = "device"
    SIGN = "sign"
    FENCE = "fence"
    SMALL_ARCHITECTURE = "small_architecture"


SUBJECT_OF = {
    ObjectType.BOARD: Subject.ADVERTISING,
    ObjectType.DEVICE: Subject.ADVERTISING,
    ObjectType.SIGN: Subject.SIGN,
    ObjectType.FENCE: Subject.FENCE,
    ObjectType.SMALL_ARCHITECTURE: Subject.SMALL_ARCHITECTURE,
}


class Mounting(StrEnum):
    FREE_STANDING = "free_standing"
    BUILDING = "building"
    FENCE = "fence"


class RuleKind(StrEnum):
    ALLOWED = "allowed"  # yes / no
    MAX_AREA_M2 = "max_area_m2"
    MAX_HEIGHT_M = "max_height_m"
    MAX_COUNT = "max_count"  # per property (or per business for signs)
    LIT_ALLOWED = "lit_allowed"
    MOVING_IMAGES_ALLOWED = "moving_images_allowed"
    MOUNTINGS_ALLOWED = "mountings_allowed"  # list of Mounting values
    BANNED_MATERIALS = "banned_materials"  # list
    ALLOWED_MATERIALS = "allowed_materials"  # list
    ALLOWED_COLOURS = "allowed_colours"  # list
    MIN_SEE_THROUGH = "min_see_through"  # share in per cent of the fence face
    PLACEMENT = "placement"  # free text: always for the inspector's eye


BOOL_KINDS = {RuleKind.ALLOWED, RuleKind.LIT_ALLOWED, RuleKind.MOVING_IMAGES_ALLOWED}
NUMBER_KINDS = {RuleKind.MAX_AREA_M2, RuleKind.MAX_HEIGHT_M, RuleKind.MAX_COUNT,
                RuleKind.MIN_SEE_THROUGH}
LIST_KINDS = {RuleKind.MOUNTINGS_ALLOWED, RuleKind.BANNED_MATERIALS, RuleKind.ALLOWED_MATERIALS,
              RuleKind.ALLOWED_COLOURS}
_TRUE = {"yes", "tak", "true", "1"}
_FALSE = {"no", "nie", "false", "0"}


class RuleValueError(ValueError):
    """A rule's value does not fit its kind; ``template % params`` says why (translatable)."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params)


def parse_flag(kind: RuleKind, text: str) -> bool:
    """The value of a yes/no rule (allowed, lighting, moving images)."""
    low = (text or "").strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise RuleValueError(gettext_noop("%(kind)s: expected yes or no, got %(text)s"),
                         kind=kind, text=(text or "").strip())


def parse_number(kind: RuleKind, text: str) -> Decimal:
    """The value of a limit (area, height, count, see-through share): a number ≥ 0."""
    text = (text or "").strip()
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise RuleValueError(gettext_noop("%(kind)s: expected a number, got %(text)s"),
                             kind=kind, text=text) from None
    if not value.is_finite() or value < 0:
        raise RuleValueError(gettext_noop("%(kind)s: expected a number ≥ 0, got %(text)s"),
                             kind=kind, text=text)
    return value


def parse_list(kind: RuleKind, text: str) -> tuple[str, ...]:
    """The value of a list rule (mountings, materials, colours), lower-cased."""
    items = tuple(i.strip().lower() for i in (text or "").split(",") if i.strip())
    if not items:
        raise RuleValueError(gettext_noop("%(kind)s: expected a comma-separated list"),
                             kind=kind)
    if kind == RuleKind.MOUNTINGS_ALLOWED:
        bad = [i for i in items if i not in set(Mounting)]
        if bad:
            raise RuleValueError(
                gettext_noop("%(kind)s: unknown mounting %(bad)s; use %(allowed)s"),
                kind=kind, bad=", ".join(bad), allowed=", ".join(Mounting))
    return items


def parse_text(kind: RuleKind, text: str) -> str:
    """The value of the placement rule: its text, for the inspector to read."""
    text = (text or "").strip()
    if not text:
        raise RuleValueError(gettext_noop("%(kind)s: the placement rule needs its text"),
                             kind=kind)
    return text


def parse_value(kind: str, text: str) -> bool | Decimal | tuple[str, ...] | str:
    """A rule's stored text checked against its kind (forms validate with it); the checks
    below read each kind through its own typed parser."""
    try:
        rule_kind = RuleKind(kind)
    except ValueError:
        raise RuleValueError(gettext_noop("unknown rule %(kind)s"), kind=kind) from None
    if rule_kind in BOOL_KINDS:
        return parse_flag(rule_kind, text)
    if rule_kind in NUMBER_KINDS:
        return parse_number(rule_kind, text)
    if rule_kind in LIST_KINDS:
        return parse_list(rule_kind, text)
    return parse_text(rule_kind, text)


@dataclass(frozen=True)
class Rule:
    subject: Subject
    kind: RuleKind
    value: str
    citation: str


@dataclass(frozen=True)
class Area:
    """A landscape area at the point: a resolution zone or a form of protection."""

    code: str
    name: str
    kind: str  # LandscapeArea.Kind value
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class ObjectSpec:
    """What the inspector sees; ``None`` = not measured (the rule then needs review)."""

    type: ObjectType
    area_m2: Decimal | None = None
    height_m: Decimal | None = None
    lit: bool | None = None
    moving_images: bool | None = None
    mounting: Mounting | None = None
    material: str = ""
    colour: str = ""
    see_through_pct: Decimal | None = None
    count_on_property: int | None = None  # including this one


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    FAIL = "fail"
    REVIEW = "review"


@dataclass(frozen=True)
class Finding:
    area_code: str
    area_name: str
    subject: str
    kind: str
    verdict: Verdict
    template: str
    params: dict[str, object]
    citation: str

    @property
    def message(self) -> str:
        return self.template % self.params


# What a form of protection adds by statute whatever the resolution says: the inspector checks
# the protection act's bans (the area's own rules, entered as data, may add concrete limits).
PROTECTION_NOTES = {
    "landscape_park": "art. 16–17 u.o.p.",
    "protected_landscape": "art. 23–24 u.o.p.",
    "natura_2000": "art. 33 u.o.p.",
    "cultural_park": "art. 17 ust. 1 u.o.z.",
    "conservation_zone": "art. 7 pkt 4 u.o.z.",
}


def _check(rule: Rule, obj: ObjectSpec) -> tuple[Verdict, str, dict[str, object]]:
    k = RuleKind(rule.kind)
    if k == RuleKind.ALLOWED:
        if parse_flag(k, rule.value):
            return Verdict.PASS, gettext_noop("allowed in this area"), {}
        return Verdict.FAIL, gettext_noop("banned in this area"), {}
    if k in (RuleKind.MAX_AREA_M2, RuleKind.MAX_HEIGHT_M, RuleKind.MAX_COUNT):
        actual = {RuleKind.MAX_AREA_M2: obj.area_m2, RuleKind.MAX_HEIGHT_M: obj.height_m,
                  RuleKind.MAX_COUNT: obj.count_on_property}[k]
        label = {RuleKind.MAX_AREA_M2: gettext_noop("area"),
                 RuleKind.MAX_HEIGHT_M: gettext_noop("height"),
                 RuleKind.MAX_COUNT: gettext_noop("number on the property")}[k]
        unit = {RuleKind.MAX_AREA_M2: "m²", RuleKind.MAX_HEIGHT_M: "m",
                RuleKind.MAX_COUNT: ""}[k]
        value = parse_number(k, rule.value)
        params: dict[str, object] = {"label": label, "limit": value, "unit": unit,
                                     "actual": actual}
        if actual is None:
            return Verdict.REVIEW, gettext_noop("%(label)s not given; at most %(limit)s "
                                                "%(unit)s allowed"), params
        if Decimal(actual) > value:
            return Verdict.FAIL, gettext_noop("%(label)s %(actual)s %(unit)s exceeds the "
                                              "maximum %(limit)s %(unit)s"), params
        return Verdict.PASS, gettext_noop("%(label)s %(actual)s %(unit)s within the maximum "
                                          "%(limit)s %(unit)s"), params
    if k in (RuleKind.LIT_ALLOWED, RuleKind.MOVING_IMAGES_ALLOWED):
        actual = obj.lit if k == RuleKind.LIT_ALLOWED else obj.moving_images
        label = gettext_noop("lighting") if k == RuleKind.LIT_ALLOWED else \
            gettext_noop("moving images")
        if parse_flag(k, rule.value):
            return Verdict.PASS, gettext_noop("%(label)s allowed"), {"label": label}
        if actual is None:
            return Verdict.REVIEW, gettext_noop("%(label)s not stated; banned in this area"), \
                {"label": label}
        if actual:
            return Verdict.FAIL, gettext_noop("%(label)s banned in this area"), {"label": label}
        return Verdict.PASS, gettext_noop("no %(label)s, as required"), {"label": label}
    if k == RuleKind.MOUNTINGS_ALLOWED:
        mountings = parse_list(k, rule.value)
        params = {"allowed": ", ".join(mountings), "actual": obj.mounting or ""}
        if obj.mounting is None:
            return Verdict.REVIEW, gettext_noop("mounting not given; allowed: %(allowed)s"), params
        if str(obj.mounting) in mountings:
            return Verdict.PASS, gettext_noop("mounting %(actual)s allowed"), params
        return Verdict.FAIL, gettext_noop("mounting %(actual)s not allowed; allowed: "
                                          "%(allowed)s"), params
    if k in (RuleKind.BANNED_MATERIALS, RuleKind.ALLOWED_MATERIALS, RuleKind.ALLOWED_COLOURS):
        listed = parse_list(k, rule.value)
        stated = (obj.colour if k == RuleKind.ALLOWED_COLOURS else obj.material).strip().lower()
        params = {"list": ", ".join(listed), "actual": stated}
        if not stated:
            return Verdict.REVIEW, gettext_noop("not stated; the rule lists: %(list)s"), params
        if k == RuleKind.BANNED_MATERIALS:
            if stated in listed:
                return Verdict.FAIL, gettext_noop("material %(actual)s is banned"), params
            return Verdict.PASS, gettext_noop("material %(actual)s is not banned "
                                              "(%(list)s)"), params
        if stated in listed:
            return Verdict.PASS, gettext_noop("%(actual)s is allowed"), params
        return Verdict.FAIL, gettext_noop("%(actual)s is not among the allowed: %(list)s"), \
            params
    if k == RuleKind.MIN_SEE_THROUGH:
        value = parse_number(k, rule.value)
        params = {"limit": value, "actual": obj.see_through_pct}
        if obj.see_through_pct is None:
            return Verdict.REVIEW, gettext_noop("see-through share not given; at least "
                                                "%(limit)s %%"), params
        if Decimal(obj.see_through_pct) < value:
            return Verdict.FAIL, gettext_noop("see-through share %(actual)s %% below the "
                                              "minimum %(limit)s %%"), params
        return Verdict.PASS, gettext_noop("see-through share %(actual)s %% meets "
                                          "%(limit)s %%"), params
    return Verdict.REVIEW, gettext_noop("check the placement: %(text)s"), \
        {"text": parse_text(k, rule.value)}


def evaluate(areas: Sequence[Area], obj: ObjectSpec) -> list[Finding]:
    """Every rule of every area at the point that applies to ``obj``, with its verdict.

    A ban (``allowed = no``) fails the object whatever its size. A form of protection adds a
    review item citing its act. A point with no rules for the object's subject yields one
    review finding, never a silent pass.
    """
    subject = SUBJECT_OF[ObjectType(obj.type)]
    out: list[Finding] = []
    for area in areas:
        for rule in area.rules:
            if rule.subject != subject:
                continue
            verdict, template, params = _check(rule, obj)
            out.append(Finding(area.code, area.name, str(subject), str(rule.kind), verdict,
                               template, params, rule.citation))
        note = PROTECTION_NOTES.get(area.kind)
        if note:
            out.append(Finding(area.code, area.name, str(subject), "protection", Verdict.REVIEW,
                               gettext_noop("the object lies in a protected area (%(kind)s): "
                                            "check the bans of its act"),
                               {"kind": area.kind}, note))
    if not out:
        out.append(Finding("", "", str(subject), "none", Verdict.REVIEW,
                           gettext_noop("no rule of the landscape resolution found at this "
                                        "point for this object"), {}, ""))
    return out


def outcome(findings: Iterable[Finding]) -> Verdict:
    verdicts = {f.verdict for f in findings}
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.REVIEW in verdicts:
        return Verdict.REVIEW
    return Verdict.PASS


# --- advertising fee (art. 17a–17b UPOL) and penalty (art. 37d u.p.z.p.) --------------------

@dataclass(frozen=True)
class FeeRates:
    """Daily rates: fixed part (zł/day) and variable part (zł per m² per day)."""

    fixed: Decimal
    variable: Decimal


def money(amount: Decimal) -> Decimal:
    return amount.quantize(GROSZ, rounding=ROUND_HALF_UP)


def rates_within_caps(rates: FeeRates, cap: FeeRates) -> list[str]:
    """Problems with council rates against the year's statutory caps (art. 19 pkt 1 lit. g–h)."""
    problems = []
    if rates.fixed < 0 or rates.variable < 0:
        problems.append("rates may not be negative")
    if rates.fixed > cap.fixed:
        problems.append(f"fixed part {rates.fixed} zł exceeds the cap {cap.fixed} zł")
    if rates.variable > cap.variable:
        problems.append(f"variable part {rates.variable} zł/m² exceeds the cap "
                        f"{cap.variable} zł/m²")
    return problems


def daily_fee(rates: FeeRates, area_m2: Decimal) -> Decimal:
    """Fee per day of one board or device: fixed + variable × exposure area (art. 17b)."""
    return money(rates.fixed + rates.variable * Decimal(area_m2))


def days_in_period(placed_from: date, placed_to: date | None, period_start: date,
                   period_end: date) -> int:
    """Days (inclusive) the board stood within the period: the fee is pro rata by day."""
    lo = max(placed_from, period_start)
    hi = min(placed_to or period_end, period_end)
    return max(0, (hi - lo).days + 1)


@dataclass(frozen=True)
class FeeDue:
    daily: Decimal
    days: int
    gross: Decimal
    tax_credit: Decimal
    due: Decimal


def advertising_fee(rates: FeeRates, area_m2: Decimal, days: int,
                    property_tax_paid: Decimal = Decimal("0")) -> FeeDue:
    """Fee for ``days``, less the property tax paid on the board (art. 17a ust. 6 UPOL)."""
    daily = daily_fee(rates, area_m2)
    gross = money(daily * days)
    credit = min(money(Decimal(property_tax_paid)), gross)
    return FeeDue(daily, days, gross, credit, gross - credit)


def penalty_per_day(rates: FeeRates, area_m2: Decimal) -> Decimal:
    """Art. 37d: 40 × the fixed part + 40 × the variable part × exposure area, per day."""
    return money(PENALTY_MULTIPLIER * (rates.fixed + rates.variable * Decimal(area_m2)))


@dataclass(frozen=True)
class Penalty:
    per_day: Decimal
    days: int
    total: Decimal
    until: date


def penalty(rates: FeeRates, area_m2: Decimal, proceedings_started: date,
            compliance: date | None, today: date) -> Penalty:
    """From the start of proceedings until compliance (or ``today`` while still non-compliant)."""
    until = compliance or today
    days = max(0, (until - proceedings_started).days + 1)
    per_day = penalty_per_day(rates, area_m2)
    return Penalty(per_day, days, per_day * days, until)



class MissingRatesError(LookupError):
    """No rates (council's or statutory caps) for a year a penalty period covers."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(f"no advertising fee rates for {year}")


# --- the resolution's lifecycle: in force, adjustment period (art. 37a u.p.z.p.) -------------

def add_months(start: date, months: int) -> date:
    """The same day ``months`` later (the last day of a shorter month), as periods in months
    are counted (art. 112 k.c.)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def adjustment_months_issues(months: int, *,
                             min_months: int = ADJUSTMENT_MIN_MONTHS) -> list[str]:
    """What is wrong with a resolution's adjustment period (message templates, %-params)."""
    if months < min_months:
        return [gettext_noop("the adjustment period of %(months)s months is shorter than the "
                             "statutory minimum of %(min)s months")]
    return []


def adjustment_ends(in_force_on: date, months: int) -> date:
    """The last day of the adjustment period: ``months`` after the resolution came into force.

    Starachowice, uchwała Nr XV/13/2019: in force 6 January 2020, 12 months, to 6 January 2021.
    """
    return add_months(in_force_on, months)


@dataclass(frozen=True)
class Lifecycle:
    """A landscape resolution's dates: in force from ``in_force_on``; objects existing then have
    until ``adjustment_ends`` (inclusive) to comply."""

    in_force_on: date
    adjustment_months: int

    @property
    def adjustment_ends(self) -> date:
        return adjustment_ends(self.in_force_on, self.adjustment_months)


def existing_before(placed_from: date, life: Lifecycle | None) -> bool:
    """Placed before the resolution came into force (an existing object, art. 37a ust. 1)."""
    return life is not None and placed_from < life.in_force_on


def obligations_from(placed_from: date, life: Lifecycle | None) -> date:
    """The first day the resolution binds the object: the fee is charged and a non-compliance
    penalised from then on. An object placed before the resolution: the day after the
    adjustment period ends; a later one: the day it was placed (or the day the resolution came
    into force); without a recorded resolution: the day it was placed.

    E.g. in force 6 Jan 2020, 12 months: a board from 2015 is bound from 7 Jan 2021, a board
    placed on 1 Mar 2020 from 1 Mar 2020.
    """
    if life is None:
        return placed_from
    if existing_before(placed_from, life):
        return life.adjustment_ends + timedelta(days=1)
    return max(placed_from, life.in_force_on)


def in_adjustment(placed_from: date, life: Lifecycle | None, on: date) -> bool:
    """On ``on`` the object is still within its adjustment period (to adjust by a date)."""
    return life is not None and placed_from < life.in_force_on and on <= life.adjustment_ends


def fee_days(placed_from: date, removed_on: date | None, life: Lifecycle | None,
             year: int) -> int:
    """Days of ``year`` the fee is charged for: from the day the resolution binds the object."""
    return days_in_period(obligations_from(placed_from, life), removed_on, date(year, 1, 1),
                          date(year, 12, 31))


@dataclass(frozen=True)
class PenaltyLine:
    """One year's part of a penalty period, priced at that year's rates."""

    year: int
    start: date
    end: date
    days: int
    rates: FeeRates
    per_day: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PricedPenalty:
    start: date | None  # None: nothing to penalise (still within the adjustment period)
    until: date
    days: int
    total: Decimal
    lines: tuple[PenaltyLine, ...]

    @property
    def per_day(self) -> Decimal | None:
        """The daily amount when the whole period has one year's rates, else None."""
        amounts = {ln.per_day for ln in self.lines}
        return amounts.pop() if len(amounts) == 1 else None


def penalty_over_period(rates_by_year: Mapping[int, FeeRates], area_m2: Decimal,
                        proceedings_started: date, compliance: date | None, today: date, *,
                        placed_from: date | None = None,
                        life: Lifecycle | None = None) -> PricedPenalty:
    """Art. 37d: the penalty from the start of proceedings until compliance (or ``today``),
    each day priced at its own year's rates (``rates_by_year``), never for a day the
    resolution did not yet bind the object (its adjustment period).

    Worked example (12 m², rates 2025 3.72 + 0.34/m², 2026 3.89 + 0.36/m²): proceedings from
    30 Dec 2025 to 2 Jan 2026 = 2 days × 40 × (3.72 + 4.08) = 2 × 312.00 plus 2 days ×
    40 × (3.89 + 4.32) = 2 × 328.40, total 1 280.80 zł. MissingRatesError names a year without
    rates.
    """
    until = compliance or today
    start = proceedings_started
    if placed_from is not None:
        start = max(start, obligations_from(placed_from, life))
    if start > until:
        return PricedPenalty(None, until, 0, Decimal("0.00"), ())
    lines = []
    for year in range(start.year, until.year + 1):
        lo, hi = max(start, date(year, 1, 1)), min(until, date(year, 12, 31))
        if year not in rates_by_year:
            raise MissingRatesError(year)
        rates = rates_by_year[year]
        per_day = penalty_per_day(rates, area_m2)
        days = (hi - lo).days + 1
        lines.append(PenaltyLine(year, lo, hi, days, rates, per_day, per_day * days))
    return PricedPenalty(start, until, sum(ln.days for ln in lines),
                         sum((ln.amount for ln in lines), Decimal("0.00")), tuple(lines))


# --- the register's status and the inspector's steps -----------------------------------------

class BoardStatus(StrEnum):
    COMPLIANT = "compliant"
    TO_ADJUST = "to_adjust"  # placed before the resolution: to adjust by the period's end
    NON_COMPLIANT = "non_compliant"
    TO_REVIEW = "to_review"  # the rules leave a point to check on site


def board_status(verdict: Verdict | str, adjust_by: date | None) -> BoardStatus:
    """The register's status of a board: a failing board still within its adjustment period
    is "to adjust by" that date, not non-compliant; after it, non-compliant."""
    verdict = Verdict(verdict)
    if verdict == Verdict.PASS:
        return BoardStatus.COMPLIANT
    if verdict == Verdict.REVIEW:
        return BoardStatus.TO_REVIEW
    return BoardStatus.TO_ADJUST if adjust_by is not None else BoardStatus.NON_COMPLIANT


class StepKind(StrEnum):
    NOTICE = "notice"  # zawiadomienie o wszczęciu postępowania (art. 37d: the penalty runs
    #                    from the start of proceedings)
    CALL_TO_ADJUST = "call_to_adjust"  # wezwanie do dostosowania / usunięcia
    PENALTY_DECISION = "penalty_decision"  # decyzja o karze pieniężnej (art. 37d)


def step_issues(kind: StepKind | str, *, issued_on: date, started: date | None,
                adjust_by: date | None = None, period_from: date | None = None,
                period_to: date | None = None) -> list[str]:
    """What an inspector's step lacks (message templates): a call or a decision needs the
    proceedings started by a notice; a call names a date to adjust by after it is issued; a
    decision covers a period from the start of proceedings that ends by the decision's date."""
    kind = StepKind(kind)
    problems = []
    if kind != StepKind.NOTICE and started is None:
        problems.append(gettext_noop("no proceedings were started: give the notice first"))
    if started is not None and issued_on < started:
        problems.append(gettext_noop("the step is dated before the proceedings started"))
    if kind == StepKind.CALL_TO_ADJUST and (adjust_by is None or adjust_by <= issued_on):
        problems.append(gettext_noop("a call to adjust names a date after it is issued"))
    if kind == StepKind.PENALTY_DECISION:
        if period_from is None or period_to is None or period_to < period_from:
            problems.append(gettext_noop("the penalty period must run forwards"))
        elif started is not None and period_from < started:
            problems.append(gettext_noop("the penalty period begins before the proceedings "
                                         "started"))
        elif period_to > issued_on:
            problems.append(gettext_noop("the penalty period ends after the decision's date"))
    return problems
