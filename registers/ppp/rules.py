"""The preliminary assessment of a public-private partnership as pure functions (no Django).

Sources: ustawa z 19.12.2008 o partnerstwie publiczno-prywatnym (t.j. Dz.U. 2023 poz. 1637,
legal-facts §6: joint delivery based on sharing tasks and risks); the classification test is
Eurostat's (ESA 2010 / Manual on Government Deficit and Debt, "A guide to the statistical
treatment of PPPs"): the asset is off the public balance sheet only when the partner bears the
construction risk and at least one of the availability and demand risks. The details of the
assessment the act asks for (art. 6 ust. 1 for the preliminary analysis) are UNCONFIRMED in
legal-facts, so every figure here is an input: the discount rate is a parameter, never a
constant of the code.

The comparison, in the municipality's money (present values, year 0 = the first year):
- public sector comparator (PSC): the municipality builds and runs it itself: capital and
  operating costs, less the user fees it collects, plus the value of every risk (it bears all);
- PPP variant: the municipality pays the partner's availability payments and its own
  contribution, less the user fees it keeps, plus the value of the risks it retains;
- value for money (VfM) = PV(PSC) − PV(PPP): positive means the partnership is cheaper.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

GROSZ = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(GROSZ, rounding=ROUND_HALF_UP)


def discount_factor(rate: Decimal, year: int) -> Decimal:
    """1 / (1 + rate)^year, year 0 undiscounted (rate as a fraction: 0.05 = 5 %)."""
    if rate <= -1:
        raise ValueError(f"discount rate {rate} must be above -1")
    if year < 0:
        raise ValueError(f"year {year} must be 0 or later")
    return Decimal(1) / (Decimal(1) + Decimal(rate)) ** year


def present_value(flows: Sequence[Decimal], rate: Decimal) -> Decimal:
    """The present value of yearly flows (index = year from 0), rounded to grosze at the end."""
    return money(sum((Decimal(f) * discount_factor(rate, t) for t, f in enumerate(flows)),
                     Decimal(0)))


@dataclass(frozen=True)
class Year:
    """One year's figures in zł (all ≥ 0)."""

    capex: Decimal = Decimal(0)  # capital (construction) costs
    opex: Decimal = Decimal(0)  # operation and maintenance
    user_fees: Decimal = Decimal(0)  # revenue from users
    availability_payment: Decimal = Decimal(0)  # the municipality's payment to the partner (PPP)
    public_contribution: Decimal = Decimal(0)  # the municipality's own input in the PPP variant


class Risk(StrEnum):
    CONSTRUCTION = "construction"
    AVAILABILITY = "availability"
    DEMAND = "demand"


class Bearer(StrEnum):
    PUBLIC = "public"
    PARTNER = "partner"
    SHARED = "shared"


@dataclass(frozen=True)
class RiskItem:
    """A risk of the matrix: who bears it in the PPP variant and its value per year (the
    expected cost, zł, index = year), which the municipality bears fully in the PSC."""

    risk: Risk
    bearer: Bearer
    values: tuple[Decimal, ...] = ()
    public_share: Decimal | None = None  # for SHARED: the municipality's share (0–1)

    def retained_share(self) -> Decimal:
        if self.bearer == Bearer.PUBLIC:
            return Decimal(1)
        if self.bearer == Bearer.PARTNER:
            return Decimal(0)
        share = Decimal("0.5") if self.public_share is None else Decimal(self.public_share)
        if not Decimal(0) <= share <= Decimal(1):
            raise ValueError(f"the public share of the {self.risk} risk must be 0–1, got {share}")
        return share


def _per_year(n: int, items: Sequence[RiskItem], share: bool) -> list[Decimal]:
    out = [Decimal(0)] * n
    for item in items:
        factor = item.retained_share() if share else Decimal(1)
        for t, v in enumerate(item.values):
            if t >= n:
                raise ValueError(f"the {item.risk} risk has values beyond year {n - 1}")
            out[t] += Decimal(v) * factor
    return out


def psc_flows(years: Sequence[Year], risks: Sequence[RiskItem] = ()) -> list[Decimal]:
    """The municipality's net cost per year if it does it itself (all risks its own)."""
    risk = _per_year(len(years), risks, share=False)
    return [y.capex + y.opex - y.user_fees + risk[t] for t, y in enumerate(years)]


def ppp_flows(years: Sequence[Year], risks: Sequence[RiskItem] = (), *,
              public_keeps_user_fees: bool = False) -> list[Decimal]:
    """The municipality's net cost per year in the PPP variant: availability payments and its
    contribution, less the user fees it keeps (when the partner collects them: none), plus the
    risks it retains."""
    risk = _per_year(len(years), risks, share=True)
    return [y.availability_payment + y.public_contribution
            - (y.user_fees if public_keeps_user_fees else Decimal(0)) + risk[t]
            for t, y in enumerate(years)]


@dataclass(frozen=True)
class Comparison:
    rate: Decimal
    psc: Decimal  # present value of the PSC
    ppp: Decimal  # present value of the PPP variant
    value_for_money: Decimal  # psc − ppp
    value_for_money_pct: Decimal | None  # of the PSC, 2 decimals; None when the PSC is 0
    psc_flows: tuple[Decimal, ...] = field(default=())
    ppp_flows: tuple[Decimal, ...] = field(default=())

    @property
    def ppp_is_better(self) -> bool:
        return self.value_for_money > 0


