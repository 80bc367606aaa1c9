"""Issue #16, first part: what the assessment got wrong, as pure rules with worked numbers.

Each class names the provision it checks. Amounts in grosze where the law keeps grosze
(instalments), whole złoty where it rounds (art. 63 § 1 OP).
"""

from datetime import date
from decimal import Decimal as D

from layers.domain import calendar
from registers.taxes import data
from registers.taxes.rules import (
    CessationEvent,
    ForestLine,
    ObligationEvent,
    RuralLine,
    agricultural_liability,
    combined_liability,
    conversion_table,
    forest_liability,
    instalment_plan,
    is_farm,
    monthly_weights,
    obligation_first_month,
    obligation_months,
    obligation_start,
)


class TestPolishCalendar:
    def test_2026_holidays_include_epiphany_easter_monday_independence_christmas_eve(self):
        days = calendar.public_holidays(2026)
        assert date(2026, 1, 6) in days
        assert date(2026, 4, 6) in days  # Easter Monday 2026
        assert date(2026, 11, 11) in days
        assert date(2026, 12, 24) in days  # day off from 2025 on
        assert date(2026, 3, 16) not in days

    def test_working_days(self):
        assert calendar.is_working_day(date(2026, 3, 16))  # Monday
        assert not calendar.is_working_day(date(2026, 3, 15))  # Sunday
        assert not calendar.is_working_day(date(2026, 3, 14))  # Saturday
        assert not calendar.is_working_day(date(2026, 11, 11))  # Wednesday, holiday

    def test_next_working_day(self):
        assert calendar.next_working_day(date(2026, 3, 16)) == date(2026, 3, 16)
        assert calendar.next_working_day(date(2026, 3, 15)) == date(2026, 3, 16)
        # Saturday 15 August 2026 (Assumption): Monday 17th
        assert calendar.next_working_day(date(2026, 8, 15)) == date(2026, 8, 17)
        # Thursday 24 December 2026 → Monday 28th (25, 26 holidays, 27 Sunday)
        assert calendar.next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)


class TestBuildingObligationFromTheEvent:
    """art. 6 ust. 1–3 UPOL: the kind of event decides when the obligation starts."""

    def test_completed_building_from_1_january_of_the_next_year(self):
        # T5: a building completed on 20 May 2025 is not taxed in 2025 at all
        start = obligation_start(ObligationEvent.COMPLETION, date(2025, 5, 20))
        assert start == date(2026, 1, 1)
        assert obligation_months(2025, date(2025, 5, 20), arose_event="completion") == 0
        assert obligation_months(2026, date(2025, 5, 20), arose_event="completion") == 12

    def test_use_before_completion_also_from_1_january_next(self):
        assert obligation_start(ObligationEvent.START_OF_USE, date(2025, 11, 3)) == date(
            2026, 1, 1)

    def test_acquisition_from_the_first_of_the_next_month(self):
        assert obligation_start(ObligationEvent.ACQUISITION, date(2025, 5, 20)) == date(
            2025, 6, 1)
        assert obligation_months(2025, date(2025, 5, 20), arose_event="acquisition") == 7

    def test_sale_and_demolition_end_with_their_month(self):
        for event in (CessationEvent.SALE, CessationEvent.DEMOLITION):
            assert obligation_months(2026, ceased_on=date(2026, 6, 15),
                                     ceased_event=event) == 6

    def test_first_month(self):
        assert obligation_first_month(2026) == 1
        assert obligation_first_month(2026, date(2026, 3, 20)) == 4
        assert obligation_first_month(2026, date(2025, 5, 20), "completion") == 1
        assert obligation_first_month(2025, date(2025, 5, 20), "completion") is None


class TestDueDatesOnWorkingDays:
    """art. 12 § 5 OP: 15 March and 15 November 2026 are Sundays."""

    def test_natural_person_2026(self):
        plan = instalment_plan(D("400"), 2026)
        assert [d for d, _ in plan] == [date(2026, 3, 16), date(2026, 5, 15),
                                       date(2026, 9, 15), date(2026, 11, 16)]

    def test_single_payment_moves_too(self):
        assert instalment_plan(D("80"), 2026) == [(date(2026, 3, 16), D("80"))]

    def test_company_january_31_2026_is_a_saturday(self):
        plan = instalment_plan(D("1200"), 2026, legal_person=True)
        assert plan[0] == (date(2026, 2, 2), D("100.00"))
        assert plan[7][0] == date(2026, 8, 17)  # 15 August: Saturday and a holiday


class TestLegalPersonMonthly:
    """art. 6 ust. 9 pkt 2 UPOL: monthly, proportional to the time the obligation lasts."""

    def test_ceased_15_june_pays_january_to_june(self):
        # 1200 zł a year, object ceased 15 June 2026: 600 zł for Jan–Jun, six instalments
        weights = monthly_weights(2026, [(D("1200"), None, date(2026, 6, 15), "")])
        tax = D("600")
        plan = instalment_plan(tax, 2026, legal_person=True, month_weights=weights)
        assert [d for d, _ in plan] == [date(2026, 2, 2), date(2026, 2, 16), date(2026, 3, 16),
                                       date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15)]
        assert [a for _, a in plan] == [D("100.00")] * 6

    def test_arose_in_march_pays_from_april(self):
        plan = instalment_plan(D("900"), 2026, legal_person=True, first_month=4)
        assert plan[0] == (date(2026, 4, 15), D("100.00"))
        assert len(plan) == 9

    def test_two_objects_weighted_by_month(self):
        # A: 1200/yr all year; B: 2400/yr from July (arose in June): Jan–Jun 100, Jul–Dec 300
        weights = monthly_weights(2026, [(D("1200"), None, None, ""),
                                         (D("2400"), date(2026, 6, 10), None, "")])
        plan = instalment_plan(D("2400"), 2026, legal_person=True, month_weights=weights)
        assert [a for _, a in plan] == [D("100.00")] * 6 + [D("300.00")] * 6


