"""Landscape rules, advertising fee and penalty with the real numbers of legal-facts §3."""

from datetime import date
from decimal import Decimal as D

import pytest

from registers.landscape.rules import (
    Area,
    FeeRates,
    Mounting,
    ObjectSpec,
    ObjectType,
    Rule,
    RuleKind,
    Subject,
    Verdict,
    advertising_fee,
    daily_fee,
    days_in_period,
    evaluate,
    outcome,
    parse_value,
    penalty,
    penalty_per_day,
    rates_within_caps,
)

CAP = {2025: FeeRates(D("3.72"), D("0.34")), 2026: FeeRates(D("3.89"), D("0.36"))}
ADV = Subject.ADVERTISING
ZONE_A = Area("A", "Strefa A", "resolution_zone", (
    Rule(ADV, RuleKind.MAX_AREA_M2, "2", "§ 5 ust. 1"),
    Rule(ADV, RuleKind.LIT_ALLOWED, "nie", "§ 5 ust. 3"),
    Rule(ADV, RuleKind.MOUNTINGS_ALLOWED, "building", "§ 5 ust. 2"),
    Rule(Subject.FENCE, RuleKind.BANNED_MATERIALS, "prefabricated concrete", "§ 9 ust. 1"),
    Rule(Subject.FENCE, RuleKind.MIN_SEE_THROUGH, "50", "§ 9 ust. 2"),
))
ZONE_B = Area("B", "Strefa B", "resolution_zone", (
    Rule(ADV, RuleKind.MAX_AREA_M2, "12", "§ 6 ust. 1"),
    Rule(ADV, RuleKind.MAX_HEIGHT_M, "6", "§ 6 ust. 2"),
))


def board(area, **kw):
    return ObjectSpec(ObjectType.BOARD, area_m2=D(area), **kw)


def test_12_m2_board_fails_in_zone_a_with_the_paragraph():
    found = evaluate([ZONE_A], board("12", lit=False, mounting=Mounting.BUILDING))
    area_rule = next(f for f in found if f.kind == "max_area_m2")
    assert area_rule.verdict == Verdict.FAIL and area_rule.citation == "§ 5 ust. 1"
    assert "12 m² exceeds the maximum 2 m²" in area_rule.message
    assert outcome(found) == Verdict.FAIL


def test_12_m2_board_passes_in_zone_b_and_unknown_height_needs_review():
    found = evaluate([ZONE_B], board("12", height_m=D("5")))
    assert {f.verdict for f in found} == {Verdict.PASS}
    found = evaluate([ZONE_B], board("12"))
    assert outcome(found) == Verdict.REVIEW


def test_lit_and_mounting_and_ban():
    found = evaluate([ZONE_A], board("1.5", lit=True, mounting=Mounting.FREE_STANDING))
    verdicts = {f.kind: f.verdict for f in found}
    assert verdicts == {"max_area_m2": Verdict.PASS, "lit_allowed": Verdict.FAIL,
                        "mountings_allowed": Verdict.FAIL}
    banned = Area("P", "Park kulturowy", "cultural_park",
                  (Rule(ADV, RuleKind.ALLOWED, "no", "§ 3 uchwały o parku"),))
    found = evaluate([banned], board("0.5"))
    assert [(f.kind, f.verdict) for f in found] == [("allowed", Verdict.FAIL),
                                                    ("protection", Verdict.REVIEW)]
    assert found[1].citation == "art. 17 ust. 1 u.o.z."


def test_fence_material_and_see_through():
    fence = ObjectSpec(ObjectType.FENCE, material="Prefabricated concrete",
                       see_through_pct=D("20"))
    found = evaluate([ZONE_A, ZONE_B], fence)
    assert [(f.area_code, f.verdict) for f in found] == [("A", Verdict.FAIL), ("A", Verdict.FAIL)]
    ok = evaluate([ZONE_A], ObjectSpec(ObjectType.FENCE, material="wood", see_through_pct=D(60)))
    assert outcome(ok) == Verdict.PASS


