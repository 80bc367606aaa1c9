"""The property, agricultural and forest tax as pure functions (no Django, no database).

Sources: legal-facts.md §1 (UPOL, t.j. Dz.U. 2025 poz. 707) and §2 (UPR, UPL); rounding by
art. 63 § 1 Ordynacji podatkowej. Every number that changes by year (caps, prices, thresholds,
conversion factors) comes in as an argument; the published values live in ``data.py`` and, at
run time, in the database tables seeded from it.

The same formulas are written once more in SQL for the set-based tax roll
(``sql/liabilities.sql``); the database tests prove both give the same amounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from layers.domain.calendar import next_working_day

ZERO = Decimal("0")
GROSZ = Decimal("0.01")
ZLOTY = Decimal("1")
M2_PER_HA = Decimal("10000")


class Category(StrEnum):
    """Rate categories of art. 5 ust. 1 UPOL (codes of legal-facts §1.7)."""

    LAND_BUSINESS = "G1"  # pkt 1 lit. a, zł/m²
    LAND_WATER = "G2"  # pkt 1 lit. b, zł/ha
    LAND_OTHER = "G3"  # pkt 1 lit. c, zł/m²
    LAND_REVITALISATION = "G4"  # pkt 1 lit. d, zł/m²
    BUILDING_RESIDENTIAL = "B1"  # pkt 2 lit. a, zł/m² usable area
    BUILDING_BUSINESS = "B2"  # pkt 2 lit. b
    BUILDING_SEED_TRADE = "B3"  # pkt 2 lit. c
    BUILDING_HEALTH = "B4"  # pkt 2 lit. d
    BUILDING_OTHER = "B5"  # pkt 2 lit. e
    STRUCTURE = "BU"  # pkt 3, % of value

    @property
    def object_kind(self) -> str:
        """land, building or structure: what kind of tax object the category applies to."""
        if self == Category.STRUCTURE:
            return "structure"
        return "land" if self.value.startswith("G") else "building"


CATEGORY_LABELS: dict[str, str] = {
    "G1": "grunty związane z prowadzeniem działalności gospodarczej",
    "G2": "grunty pod wodami stojącymi / jeziorami i zbiornikami sztucznymi (od 1 ha)",
    "G3": "grunty pozostałe",
    "G4": "grunty niezabudowane w obszarze rewitalizacji",
    "B1": "budynki mieszkalne",
    "B2": "budynki związane z działalnością gospodarczą",
    "B3": "budynki – obrót kwalifikowanym materiałem siewnym",
    "B4": "budynki – świadczenia zdrowotne",
    "B5": "budynki pozostałe",
    "BU": "budowle (% wartości)",
}
LAND_CATEGORIES = frozenset({"G1", "G2", "G3", "G4"})
BUILDING_CATEGORIES = frozenset({"B1", "B2", "B3", "B4", "B5"})


def category_unit(category: str) -> str:
    """The unit the rate is given in: the base must be converted for G2 (ha) and BU (%)."""
    return {"G2": "zł/ha", "BU": "%"}.get(category, "zł/m²")


# ---------------------------------------------------------------------------------------------
# Base: usable area by room height (art. 4 ust. 2), rounding (art. 63 OP)

FULL_HEIGHT_M = Decimal("2.20")
LOW_HEIGHT_M = Decimal("1.40")


def height_factor(clear_height_m: Decimal | float | str) -> Decimal:
    """Share of a room's area counted: ≥ 2.20 m fully, 1.40–2.20 m half, below 1.40 m none.

    2.20 m itself counts fully and 1.40 m counts half (practice; the act says "od 1,40 m do
    2,20 m", legal-facts §1.3 marks the boundary reading UNCONFIRMED).
    """
    h = Decimal(str(clear_height_m))
    if h >= FULL_HEIGHT_M:
        return Decimal("1")
    if h >= LOW_HEIGHT_M:
        return Decimal("0.5")
    return ZERO


def usable_area(full_m2: Decimal = ZERO, half_m2: Decimal = ZERO,
                low_m2: Decimal = ZERO) -> Decimal:
    """Taxable usable area from the areas measured in each height band (m², not rounded)."""
    del low_m2  # below 1.40 m: left out by the act, kept in the record for reconciliation
    return Decimal(full_m2) + Decimal(half_m2) * Decimal("0.5")


def usable_area_of_rooms(rooms: Iterable[tuple[Decimal | float | str, Decimal | float | str]]
                         ) -> Decimal:
    """Usable area of (area m², clear height m) pairs, each counted by its height band."""
    return sum((Decimal(str(a)) * height_factor(h) for a, h in rooms), ZERO)


def round_tax(amount: Decimal) -> Decimal:
    """Whole złoty, below 50 gr down, 50 gr and more up (art. 63 § 1 Ordynacji podatkowej)."""
    return Decimal(amount).quantize(ZLOTY, rounding=ROUND_HALF_UP)


def round_grosz(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(GROSZ, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Months of obligation (art. 6 ust. 1–5)


def month_index(day: date, year: int) -> int:
    """Month number of ``day`` counted from January of ``year`` (= 1); may be ≤ 0 or > 12."""
    return (day.year - year) * 12 + day.month


class ObligationEvent(StrEnum):
    """What made the obligation arise (art. 6 ust. 1–2 UPOL); the date entered is its date."""

    ACQUISITION = "acquisition"  # purchase, inheritance, lease…: from the 1st of the next month
    COMPLETION = "completion"  # a building or structure completed: from 1 January next year
    START_OF_USE = "start_of_use"  # used before completion: from 1 January next year
    OTHER = "other"  # any other circumstance: from the 1st of the next month


class CessationEvent(StrEnum):
    """What made the obligation expire (art. 6 ust. 3): it ends with the event's month."""

    SALE = "sale"
    DEMOLITION = "demolition"
    OTHER = "other"


#: Events for which the existence of a building or structure is the circumstance: the
#: obligation arises on 1 January of the year after (art. 6 ust. 2 UPOL).
BUILDING_EVENTS = frozenset({ObligationEvent.COMPLETION, ObligationEvent.START_OF_USE})


def obligation_start(event: str | None, event_on: date) -> date:
    """The first day of the obligation: 1 January of the next year after a building's
    completion or start of use (art. 6 ust. 2), else the first day of the month after the event
    (art. 6 ust. 1)."""
    if event in BUILDING_EVENTS:
        return date(event_on.year + 1, 1, 1)
    if event_on.month == 12:
        return date(event_on.year + 1, 1, 1)
    return date(event_on.year, event_on.month + 1, 1)


def _effective_arose(arose_on: date | None, arose_event: str | None) -> date | None:
    if arose_on is not None and arose_event in BUILDING_EVENTS:
        return building_obligation_event(arose_on)
    return arose_on


def obligation_months(year: int, arose_on: date | None = None,
                      ceased_on: date | None = None, arose_event: str | None = None,
                      ceased_event: str | None = None) -> int:
    """Months of ``year`` in which the obligation existed.

    The obligation arises on the first day of the month after the event (``arose_on``; for a
    building's completion or start of use, on 1 January of the next year, art. 6 ust. 2) and
    expires at the end of the month in which its cause ceased (``ceased_on``, whatever the
    ``ceased_event``: sale, demolition…, art. 6 ust. 3); in a part year the tax is due pro rata
    to these months (art. 6 ust. 5). ``None`` means before / after the year.
    """
    del ceased_event  # every cessation ends with its month; the kind is kept for the record
    arose_on = _effective_arose(arose_on, arose_event)
    first = 1 if arose_on is None else max(1, month_index(arose_on, year) + 1)
    last = 12 if ceased_on is None else min(12, month_index(ceased_on, year))
    return max(0, last - first + 1)


def obligation_month_range(year: int, arose_on: date | None = None,
                           ceased_on: date | None = None,
                           arose_event: str | None = None) -> range:
    """The months (1–12) of ``year`` in which the obligation existed (empty when none)."""
    arose_on = _effective_arose(arose_on, arose_event)
    first = 1 if arose_on is None else max(1, month_index(arose_on, year) + 1)
    last = 12 if ceased_on is None else min(12, month_index(ceased_on, year))
    return range(first, max(first, last + 1))


def obligation_first_month(year: int, arose_on: date | None = None,
                           arose_event: str | None = None,
                           ceased_on: date | None = None) -> int | None:
    """The first month of ``year`` with the obligation (None: no obligation that year)."""
    months = obligation_month_range(year, arose_on, ceased_on, arose_event)
    return months[0] if months else None


def building_obligation_event(completed_on: date) -> date:
    """The event date that makes a new building taxable from 1 January of the next year."""
    return date(completed_on.year, 12, 31)


# ---------------------------------------------------------------------------------------------
# Liability


def object_tax(base: Decimal, rate: Decimal, category: str, months: int = 12) -> Decimal:
    """Tax of one object for the months it was subject, in grosze (HALF_UP).

    ``base`` is m² of land or usable area, the value for structures (BU, rate in %); G2 rates
    are per hectare while the base stays in m². Only the total of a decision is rounded to whole
    złoty; per-object amounts keep grosze so that they add up to the roll.
    """
    base = Decimal(base)
    if category == "G2":
        base = base / M2_PER_HA
    elif category == "BU":
        base = base / Decimal("100")
    return round_grosz(base * Decimal(rate) * months / 12)


@dataclass(frozen=True)
class ObjectLine:
    """One tax object's share of a liability."""

    object_id: int | str
    category: str
    base: Decimal
    rate: Decimal
    months: int
    exempt: bool = False
    amount: Decimal = field(init=False)

    def __post_init__(self) -> None:
        amount = ZERO if self.exempt else object_tax(self.base, self.rate, self.category,
                                                     self.months)
        object.__setattr__(self, "amount", amount)


@dataclass(frozen=True)
class Liability:
    """A taxpayer's tax for a year: the lines, the unrounded sum and the assessed amount."""

    lines: tuple[ObjectLine, ...]
    subtotal: Decimal  # sum of the lines (grosze)
    tax: Decimal  # whole złoty, 0 when below the threshold
    below_threshold: bool

    def by_category(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for line in self.lines:
            out[line.category] = out.get(line.category, ZERO) + line.amount
        return out


def liability(lines: Iterable[ObjectLine], minimum_threshold: Decimal) -> Liability:
    """Total the lines, round to whole złoty; no assessment when it would not exceed the
    year's threshold (art. 6 ust. 8a: the cost of a registered letter)."""
    lines = tuple(lines)
    subtotal = sum((line.amount for line in lines), ZERO)
    tax = round_tax(subtotal)
    below = tax <= Decimal(minimum_threshold)
    return Liability(lines=lines, subtotal=subtotal, tax=ZERO if below else tax,
                     below_threshold=below)


# ---------------------------------------------------------------------------------------------
# Instalments (art. 6 ust. 7, 9, 11a)

NATURAL_PERSON_DUE = ((3, 15), (5, 15), (9, 15), (11, 15))
SINGLE_PAYMENT_LIMIT = Decimal("100")
#: art. 47 § 1 Ordynacji podatkowej: tax assessed by decision is due 14 days after delivery.
DAYS_AFTER_DELIVERY = 14


def statutory_due_date(year: int, month: int) -> date:
    """The 15th of the month, January's the 31st (art. 6 ust. 9 pkt 2 UPOL), not yet moved."""
    return date(year, 1, 31) if month == 1 else date(year, month, 15)


def monthly_weights(year: int, objects: Iterable[tuple[Decimal, date | None, date | None, str]]
                    ) -> dict[int, Decimal]:
    """Month → the tax that month carries: each object's yearly amount / 12 in every month of
    its obligation. ``objects``: (yearly amount, arose_on, ceased_on, arose_event)."""
    out: dict[int, Decimal] = {}
    for yearly, arose_on, ceased_on, event in objects:
        for month in obligation_month_range(year, arose_on, ceased_on, event or None):
            out[month] = out.get(month, ZERO) + Decimal(yearly) / 12
    return out


def split(tax: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``tax`` split in grosze in proportion to ``weights``; the rounding remainder goes to the
    first part, so the parts add up to the tax exactly."""
    total = sum(weights, ZERO)
    if total <= 0:
        weights, total = [Decimal("1")] * len(weights), Decimal(len(weights))
    parts = [(tax * w / total).quantize(GROSZ, rounding="ROUND_DOWN") for w in weights]
    parts[0] += tax - sum(parts, ZERO)
    return parts


def instalment_plan(tax: Decimal, year: int, legal_person: bool = False,
                    first_month: int = 1, month_weights: Mapping[int, Decimal] | None = None,
                    shift: bool = True) -> list[tuple[date, Decimal]]:
    """Due dates and amounts of a year's tax.

    Natural persons (art. 6 ust. 7 UPOL; art. 6a ust. 6 UPR; art. 6 ust. 3 UPL): "in instalments
    proportional to the duration of the obligation" by 15 March, 15 May, 15 September and
    15 November; up to 100 zł in one payment at the first instalment's date (art. 6 ust. 11a).
    The rule applied to an obligation arising during the year: **no instalment falls due before
    the obligation arose** — the statutory dates before its first day (``first_month``) are
    dropped and the tax is spread over the remaining ones in equal parts. When no statutory date
    is left (obligation from December), the whole tax is one payment; its date here is 14 days
    after the obligation arose, the earliest a decision delivered that day could make it due
    (art. 47 § 1 OP: 14 days from delivery).

    Legal persons (art. 6 ust. 9 pkt 2 UPOL): monthly by the 15th, January's by 31 January, in
    instalments proportional to the duration of the obligation: from its first month
    (``first_month``) — or, with ``month_weights`` (month → tax that month carries, see
    ``monthly_weights``), exactly in the months with an obligation, in proportion.

    Due dates falling on a Saturday, Sunday or public holiday move to the next working day
    (art. 12 § 5 OP) unless ``shift`` is False. Instalments are in grosze; the remainder goes
    to the first one.
    """
    tax = Decimal(tax)
    if tax <= 0:
        return []
    first_month = max(1, first_month)
    if legal_person:
        if month_weights:
            months = sorted(m for m, w in month_weights.items() if w > 0 and 1 <= m <= 12)
            weights = [Decimal(month_weights[m]) for m in months]
        else:
            months = list(range(first_month, 13))
            weights = [Decimal("1")] * len(months)
        dues = [statutory_due_date(year, m) for m in months]
        amounts = split(tax, weights)
    else:
        start = date(year, first_month, 1)
        dues = [d for m, day in NATURAL_PERSON_DUE if (d := date(year, m, day)) >= start]
        if not dues:
            dues = [start + timedelta(days=DAYS_AFTER_DELIVERY)]
        if tax <= SINGLE_PAYMENT_LIMIT:
            dues = dues[:1]
        amounts = [tax] if len(dues) == 1 else split(tax, [Decimal("1")] * len(dues))
    if shift:
        dues = [next_working_day(d) for d in dues]
    return list(zip(dues, amounts, strict=True))


# ---------------------------------------------------------------------------------------------
# Caps (art. 5 ust. 1, art. 20) and rates by year (art. 20a)


class RateAboveCap(ValueError):
    def __init__(self, category: str, rate: Decimal, cap: Decimal, year: int) -> None:
        self.category, self.rate, self.cap, self.year = category, rate, cap, year
        super().__init__(
            f"{category} ({CATEGORY_LABELS.get(category, category)}): rate {rate} "
            f"{category_unit(category)} exceeds the {year} cap of {cap}"
        )


def cap_violations(rates: Mapping[str, Decimal], caps: Mapping[str, Decimal],
                   year: int) -> list[RateAboveCap]:
    """Every rate above its cap for the year (empty list: the resolution is lawful).

    A year without published caps is refused as a whole: the law has no maximum to check.
    """
    out = []
    for category, rate in rates.items():
        if category not in caps:
            raise KeyError(f"no statutory cap for {category} in {year}; add the year's caps first")
        if Decimal(rate) > Decimal(caps[category]):
            out.append(RateAboveCap(category, Decimal(rate), Decimal(caps[category]), year))
        if Decimal(rate) < 0:
            raise ValueError(f"{category}: a rate cannot be negative ({rate})")
    return out


def check_rates(rates: Mapping[str, Decimal], caps: Mapping[str, Decimal], year: int) -> None:
    """Raise the first ``RateAboveCap`` (category, rate and cap in its message)."""
    violations = cap_violations(rates, caps, year)
    if violations:
        raise violations[0]


def rates_year(resolution_years: Iterable[int], year: int) -> int | None:
    """The year whose resolution applies in ``year``: its own, else the latest earlier one
    (art. 20a: without a new resolution the previous year's rates apply)."""
    earlier = [y for y in resolution_years if y <= year]
    return max(earlier) if earlier else None


# ---------------------------------------------------------------------------------------------
# Which tax applies to a land-use contour (legal-facts §2.3)


class TaxKind(StrEnum):
    PROPERTY = "property"
    AGRICULTURAL = "agricultural"
    FOREST = "forest"
    NOT_TAXABLE = "not_taxable"
    EXEMPT = "exempt"


@dataclass(frozen=True)
class LandTax:
    tax: TaxKind
    category: str | None  # property-tax category when tax is PROPERTY
    basis: str  # the provision


AGRICULTURAL_LAND = frozenset({"R", "S", "Ł", "Ps", "Br", "Wsr", "W"})
EXEMPT_AGRICULTURAL_CLASSES = frozenset({"V", "VI", "VIz"})
PROPERTY_OTHER_LAND = frozenset({"B", "Bi", "Bp", "Bz", "K", "Tk", "Ti", "Tp", "Tr", "dr"})


def land_use_tax(ofu: str, soil_class: str = "", business: bool = False,
                 public_road: bool = True, lake_or_reservoir: bool = False) -> LandTax:
    """Which tax (and property-tax category) applies to a contour.

    ``business``: held by an entrepreneur for non-agricultural activity: property tax at the
    business rate whatever the cadastre says (art. 5 ust. 1 pkt 1 lit. a UPOL, art. 1 UPR,
    art. 1 UPL). ``public_road``: a ``dr`` contour in a public road's right of way.
    """
    ofu = ofu.strip()
    if ofu.startswith("E-") or ofu == "E":
        return LandTax(TaxKind.EXEMPT, None, "użytek ekologiczny (art. 7 ust. 1 pkt 10 UPOL)")
    if ofu == "Wm":
        return LandTax(TaxKind.NOT_TAXABLE, None, "art. 2 ust. 3 pkt 2 UPOL")
    if ofu == "Wp" and not lake_or_reservoir:
        return LandTax(TaxKind.NOT_TAXABLE, None, "art. 2 ust. 3 pkt 1 UPOL")
    if ofu == "dr" and public_road:
        return LandTax(TaxKind.NOT_TAXABLE, None, "art. 2 ust. 3 pkt 4 UPOL")
    if business:
        return LandTax(TaxKind.PROPERTY, "G1", "art. 5 ust. 1 pkt 1 lit. a UPOL")
    if ofu in AGRICULTURAL_LAND:
        if soil_class in EXEMPT_AGRICULTURAL_CLASSES:
            return LandTax(TaxKind.EXEMPT, None, "art. 12 ust. 1 pkt 1 UPR")
        return LandTax(TaxKind.AGRICULTURAL, None, "art. 1 UPR")
    if ofu == "Lzr":
        return LandTax(TaxKind.EXEMPT, None, "art. 12 ust. 1 pkt 1 UPR")
    if ofu == "Ls":
        return LandTax(TaxKind.FOREST, None, "art. 1 UPL")
    if ofu in {"Lz", "N"}:
        return LandTax(TaxKind.EXEMPT, None, "art. 7 ust. 1 pkt 10 UPOL")
    if ofu in {"Ws", "Wp"}:
        return LandTax(TaxKind.PROPERTY, "G2", "art. 5 ust. 1 pkt 1 lit. b UPOL")
    if ofu == "Ba":
        # industrial land: normally held for business; the category the register should show
        return LandTax(TaxKind.PROPERTY, "G1", "art. 5 ust. 1 pkt 1 lit. a UPOL")
    if ofu in PROPERTY_OTHER_LAND:
        return LandTax(TaxKind.PROPERTY, "G3", "art. 5 ust. 1 pkt 1 lit. c UPOL")
    # unknown codes: property tax, other land (the cadastre is the source; flag elsewhere)
    return LandTax(TaxKind.PROPERTY, "G3", "art. 5 ust. 1 pkt 1 lit. c UPOL")


# Building kinds (KŚT letters, layers.domain.codes.BuildingKind) → the category a building of
# that kind normally falls in, used to estimate what an undeclared building would pay.
BUILDING_KIND_CATEGORY: dict[str, str] = {
    "m": "B1", "z": "B4", "h": "B2", "b": "B2", "p": "B2", "s": "B2", "t": "B2",
    "g": "B5", "k": "B5", "i": "B5",
}


def building_category(kind: str | None, business: bool = False) -> str:
    if business and kind != "m":
        return "B2"
    return BUILDING_KIND_CATEGORY.get(kind or "", "B5")


# ---------------------------------------------------------------------------------------------
# Agricultural tax (art. 4, 6 UPR) and forest tax (art. 4 UPL)

RYE_DT_PER_CONVERSION_HA_FARM = Decimal("2.5")
RYE_DT_PER_HA_OTHER = Decimal("5")
TIMBER_M3_PER_HA = Decimal("0.220")


def conversion_factor(factors: Mapping[tuple[str, str, str], Decimal], ofu: str,
                      soil_class: str = "", district: str = "") -> Decimal:
    """Conversion-hectare factor from the parameter table, most specific key first; without
    one, 1 physical ha = 1 conversion ha (art. 4 ust. 9 UPR)."""
    for key in ((district, ofu, soil_class), ("", ofu, soil_class), (district, ofu, ""),
                ("", ofu, "")):
        if key in factors:
            return Decimal(factors[key])
    return Decimal("1")


def agricultural_tax(area_ha: Decimal, rye_price_per_dt: Decimal, farm: bool,
                     factor: Decimal = Decimal("1"), months: int = 12) -> Decimal:
    """Farms: 2.5 q of rye per conversion ha; other land: 5 q per physical ha (art. 6 UPR)."""
    area_ha = Decimal(area_ha)
    if farm:
        base = area_ha * Decimal(factor) * RYE_DT_PER_CONVERSION_HA_FARM
    else:
        base = area_ha * RYE_DT_PER_HA_OTHER
    return round_grosz(base * Decimal(rye_price_per_dt) * months / 12)


def forest_tax(area_ha: Decimal, timber_price_per_m3: Decimal, reserve: bool = False,
               months: int = 12) -> Decimal:
    """0.220 m³ of timber per ha; half in nature reserves and national parks (art. 4 UPL)."""
    amount = Decimal(area_ha) * TIMBER_M3_PER_HA * Decimal(timber_price_per_m3)
    if reserve:
        amount = amount / 2
    return round_grosz(amount * months / 12)


def rates_delta(base: Decimal, old_rate: Decimal, new_rate: Decimal,
                category: str = "B1") -> Decimal:
    """Yearly difference for the same base between two rates (how councils explain a change)."""
    return object_tax(base, new_rate, category) - object_tax(base, old_rate, category)



# ---------------------------------------------------------------------------------------------
# Agricultural and forest tax as liabilities (art. 2, 4, 6, 12 UPR; art. 4, 7 UPL)

AGRICULTURAL_EXEMPT_OFU = frozenset({"Lzr"})  # art. 12 ust. 1 pkt 1 UPR
FARM_PHYSICAL_HA = Decimal("1")
FARM_CONVERSION_HA = Decimal("1")
HA_PLACES = Decimal("0.0001")


def conversion_table(rows: Iterable[tuple[str, str, str, Decimal]]
                     ) -> dict[tuple[str, str, str], Decimal]:
    """(district, OFU, class) → factor from rows (district, OFU, class, factor)."""
    return {(d, ofu, klass): Decimal(f) for d, ofu, klass, f in rows}


def is_farm(physical_ha: Decimal, conversion_ha: Decimal) -> bool:
    """A farm (gospodarstwo rolne, art. 2 ust. 1 UPR): farmland of more than 1 ha or of
    1 conversion ha (our reading of "przekraczającej 1 ha lub 1 ha przeliczeniowy": more than
    1 physical ha, or at least 1 conversion ha; the boundary reading is UNCONFIRMED)."""
    return Decimal(physical_ha) > FARM_PHYSICAL_HA or Decimal(conversion_ha) >= FARM_CONVERSION_HA


def agricultural_exemption(ofu: str, soil_class: str) -> str:
    """The basis of the statutory exemption of a farmland contour, '' when taxed."""
    if ofu in AGRICULTURAL_EXEMPT_OFU:
        return "art. 12 ust. 1 pkt 1 UPR (Lzr)"
    if soil_class in EXEMPT_AGRICULTURAL_CLASSES:
        return f"art. 12 ust. 1 pkt 1 UPR (klasa {soil_class})"
    return ""


@dataclass(frozen=True)
class RuralLine:
    """One farmland contour of a taxpayer: OFU, soil class, physical hectares, months."""

    object_id: int | str
    ofu: str
    soil_class: str
    area_ha: Decimal
    months: int = 12
    exempt_basis: str = ""  # another exemption the officer recorded (e.g. ROD, monument)


@dataclass(frozen=True)
class RuralLineResult:
    line: RuralLine
    factor: Decimal
    conversion_ha: Decimal
    exempt: bool
    basis: str
    amount: Decimal


@dataclass(frozen=True)
class RuralLiability:
    lines: tuple[RuralLineResult, ...]
    farm: bool
    physical_ha: Decimal
    conversion_ha: Decimal
    subtotal: Decimal
    tax: Decimal  # whole złoty (art. 63 § 1 OP)


def agricultural_liability(lines: Iterable[RuralLine], rye_price_per_dt: Decimal,
                           factors: Mapping[tuple[str, str, str], Decimal],
                           district: str) -> RuralLiability:
    """A taxpayer's agricultural tax for the year.

    Whether the land is a farm is decided on all its farmland, exempt classes included (they
    are użytki rolne): then each taxed contour pays 2.5 q of rye per conversion hectare
    (physical ha × the art. 4 ust. 5 factor of its OFU, class and the municipality's tax
    district), otherwise 5 q per physical hectare (art. 6 ust. 1). Classes V, VI, VIz and Lzr
    pay nothing (art. 12 ust. 1 pkt 1). Lines keep grosze; the total is rounded to whole złoty.
    """
    lines = tuple(lines)
    prepared = []
    for line in lines:
        factor = conversion_factor(factors, line.ofu, line.soil_class, district)
        conv = (Decimal(line.area_ha) * factor).quantize(HA_PLACES)
        basis = line.exempt_basis or agricultural_exemption(line.ofu, line.soil_class)
        prepared.append((line, factor, conv, basis))
    physical = sum((Decimal(line.area_ha) for line in lines), ZERO)
    conversion = sum((conv for _, _, conv, _ in prepared), ZERO)
    farm = is_farm(physical, conversion)
    results = []
    for line, factor, conv, basis in prepared:
        amount = ZERO if basis else agricultural_tax(line.area_ha, rye_price_per_dt, farm,
                                                     factor, line.months)
        results.append(RuralLineResult(line, factor, conv, bool(basis), basis, amount))
    subtotal = sum((r.amount for r in results), ZERO)
    return RuralLiability(tuple(results), farm, physical, conversion, subtotal,
                          round_tax(subtotal))


@dataclass(frozen=True)
class ForestLine:
    """Forest land (Ls) of a taxpayer; ``reserve``: in a nature reserve or national park (half
    the rate, art. 4 ust. 3 UPL); ``young_stand``: stand up to 40 years (exempt, art. 7 ust. 1
    pkt 1 UPL)."""

    object_id: int | str
    area_ha: Decimal
    reserve: bool = False
    young_stand: bool = False
    months: int = 12
    exempt_basis: str = ""


@dataclass(frozen=True)
class ForestLineResult:
    line: ForestLine
    exempt: bool
    basis: str
    amount: Decimal


@dataclass(frozen=True)
class ForestLiability:
    lines: tuple[ForestLineResult, ...]
    subtotal: Decimal
    tax: Decimal


def forest_liability(lines: Iterable[ForestLine], timber_price_per_m3: Decimal
                     ) -> ForestLiability:
    """A taxpayer's forest tax: 0.220 m³ of timber per ha (half in reserves and national
    parks), stands up to 40 years exempt; lines in grosze, the total in whole złoty."""
    results = []
    for line in lines:
        basis = line.exempt_basis or ("art. 7 ust. 1 pkt 1 UPL (drzewostan do 40 lat)"
                                      if line.young_stand else "")
        amount = ZERO if basis else forest_tax(line.area_ha, timber_price_per_m3, line.reserve,
                                               line.months)
        results.append(ForestLineResult(line, bool(basis), basis, amount))
    subtotal = sum((r.amount for r in results), ZERO)
    return ForestLiability(tuple(results), subtotal, round_tax(subtotal))


@dataclass(frozen=True)
class CombinedLiability:
    """łączne zobowiązanie pieniężne (art. 6c UPOL): a natural person's property, agricultural
    and forest tax in one decision and one set of instalments."""

    parts: dict[str, Decimal]  # tax kind → whole złoty
    total: Decimal  # 0 when below the threshold
    below_threshold: bool


def combined_liability(parts: Mapping[str, Decimal], minimum_threshold: Decimal
                       ) -> CombinedLiability:
    """Each tax is rounded on its own (art. 63 § 1 OP), the combined amount is their sum; the
    threshold of art. 6 ust. 8a UPOL (art. 6a ust. 6a UPR, art. 6 ust. 3a UPL) is compared with
    the combined amount (our reading: one decision, one delivery cost)."""
    rounded = {k: round_tax(v) for k, v in parts.items() if Decimal(v) > 0}
    total = sum(rounded.values(), ZERO)
    below = total <= Decimal(minimum_threshold)
    return CombinedLiability(rounded, ZERO if below else total, below)
