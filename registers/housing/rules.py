"""Protected housing (mieszkania treningowe i wspomagane) as pure functions.

Since 1 November 2023 (Dz.U. 2023 poz. 1693, art. 53 ustawy o pomocy społecznej) protected flats
are training flats (for a fixed period) or assisted flats. The standards come from the 2023
regulation whose published text was not read (legal-facts §5, §9 item 8): the draft says at most
6 persons per flat and at least 12 m² of usable area per person. They are therefore parameters
(``Standard``), stored as data keyed by the date they apply from, never constants in checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class FlatKind(StrEnum):
    TRAINING = "training"  # mieszkanie treningowe: a fixed period of stay (art. 53 ust. 4, 8)
    ASSISTED = "assisted"  # mieszkanie wspomagane


@dataclass(frozen=True)
class Standard:
    """The standards a flat is checked against (draft values by default)."""

    max_persons: int = 6
    min_m2_per_person: Decimal = Decimal("12")


DRAFT_STANDARD = Standard()


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    params: dict[str, object]


def m2_per_person(usable_area_m2: Decimal, persons: int) -> Decimal | None:
    """Usable area per person, to 0.01 m²; None for an empty flat."""
    if persons <= 0:
        return None
    return (Decimal(usable_area_m2) / persons).quantize(Decimal("0.01"), ROUND_HALF_UP)


def flat_issues(*, kind: FlatKind | str, places: int, occupied: int,
                usable_area_m2: Decimal | None, stay_months: int | None,
                standard: Standard = DRAFT_STANDARD) -> list[Issue]:
    """What a flat breaks: the standard is checked for the places offered and the people living
    there, whichever is larger (a flat must fit the people it is meant for)."""
    issues: list[Issue] = []
    persons = max(places, occupied)
    if occupied > places:
        issues.append(Issue("over_capacity", "{occupied} people live in a flat with {places} "
                            "places", {"occupied": occupied, "places": places}))
    if persons > standard.max_persons:
        issues.append(Issue("too_many_persons", "{persons} persons exceed the standard of at "
                            "most {max} per flat", {"persons": persons,
                                                    "max": standard.max_persons}))
    per_person = m2_per_person(usable_area_m2, persons) if usable_area_m2 is not None else None
    if per_person is not None and per_person < standard.min_m2_per_person:
        issues.append(Issue("too_small", "{per_person} m² per person is below the standard "
                            "of {min} m²", {"per_person": per_person,
                                            "min": standard.min_m2_per_person}))
    if FlatKind(kind) == FlatKind.TRAINING and not stay_months:
        issues.append(Issue("stay_period_missing", "a training flat is for a fixed period: "
                            "give the period of stay", {}))
    return issues


# --- residents: the fee under the council's resolution (art. 97 ust. 5 u.p.s.) -----------------
#
# The council sets, by resolution, what a resident pays for a place in a training or assisted
# flat: a share of the monthly cost of the place that grows with the resident's income measured
# against the income criterion of social assistance (art. 8 u.p.s.; the single-person criterion
# for a person living alone, the per-person criterion in a family). The brackets, the criteria
# and the monthly cost are the resolution's and the regulation's numbers, held as data
# (HousingResolution), never constants here: neither is in the project's legal facts (UNCONFIRMED).

HUNDRED = Decimal("100")
GROSZ = Decimal("0.01")


@dataclass(frozen=True)
class FeeBracket:
    """Income up to ``up_to_pct`` % of the criterion (None: any higher income) pays
    ``fee_pct`` % of the monthly cost of the place."""

    up_to_pct: Decimal | None
    fee_pct: Decimal


@dataclass(frozen=True)
class ResidentFee:
    income_pct: Decimal  # income as % of the criterion, to 0.01
    fee_pct: Decimal
    fee: Decimal  # zł per month


def bracket_issues(brackets: list[FeeBracket]) -> list[str]:
    """What is wrong with a resolution's table (message templates)."""
    problems = []
    if not brackets:
        return ["the fee table has no brackets"]
    bounds = [b.up_to_pct for b in brackets]
    if bounds[-1] is not None:
        problems.append("the last bracket must have no upper bound (any higher income)")
    if any(b is None for b in bounds[:-1]):
        problems.append("only the last bracket may have no upper bound")
    known = [b for b in bounds if b is not None]
    if known != sorted(known) or len(set(known)) != len(known):
        problems.append("the upper bounds must grow from bracket to bracket")
    if any(not (0 <= b.fee_pct <= HUNDRED) for b in brackets):
        problems.append("a fee share must lie between 0 and 100 %")
    return problems


def resident_fee(monthly_income: Decimal, criterion: Decimal, monthly_cost: Decimal,
                 brackets: list[FeeBracket]) -> ResidentFee:
    """The monthly fee of one resident: the first bracket whose upper bound the income share
    does not exceed gives the share of the monthly cost; rounded half up to the grosz.

    Worked example (criterion 1 010 zł, cost 1 500 zł/month, table ≤100 % → 0 %, ≤150 % → 10 %,
    ≤200 % → 20 %, more → 50 %): income 1 515 zł = 150.00 % → 10 % → 150.00 zł; income
    1 515.01 zł = 150.00 % as a percentage to the hundredth but above the bound → 20 % →
    300.00 zł (the bound is compared on the exact income, not on the rounded share).
    """
    if criterion <= 0:
        raise ValueError("the income criterion must be positive")
    if monthly_income < 0 or monthly_cost < 0:
        raise ValueError("income and cost may not be negative")
    problems = bracket_issues(brackets)
    if problems:
        raise ValueError("; ".join(problems))
    exact = Decimal(monthly_income) * HUNDRED / Decimal(criterion)
    chosen = next(b for b in brackets if b.up_to_pct is None or exact <= b.up_to_pct)
    fee = (Decimal(monthly_cost) * chosen.fee_pct / HUNDRED).quantize(GROSZ, ROUND_HALF_UP)
    return ResidentFee(exact.quantize(GROSZ, ROUND_HALF_UP), chosen.fee_pct, fee)


