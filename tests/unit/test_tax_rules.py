"""The property, agricultural and forest tax rules with worked examples (legal-facts §1, §2)."""

from datetime import date
from decimal import Decimal as D

import pytest

from registers.taxes import data
from registers.taxes.rules import (
    ObjectLine,
    RateAboveCap,
    TaxKind,
    agricultural_tax,
    building_category,
    cap_violations,
    check_rates,
    conversion_factor,
    forest_tax,
    height_factor,
    instalment_plan,
    land_use_tax,
    liability,
    object_tax,
    obligation_months,
    rates_delta,
    rates_year,
    round_tax,
    usable_area,
    usable_area_of_rooms,
)

# Jasło 2025 (2024) rates, legal-facts §1.9
JASLO_2024 = {"B1": D("0.88"), "B2": D("29.70"), "B4": D("6.46"), "B5": D("7.29"),
              "G1": D("1.16"), "G3": D("0.44")}
JASLO_2025 = {"B1": D("1.00"), "B2": D("32.00"), "B4": D("6.95"), "B5": D("8.00"),
              "G1": D("1.25"), "G3": D("0.60")}


class TestJaslo2025:
    def test_50_m2_flat_pays_6_zl_more(self):
        assert rates_delta(D("50"), JASLO_2024["B1"], JASLO_2025["B1"]) == D("6.00")
        assert object_tax(D("50"), JASLO_2025["B1"], "B1") == D("50.00")

    def test_120_m2_house_pays_14_40_more(self):
        assert rates_delta(D("120"), JASLO_2024["B1"], JASLO_2025["B1"]) == D("14.40")

    def test_120_m2_business_space_pays_23_zl_a_month_more(self):
        delta = rates_delta(D("120"), JASLO_2024["B2"], JASLO_2025["B2"], "B2")
        assert delta == D("276.00")
        assert delta / 12 == D("23")

    def test_120_m2_health_care_pays_58_80_more(self):
        assert rates_delta(D("120"), JASLO_2024["B4"], JASLO_2025["B4"], "B4") == D("58.80")

    def test_jaslo_2025_rates_are_within_the_2025_caps_and_health_care_equals_it(self):
        assert cap_violations(JASLO_2025, data.RATE_CAPS[2025], 2025) == []
        assert JASLO_2025["B4"] == data.RATE_CAPS[2025]["B4"]

    def test_a_house_and_its_plot_make_one_rounded_decision(self):
        # 120 m² house (120.00) + 600 m² other land at 0.60 (360.00) + 15.5 m² business (496.00)
        lines = [ObjectLine(1, "B1", D("120"), JASLO_2025["B1"], 12),
                 ObjectLine(2, "G3", D("600"), JASLO_2025["G3"], 12),
                 ObjectLine(3, "B2", D("15.5"), JASLO_2025["B2"], 12)]
        result = liability(lines, D("9.80"))
        assert result.subtotal == D("976.00")
        assert result.tax == D("976")
        assert result.by_category() == {"B1": D("120.00"), "G3": D("360.00"), "B2": D("496.00")}


class TestRoomHeights:
    @pytest.mark.parametrize(("height", "factor"), [
        ("2.50", "1"), ("2.20", "1"), ("2.19", "0.5"), ("1.80", "0.5"), ("1.40", "0.5"),
        ("1.39", "0"), ("0.90", "0"),
    ])
    def test_bands(self, height, factor):
        assert height_factor(height) == D(factor)

    def test_attic_flat(self):
        # 60 m² at full height, 20 m² between 1.40 and 2.20, 8 m² under 1.40 m
        assert usable_area(D("60"), D("20"), D("8")) == D("70")
        rooms = [("60", "2.50"), ("20", "1.90"), ("8", "1.10")]
        assert usable_area_of_rooms(rooms) == D("70")
        assert object_tax(usable_area(D("60"), D("20"), D("8")), D("1.00"), "B1") == D("70.00")


