"""The payments law in pure Python, with worked numbers in grosze (registers/payments/rules.py).

Rates used (the seeded table): 14.50 % from 5 Oct 2023, 13.50 % from 8 May 2025.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from registers.payments import rules
from registers.payments.rules import Charge, Params, Payment, RatePeriod, Step

RATES = [RatePeriod(date(2023, 10, 5), D("14.50")), RatePeriod(date(2025, 5, 8), D("13.50"))]
P = Params(rates=RATES, threshold=D("8.70"))


def test_rate_days_split_at_a_rate_change():
    # 2 May–7 May: 6 days at 14.5; 8–10 May: 3 days at 13.5
    assert rules.rate_days(date(2025, 5, 1), date(2025, 5, 10), RATES) == D("127.5")
    assert rules.rate_days(date(2025, 5, 10), date(2025, 5, 10), RATES) == 0


def test_rate_table_must_cover_the_days():
    with pytest.raises(ValueError, match="2023-10-04"):
        rules.rate_days(date(2023, 10, 3), date(2023, 10, 10), RATES)


def test_interest_rounded_to_whole_zloty_and_threshold():
    # 1,000.00 zł, 30 days at 14.5 %: 11.9178 → 12 zł
    assert rules.interest(D("1000.00"), date(2025, 3, 17), date(2025, 4, 16), RATES,
                          D("8.70")) == D("12")
    # 20 days: 7.945 → 8 zł, not above 8.70: not charged (art. 54 § 1 pkt 5)
    assert rules.interest(D("1000.00"), date(2025, 3, 17), date(2025, 4, 6), RATES,
                          D("8.70")) == 0
    # 22 days: 8.739 → 9 zł, above the threshold: charged
    assert rules.interest(D("1000.00"), date(2025, 3, 17), date(2025, 4, 8), RATES,
                          D("8.70")) == D("9")


def test_payment_split_between_arrears_and_interest():
    """Art. 55 § 2: 500.00 zł against 1,000.00 zł arrears + 12 zł interest."""
    c = Charge(id=1, due_date=date(2025, 3, 17), amount=D("1000.00"))
    steps = rules.allocate_payment([c], Payment(10, date(2025, 4, 16), D("500.00")), P)
    on = date(2025, 4, 16)
    # interest share 500 × 12 / 1012 = 5.928… → 5.93; tax 494.07
    assert steps == [Step(10, 1, rules.INTEREST_ACCRUED, D("12"), on),
                     Step(10, 1, rules.PAID_INTEREST, D("5.93"), on),
                     Step(10, 1, rules.PAID_PRINCIPAL, D("494.07"), on)]
    assert (c.principal_open, c.interest_open, c.accrued_to) == (D("505.93"), D("6.07"), on)
    # A month later 520.00 zł: new interest on 505.93 for 17 Apr–16 May (21 d at 14.5 %,
    # 9 d at 13.5 %) = 5.90 → 6 zł, not above 8.70: none; 6.07 + 505.93 paid, 8.00 left over.
    steps = rules.allocate_payment([c], Payment(11, date(2025, 5, 16), D("520.00")), P)
    on = date(2025, 5, 16)
    assert steps == [Step(11, 1, rules.PAID_INTEREST, D("6.07"), on),
                     Step(11, 1, rules.PAID_PRINCIPAL, D("505.93"), on),
                     Step(11, None, rules.OVERPAYMENT, D("8.00"), on)]
    assert not c.open


def test_interest_under_the_threshold_is_not_charged():
    c = Charge(id=1, due_date=date(2025, 3, 17), amount=D("1000.00"))
    steps = rules.allocate_payment([c], Payment(1, date(2025, 4, 6), D("1000.00")), P)
    assert steps == [Step(1, 1, rules.PAID_PRINCIPAL, D("1000.00"), date(2025, 4, 6))]


def _two():
    return [Charge(id=1, due_date=date(2025, 3, 17), amount=D("250.00"), number=1),
            Charge(id=2, due_date=date(2025, 5, 15), amount=D("250.00"), number=2)]


def test_oldest_first():
    """Art. 62 § 1: 300.00 zł on 20 May 2025 covers instalment 1 (interest 6 zł: under the
    threshold) and 50.00 zł of instalment 2."""
    charges = _two()
    steps = rules.allocate_payment(charges, Payment(1, date(2025, 5, 20), D("300.00")), P)
    assert [(s.charge_id, s.kind, s.amount) for s in steps] == [
        (1, rules.PAID_PRINCIPAL, D("250.00")), (2, rules.PAID_PRINCIPAL, D("50.00"))]


def test_named_liability_first():
    charges = _two()
    steps = rules.allocate_payment(
        charges, Payment(1, date(2025, 5, 20), D("300.00"), named_charge_id=2), P)
    assert [(s.charge_id, s.kind, s.amount) for s in steps] == [
        (2, rules.PAID_PRINCIPAL, D("250.00")), (1, rules.PAID_PRINCIPAL, D("50.00"))]


def test_overpayment_kept():
    charges = _two()
    steps = rules.allocate_payment(charges, Payment(1, date(2025, 3, 1), D("600.00")), P)
    assert steps[-1] == Step(1, None, rules.OVERPAYMENT, D("100.00"), date(2025, 3, 1))
    assert sum(s.amount for s in steps if s.kind == rules.PAID_PRINCIPAL) == D("500.00")


def test_reminder_cost_first():
    """Art. 55 § 2: the reminder's cost (11.60 zł) first, then the arrears."""
    charges = [Charge(id=1, due_date=date(2025, 3, 17), amount=D("100.00")),
               Charge(id=2, due_date=date(2025, 4, 1), amount=D("11.60"),
                      kind=rules.REMINDER_COST)]
    steps = rules.allocate_payment(charges, Payment(1, date(2025, 4, 2), D("50.00")), P)
    assert [(s.charge_id, s.kind, s.amount) for s in steps] == [
        (2, rules.PAID_COST, D("11.60")), (1, rules.PAID_PRINCIPAL, D("38.40"))]


