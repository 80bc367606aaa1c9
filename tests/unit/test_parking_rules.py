"""Paid-parking law with the real numbers of legal-facts §4 (Radom, Krosno, 2025/2026 caps)."""

from datetime import date, datetime, time
from decimal import Decimal as D

import pytest

from registers.parking.rules import (
    Schedule,
    Tariff,
    Vehicle,
    calculate_fee,
    caps,
    charge_minutes,
    paid_intervals,
    parse_weekdays,
    validate_tariff,
)

WAGE = {2025: D("4666"), 2026: D("4806")}
# Radom from 1.03.2023: 3.60 zł, each next hour +0.60; 4th+ = 1st hour (art. 13b ust. 5);
# working days 8:00–18:00; minimum charge 0.90 zł.
RADOM = Tariff(D("3.60"), D("4.20"), D("4.80"), D("3.60"), minimum_charge=D("0.90"),
               surcharge=D("100"), surcharge_reduced=D("50"),
               subscriptions=frozenset({"resident", "business"}))
KROSNO = Tariff(D("3.90"), D("4.70"), D("5.60"), D("3.90"),
                schedule=Schedule(start=time(8), end=time(17)),
                surcharge=D("100"), surcharge_reduced=D("50"))


def test_caps_2025_and_2026_truncate_to_the_grosz():
    assert caps(WAGE[2025], city_centre=False).first_hour == D("6.99")
    assert caps(WAGE[2026], city_centre=False).first_hour == D("7.20")
    assert caps(WAGE[2025], city_centre=True).first_hour == D("20.99")
    assert caps(WAGE[2026], city_centre=True).first_hour == D("21.62")
    assert caps(WAGE[2025], city_centre=False).surcharge == D("466.60")
    assert caps(WAGE[2026], city_centre=False).surcharge == D("480.60")


@pytest.mark.parametrize("year", [2025, 2026])
def test_radom_tariff_is_accepted(year):
    assert validate_tariff(RADOM, WAGE[year]) == []


def test_krosno_second_hour_breaks_the_20_percent_progression():
    found = validate_tariff(KROSNO, WAGE[2026])
    assert len(found) == 1
    v = found[0]
    assert v.article == "art. 13b ust. 5 u.d.p."
    assert v.actual == D("4.70") and v.limit == D("4.68")
    assert "20.5 %" in v.message and "4.68" in v.message


def test_first_hour_cap_depends_on_the_year():
    t = Tariff(D("7.20"), D("7.20"), D("7.20"), D("7.20"))
    assert validate_tariff(t, WAGE[2026]) == []
    (v,) = validate_tariff(t, WAGE[2025])
    assert v.article == "art. 13b ust. 4 pkt 1 u.d.p." and v.limit == D("6.99")
    over = Tariff(D("7.21"), D("7.21"), D("7.21"), D("7.21"))
    assert [x.limit for x in validate_tariff(over, WAGE[2026])] == [D("7.20")]
    centre = Tariff(D("21.62"), D("21.62"), D("21.62"), D("21.62"), city_centre=True)
    assert validate_tariff(centre, WAGE[2026]) == []


def test_fourth_hour_and_surcharge_limits():
    t = Tariff(D("3.00"), D("3.00"), D("3.00"), D("3.10"), surcharge=D("480.61"),
               surcharge_reduced=D("500"))
    articles = sorted(v.article for v in validate_tariff(t, WAGE[2026]))
    assert articles == ["art. 13b ust. 5 u.d.p.", "art. 13f u.d.p.", "art. 13f ust. 2 u.d.p.",
                        "art. 13f ust. 2 u.d.p."]


def test_stay_across_midnight_pays_only_paid_minutes():
    # Tuesday 17:30 → Wednesday 09:00: 30 paid minutes on Tuesday, 60 on Wednesday.
    fee = calculate_fee(RADOM, datetime(2026, 3, 3, 17, 30), datetime(2026, 3, 4, 9, 0))
    assert fee.paid_minutes == 90
    assert [d.paid_minutes for d in fee.days] == [30, 60]
    # each paid day starts a new first hour: 30 min at 3.60 + 60 min at 3.60
    assert [d.amount for d in fee.days] == [D("1.80"), D("3.60")]
    assert fee.total == D("5.40")


def test_weekend_is_free_and_friday_evening_to_monday_morning():
    assert calculate_fee(RADOM, datetime(2026, 3, 7, 10), datetime(2026, 3, 8, 20)).total == 0
    fee = calculate_fee(RADOM, datetime(2026, 3, 6, 17, 0), datetime(2026, 3, 9, 8, 15))
    assert [d.day for d in fee.days] == [date(2026, 3, 6), date(2026, 3, 9)]
    assert fee.total == D("3.60") + D("0.90")


def test_progressive_ladder_over_a_long_day():
    fee = calculate_fee(RADOM, datetime(2026, 3, 3, 8), datetime(2026, 3, 3, 13))
    assert fee.total == D("3.60") + D("4.20") + D("4.80") + D("3.60") + D("3.60")
    assert [h[2] for h in fee.days[0].hours] == [D("3.60"), D("4.20"), D("4.80"), D("3.60"),
                                                 D("3.60")]


def test_granularity_minimum_and_steps():
    # per minute, 10 minutes = 0.60 zł, lifted to the 0.90 zł minimum
    assert charge_minutes(RADOM, 10)[0] == D("0.90")
    assert charge_minutes(RADOM, 20)[0] == D("1.20")
    quarter = Tariff(D("4.00"), D("4.00"), D("4.00"), D("4.00"), step_minutes=15)
    amount, billed, _ = charge_minutes(quarter, 16)
    assert billed == 30 and amount == D("2.00")
    # 70 minutes in 15-min steps = 75 billed: 60 at 1st + 15 at 2nd hour rate
    amount, billed, _ = charge_minutes(Tariff(D("3.60"), D("4.20"), D("4.80"),
                                           D("3.60"), step_minutes=15), 70)
    assert billed == 75 and amount == D("3.60") + D("1.05")


def test_exemptions_and_subscriptions():
    start, end = datetime(2026, 3, 3, 9), datetime(2026, 3, 3, 12)
    assert calculate_fee(RADOM, start, end).total == D("12.60")
    bev = calculate_fee(RADOM, start, end, vehicle=Vehicle.ELECTRIC)
    assert bev.total == 0 and "art. 13 ust. 3" in bev.exemption
    # parking card: zero only if the council chose it for reserved bays
    assert calculate_fee(RADOM, start, end, vehicle=Vehicle.PARKING_CARD).total == D("12.60")
    card = Tariff(D("3.60"), D("4.20"), D("4.80"), D("3.60"), parking_card_zero_rate=True)
    assert calculate_fee(card, start, end, vehicle=Vehicle.PARKING_CARD).total == 0
    sub = calculate_fee(RADOM, start, end, subscription="resident")
    assert sub.total == 0 and sub.exemption == "subscription: resident"
    with pytest.raises(ValueError, match="no 'other' subscription"):
        calculate_fee(RADOM, start, end, subscription="other")


def test_holidays_and_bad_input():
    sched = Schedule(holidays=frozenset({date(2026, 5, 1)}))
    assert paid_intervals(datetime(2026, 5, 1, 9), datetime(2026, 5, 1, 11), sched) == []
    with pytest.raises(ValueError):
        calculate_fee(RADOM, datetime(2026, 3, 3, 12), datetime(2026, 3, 3, 11))
    assert parse_weekdays("0-4") == frozenset(range(5))
    with pytest.raises(ValueError):
        parse_weekdays("0-7")
