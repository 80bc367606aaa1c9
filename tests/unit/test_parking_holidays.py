"""Paid parking follows the Polish calendar: no charge on public holidays that fall on a
paid weekday (6 January, Easter Monday, 11 November)."""

from datetime import datetime
from decimal import Decimal as D

import pytest

from registers.parking.rules import Schedule, Tariff, calculate_fee, paid_intervals

RADOM = Tariff(D("3.60"), D("4.20"), D("4.80"), D("3.60"), minimum_charge=D("0.90"))


@pytest.mark.parametrize("day", [
    datetime(2026, 1, 6),  # Epiphany, a Tuesday
    datetime(2026, 4, 6),  # Easter Monday
    datetime(2026, 11, 11),  # Independence Day, a Wednesday
])
def test_no_charge_on_public_holidays(day):
    fee = calculate_fee(RADOM, day.replace(hour=9), day.replace(hour=11))
    assert fee.total == D("0.00") and fee.days == ()


def test_the_working_day_after_is_charged():
    fee = calculate_fee(RADOM, datetime(2026, 1, 7, 9), datetime(2026, 1, 7, 11))
    assert fee.total == D("7.80")  # 3.60 + 4.20


def test_a_council_may_charge_on_holidays():
    schedule = Schedule(public_holidays_unpaid=False)
    assert paid_intervals(datetime(2026, 1, 6, 9), datetime(2026, 1, 6, 11), schedule) == [
        (datetime(2026, 1, 6, 9), datetime(2026, 1, 6, 11))]