class TestNoInstalmentBeforeTheObligation:
    """art. 6 ust. 7 UPOL: instalments proportional to the duration of the obligation, at the
    statutory dates: no date before the obligation arose carries any of the tax."""

    def test_obligation_from_1_april_has_no_15_march(self):
        plan = instalment_plan(D("300"), 2026, first_month=4)
        assert [d for d, _ in plan] == [date(2026, 5, 15), date(2026, 9, 15),
                                       date(2026, 11, 16)]
        assert [a for _, a in plan] == [D("100.00")] * 3

    def test_small_amount_at_the_first_remaining_date(self):
        assert instalment_plan(D("60"), 2026, first_month=6) == [(date(2026, 9, 15), D("60"))]

    def test_obligation_from_december_one_payment_after_it_arose(self):
        plan = instalment_plan(D("150"), 2026, first_month=12)
        assert len(plan) == 1 and plan[0][1] == D("150")
        assert plan[0][0] >= date(2026, 12, 1)


class TestAgriculturalTax:
    """art. 2, 4, 6 UPR; art. 12 ust. 1 pkt 1 UPR (classes V, VI, VIz and Lzr exempt)."""

    table = conversion_table(data.CONVERSION_FACTORS)

    def test_conversion_table_as_data(self):
        # art. 4 ust. 5 UPR (UNCONFIRMED values, see data.py): arable IIIa in district II 1.50
        assert self.table[("II", "R", "IIIa")] == D("1.50")
        assert self.table[("IV", "Ł", "VI")] == D("0.05")
        assert self.table[("I", "S", "IIIa")] == D("1.65")  # orchards like arable land

    def test_farm_in_conversion_hectares(self):
        # 2 ha R IIIa + 1 ha Ł IV in district II: 2×1.50 + 1×0.70 = 3.70 ha przel.
        # 2026: 3.70 × 2.5 × 66.42 = 614.385 → lines 498.15 + 116.24 = 614.39 → 614 zł
        lines = [RuralLine(1, "R", "IIIa", D("2")), RuralLine(2, "Ł", "IV", D("1"))]
        r = agricultural_liability(lines, data.RYE_PRICE_PER_DT[2026], self.table, "II")
        assert r.farm and r.conversion_ha == D("3.7000")
        assert [x.amount for x in r.lines] == [D("498.15"), D("116.24")]
        assert r.tax == D("614")

    def test_exempt_classes_count_for_the_farm_but_pay_nothing(self):
        lines = [RuralLine(1, "R", "IVa", D("0.80")), RuralLine(2, "R", "V", D("0.50")),
                 RuralLine(3, "Ps", "VIz", D("0.30")), RuralLine(4, "Lzr", "", D("0.10"))]
        r = agricultural_liability(lines, data.RYE_PRICE_PER_DT[2026], self.table, "III")
        assert r.farm  # 1.70 ha of farmland > 1 ha
        assert [x.exempt for x in r.lines] == [False, True, True, True]
        # 0.80 × 0.90 × 2.5 × 66.42 = 119.556 → 119.56 → 120 zł
        assert r.tax == D("120")

    def test_below_one_hectare_is_not_a_farm_five_quintals_per_physical_ha(self):
        # 0.60 ha R IIIb: 0.60 × 5 × 66.42 = 199.26 → 199 zł
        r = agricultural_liability([RuralLine(1, "R", "IIIb", D("0.60"))],
                                   data.RYE_PRICE_PER_DT[2026], self.table, "II")
        assert not r.farm and r.tax == D("199")

    def test_farm_status(self):
        assert is_farm(D("1.01"), D("0.5"))
        assert not is_farm(D("1.00"), D("0.9"))
        assert is_farm(D("0.9"), D("1.00"))


class TestForestTax:
    """art. 4 UPL: 0.220 m³ of timber per ha, half in reserves and national parks;
    art. 7 ust. 1 pkt 1: stands up to 40 years exempt."""

    def test_reserve_half_and_young_stand_exempt(self):
        lines = [ForestLine(1, D("10")), ForestLine(2, D("4"), reserve=True),
                 ForestLine(3, D("5"), young_stand=True)]
        r = forest_liability(lines, data.TIMBER_PRICE_PER_M3[2026])
        # 619.01 + 123.80 + 0 = 742.81 → 743 zł
        assert [x.amount for x in r.lines] == [D("619.01"), D("123.80"), D("0")]
        assert r.tax == D("743")


class TestCombinedLiability:
    """art. 6c UPOL: a natural person's property, agricultural and forest tax in one decision
    (łączne zobowiązanie pieniężne), one set of instalments."""

    def test_land_farmland_and_forest(self):
        c = combined_liability({"property": D("245"), "agricultural": D("614"),
                                "forest": D("743")}, D("9.80"))
        assert c.total == D("1602") and not c.below_threshold
        plan = instalment_plan(c.total, 2026)
        assert [a for _, a in plan] == [D("400.50")] * 4
        assert sum(a for _, a in plan) == D("1602")

    def test_threshold_on_the_combined_amount(self):
        c = combined_liability({"property": D("5"), "forest": D("4")}, D("9.80"))
        assert c.below_threshold and c.total == D("0")
