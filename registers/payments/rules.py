"""Payments and arrears of local taxes as pure functions (no Django, no database).

The law (Ordynacja podatkowa, "o.p."):

- art. 56, art. 53 § 1: late-payment interest runs for each day after the due date up to and
  including the day of payment, at the rate in force on that day (a dated table the
  administrator extends; values in ``data.py`` are UNCONFIRMED); it is computed on the year of
  365 days, as the Ministry of Finance's method does.
- art. 63 § 1: interest is rounded to whole złoty (below 50 gr down, from 50 gr up).
- art. 54 § 1 pkt 5: no interest when it would not exceed the threshold (8.70 zł: three times the
  designated operator's fee for a registered letter; a yearly parameter).
- art. 55 § 2: a payment that does not cover the arrears with interest and reminder costs goes
  first to the reminder costs, the rest proportionally to the arrears and the interest, in the
  ratio they stand in on the day of payment.
- art. 62 § 1: with several liabilities a payment goes to the one with the earliest due date,
  unless the taxpayer named one (then that one first).
- art. 76: what is left is an overpayment, kept on the taxpayer's account and shown.
- art. 76 § 1: the overpayment is credited ex officio against the taxpayer's arrears with their
  late-payment interest or against current liabilities (otherwise refunded, or kept for future
  liabilities on the taxpayer's request; refunds are not in this register, so it stays kept);
  art. 76a § 1: against arrears and interest in the ratio they stand in on the day of crediting
  (as art. 55 § 2).

The crediting rule this module applies (:func:`credit_overpayment`; art. 76 § 1, and the day of
crediting as art. 76a § 2 gives it — from the statute's wording as remembered, UNCONFIRMED):
a crediting run "up to day D" takes the overpayment the taxpayer has kept since day S (the
latest booking day of a payment that left one; nothing is credited when S is after D: the money
was not there yet) and credits it against every open charge due on or before D, in the
allocation order (reminder costs, then the earliest due first, art. 62 § 1), each on the day it
takes effect:
the later of S and the charge's due date — on the due date a liability is current, so it is
credited before any interest runs; a charge already overdue on S (arrears) is credited on S with
the interest to S, split proportionally (art. 76a § 1). Charges due after D are not touched
(a future liability is credited only when it falls due: the daily run, or the next import).

How interest accrues here (the rule this module applies, the SQL in ``sql/allocate.sql``
applies the same): each charge remembers the day up to which its interest was settled
(``accrued_to``: the due date, later the day of the last payment that reached it). A payment
computes the interest from that day on the principal still open, rounds it to whole złoty and
drops it when it does not exceed the threshold; it is added to the charge's unpaid interest only
when the payment reaches that charge (a charge the payment does not reach keeps accruing from
its own ``accrued_to``).

The set-based allocation in the database and :func:`allocate` here give the same ledger to the
grosz; the database tests replay every taxpayer's payments through :func:`allocate` and compare.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
GROSZ = Decimal("0.01")
ZLOTY = Decimal("1")
DAYS_IN_YEAR = 365

INSTALMENT = "instalment"
REMINDER_COST = "reminder_cost"

# Ledger step kinds
INTEREST_ACCRUED = "interest_accrued"  # debit: interest settled at a payment (art. 56)
PAID_COST = "paid_cost"  # credit: reminder cost covered (art. 55 § 2, first)
PAID_INTEREST = "paid_interest"  # credit: interest covered
PAID_PRINCIPAL = "paid_principal"  # credit: tax covered
OVERPAYMENT = "overpayment"  # credit kept on the account (art. 76)
OVERPAYMENT_CREDITED = "overpay_credit"  # kept overpayment used for a charge (negative; art. 76)


def to_grosz(value: Decimal) -> Decimal:
    return Decimal(value).quantize(GROSZ, rounding=ROUND_HALF_UP)


def to_zloty(value: Decimal) -> Decimal:
    """Art. 63 § 1: whole złoty, 50 gr and more up."""
    return Decimal(value).quantize(ZLOTY, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Interest (art. 56)


@dataclass(frozen=True)
class RatePeriod:
    """The yearly late-payment interest rate in per cent, in force from ``valid_from``."""

    valid_from: date
    annual_percent: Decimal


def rate_days(start: date, end: date, rates: Sequence[RatePeriod]) -> Decimal:
    """Σ (rate in % × days) over the days ``start`` < d ≤ ``end`` (0 when end ≤ start).

    A day before the first period of the table is an error: the table must cover it.
    """
    if end <= start:
        return ZERO
    periods = sorted(rates, key=lambda r: r.valid_from)
    first_day = start + timedelta(days=1)
    if not periods or periods[0].valid_from > first_day:
        raise ValueError(f"no late-payment interest rate in force on {first_day}; extend the "
                         "rate table")
    total = ZERO
    for i, period in enumerate(periods):
        p_start = max(period.valid_from, first_day)
        p_end = end if i + 1 == len(periods) else min(
            end, periods[i + 1].valid_from - timedelta(days=1))
        if p_end >= p_start:
            total += Decimal(period.annual_percent) * ((p_end - p_start).days + 1)
    return total


def interest_raw(principal: Decimal, start: date, end: date,
                 rates: Sequence[RatePeriod]) -> Decimal:
    """Interest before rounding on ``principal`` for the days ``start`` < d ≤ ``end``."""
    return Decimal(principal) * rate_days(start, end, rates) / (100 * DAYS_IN_YEAR)


def interest(principal: Decimal, start: date, end: date, rates: Sequence[RatePeriod],
             threshold: Decimal) -> Decimal:
    """Interest to charge: whole złoty (art. 63 § 1), 0 when not above ``threshold``
    (art. 54 § 1 pkt 5)."""
    amount = to_zloty(interest_raw(principal, start, end, rates))
    return ZERO if amount <= Decimal(threshold) else amount


# ---------------------------------------------------------------------------------------------
# Allocation (art. 55 § 2, art. 62 § 1, art. 76)


@dataclass(init=False)
class Charge:
    """What the taxpayer owes: an instalment of a decision or the cost of a reminder."""

    id: int
    due_date: date
    amount: Decimal
    kind: str
    number: int
    principal_open: Decimal
    interest_open: Decimal
    accrued_to: date

    def __init__(self, id: int, due_date: date, amount: Decimal, kind: str = INSTALMENT,
                 number: int = 0, principal_open: Decimal | None = None,
                 interest_open: Decimal = ZERO, accrued_to: date | None = None) -> None:
        """A new charge is open for its whole amount and accrues from its due date."""
        self.id, self.due_date, self.amount = id, due_date, amount
        self.kind, self.number, self.interest_open = kind, number, interest_open
        self.principal_open = Decimal(amount) if principal_open is None else principal_open
        self.accrued_to = due_date if accrued_to is None else accrued_to

    @property
    def open(self) -> bool:
        return bool(self.principal_open or self.interest_open)


@dataclass(frozen=True)
class Payment:
    id: int
    booked_on: date
    amount: Decimal
    named_charge_id: int | None = None  # art. 62 § 1: the liability the taxpayer named


@dataclass(frozen=True)
class Step:
    """One line of the taxpayer's ledger written by a payment."""

    payment_id: int
    charge_id: int | None
    kind: str
    amount: Decimal
    on_date: date


