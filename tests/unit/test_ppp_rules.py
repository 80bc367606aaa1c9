"""The PPP preliminary assessment as pure functions: the comparator, value for money, the risk
matrix and the statistical classification (worked examples computed by hand)."""

from decimal import Decimal as D

import pytest

from registers.ppp import rules
from registers.ppp.rules import Bearer, Risk, RiskItem, Year

YEARS = [Year(capex=D("1000000")),
         Year(opex=D("100000"), availability_payment=D("600000")),
         Year(opex=D("100000"), availability_payment=D("600000"))]
CONSTRUCTION_TO_PARTNER = RiskItem(Risk.CONSTRUCTION, Bearer.PARTNER, (D("100000"),))


def test_present_value_and_discount_rate_as_parameter():
    assert rules.present_value([D("100"), D("105"), D("110.25")], D("0.05")) == D("300.00")
    assert rules.present_value([D("100"), D("100")], D("0")) == D("200.00")
    with pytest.raises(ValueError):
        rules.discount_factor(D("-1"), 1)


def test_comparator_worked_example():
    """PSC: 1 000 000 + 100 000 risk in year 0, opex 100 000 in years 1–2 →
    1 100 000 + 95 238.10 + 90 702.95 = 1 285 941.04; PPP: 600 000/1.05 + 600 000/1.05² =
    1 115 646.26; VfM 170 294.78 = 13.24 % of the PSC."""
    c = rules.compare(YEARS, D("0.05"), [CONSTRUCTION_TO_PARTNER])
    assert (c.psc, c.ppp) == (D("1285941.04"), D("1115646.26"))
    assert c.value_for_money == D("170294.78") and c.value_for_money_pct == D("13.24")
    assert c.ppp_is_better
    # the same project at 10 %: the later payments weigh less, the PPP still wins
    c10 = rules.compare(YEARS, D("0.10"), [CONSTRUCTION_TO_PARTNER])
    assert c10.psc == D("1273553.72") and c10.ppp == D("1041322.31")
    # the municipality keeping the construction risk: it is added to the PPP variant too
    kept = rules.compare(YEARS, D("0.05"), [RiskItem(Risk.CONSTRUCTION, Bearer.PUBLIC,
                                                     (D("100000"),))])
    assert kept.ppp == D("1215646.26") and kept.value_for_money == D("70294.78")


def test_shared_risk_and_user_fees():
    years = [Year(capex=D("1000"), user_fees=D("200"), availability_payment=D("900"))]
    half = RiskItem(Risk.DEMAND, Bearer.SHARED, (D("100"),))
    assert rules.psc_flows(years, [half]) == [D("900")]  # 1000 − 200 + 100
    assert rules.ppp_flows(years, [half]) == [D("950.0")]  # 900 + 50 (fees go to the partner)
    assert rules.ppp_flows(years, [half], public_keeps_user_fees=True) == [D("750.0")]
    with pytest.raises(ValueError, match="0–1"):
        RiskItem(Risk.DEMAND, Bearer.SHARED, (D("1"),), public_share=D("2")).retained_share()


@pytest.mark.parametrize(("construction", "availability", "demand", "off"), [
    ("partner", "partner", "public", True),
    ("partner", "public", "partner", True),
    ("partner", "partner", "partner", True),
    ("partner", "public", "public", False),
    ("partner", "shared", "shared", False),
    ("public", "partner", "partner", False),
    ("shared", "partner", "partner", False),
])
def test_classification_off_balance_only_with_construction_and_one_more(
        construction, availability, demand, off):
    c = rules.classify({"construction": construction, "availability": availability,
                        "demand": demand})
    assert c.off_balance is off
    assert ("off the public balance" in c.reason) is off


def test_risk_matrix_must_name_every_risk():
    with pytest.raises(ValueError, match="demand"):
        rules.classify({Risk.CONSTRUCTION: Bearer.PARTNER, Risk.AVAILABILITY: Bearer.PARTNER})
    matrix = [CONSTRUCTION_TO_PARTNER, RiskItem(Risk.AVAILABILITY, Bearer.PARTNER),
              RiskItem(Risk.DEMAND, Bearer.PUBLIC)]
    assert rules.risk_matrix(matrix).off_balance


# --- the pipeline's stages and the dated obligations of operation -----------------------------

def test_stage_needs_route_and_worksheet_then_partner():
    assert rules.stage_issues("assessment", route="", has_partner=False,
                              has_assessment=False) == []
    assert rules.stage_issues("selection", route="", has_partner=False, has_assessment=False) == [
        "choose the selection route before the partner's selection",
        "fill in the preliminary assessment before the partner's selection"]
    assert rules.stage_issues("selection", route="concession", has_partner=False,
                              has_assessment=True) == []
    assert rules.stage_issues("operation", route="procurement", has_partner=False,
                              has_assessment=True) == ["name the partner before the contract stage"]
    with pytest.raises(ValueError):
        rules.stage_issues("tender", route="", has_partner=False, has_assessment=False)


def test_occurrences_count_each_step_from_the_first_date():
    from datetime import date

    # 31 January monthly: the month's last day when it has no 31st, then the 31st again
    assert rules.occurrences(date(2026, 1, 31), "monthly", until=date(2026, 4, 30)) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert rules.occurrences(date(2024, 2, 29), "yearly", until=date(2028, 3, 1)) == [
        date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28),
        date(2028, 2, 29)]
    assert rules.occurrences(date(2026, 1, 15), "quarterly", until=date(2027, 1, 1),
                             last=date(2026, 8, 1)) == [date(2026, 1, 15), date(2026, 4, 15),
                                                        date(2026, 7, 15)]
    assert rules.occurrences(date(2026, 5, 1), "once", until=date(2026, 4, 30)) == []


def test_next_due_and_the_reminder_window():
    from datetime import date

    first = date(2020, 1, 31)
    assert rules.next_due(first, "monthly", date(2026, 3, 1)) == date(2026, 3, 31)
    assert rules.next_due(first, "monthly", date(2026, 2, 28)) == date(2026, 2, 28)
    assert rules.next_due(first, "yearly", date(2026, 2, 1)) == date(2027, 1, 31)
    assert rules.next_due(first, "yearly", date(2026, 2, 1), last=date(2026, 12, 31)) is None
    assert rules.next_due(date(2026, 6, 1), "once", date(2026, 7, 1)) is None
    today = date(2026, 3, 10)
    assert rules.due_within(date(2026, 4, 9), today, 30)
    assert not rules.due_within(date(2026, 4, 10), today, 30)
    assert not rules.due_within(date(2026, 3, 9), today, 30)
    assert not rules.due_within(None, today, 30)