def compare(years: Sequence[Year], rate: Decimal, risks: Sequence[RiskItem] = (), *,
            public_keeps_user_fees: bool = False) -> Comparison:
    """The PSC against the PPP variant as discounted cash flows at ``rate`` (a parameter).

    Worked example (rate 5 %): year 0 capex 1 000 000; years 1–2 opex 100 000 each; the PPP
    variant pays 0 in year 0 and availability 600 000 in years 1–2; construction risk worth
    100 000 in year 0 borne by the partner. PSC: 1 100 000 + 100 000/1.05 + 100 000/1.05²
    = 1 285 941.04; PPP: 600 000/1.05 + 600 000/1.05² = 1 115 646.26; VfM 170 294.78
    (13.24 % of the PSC).
    """
    psc = psc_flows(years, risks)
    ppp = ppp_flows(years, risks, public_keeps_user_fees=public_keeps_user_fees)
    pv_psc, pv_ppp = present_value(psc, rate), present_value(ppp, rate)
    vfm = pv_psc - pv_ppp
    pct = money(vfm * 100 / pv_psc) if pv_psc else None
    return Comparison(Decimal(rate), pv_psc, pv_ppp, vfm, pct, tuple(psc), tuple(ppp))


# --- statistical classification (Eurostat) ----------------------------------------------------

@dataclass(frozen=True)
class Classification:
    off_balance: bool
    reason: str  # an English sentence for the annex; the page translates its own wording


def classify(bearers: Mapping[Risk | str, Bearer | str]) -> Classification:
    """Off the public balance sheet only when the partner bears the construction risk and the
    availability or the demand risk; a shared risk does not count as the partner's. A missing
    risk of the three is an error (the matrix must say who bears each)."""
    missing = [r for r in Risk if r not in {Risk(k) for k in bearers}]
    if missing:
        raise ValueError("the risk matrix does not say who bears: "
                         + ", ".join(str(r) for r in missing))
    by = {Risk(k): Bearer(v) for k, v in bearers.items()}
    partner = {r for r, b in by.items() if b == Bearer.PARTNER}
    if Risk.CONSTRUCTION not in partner:
        return Classification(False, "the partner does not bear the construction risk: the "
                                     "asset is on the public balance sheet")
    if not partner & {Risk.AVAILABILITY, Risk.DEMAND}:
        return Classification(False, "the partner bears the construction risk but neither the "
                                     "availability nor the demand risk: the asset is on the "
                                     "public balance sheet")
    return Classification(True, "the partner bears the construction risk and the "
                                + " and the ".join(sorted(str(r) for r in partner
                                                          if r != Risk.CONSTRUCTION))
                                + " risk: the asset is off the public balance sheet")


def risk_matrix(items: Sequence[RiskItem]) -> Classification:
    """The classification implied by a risk matrix."""
    return classify({i.risk: i.bearer for i in items})


# --- the project's stages and its dated obligations -------------------------------------------

class Stage(StrEnum):
    """The pipeline of a project, in order."""

    IDEA = "idea"
    ASSESSMENT = "assessment"  # the preliminary assessment (art. 6 ust. 1 of the PPP act)
    SELECTION = "selection"  # the partner's selection
    CONTRACT = "contract"
    OPERATION = "operation"
    CLOSED = "closed"


STAGE_ORDER = tuple(Stage)


def stage_issues(stage: Stage | str, *, route: str, has_partner: bool,
                 has_assessment: bool) -> list[str]:
    """What a stage needs before a project may be in it (English; the page translates):
    partner selection needs a route (the PPP act with the public procurement act or with the
    concession act) and a worksheet; the contract and later stages need the partner."""
    at = STAGE_ORDER.index(Stage(stage))
    problems = []
    if at >= STAGE_ORDER.index(Stage.SELECTION):
        if not route:
            problems.append("choose the selection route before the partner's selection")
        if not has_assessment:
            problems.append("fill in the preliminary assessment before the partner's selection")
    if at >= STAGE_ORDER.index(Stage.CONTRACT) and not has_partner:
        problems.append("name the partner before the contract stage")
    return problems


class Frequency(StrEnum):
    ONCE = "once"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


STEP_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later, the month's last day when it has no such day."""
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def occurrences(first: date, frequency: Frequency | str, *, until: date,
                last: date | None = None) -> list[date]:
    """The due dates of a (recurring) obligation from ``first`` up to ``until`` (and not after
    ``last``, its end): each step counted from ``first``, so 31 January monthly is 28/29
    February, then 31 March again."""
    end = until if last is None else min(until, last)
    if Frequency(frequency) == Frequency.ONCE:
        return [first] if first <= end else []
    step = STEP_MONTHS[Frequency(frequency)]
    out, n = [], 0
    while (d := add_months(first, step * n)) <= end:
        out.append(d)
        n += 1
    return out


def next_due(first: date, frequency: Frequency | str, today: date, *,
             last: date | None = None) -> date | None:
    """The first due date on or after ``today`` (None when the obligation has ended)."""
    if Frequency(frequency) == Frequency.ONCE:
        return first if first >= today and (last is None or first <= last) else None
    step = STEP_MONTHS[Frequency(frequency)]
    n = 0
    if first < today:  # jump close to today, then walk
        n = max(0, ((today.year - first.year) * 12 + today.month - first.month) // step - 1)
    while (d := add_months(first, step * n)) < today:
        n += 1
    return d if last is None or d <= last else None


def due_within(day: date | None, today: date, days: int) -> bool:
    """A reminder is due: the date is from today up to ``days`` days ahead."""
    return day is not None and 0 <= (day - today).days <= days