@dataclass
class Params:
    rates: Sequence[RatePeriod]
    threshold: Decimal


def allocation_order(charges: Iterable[Charge], named: int | None = None) -> list[Charge]:
    """Costs first (art. 55 § 2), then the named liability, then the earliest due first."""
    return sorted((c for c in charges if c.open),
                  key=lambda c: (c.kind != REMINDER_COST, c.id != named, c.due_date, c.number,
                                 c.id))


def _cover(charge: Charge, left: Decimal, on: date, payment_id: int, params: Params
           ) -> tuple[Decimal, list[Step]]:
    """Cover ``charge`` with up to ``left`` on the day ``on`` (changed in place): what was taken
    and the ledger steps (interest settled to ``on``, then art. 55 § 2 / art. 76a § 1)."""
    steps: list[Step] = []
    if charge.kind == REMINDER_COST:
        take = min(left, charge.principal_open)
        charge.principal_open -= take
        return take, [Step(payment_id, charge.id, PAID_COST, take, on)]
    accrued = ZERO
    if charge.principal_open > 0 and on > charge.accrued_to:
        accrued = interest(charge.principal_open, charge.accrued_to, on, params.rates,
                           params.threshold)
    owed_interest = charge.interest_open + accrued
    need = owed_interest + charge.principal_open
    take = min(left, need)
    if take == need:
        paid_interest, paid_principal = owed_interest, charge.principal_open
    else:  # art. 55 § 2: proportionally, as they stand on the day of payment
        paid_interest = to_grosz(take * owed_interest / need)
        paid_principal = take - paid_interest
    if accrued:
        steps.append(Step(payment_id, charge.id, INTEREST_ACCRUED, accrued, on))
    if paid_interest:
        steps.append(Step(payment_id, charge.id, PAID_INTEREST, paid_interest, on))
    if paid_principal:
        steps.append(Step(payment_id, charge.id, PAID_PRINCIPAL, paid_principal, on))
    charge.interest_open = owed_interest - paid_interest
    charge.principal_open -= paid_principal
    charge.accrued_to = max(charge.accrued_to, on)
    return take, steps