def test_no_rule_at_point_is_review_not_pass():
    found = evaluate([], board("1"))
    assert outcome(found) == Verdict.REVIEW and len(found) == 1


def test_parse_value_errors_name_the_problem():
    assert parse_value("allowed", "TAK") is True
    assert parse_value("max_area_m2", "2,5") == D("2.5")
    with pytest.raises(ValueError, match="expected a number"):
        parse_value("max_area_m2", "two")
    with pytest.raises(ValueError, match="unknown mounting roof"):
        parse_value("mountings_allowed", "building, roof")
    with pytest.raises(ValueError):
        parse_value("no_such_kind", "1")


def test_fee_for_12_m2_board_at_2026_caps():
    assert daily_fee(CAP[2026], D(12)) == D("8.21")
    assert daily_fee(CAP[2025], D(12)) == D("7.80")
    year = advertising_fee(CAP[2026], D(12), 365)
    assert year.gross == D("2996.65")
    credited = advertising_fee(CAP[2026], D(12), 10, property_tax_paid=D("20.00"))
    assert credited.gross == D("82.10") and credited.due == D("62.10")
    assert advertising_fee(CAP[2026], D(12), 10, D("500")).due == 0


def test_pro_rata_days():
    assert days_in_period(date(2026, 3, 1), None, date(2026, 1, 1), date(2026, 12, 31)) == 306
    assert days_in_period(date(2025, 6, 1), date(2026, 1, 10), date(2026, 1, 1),
                          date(2026, 12, 31)) == 10
    assert days_in_period(date(2027, 1, 1), None, date(2026, 1, 1), date(2026, 12, 31)) == 0


def test_penalty_art_37d():
    assert penalty_per_day(CAP[2026], D(12)) == D("328.40")
    p = penalty(CAP[2026], D(12), date(2026, 3, 1), date(2026, 3, 10), today=date(2026, 6, 1))
    assert p.days == 10 and p.total == D("3284.00")
    open_case = penalty(CAP[2026], D(12), date(2026, 3, 1), None, today=date(2026, 3, 2))
    assert open_case.days == 2 and open_case.until == date(2026, 3, 2)


def test_rates_within_caps():
    assert rates_within_caps(FeeRates(D("3.89"), D("0.36")), CAP[2026]) == []
    assert len(rates_within_caps(FeeRates(D("3.89"), D("0.36")), CAP[2025])) == 2


# --- the resolution's lifecycle -------------------------------------------------------------

from registers.landscape import rules as lr  # noqa: E402

STARACHOWICE = lr.Lifecycle(date(2020, 1, 6), 12)  # uchwała Nr XV/13/2019, legal-facts §3.3
R2025 = lr.FeeRates(D("3.72"), D("0.34"))
R2026 = lr.FeeRates(D("3.89"), D("0.36"))


def test_adjustment_period_ends_twelve_months_after_coming_into_force():
    assert STARACHOWICE.adjustment_ends == date(2021, 1, 6)
    assert lr.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert lr.adjustment_ends(date(2025, 3, 15), 18) == date(2026, 9, 15)


def test_adjustment_period_not_shorter_than_the_statute():
    assert lr.adjustment_months_issues(11) and not lr.adjustment_months_issues(12)
    assert not lr.adjustment_months_issues(6, min_months=6)  # the minimum is a parameter


def test_board_placed_before_the_resolution_is_bound_after_the_adjustment_period():
    old = date(2015, 5, 1)
    assert lr.existing_before(old, STARACHOWICE)
    assert lr.obligations_from(old, STARACHOWICE) == date(2021, 1, 7)
    assert lr.in_adjustment(old, STARACHOWICE, date(2021, 1, 6))
    assert not lr.in_adjustment(old, STARACHOWICE, date(2021, 1, 7))
    # placed after it came into force: bound from the day it stands
    assert lr.obligations_from(date(2020, 3, 1), STARACHOWICE) == date(2020, 3, 1)
    assert not lr.in_adjustment(date(2020, 3, 1), STARACHOWICE, date(2020, 3, 2))
    assert lr.obligations_from(old, None) == old  # no resolution recorded: as before