class TestPartYearsAndRounding:
    def test_whole_year(self):
        assert obligation_months(2025) == 12

    def test_bought_in_march_taxed_from_april(self):
        assert obligation_months(2025, arose_on=date(2025, 3, 10)) == 9

    def test_bought_on_the_first_of_a_month_still_from_the_next(self):
        assert obligation_months(2025, arose_on=date(2025, 3, 1)) == 9

    def test_sold_in_june_taxed_to_the_end_of_june(self):
        assert obligation_months(2025, ceased_on=date(2025, 6, 3)) == 6

    def test_bought_and_sold_within_the_year(self):
        assert obligation_months(2025, date(2025, 2, 14), date(2025, 10, 31)) == 8

    def test_event_in_december_of_the_previous_year_means_the_whole_year(self):
        assert obligation_months(2025, arose_on=date(2024, 12, 20)) == 12

    def test_event_in_december_means_nothing_this_year(self):
        assert obligation_months(2025, arose_on=date(2025, 12, 5)) == 0

    def test_outside_the_year(self):
        assert obligation_months(2025, arose_on=date(2026, 1, 5)) == 0
        assert obligation_months(2025, ceased_on=date(2024, 11, 5)) == 0

    def test_new_building_taxed_from_1_january_of_the_next_year(self):
        from registers.taxes.rules import building_obligation_event

        event = building_obligation_event(date(2025, 5, 20))  # completed in May 2025
        assert obligation_months(2025, arose_on=event) == 0
        assert obligation_months(2026, arose_on=event) == 12

    def test_pro_rata_amount(self):
        # 100 m² of a house at 1.00 zł for 9 months = 75.00 zł
        assert object_tax(D("100"), D("1.00"), "B1", months=9) == D("75.00")
        # 7 months of 123.45 m² at 0.60: 123.45 × 0.60 × 7 / 12 = 43.2075 → 43.21
        assert object_tax(D("123.45"), D("0.60"), "G3", months=7) == D("43.21")

    @pytest.mark.parametrize(("amount", "rounded"), [
        ("123.49", "123"), ("123.50", "124"), ("123.51", "124"), ("0.50", "1"), ("0.49", "0"),
    ])
    def test_whole_zloty_half_up(self, amount, rounded):
        assert round_tax(D(amount)) == D(rounded)

    def test_water_rate_is_per_hectare_and_structures_per_cent(self):
        assert object_tax(D("25000"), D("6.84"), "G2") == D("17.10")
        assert object_tax(D("150000"), D("2"), "BU") == D("3000.00")

    def test_exempt_lines_count_zero(self):
        line = ObjectLine(1, "G3", D("1000"), D("0.60"), 12, exempt=True)
        assert line.amount == D("0")


class TestThresholdAndInstalments:
    def test_threshold_compares_the_rounded_tax(self):
        # 9.60 zł rounds to 10 zł, which exceeds 9.80 zł: assessed
        small = liability([ObjectLine(1, "B1", D("9.6"), D("1.00"), 12)], D("9.80"))
        assert small.subtotal == D("9.60")
        assert small.tax == D("10") and not small.below_threshold

    def test_threshold_boundary(self):
        below = liability([ObjectLine(1, "B1", D("9.4"), D("1.00"), 12)], D("9.80"))
        assert below.tax == 0 and below.below_threshold
        above = liability([ObjectLine(1, "B1", D("10.4"), D("1.00"), 12)], D("9.80"))
        assert above.tax == D("10") and not above.below_threshold

    def test_up_to_100_zl_at_once_by_15_march(self):
        # 15 March 2025 is a Saturday: due on Monday 17 March (art. 12 § 5 OP)
        assert instalment_plan(D("100"), 2025) == [(date(2025, 3, 17), D("100"))]
        assert instalment_plan(D("100"), 2025, shift=False) == [(date(2025, 3, 15), D("100"))]

    def test_above_100_zl_four_instalments(self):
        plan = instalment_plan(D("101"), 2025)
        # 15 March and 15 November 2025 are Saturdays
        assert [d for d, _ in plan] == [date(2025, 3, 17), date(2025, 5, 15),
                                       date(2025, 9, 15), date(2025, 11, 17)]
        assert [a for _, a in plan] == [D("25.25"), D("25.25"), D("25.25"), D("25.25")]

    def test_instalments_add_up_with_the_remainder_first(self):
        plan = instalment_plan(D("977"), 2025)
        assert [a for _, a in plan] == [D("244.25"), D("244.25"), D("244.25"), D("244.25")]
        plan = instalment_plan(D("1003"), 2025)
        assert sum(a for _, a in plan) == D("1003")
        assert plan[0][1] == D("250.75") and plan[1][1] == D("250.75")

    def test_companies_pay_monthly_january_by_31st(self):
        plan = instalment_plan(D("1200"), 2026, legal_person=True, shift=False)
        assert len(plan) == 12
        assert plan[0] == (date(2026, 1, 31), D("100.00"))
        assert plan[1] == (date(2026, 2, 15), D("100.00"))
        assert plan[-1][0] == date(2026, 12, 15)

    def test_companies_pay_monthly_even_small_amounts(self):
        plan = instalment_plan(D("50"), 2026, legal_person=True)
        assert len(plan) == 12 and sum(a for _, a in plan) == D("50")

    def test_nothing_due_for_zero(self):
        assert instalment_plan(D("0"), 2025) == []