def allocate_payment(charges: Sequence[Charge], payment: Payment, params: Params) -> list[Step]:
    """Allocate one payment over the open charges (changed in place); the ledger steps."""
    steps: list[Step] = []
    left = Decimal(payment.amount)
    for charge in allocation_order(charges, payment.named_charge_id):
        if left <= 0:
            break
        take, covered = _cover(charge, left, payment.booked_on, payment.id, params)
        steps += covered
        left -= take
    if left > 0:
        steps.append(Step(payment.id, None, OVERPAYMENT, left, payment.booked_on))
    return steps


@dataclass(frozen=True)
class Credit:
    """A crediting run of the kept overpayment (art. 76 § 1) against the charges due by
    ``upto``; ``payment_id`` is the payment whose overpayment it uses (the ledger's link)."""

    payment_id: int
    upto: date


def credit_overpayment(charges: Sequence[Charge], available: Decimal, since: date,
                       credit: Credit, params: Params) -> list[Step]:
    """Credit ``available`` (kept since ``since``) against the open charges due by
    ``credit.upto`` (changed in place), each on the later of ``since`` and its due date. Each
    charge reached gets its covering steps and an ``OVERPAYMENT_CREDITED`` step of minus what it
    took (the overpayment kept goes down by it)."""
    steps: list[Step] = []
    left = Decimal(available)
    if left <= 0 or since > credit.upto:
        return steps
    for charge in allocation_order(c for c in charges if c.due_date <= credit.upto):
        if left <= 0:
            break
        on = max(since, charge.due_date)
        take, covered = _cover(charge, left, on, credit.payment_id, params)
        if take <= 0:
            continue
        steps += covered
        steps.append(Step(credit.payment_id, charge.id, OVERPAYMENT_CREDITED, -take, on))
        left -= take
    return steps


@dataclass
class Event:
    """A replay event: a charge posted, a payment allocated or a crediting run of the kept
    overpayment, in the order ``seq``."""

    seq: int
    charge: Charge | None = None
    payment: Payment | None = None
    credit: Credit | None = None


def replay(events: Iterable[Event], params: Params) -> list[Step]:
    """The ledger from scratch: charges, payments and credits in the order they were recorded."""
    charges: list[Charge] = []
    steps: list[Step] = []
    kept, since = ZERO, None
    for event in sorted(events, key=lambda e: e.seq):
        if event.charge is not None:
            charges.append(replace(event.charge))
        new: list[Step] = []
        if event.payment is not None:
            new = allocate_payment(charges, event.payment, params)
        if event.credit is not None and since is not None:
            new = credit_overpayment(charges, kept, since, event.credit, params)
        for step in new:
            if step.kind == OVERPAYMENT:
                kept += step.amount
                since = step.on_date if since is None else max(since, step.on_date)
            elif step.kind == OVERPAYMENT_CREDITED:
                kept += step.amount
        steps += new
    return steps


# ---------------------------------------------------------------------------------------------
# The account on a date


@dataclass
class Position:
    """A taxpayer's position on a date (kartoteka summary)."""

    on_date: date
    arrears: Decimal = ZERO  # principal overdue (due before on_date, unpaid)
    interest: Decimal = ZERO  # unpaid interest settled + interest accrued to on_date
    costs: Decimal = ZERO  # unpaid reminder costs
    not_yet_due: Decimal = ZERO
    overpayment: Decimal = ZERO
    lines: list[dict[str, object]] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        """What the taxpayer owes on the date (negative: the office owes the taxpayer)."""
        return self.arrears + self.interest + self.costs - self.overpayment


def position(charges: Iterable[Charge], overpayment: Decimal, on_date: date,
             params: Params) -> Position:
    """Arrears, interest to ``on_date`` (as if paid that day), costs and overpayment."""
    pos = Position(on_date=on_date, overpayment=Decimal(overpayment))
    for c in charges:
        if c.kind == REMINDER_COST:
            pos.costs += c.principal_open
            continue
        if c.due_date >= on_date:
            pos.not_yet_due += c.principal_open
            pos.interest += c.interest_open
            continue
        pos.arrears += c.principal_open
        accrued = ZERO
        if c.principal_open > 0 and on_date > c.accrued_to:
            accrued = interest(c.principal_open, c.accrued_to, on_date, params.rates,
                               params.threshold)
        pos.interest += c.interest_open + accrued
    return pos


def overdue_days(due_date: date, on_date: date) -> int:
    return max(0, (on_date - due_date).days)