# --- stays and occupancy -----------------------------------------------------------------------

def stay_issues(*, kind: FlatKind | str, planned_from: date, planned_until: date | None,
                actual_from: date | None, actual_until: date | None, on: date) -> list[Issue]:
    """What a stay breaks on ``on``: a training flat is for a fixed period (art. 53 ust. 4, 8),
    so its planned end must be given; a stay past its planned end without a recorded end is
    overdue; dates must run forwards."""
    issues: list[Issue] = []
    if planned_until is not None and planned_until < planned_from:
        issues.append(Issue("planned_backwards", "the planned end is before the planned start",
                            {}))
    if actual_from is not None and actual_until is not None and actual_until < actual_from:
        issues.append(Issue("actual_backwards", "the stay ended before it began", {}))
    if FlatKind(kind) == FlatKind.TRAINING and planned_until is None:
        issues.append(Issue("training_needs_end", "a training flat is for a fixed period: "
                            "give the planned end of the stay", {}))
    if planned_until is not None and actual_until is None and actual_from is not None \
            and on > planned_until:
        issues.append(Issue("overdue", "the planned stay ended on {until}",
                            {"until": planned_until}))
    return issues


def stay_active(actual_from: date | None, actual_until: date | None, on: date) -> bool:
    """A resident occupies a place from the actual start to the actual end (inclusive)."""
    return actual_from is not None and actual_from <= on and (actual_until is None
                                                              or on <= actual_until)


def occupancy_issues(places: int, residents: int) -> list[Issue]:
    if residents > places:
        return [Issue("over_capacity", "{occupied} people live in a flat with {places} places",
                      {"occupied": residents, "places": places})]
    return []


# --- the waiting list, ordered by the resolution's criteria ------------------------------------

@dataclass(frozen=True)
class WaitingEntry:
    key: object
    applied_on: date
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class RankedEntry:
    position: int
    key: object
    points: int
    applied_on: date


def rank_waiting_list(entries: list[WaitingEntry],
                      points: dict[str, int]) -> list[RankedEntry]:
    """Order by the resolution's criteria: more points first (each criterion the applicant
    meets adds its points; unknown criteria add none), then the earlier application, then the
    key (a stable tie-break). Positions run from 1.

    Worked example (points: homeless 3, leaving foster care 2, disability 1): A (foster care,
    disability; 3 Feb) 3 points, B (homeless; 1 Feb) 3 points, C (disability; 1 Jan) 1 point
    → B, A, C."""
    scored = sorted(((sum(points.get(c, 0) for c in set(e.criteria)), e) for e in entries),
                    key=lambda pe: (-pe[0], pe[1].applied_on, str(pe[1].key)))
    return [RankedEntry(i, e.key, p, e.applied_on) for i, (p, e) in enumerate(scored, 1)]


# --- the plan: demand against supply, candidates and the cost of adapting them -----------------

@dataclass(frozen=True)
class AdaptationRates:
    """Cost estimates for adapting a municipal flat (zł): a parameter the town sets from its
    own bills of quantities (no statute fixes them)."""

    per_m2_refurbishment: Decimal
    accessibility_works: Decimal


def candidate_issues(*, usable_area_m2: Decimal, places: int, accessible: bool,
                     must_be_accessible: bool, standard: Standard = DRAFT_STANDARD
                     ) -> list[Issue]:
    """Does a candidate municipal flat meet the standard for the places planned in it?
    A flat not yet accessible where accessibility is needed is an issue the adaptation cost
    answers, not a refusal."""
    issues = [i for i in flat_issues(kind=FlatKind.ASSISTED, places=places, occupied=0,
                                     usable_area_m2=usable_area_m2, stay_months=None,
                                     standard=standard)]
    if must_be_accessible and not accessible:
        issues.append(Issue("not_accessible", "not accessible for wheelchairs yet", {}))
    return issues


def adaptation_cost(*, usable_area_m2: Decimal, needs_refurbishment: bool,
                    accessible: bool, must_be_accessible: bool,
                    rates: AdaptationRates) -> Decimal:
    """Refurbishment per m² where needed plus the accessibility works where the flat must be
    accessible and is not. E.g. 48.5 m² at 900 zł/m² + 35 000 zł = 78 650.00 zł."""
    cost = Decimal("0")
    if needs_refurbishment:
        cost += Decimal(usable_area_m2) * rates.per_m2_refurbishment
    if must_be_accessible and not accessible:
        cost += rates.accessibility_works
    return cost.quantize(GROSZ, ROUND_HALF_UP)


@dataclass(frozen=True)
class Balance:
    category: str
    demand: int
    in_use: int
    candidates: int

    @property
    def gap(self) -> int:
        """Places still missing after the flats in use and the candidates (0 when covered)."""
        return max(0, self.demand - self.in_use - self.candidates)

    @property
    def gap_without_candidates(self) -> int:
        return max(0, self.demand - self.in_use)


def plan_balance(demand: dict[str, int], in_use: dict[str, int],
                 candidates: dict[str, int]) -> list[Balance]:
    """Per category (the flat kind: training, assisted): places demanded against places in
    flats in use (free places only count once occupied ones are subtracted by the caller) and
    places in candidate flats."""
    cats = sorted(set(demand) | set(in_use) | set(candidates))
    return [Balance(c, demand.get(c, 0), in_use.get(c, 0), candidates.get(c, 0)) for c in cats]
