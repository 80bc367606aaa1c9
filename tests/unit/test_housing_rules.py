"""Protected-housing standards as parameters (draft: ≤ 6 persons, ≥ 12 m² per person)."""

from decimal import Decimal

import pytest

from registers.housing.rules import DRAFT_STANDARD, FlatKind, Standard, flat_issues, m2_per_person


def codes(issues):
    return sorted(i.code for i in issues)


def test_six_people_in_60_m2_is_flagged():
    issues = flat_issues(kind=FlatKind.ASSISTED, places=6, occupied=6,
                         usable_area_m2=Decimal("60"), stay_months=None)
    assert codes(issues) == ["too_small"]
    assert issues[0].params["per_person"] == Decimal("10.00")
    assert m2_per_person(Decimal("60"), 6) == Decimal("10.00")


def test_a_flat_within_the_standard_passes():
    assert flat_issues(kind=FlatKind.TRAINING, places=4, occupied=3,
                       usable_area_m2=Decimal("48"), stay_months=12) == []


def test_seven_persons_exceed_the_standard_and_overcrowding_counts_occupants():
    assert codes(flat_issues(kind=FlatKind.ASSISTED, places=7, occupied=0,
                             usable_area_m2=Decimal("120"), stay_months=None)) == [
        "too_many_persons"]
    assert codes(flat_issues(kind=FlatKind.ASSISTED, places=3, occupied=4,
                             usable_area_m2=Decimal("40"), stay_months=None)) == [
        "over_capacity", "too_small"]


def test_standards_are_parameters():
    lenient = Standard(max_persons=7, min_m2_per_person=Decimal("10"))
    assert flat_issues(kind=FlatKind.ASSISTED, places=6, occupied=6,
                       usable_area_m2=Decimal("60"), stay_months=None,
                       standard=lenient) == []
    assert DRAFT_STANDARD.max_persons == 6


def test_training_flat_needs_a_period_of_stay():
    assert codes(flat_issues(kind=FlatKind.TRAINING, places=2, occupied=1,
                             usable_area_m2=Decimal("40"), stay_months=None)) == [
        "stay_period_missing"]


# --- residents' fee, stays, waiting list, plan (worked examples) ----------------------------------

from datetime import date as _date  # noqa: E402

from registers.housing.rules import (  # noqa: E402
    AdaptationRates,
    FeeBracket,
    WaitingEntry,
    adaptation_cost,
    bracket_issues,
    candidate_issues,
    plan_balance,
    rank_waiting_list,
    resident_fee,
    stay_active,
    stay_issues,
)

TABLE = [FeeBracket(Decimal("100"), Decimal("0")), FeeBracket(Decimal("150"), Decimal("10")),
         FeeBracket(Decimal("200"), Decimal("20")), FeeBracket(None, Decimal("50"))]


def test_resident_fee_worked_examples():
    crit, cost = Decimal("1010"), Decimal("1500")
    # at the criterion: free
    assert resident_fee(Decimal("1010"), crit, cost, TABLE).fee == Decimal("0.00")
    # 1 515 zł = exactly 150 %: the 10 % bracket, 150.00 zł
    fee = resident_fee(Decimal("1515"), crit, cost, TABLE)
    assert (fee.income_pct, fee.fee_pct, fee.fee) == (Decimal("150.00"), Decimal("10"),
                                                      Decimal("150.00"))
    # one grosz more: still "150.00 %" rounded, but above the bound → 20 %, 300.00 zł
    fee = resident_fee(Decimal("1515.01"), crit, cost, TABLE)
    assert (fee.income_pct, fee.fee) == (Decimal("150.00"), Decimal("300.00"))
    # far above: the open bracket, 50 % of 1 500 = 750.00; no income: 0
    assert resident_fee(Decimal("5000"), crit, cost, TABLE).fee == Decimal("750.00")
    assert resident_fee(Decimal("0"), crit, cost, TABLE).fee == Decimal("0.00")
    # a family member's criterion 823 zł: 1 234.50 zł = 150.00 % → 10 % of 1 333.33 = 133.33
    fee = resident_fee(Decimal("1234.50"), Decimal("823"), Decimal("1333.33"), TABLE)
    assert (fee.income_pct, fee.fee) == (Decimal("150.00"), Decimal("133.33"))