def test_no_fee_during_the_adjustment_period():
    old = date(2015, 5, 1)
    assert lr.fee_days(old, None, STARACHOWICE, 2020) == 0
    assert lr.fee_days(old, None, STARACHOWICE, 2021) == 365 - 6  # from 7 January
    assert lr.fee_days(old, None, None, 2020) == 366


def test_penalty_priced_at_each_years_rates():
    """12 m², proceedings 30 Dec 2025 – 2 Jan 2026: 2 × 312.00 + 2 × 328.40 = 1 280.80 zł."""
    p = lr.penalty_over_period({2025: R2025, 2026: R2026}, D("12"), date(2025, 12, 30),
                               date(2026, 1, 2), date(2026, 12, 3))
    assert [(ln.year, ln.days, ln.per_day, ln.amount) for ln in p.lines] == [
        (2025, 2, D("312.00"), D("624.00")), (2026, 2, D("328.40"), D("656.80"))]
    assert (p.days, p.total) == (4, D("1280.80"))
    with pytest.raises(lr.MissingRatesError) as e:
        lr.penalty_over_period({2026: R2026}, D("12"), date(2025, 12, 30), None, date(2026, 1, 2))
    assert e.value.year == 2025


def test_no_penalty_within_the_adjustment_period():
    life = lr.Lifecycle(date(2026, 1, 1), 12)  # adjustment to 1 Jan 2027
    p = lr.penalty_over_period({2026: R2026}, D("12"), date(2026, 3, 1), None,
                               date(2026, 12, 3), placed_from=date(2024, 1, 1), life=life)
    assert (p.start, p.days, p.total, p.lines) == (None, 0, D("0.00"), ())
    # proceedings started early: only the days after the period count
    p = lr.penalty_over_period({2026: R2026, 2027: R2026}, D("12"), date(2026, 3, 1),
                               date(2027, 1, 4), date(2027, 1, 4),
                               placed_from=date(2024, 1, 1), life=life)
    assert (p.start, p.days, p.total) == (date(2027, 1, 2), 3, D("985.20"))


def test_board_status_and_step_order():
    assert lr.board_status("pass", None) == lr.BoardStatus.COMPLIANT
    assert lr.board_status("fail", date(2027, 3, 1)) == lr.BoardStatus.TO_ADJUST
    assert lr.board_status("fail", None) == lr.BoardStatus.NON_COMPLIANT
    assert lr.board_status("review", None) == lr.BoardStatus.TO_REVIEW
    d = date(2026, 3, 10)
    assert lr.step_issues("notice", issued_on=d, started=None) == []
    assert lr.step_issues("call_to_adjust", issued_on=d, started=None, adjust_by=date(2026, 4, 1)) \
        == ["no proceedings were started: give the notice first"]
    assert lr.step_issues("call_to_adjust", issued_on=d, started=d, adjust_by=d) \
        == ["a call to adjust names a date after it is issued"]
    assert lr.step_issues("penalty_decision", issued_on=d, started=date(2026, 3, 3),
                          period_from=date(2026, 3, 1), period_to=d) \
        == ["the penalty period begins before the proceedings started"]
    assert lr.step_issues("penalty_decision", issued_on=d, started=date(2026, 3, 3),
                          period_from=date(2026, 3, 3), period_to=date(2026, 3, 11)) \
        == ["the penalty period ends after the decision's date"]
    assert lr.step_issues("penalty_decision", issued_on=d, started=date(2026, 3, 3),
                          period_from=date(2026, 3, 3), period_to=d) == []
