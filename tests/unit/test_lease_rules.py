"""The law of leases and perpetual usufruct as pure functions (UGN art. 35, 37, 72, 77)."""

from datetime import date
from decimal import Decimal

import pytest

from registers.leases import rules
from registers.leases.rules import Indexation, MissingIndexError, RentPeriod, UsufructPurpose

D = Decimal


def codes(issues):
    return [i.code for i in issues]


def test_three_years_exactly_needs_no_tender_but_one_day_more_does():
    assert not rules.requires_tender(date(2024, 1, 1), date(2026, 12, 31))
    assert rules.requires_tender(date(2024, 1, 1), date(2027, 1, 1))
    assert rules.requires_tender(date(2024, 1, 1), None)  # open term


def test_short_leases_are_exempt_from_the_notice_unless_a_follow_up():
    assert not rules.requires_notice(date(2025, 5, 1), date(2025, 7, 31))
    assert rules.requires_notice(date(2025, 5, 1), date(2025, 8, 1))
    assert rules.requires_notice(date(2025, 5, 1), date(2025, 7, 31), follow_up=True)


def test_notice_must_hang_21_days_before_the_contract():
    common = dict(start=date(2025, 5, 1), end=date(2027, 4, 30), removed_on=None)
    # posted 1 March: 21 full days end on 21 March, the contract may be signed on 22 March
    assert rules.notice_earliest_contract_date(date(2025, 3, 1)) == date(2025, 3, 22)
    assert rules.notice_issues(contract_date=date(2025, 3, 22), posted_on=date(2025, 3, 1),
                               **common) == []
    assert codes(rules.notice_issues(contract_date=date(2025, 3, 21),
                                     posted_on=date(2025, 3, 1), **common)) == [
        "notice_not_elapsed"]
    assert codes(rules.notice_issues(contract_date=date(2025, 4, 1), posted_on=None,
                                     **common)) == ["notice_missing"]
    too_short = dict(common, removed_on=date(2025, 3, 20))
    assert codes(rules.notice_issues(contract_date=date(2025, 4, 1),
                                     posted_on=date(2025, 3, 1), **too_short)) == [
        "notice_too_short"]


def test_long_lease_without_tender_needs_council_consent():
    long = dict(start=date(2025, 1, 1), end=date(2030, 12, 31))
    assert codes(rules.procedure_issues(tender=False, council_consent=False, **long)) == [
        "tender_or_consent"]
    assert rules.procedure_issues(tender=False, council_consent=True, **long) == []
    assert rules.procedure_issues(tender=True, council_consent=False, **long) == []


def test_shared_overlap_needs_both_leases_shared():
    assert rules.leases_may_overlap(True, True)
    assert not rules.leases_may_overlap(True, False)
    assert not rules.leases_may_overlap(False, False)


def test_periods_overlap_with_open_ends():
    assert rules.periods_overlap(date(2025, 1, 1), date(2025, 12, 31), date(2025, 12, 31), None)
    assert not rules.periods_overlap(date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 1),
                                     None)
    assert rules.periods_overlap(date(2020, 1, 1), None, date(2030, 1, 1), date(2031, 1, 1))


def test_cpi_indexation_compounds_from_the_second_year():
    # Rent 1 000.00 from 2023; CPI 2023 = 111.4, 2024 = 103.6 (previous year = 100).
    cpi = {2023: D("111.4"), 2024: D("103.6")}
    assert rules.indexed_rent(D("1000"), 2023, 2023, Indexation.CPI, cpi) == D("1000.00")
    assert rules.indexed_rent(D("1000"), 2023, 2024, Indexation.CPI, cpi) == D("1114.00")
    # 1 114.00 × 1.036 = 1 154.104 → 1 154.10
    assert rules.indexed_rent(D("1000"), 2023, 2025, Indexation.CPI, cpi) == D("1154.10")
    assert rules.indexed_rent(D("1000"), 2023, 2025, Indexation.NONE, cpi) == D("1000.00")
    with pytest.raises(MissingIndexError, match="2025"):
        rules.indexed_rent(D("1000"), 2023, 2026, Indexation.CPI, cpi)


def test_rent_schedule_prorates_months_and_adds_vat():
    cpi = {2024: D("103.6")}
    rows = rules.rent_schedule(amount=D("100"), period=RentPeriod.MONTHLY,
                               vat_rate_percent=D("23"), start=date(2024, 10, 15),
                               end=date(2025, 3, 31), method=Indexation.CPI, index_table=cpi)
    assert [(r.year, r.months, r.rent_per_period, r.net) for r in rows] == [
        (2024, 3, D("100.00"), D("300.00")), (2025, 3, D("103.60"), D("310.80"))]
    assert rows[1].vat == D("71.48") and rows[1].gross == D("382.28")
    assert rows[1].index_applied == D("103.6")