def test_fee_table_and_inputs_are_checked():
    assert bracket_issues([]) == ["the fee table has no brackets"]
    assert "the last bracket must have no upper bound (any higher income)" in bracket_issues(
        [FeeBracket(Decimal("100"), Decimal("0"))])
    assert "the upper bounds must grow from bracket to bracket" in bracket_issues(
        [FeeBracket(Decimal("150"), Decimal("0")), FeeBracket(Decimal("100"), Decimal("5")),
         FeeBracket(None, Decimal("9"))])
    assert "a fee share must lie between 0 and 100 %" in bracket_issues(
        [FeeBracket(None, Decimal("120"))])
    with pytest.raises(ValueError, match="criterion must be positive"):
        resident_fee(Decimal("1"), Decimal("0"), Decimal("1"), TABLE)
    with pytest.raises(ValueError, match="no brackets"):
        resident_fee(Decimal("1"), Decimal("1"), Decimal("1"), [])


def test_stays_training_flat_is_for_a_fixed_time_and_overdue_is_flagged():
    codes = [i.code for i in stay_issues(kind="training", planned_from=_date(2026, 1, 1),
                                         planned_until=None, actual_from=None,
                                         actual_until=None, on=_date(2026, 1, 2))]
    assert codes == ["training_needs_end"]
    assert stay_issues(kind="assisted", planned_from=_date(2026, 1, 1), planned_until=None,
                       actual_from=_date(2026, 1, 1), actual_until=None,
                       on=_date(2026, 6, 1)) == []
    overdue = stay_issues(kind="training", planned_from=_date(2025, 3, 1),
                          planned_until=_date(2026, 2, 28), actual_from=_date(2025, 3, 1),
                          actual_until=None, on=_date(2026, 3, 1))
    assert [i.code for i in overdue] == ["overdue"]
    assert [i.code for i in stay_issues(kind="assisted", planned_from=_date(2026, 5, 1),
                                        planned_until=_date(2026, 4, 1), actual_from=None,
                                        actual_until=None, on=_date(2026, 1, 1))] \
        == ["planned_backwards"]
    assert stay_active(_date(2026, 1, 1), _date(2026, 1, 31), _date(2026, 1, 31))
    assert not stay_active(_date(2026, 1, 1), _date(2026, 1, 31), _date(2026, 2, 1))
    assert not stay_active(None, None, _date(2026, 2, 1))


def test_waiting_list_worked_example():
    points = {"homeless": 3, "foster_care": 2, "disability": 1}
    ranked = rank_waiting_list([
        WaitingEntry("A", _date(2026, 2, 3), ("foster_care", "disability")),
        WaitingEntry("B", _date(2026, 2, 1), ("homeless", "homeless")),  # counted once
        WaitingEntry("C", _date(2026, 1, 1), ("disability", "unknown")),
    ], points)
    assert [(r.position, r.key, r.points) for r in ranked] == [(1, "B", 3), (2, "A", 3),
                                                               (3, "C", 1)]


def test_candidates_and_adaptation_cost():
    rates = AdaptationRates(Decimal("900"), Decimal("35000"))
    assert adaptation_cost(usable_area_m2=Decimal("48.5"), needs_refurbishment=True,
                           accessible=False, must_be_accessible=True,
                           rates=rates) == Decimal("78650.00")
    assert adaptation_cost(usable_area_m2=Decimal("48.5"), needs_refurbishment=False,
                           accessible=True, must_be_accessible=True,
                           rates=rates) == Decimal("0.00")
    # 41 m² for 4 persons: 10.25 m² each is below 12
    codes = [i.code for i in candidate_issues(usable_area_m2=Decimal("41"), places=4,
                                              accessible=False, must_be_accessible=True)]
    assert codes == ["too_small", "not_accessible"]
    balance = plan_balance({"training": 7, "assisted": 12}, {"training": 3, "assisted": 10},
                           {"assisted": 4})
    assert [(b.category, b.gap_without_candidates, b.gap) for b in balance] == [
        ("assisted", 2, 0), ("training", 4, 4)]
