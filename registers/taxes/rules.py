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
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

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


def obligation_months(year: int, arose_on: date | None = None,
                      ceased_on: date | None = None) -> int:
    """Months of ``year`` in which the obligation existed.

    The obligation arises on the first day of the month after the event (``arose_on``) and
    expires at the end of the month in which its cause ceased (``ceased_on``); in a part year
    the tax is due pro rata to these months. ``None`` means before / after the year.
    """
    first = 1 if arose_on is None else max(1, month_index(arose_on, year) + 1)
    last = 12 if ceased_on is None else min(12, month_index(ceased_on, year))
    return max(0, last - first + 1)


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


def instalment_plan(tax: Decimal, year: int, legal_person: bool = False,
                    first_month: int = 1) -> list[tuple[date, Decimal]]:
    """Due dates and amounts of a year's tax.

    Natural persons: 15 March, 15 May, 15 September, 15 November; up to 100 zł in one payment
    by 15 March. Legal persons: monthly by the 15th, January's by 31 January, from the month
    the obligation arose. Instalments are in grosze; the remainder goes to the first one.
    """
    tax = Decimal(tax)
    if tax <= 0:
        return []
    if legal_person:
        dues = [date(year, 1, 31) if m == 1 else date(year, m, 15)
                for m in range(max(1, first_month), 13)]
    elif tax <= SINGLE_PAYMENT_LIMIT:
        return [(date(year, 3, 15), tax)]
    else:
        dues = [date(year, m, d) for m, d in NATURAL_PERSON_DUE]
    part = (tax / len(dues)).quantize(GROSZ, rounding="ROUND_DOWN")
    amounts = [part] * len(dues)
    amounts[0] += tax - part * len(dues)
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