def test_replay_orders_charges_and_payments():
    """A payment before the charge existed is an overpayment; replay follows the record."""
    c = Charge(id=1, due_date=date(2025, 3, 17), amount=D("100.00"))
    events = [rules.Event(seq=1, payment=Payment(1, date(2025, 3, 1), D("40.00"))),
              rules.Event(seq=2, charge=c),
              rules.Event(seq=3, payment=Payment(2, date(2025, 3, 10), D("100.00")))]
    steps = rules.replay(events, P)
    assert [(s.payment_id, s.kind, s.amount) for s in steps] == [
        (1, rules.OVERPAYMENT, D("40.00")), (2, rules.PAID_PRINCIPAL, D("100.00"))]
    assert c.principal_open == D("100.00")  # replay works on copies


def test_position_on_a_date():
    c = Charge(id=1, due_date=date(2025, 3, 17), amount=D("1000.00"))
    later = Charge(id=2, due_date=date(2025, 9, 15), amount=D("1000.00"))
    pos = rules.position([c, later], D("0"), date(2025, 4, 16), P)
    assert (pos.arrears, pos.interest, pos.not_yet_due) == (D("1000.00"), D("12"),
                                                            D("1000.00"))
    assert pos.balance == D("1012.00")


# --- overpayment credited (art. 76 § 1, art. 76a § 1 o.p.) -----------------------------------


def test_overpayment_credited_against_instalments_as_they_fall_due():
    # 500.00 kept since 10 Jan 2026; instalments of 300.00 due 16 Mar, 15 May, 15 Sep 2026.
    # A run up to 20 May: the first on its due date (300.00), the second 200.00 on 15 May (no
    # interest: credited the day it falls due); September is a future liability, untouched.
    charges = [Charge(1, date(2026, 3, 16), D("300.00"), number=1),
               Charge(2, date(2026, 5, 15), D("300.00"), number=2),
               Charge(3, date(2026, 9, 15), D("300.00"), number=3)]
    steps = rules.credit_overpayment(charges, D("500.00"), date(2026, 1, 10),
                                     rules.Credit(7, date(2026, 5, 20)), P)
    assert steps == [
        Step(7, 1, rules.PAID_PRINCIPAL, D("300.00"), date(2026, 3, 16)),
        Step(7, 1, rules.OVERPAYMENT_CREDITED, D("-300.00"), date(2026, 3, 16)),
        Step(7, 2, rules.PAID_PRINCIPAL, D("200.00"), date(2026, 5, 15)),
        Step(7, 2, rules.OVERPAYMENT_CREDITED, D("-200.00"), date(2026, 5, 15)),
    ]
    assert [c.principal_open for c in charges] == [D("0.00"), D("100.00"), D("300.00")]


def test_overpayment_credited_against_arrears_and_interest_proportionally():
    # 1,000.00 due 17 Mar 2025 unpaid; 400.00 kept since 30 Jun 2025 (the later day: credited
    # then). Interest 18 Mar–7 May: 51 days × 14.5 = 739.5; 8 May–30 Jun: 54 × 13.5 = 729.0;
    # 1,000.00 × 1,468.5 / 36,500 = 40.23 → 40 zł. Art. 76a § 1: 400 × 40 / 1,040 = 15.38 to
    # interest, 384.62 to the tax; left 615.38 tax and 24.62 interest.
    charge = Charge(1, date(2025, 3, 17), D("1000.00"), number=1)
    steps = rules.credit_overpayment([charge], D("400.00"), date(2025, 6, 30),
                                     rules.Credit(9, date(2025, 7, 1)), P)
    on = date(2025, 6, 30)
    assert steps == [Step(9, 1, rules.INTEREST_ACCRUED, D("40"), on),
                     Step(9, 1, rules.PAID_INTEREST, D("15.38"), on),
                     Step(9, 1, rules.PAID_PRINCIPAL, D("384.62"), on),
                     Step(9, 1, rules.OVERPAYMENT_CREDITED, D("-400.00"), on)]
    assert (charge.principal_open, charge.interest_open) == (D("615.38"), D("24.62"))


def test_overpayment_not_there_yet_is_not_credited_and_replay_keeps_it():
    charge = Charge(1, date(2026, 3, 16), D("300.00"))
    assert rules.credit_overpayment([charge], D("50.00"), date(2026, 4, 1),
                                    rules.Credit(1, date(2026, 3, 31)), P) == []
    # replay: 1,200.00 paid on 1 Mar 2025 for a 1,000.00 instalment leaves 200.00; a 2026
    # instalment of 300.00 posted later takes it on 16 Mar 2026, 100.00 stays open
    events = [rules.Event(1, charge=Charge(10, date(2025, 3, 17), D("1000.00"))),
              rules.Event(2, payment=Payment(5, date(2025, 3, 1), D("1200.00"))),
              rules.Event(3, charge=Charge(11, date(2026, 3, 16), D("300.00"))),
              rules.Event(4, credit=rules.Credit(5, date(2026, 3, 16)))]
    steps = rules.replay(events, P)
    assert [(s.charge_id, s.kind, s.amount) for s in steps] == [
        (10, rules.PAID_PRINCIPAL, D("1000.00")), (None, rules.OVERPAYMENT, D("200.00")),
        (11, rules.PAID_PRINCIPAL, D("200.00")), (11, rules.OVERPAYMENT_CREDITED, D("-200.00"))]