def test_open_term_schedule_stops_at_the_last_published_index():
    rows = rules.rent_schedule(amount=D("1200"), period=RentPeriod.YEARLY,
                               vat_rate_percent=D("0"), start=date(2023, 1, 1), end=None,
                               method=Indexation.CPI, index_table={2023: D("111.4")},
                               until_year=2030)
    assert [r.year for r in rows] == [2023, 2024]
    assert rows[1].net == D("1336.80")


@pytest.mark.parametrize(("purpose", "fee"), [
    (UsufructPurpose.DEFENCE_CHARITY, D("600.00")),
    (UsufructPurpose.HOUSING_PUBLIC, D("2000.00")),
    (UsufructPurpose.TOURISM, D("4000.00")),
    (UsufructPurpose.OTHER, D("6000.00")),
])
def test_usufruct_fee_percentages(purpose, fee):
    assert rules.usufruct_annual_fee(D("200000"), purpose) == fee


def test_usufruct_update_spread_worked_example():
    """Land worth 100 000 zł for housing (1 %): fee 1 000 zł. Revalued to 350 000 zł the new fee
    is 3 500 zł, more than double. Year 1 pays 2 × 1 000 = 2 000; the surplus 1 500 is split
    in two: year 2 pays 2 000 + 750 = 2 750, year 3 the full 3 500."""
    old = rules.usufruct_annual_fee(D("100000"), UsufructPurpose.HOUSING_PUBLIC)
    new = rules.usufruct_annual_fee(D("350000"), UsufructPurpose.HOUSING_PUBLIC)
    assert (old, new) == (D("1000.00"), D("3500.00"))
    assert rules.usufruct_update_spread(old, new, 2026) == [
        (2026, D("2000.00")), (2027, D("2750.00")), (2028, D("3500.00"))]
    # at most double: the new fee applies at once
    assert rules.usufruct_update_spread(D("1000"), D("2000"), 2026) == [(2026, D("2000.00"))]
    # odd surplus: halves rounded to grosze, year 3 exactly the new fee
    assert rules.usufruct_update_spread(D("100"), D("300.01"), 2026)[1] == (2027, D("250.01"))


def test_usufruct_update_not_more_often_than_every_three_years():
    assert codes(rules.usufruct_update_issues(2024, 2026)) == ["update_too_soon"]
    assert rules.usufruct_update_issues(2024, 2027) == []
    assert rules.usufruct_update_issues(None, 2026) == []
    assert rules.usufruct_due_date(2026) == date(2026, 3, 31)


def test_usufruct_notice_deadline_art_78():
    """art. 78 ust. 1: notice by 31 December, the new fee from 1 January of the next year."""
    assert rules.usufruct_notice_deadline(2027) == date(2026, 12, 31)
    assert rules.usufruct_notice_issues(date(2026, 12, 31), 2027) == []
    assert rules.usufruct_notice_issues(date(2026, 1, 2), 2027) == []
    late = rules.usufruct_notice_issues(date(2027, 1, 1), 2027)
    assert codes(late) == ["update_notice_too_late"]
    assert late[0].params["deadline"] == date(2026, 12, 31)
    early = rules.usufruct_notice_issues(date(2025, 11, 30), 2027)
    assert codes(early) == ["update_notice_other_year"] and early[0].params["applies"] == 2026
    # the deadline is a parameter (the reading is SECONDARY in legal-facts §6)
    assert codes(rules.usufruct_notice_issues(date(2026, 12, 15), 2027,
                                              month_day=(11, 30))) == ["update_notice_too_late"]


def test_usufruct_payable_follows_the_effective_year():
    """Old fee 2 000 zł (200 000 zł at 1 %), revalued to 500 000 zł (5 000 zł) from 2027: 2026
    still pays 2 000, 2027 pays 4 000, 2028 4 000 + 500 = 4 500, 2029 on the full 5 000."""
    kw = {"previous_fee": D("2000.00"), "effective_year": 2027}
    assert rules.usufruct_payable(2026, D("5000.00"), **kw) == D("2000.00")
    assert [rules.usufruct_payable(y, D("5000.00"), **kw) for y in (2027, 2028, 2029, 2031)] == [
        D("4000.00"), D("4500.00"), D("5000.00"), D("5000.00")]
    assert rules.usufruct_payable(2026, D("5000.00"), previous_fee=None,
                                  effective_year=None) == D("5000.00")