class TestCaps:
    def test_2026_residential_rate_of_1_30_is_refused(self):
        with pytest.raises(RateAboveCap) as err:
            check_rates({"B1": D("1.30")}, data.RATE_CAPS[2026], 2026)
        assert err.value.category == "B1"
        assert err.value.cap == D("1.25")
        assert "1.30" in str(err.value) and "1.25" in str(err.value) and "B1" in str(err.value)

    def test_2026_caps_accept_their_own_maximum(self):
        check_rates(dict(data.RATE_CAPS[2026]), data.RATE_CAPS[2026], 2026)

    def test_2025_caps(self):
        assert cap_violations({"B1": D("1.19"), "G1": D("1.38")}, data.RATE_CAPS[2025],
                              2025) == []
        bad = cap_violations({"B1": D("1.20"), "B5": D("11.49"), "G3": D("0.73")},
                             data.RATE_CAPS[2025], 2025)
        assert sorted(v.category for v in bad) == ["B1", "B5"]

    def test_a_2026_rate_may_be_above_the_2025_cap(self):
        assert cap_violations({"B1": D("1.22")}, data.RATE_CAPS[2026], 2026) == []
        assert len(cap_violations({"B1": D("1.22")}, data.RATE_CAPS[2025], 2025)) == 1

    def test_official_2026_other_buildings_cap_is_12_00(self):
        assert data.RATE_CAPS[2026]["B5"] == D("12.00")

    def test_year_without_caps_is_an_error_not_a_pass(self):
        with pytest.raises(KeyError, match="2030"):
            cap_violations({"B1": D("1")}, {}, 2030)

    def test_art_20a_previous_years_rates(self):
        assert rates_year([2024, 2025], 2026) == 2025
        assert rates_year([2024, 2026], 2025) == 2024
        assert rates_year([2026], 2026) == 2026
        assert rates_year([2026], 2025) is None


class TestWhichTax:
    @pytest.mark.parametrize(("ofu", "klass", "business", "tax", "category"), [
        ("B", "", False, TaxKind.PROPERTY, "G3"),
        ("Bi", "", False, TaxKind.PROPERTY, "G3"),
        ("Ba", "", False, TaxKind.PROPERTY, "G1"),
        ("B", "", True, TaxKind.PROPERTY, "G1"),
        ("R", "IVa", False, TaxKind.AGRICULTURAL, None),
        ("R", "V", False, TaxKind.EXEMPT, None),
        ("R", "IVa", True, TaxKind.PROPERTY, "G1"),
        ("Ls", "", False, TaxKind.FOREST, None),
        ("Lz", "", False, TaxKind.EXEMPT, None),
        ("Lzr", "", False, TaxKind.EXEMPT, None),
        ("N", "", False, TaxKind.EXEMPT, None),
        ("Ws", "", False, TaxKind.PROPERTY, "G2"),
        ("Wp", "", False, TaxKind.NOT_TAXABLE, None),
        ("dr", "", False, TaxKind.NOT_TAXABLE, None),
        ("Wm", "", True, TaxKind.NOT_TAXABLE, None),
        ("E-Ls", "", False, TaxKind.EXEMPT, None),
    ])
    def test_contours(self, ofu, klass, business, tax, category):
        result = land_use_tax(ofu, klass, business=business)
        assert (result.tax, result.category) == (tax, category)
        assert result.basis

    def test_private_road_and_lake(self):
        assert land_use_tax("dr", public_road=False).category == "G3"
        assert land_use_tax("Wp", lake_or_reservoir=True).category == "G2"

    def test_building_categories(self):
        assert building_category("m") == "B1"
        assert building_category("m", business=True) == "B1"
        assert building_category("z") == "B4"
        assert building_category("i", business=True) == "B2"
        assert building_category(None) == "B5"


class TestAgriculturalAndForest2026:
    def test_other_land_5_q_of_rye_per_ha(self):
        # 2026: 66.42 zł/dt × 5 = 332.10 zł/ha
        assert agricultural_tax(D("1"), data.RYE_PRICE_PER_DT[2026], farm=False) == D("332.10")
        assert agricultural_tax(D("0.5"), data.RYE_PRICE_PER_DT[2026], farm=False) == D("166.05")

    def test_farm_2_5_q_per_conversion_ha(self):
        # 2026: 66.42 × 2.5 = 166.05 zł per conversion ha; 3 ha at factor 1.45 → 722.32
        assert agricultural_tax(D("1"), data.RYE_PRICE_PER_DT[2026], farm=True) == D("166.05")
        assert agricultural_tax(D("3"), data.RYE_PRICE_PER_DT[2026], farm=True,
                                factor=D("1.45")) == D("722.32")

    def test_2025_price(self):
        assert agricultural_tax(D("1"), data.RYE_PRICE_PER_DT[2025], farm=True) == D("215.85")

    def test_forest_0_220_m3_per_ha(self):
        # 2026: 0.220 × 281.37 = 61.9014 zł/ha; 10 ha = 619.01; reserve half = 309.51
        assert forest_tax(D("1"), data.TIMBER_PRICE_PER_M3[2026]) == D("61.90")
        assert forest_tax(D("10"), data.TIMBER_PRICE_PER_M3[2026]) == D("619.01")
        assert forest_tax(D("10"), data.TIMBER_PRICE_PER_M3[2026], reserve=True) == D("309.51")

    def test_conversion_factors_from_the_table(self):
        table = {(d, ofu, klass): f for d, ofu, klass, f in data.CONVERSION_FACTORS}
        assert conversion_factor(table, "Br") == D("1.00")
        assert conversion_factor(table, "W") == D("0.20")
        assert conversion_factor(table, "R", "IIIa", "II") == D("1.50")
        assert conversion_factor(table, "Ls", "", "II") == D("1")  # no entry: 1 ha = 1 ha
        table[("II", "R", "IIIa")] = D("1.65")
        assert conversion_factor(table, "R", "IIIa", "II") == D("1.65")
