"""Payments and arrears on the real PostGIS: individual accounts, charges from the decision
signal, statements in (MT940, camt.053), matching, the set-based allocation (checked against a
replay through the pure rules), reminders and enforcement. Amounts in grosze."""

from __future__ import annotations

import io
import random
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from schwifty import IBAN

from registers.payments import rules, samples, services
from registers.payments.models import (
    Charge,
    IndividualAccount,
    LedgerEntry,
    Payment,
    Reminder,
    Statement,
)
from registers.taxes.models import Taxpayer
from registers.taxes.signals import decision_issued

pytestmark = pytest.mark.django_db
COLLECTION = "63102010260000000000000000"


@pytest.fixture
def town(make_municipality):
    town = make_municipality("180501_1", "Jasło")
    services.bank_settings_save(None, town, "10201026", "1805")
    return town


def _taxpayer(town, name="Anna Nowak", **kw) -> Taxpayer:
    tp = Taxpayer.objects.create(municipality=town, name=name, **kw)
    services.ensure_accounts(town.pk, [tp.pk])
    return tp


def _send(town, tp, schedule, number="PN.3120.1.2025", year=2025, kind="property"):
    decision_issued.send(sender=None, decision=None, municipality_id=town.pk,
                         taxpayer_id=tp.pk, year=year, tax_kind=kind,
                         decision_number=number, instalments=schedule)


def _import(town, credits, ref="ST1", fmt="mt940"):
    writer = samples.mt940 if fmt == "mt940" else samples.camt053
    return services.import_statement(None, town, writer(COLLECTION, ref, credits), "x")


def _steps(tp):
    return [(e.kind, e.amount) for e in LedgerEntry.objects.filter(taxpayer=tp)
            .order_by("seq", "id")]


def test_individual_accounts_valid_unique_stable(town):
    a, b = _taxpayer(town, "A"), _taxpayer(town, "B")
    na, nb = a.individual_account.nrb, b.individual_account.nrb
    assert na != nb and len(na) == 26
    assert IBAN("PL" + na).is_valid and IBAN("PL" + na).bank_code == "10201026"
    assert na[10:14] == "1805" and na.endswith(f"{a.pk:012d}")
    services.bank_settings_save(None, town, "10901014", "99")  # another bank later
    assert services.ensure_accounts(town.pk) == 0
    assert IndividualAccount.objects.get(taxpayer=a).nrb == na  # never changed


def test_settlement_number_check_digit_refused(town):
    with pytest.raises(ValidationError, match="check digit"):
        services.bank_settings_save(None, town, "10201027", "1805")


def test_decision_signal_posts_and_amends_charges(town):
    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("250.00")), (2, date(2025, 5, 15), D("250.00")),
                     (3, date(2025, 9, 15), D("250.00")), (4, date(2025, 11, 17), D("250.00"))])
    assert Charge.objects.filter(taxpayer=tp).count() == 4
    # instalment 3 paid early (partly): an amendment on 1 June keeps 1, 2 (due) and 3 (paid)
    Charge.objects.filter(taxpayer=tp, number=3).update(principal_open=D("200.00"))
    services.post_schedule(town.pk, tp.pk, 2025, "property", "PN.3120.1.2025/Z",
                           [(1, date(2025, 3, 17), D("300.00")),
                            (2, date(2025, 5, 15), D("300.00")),
                            (3, date(2025, 9, 15), D("300.00")),
                            (4, date(2025, 11, 17), D("340.00"))], today=date(2025, 6, 1))
    rows = {c.number: (c.amount, c.decision_number) for c in Charge.objects.filter(taxpayer=tp)}
    assert rows == {1: (D("250.00"), "PN.3120.1.2025"), 2: (D("250.00"), "PN.3120.1.2025"),
                    3: (D("250.00"), "PN.3120.1.2025"),
                    4: (D("340.00"), "PN.3120.1.2025/Z")}


def test_post_schedules_in_bulk_as_one_by_one(town):
    """The batch posts a chunk's schedules at once (``decisions_issued``): per taxpayer the same
    rule as ``post_schedule`` — a touched charge kept, untouched ones not yet due replaced — and
    the charges numbered in the order given, with one audit entry per schedule."""
    from gis_app.audit.models import AuditEvent
    from registers.taxes.signals import decisions_issued

    a, b, c = _taxpayer(town, "A"), _taxpayer(town, "B"), _taxpayer(town, "C")
    old = [(1, date(2025, 9, 15), D("100.00")), (2, date(2025, 11, 17), D("100.00"))]
    services.post_schedules(town.pk, [services.Schedule(a.pk, 2025, "property", "PN.1", old),
                                      services.Schedule(b.pk, 2025, "property", "PN.2", old)],
                            today=date(2025, 6, 1))
    Charge.objects.filter(taxpayer=a, number=1).update(principal_open=D("60.00"))
    new = [(1, date(2025, 9, 15), D("150.00")), (2, date(2025, 11, 17), D("150.00"))]
    services.post_schedules(town.pk, [services.Schedule(a.pk, 2025, "property", "D.1", new),
                                      services.Schedule(b.pk, 2025, "property", "D.2", new)],
                            today=date(2025, 6, 1))
    decisions_issued.send(sender=None, municipality_id=town.pk, decisions=[],
                          schedules=[(c.pk, 2025, "forest", "D.3", new[:1])])
    rows = {(c.taxpayer_id, c.number): (c.amount, c.decision_number)
            for c in Charge.objects.filter(municipality=town)}
    assert rows == {(a.pk, 1): (D("100.00"), "PN.1"), (a.pk, 2): (D("150.00"), "D.1"),
                    (b.pk, 1): (D("150.00"), "D.2"), (b.pk, 2): (D("150.00"), "D.2"),
                    (c.pk, 1): (D("150.00"), "D.3")}
    seqs = list(Charge.objects.filter(decision_number__startswith="D.")
                .order_by("posted_seq").values_list("decision_number", "number"))
    assert seqs == [("D.1", 2), ("D.2", 1), ("D.2", 2), ("D.3", 1)]
    details = set(AuditEvent.objects.filter(detail__startswith="charges of decision D.")
                  .values_list("object_id", "detail"))
    assert (str(a.pk), "charges of decision D.1 (property tax 2025): posted: 1, replaced: 1, "
                       "kept: 1") in details and len(details) == 3
    with pytest.raises(ValueError, match="one schedule per taxpayer"):
        services.post_schedules(town.pk, [services.Schedule(c.pk, 2025, "forest", "X", new)] * 2)


def test_statement_split_between_arrears_and_interest_then_overpayment(town):
    """1,000.00 zł due 17 March 2025; 500.00 zł on 16 April (12 zł interest: 5.93 of it and
    494.07 of the tax paid), 520.00 zł on 16 May (new interest 6 zł: under the threshold; 6.07
    interest, 505.93 tax, 8.00 overpayment). Both payments in one statement: two rounds."""
    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("1000.00"))])
    acc = tp.individual_account.nrb
    result = _import(town, [samples.Credit(date(2025, 4, 16), D("500.00"), acc),
                            samples.Credit(date(2025, 5, 16), D("520.00"), acc)])
    assert (result.new, result.matched_account, result.queued, result.allocated) == (2, 2, 0, 2)
    assert _steps(tp) == [
        ("interest_accrued", D("12.00")), ("paid_interest", D("5.93")),
        ("paid_principal", D("494.07")),
        ("paid_interest", D("6.07")), ("paid_principal", D("505.93")),
        ("overpayment", D("8.00"))]
    charge = Charge.objects.get(taxpayer=tp)
    assert (charge.principal_open, charge.interest_open) == (0, 0)
    assert services.replay_taxpayer(tp.pk) == services.stored_steps(tp.pk)


def test_interest_under_threshold_and_oldest_first_in_sql(town):
    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("250.00")), (2, date(2025, 5, 15), D("250.00"))])
    _import(town, [samples.Credit(date(2025, 5, 20), D("300.00"), tp.individual_account.nrb)])
    assert _steps(tp) == [("paid_principal", D("250.00")), ("paid_principal", D("50.00"))]


def test_named_instalment_first_camt(town):
    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("250.00")), (2, date(2025, 5, 15), D("250.00"))])
    _import(town, [samples.Credit(date(2025, 5, 20), D("300.00"), tp.individual_account.nrb,
                                  title="Podatek od nieruchomosci rata 2/2025")], fmt="camt")
    rows = [(e.charge.number if e.charge else None, e.kind, e.amount)
            for e in LedgerEntry.objects.filter(taxpayer=tp).order_by("seq")]
    assert rows == [(2, "paid_principal", D("250.00")), (1, "paid_principal", D("50.00"))]
    assert services.replay_taxpayer(tp.pk) == services.stored_steps(tp.pk)


def test_same_statement_twice_changes_nothing(town):
    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("250.00"))])
    credits = [samples.Credit(date(2025, 3, 10), D("100.00"), tp.individual_account.nrb)]
    first = _import(town, credits)
    before = (Payment.objects.count(), LedgerEntry.objects.count(), Statement.objects.count())
    again = _import(town, credits)
    assert again.already and again.statement == first.statement
    assert (Payment.objects.count(), LedgerEntry.objects.count(),
            Statement.objects.count()) == before
    # the same transaction inside another statement file is not counted twice either
    other = services.import_statement(None, town, samples.mt940(COLLECTION, "ST1", credits,
                                                                number=2), "y")
    assert other.new == 0 and Payment.objects.count() == before[0]


def test_title_match_and_clarification_queue(town):
    tp = _taxpayer(town, "Firma B", tax_id="684-000-12-34")
    other = _taxpayer(town, "C")
    _send(town, tp, [(1, date(2025, 3, 17), D("250.00"))])
    result = _import(town, [
        samples.Credit(date(2025, 3, 10), D("250.00"), COLLECTION, title="NIP 6840001234"),
        samples.Credit(date(2025, 3, 11), D("10.00"), COLLECTION, title="darowizna"),
    ])
    assert (result.matched_title, result.queued) == (1, 1)
    queued = Payment.objects.get(status="queued")
    assert queued.title == "darowizna" and queued.taxpayer_id is None
    services.resolve_payment(None, queued, other.pk, note="telefon od podatnika")
    queued.refresh_from_db()
    assert queued.status == "allocated" and queued.matched_by == "officer"
    assert _steps(other) == [("overpayment", D("10.00"))]


@pytest.mark.parametrize("fmt,broken,line,reason", [
    ("mt940", lambda b: b.replace(b":61:2503", b":61:25X3", 1), 5, "malformed MT940"),
    ("camt", lambda b: b.replace(b'Ccy="PLN">100.00', b'Ccy="EUR">100.00', 1), 5, "EUR"),
    ("camt", lambda b: b.replace(b"</Ntry>", b"</Ntr>", 1), 5, "not well-formed"),
])
def test_malformed_statement_refused_whole_with_line(town, fmt, broken, line, reason):
    tp = _taxpayer(town)
    credits = [samples.Credit(date(2025, 3, 10), D("100.00"), tp.individual_account.nrb),
               samples.Credit(date(2025, 3, 11), D("50.00"), tp.individual_account.nrb)]
    writer = samples.mt940 if fmt == "mt940" else samples.camt053
    data = broken(writer(COLLECTION, "ST9", credits))
    with pytest.raises(ValidationError) as err:
        services.import_statement(None, town, data, "bad")
    text = " ".join(err.value.messages)
    assert f"line {line}" in text and reason in text
    assert not Payment.objects.exists() and not Statement.objects.exists()


def test_replay_equals_stored_ledger_over_random_payments(town):
    """Many taxpayers, several statements, late and early payments, costs, named instalments:
    the set-based ledger equals the pure rules' replay for every taxpayer."""
    rnd = random.Random(16)
    payers = [_taxpayer(town, f"P{i}") for i in range(25)]
    for tp in payers:
        _send(town, tp, [(1, date(2025, 3, 17), D(rnd.randint(5000, 90000)) / 100),
                         (2, date(2025, 5, 15), D(rnd.randint(5000, 90000)) / 100),
                         (3, date(2025, 9, 15), D(rnd.randint(5000, 90000)) / 100)])
    services.issue_reminders(None, town.pk, date(2025, 6, 2))
    for s in range(3):
        credits = []
        for tp in payers:
            for _ in range(rnd.randint(0, 3)):
                day = date(2025, rnd.randint(2, 12), rnd.randint(1, 28))
                title = f"rata {rnd.randint(1, 3)}/2025" if rnd.random() < 0.3 else "podatek"
                credits.append(samples.Credit(day, D(rnd.randint(100, 60000)) / 100,
                                              tp.individual_account.nrb, title=title))
        credits.sort(key=lambda c: c.booked_on)
        _import(town, credits, ref=f"R{s}")
    assert LedgerEntry.objects.filter(kind="interest_accrued").exists()
    assert LedgerEntry.objects.filter(kind="paid_cost").exists()
    for tp in payers:
        assert services.replay_taxpayer(tp.pk) == services.stored_steps(tp.pk), tp.name


def test_reminders_cost_and_enforcement_list(town):
    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("1000.00")), (2, date(2025, 5, 15), D("500.00"))])
    reminders = services.issue_reminders(None, town.pk, date(2025, 4, 16))
    assert len(reminders) == 1
    r = reminders[0]
    assert (r.arrears, r.interest, r.cost) == (D("1000.00"), D("12"), D("11.60"))
    assert Charge.objects.get(taxpayer=tp, kind="reminder_cost").amount == D("11.60")
    assert services.issue_reminders(None, town.pk, date(2025, 4, 17)) == []  # not twice
    assert services.enforcement_cases(town.pk, date(2025, 5, 1)) == []  # not delivered
    services.reminder_delivered(None, r, date(2025, 4, 20))
    assert services.enforcement_cases(town.pk, date(2025, 4, 26)) == []  # 6 days
    cases = services.enforcement_cases(town.pk, date(2025, 4, 27))
    assert [c["reminder"].pk for c in cases] == [r.pk]
    # a payment covers the cost first, then the arrears and interest
    _import(town, [samples.Credit(date(2025, 4, 28), D("100.00"), tp.individual_account.nrb)])
    kinds = _steps(tp)
    assert kinds[0] == ("paid_cost", D("11.60"))
    assert Reminder.objects.count() == 1
    assert kinds[0][0] == rules.PAID_COST


def test_batch_posting_and_delivery_do_what_one_at_a_time_does(town):
    """``post_schedules`` / ``reminders_delivered`` (the demo's batch calls) write the same
    charges, audit events and deliveries as ``post_schedule`` / ``reminder_delivered`` each."""
    from gis_app.audit.models import AuditEvent

    plan = [(1, date(2025, 3, 17), D("300.00")), (2, date(2025, 5, 15), D("0.00"))]
    one, a, b = _taxpayer(town, "One"), _taxpayer(town, "A"), _taxpayer(town, "B")
    services.post_schedule(town.pk, one.pk, 2025, "property", "PN.1", plan,
                           today=date(2025, 1, 2))
    rows = services.post_schedules(town.pk, [
        services.Schedule(a.pk, 2025, "property", "PN.2", plan),
        services.Schedule(b.pk, 2025, "property", "PN.3", plan)], today=date(2025, 1, 2))
    assert [(c.taxpayer_id, c.number, c.amount) for c in rows] == [
        (a.pk, 1, D("300.00")), (b.pk, 1, D("300.00"))]
    seqs = list(Charge.objects.order_by("id").values_list("posted_seq", flat=True))
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    details = dict(AuditEvent.objects.filter(object_type="taxes.taxpayer").values_list(
        "object_id", "detail"))
    assert details == {str(t.pk): f"charges of decision PN.{i} (property tax 2025): "
                       "posted: 1, replaced: 0, kept: 0"
                       for i, t in enumerate((one, a, b), start=1)}
    with pytest.raises(ValueError, match="one schedule per taxpayer"):
        services.post_schedules(town.pk, [
            services.Schedule(a.pk, 2025, "property", "X", plan),
            services.Schedule(a.pk, 2025, "property", "Y", plan)])
    first, *rest = services.issue_reminders(None, town.pk, date(2025, 4, 16))
    services.reminder_delivered(None, first, date(2025, 4, 20))
    assert services.reminders_delivered(None, rest, date(2025, 4, 20)) == 2
    with pytest.raises(ValidationError, match="before it was issued"):
        services.reminders_delivered(None, rest, date(2025, 4, 1))
    assert set(Reminder.objects.values_list("delivered_on", "version")) == {
        (date(2025, 4, 20), 2)}
    trail = {e.object_id: (e.action, e.before, e.after) for e in AuditEvent.objects.filter(
        object_type="payments.reminder", action="update")}
    assert len(trail) == 3 and all(t == trail[str(first.pk)] for t in trail.values())
    assert trail[str(first.pk)] == ("update", {"delivered_on": None},
                                    {"delivered_on": "2025-04-20"})


def test_overpayment_kept_then_credited_against_the_next_years_instalments(town, make_user):
    """Art. 76 § 1 o.p.: 1,500.00 zł paid on 10 March 2025 for a 1,000.00 instalment keeps
    500.00 overpayment. The 2026 decision (300.00 on 16 March, 300.00 on 15 May, 300.00 on
    15 November 2099 — a future liability) takes it when posted: 300.00 on 16 March, 200.00 on
    15 May (each on its due date: no interest), 100.00 of May stays open, 2099 untouched. The
    kartoteka shows it kept and then used, on any date; the ledger replays."""
    from django.utils import translation

    from gis_app.accounts.roles import Role

    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("1000.00"))])
    _import(town, [samples.Credit(date(2025, 3, 10), D("1500.00"), tp.individual_account.nrb)],
            fmt="camt")
    assert _steps(tp) == [("paid_principal", D("1000.00")), ("overpayment", D("500.00"))]
    _send(town, tp, [(1, date(2026, 3, 16), D("300.00")), (2, date(2026, 5, 15), D("300.00")),
                     (3, date(2099, 11, 15), D("300.00"))], number="PN.3120.1.2026", year=2026)
    credited = [(e.charge.number, e.kind, e.amount, e.on_date) for e in LedgerEntry.objects
                .filter(taxpayer=tp, charge__year=2026).order_by("seq")]
    assert credited == [
        (1, "paid_principal", D("300.00"), date(2026, 3, 16)),
        (1, "overpay_credit", D("-300.00"), date(2026, 3, 16)),
        (2, "paid_principal", D("200.00"), date(2026, 5, 15)),
        (2, "overpay_credit", D("-200.00"), date(2026, 5, 15))]
    opened = dict(Charge.objects.filter(taxpayer=tp, year=2026)
                  .values_list("number", "principal_open"))
    assert opened == {1: D("0.00"), 2: D("100.00"), 3: D("300.00")}
    assert services.replay_taxpayer(tp.pk) == services.stored_steps(tp.pk)
    # a second run changes nothing (nothing kept any more)
    assert services.credit_overpayments(town.pk) == 0

    from registers.payments import selectors

    state, kept = selectors.charges_as_of(tp.pk, date(2026, 4, 1))
    assert kept == D("200.00")  # 500.00 less the 300.00 credited on 16 March
    assert [c.principal_open for c in state if c.due_date == date(2026, 3, 16)] == [D("0.00")]
    assert [c.principal_open for c in state if c.due_date == date(2026, 5, 15)] == [D("300.00")]
    officer = make_user("op_officer", town, (Role.TAX_OFFICER,))
    with translation.override("en"):  # the kartoteka's rows, as its page and PDF print them
        rows = selectors.account_statement(officer, tp, date(2026, 4, 1)).rows
    credited_rows = [(r.on_date, r.text, r.debit, r.credit, r.detail) for r in rows
                     if r.text.startswith("overpayment credited")]
    assert credited_rows == [(date(2026, 3, 16), "overpayment credited against instalment 1/2026"
                              " (art. 76 § 1 o.p.)", 0, 0, "paid: tax 1/2026: 300.00")]
    st = selectors.account_statement(officer, tp, date(2026, 6, 1))
    # 100.00 of May overdue; its interest to 1 June (17 days × 11.5 % = 0.54 → 1 zł) is under
    # the threshold; nothing kept; 300.00 of 2099 not yet due
    assert (st.position.arrears, st.position.interest, st.position.overpayment,
            st.position.not_yet_due, st.position.balance) == (
        D("100.00"), D("0"), D("0.00"), D("300.00"), D("100.00"))


def test_kept_overpayment_credited_before_a_later_payment(town):
    """A statement with a payment after an instalment fell due: the overpayment kept from
    before is credited on the due date first (art. 76 § 1), the payment covers the rest."""
    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("100.00"))])
    _import(town, [samples.Credit(date(2025, 3, 1), D("150.00"), tp.individual_account.nrb)])
    # an instalment posted with a due date still ahead when the statement's payment comes
    Charge.objects.create(municipality=town, taxpayer=tp, year=2025, number=2,
                          due_date=date(2025, 5, 15), amount=D("80.00"),
                          principal_open=D("80.00"), accrued_to=date(2025, 5, 15),
                          decision_number="PN.3120.1.2025", posted_seq=services._next_seq()[0])
    _import(town, [samples.Credit(date(2025, 5, 20), D("40.00"), tp.individual_account.nrb)],
            ref="ST2")
    rows = [(e.kind, e.amount, e.on_date) for e in LedgerEntry.objects.filter(taxpayer=tp)
            .order_by("seq")][2:]
    assert rows == [("paid_principal", D("50.00"), date(2025, 5, 15)),
                    ("overpay_credit", D("-50.00"), date(2025, 5, 15)),
                    ("paid_principal", D("30.00"), date(2025, 5, 20)),
                    ("overpayment", D("10.00"), date(2025, 5, 20))]
    assert services.replay_taxpayer(tp.pk) == services.stored_steps(tp.pk)


def test_ledger_references_are_checked_per_statement(town):
    """The ledger's references (sql/ledger_refs.sql, instead of per-row foreign keys): an entry
    naming another taxpayer's charge or a missing payment is refused, and so is deleting a
    payment or charge the ledger refers to."""
    from django.db import IntegrityError, transaction

    a, b = _taxpayer(town, "A"), _taxpayer(town, "B")
    _send(town, a, [(1, date(2025, 3, 17), D("100.00"))])
    _send(town, b, [(1, date(2025, 3, 17), D("100.00"))], number="PN.3120.2.2025")
    _import(town, [samples.Credit(date(2025, 3, 10), D("100.00"), a.individual_account.nrb)])
    paid = Payment.objects.get(taxpayer=a)
    entry = dict(municipality_id=town.pk, taxpayer_id=a.pk, payment_id=paid.pk,
                 on_date=date(2025, 3, 10), kind="paid_principal", amount=D("1.00"), seq=1)
    for wrong in ({"charge_id": Charge.objects.get(taxpayer=b).pk},
                  {"payment_id": paid.pk + 1000}, {"taxpayer_id": b.pk}):
        with pytest.raises(IntegrityError, match="ledger entry"), transaction.atomic():
            LedgerEntry.objects.create(**(entry | wrong))
    with pytest.raises(IntegrityError, match="referred to"), transaction.atomic():
        Payment.objects.filter(pk=paid.pk)._raw_delete("default")
    with pytest.raises(IntegrityError, match="referred to"), transaction.atomic():
        Charge.objects.filter(taxpayer=a)._raw_delete("default")
    assert LedgerEntry.objects.filter(payment=paid).count() == 1


def test_payment_references_are_checked_per_statement(town):
    """The payments' references (sql/payment_refs.sql, instead of per-row foreign keys): a
    payment naming a missing taxpayer, statement or charge is refused, on insert and on update,
    and so is deleting a statement or taxpayer a payment refers to."""
    from django.db import IntegrityError, transaction

    from registers.taxes.models import Taxpayer

    a = _taxpayer(town, "A")
    result = _import(town, [samples.Credit(date(2025, 3, 10), D("100.00"),
                                           a.individual_account.nrb)])
    paid = Payment.objects.get(taxpayer=a)
    row = dict(municipality_id=town.pk, fingerprint="x", booked_on=date(2025, 3, 10),
               amount=D("1.00"))
    for wrong in ({"taxpayer_id": a.pk + 1000}, {"statement_id": result.statement.pk + 1000},
                  {"named_charge_id": 10 ** 9}, {"municipality_id": town.pk + 1000}):
        with pytest.raises(IntegrityError, match="payment"), transaction.atomic():
            Payment.objects.create(**(row | wrong))
    with pytest.raises(IntegrityError, match="missing"), transaction.atomic():
        Payment.objects.filter(pk=paid.pk).update(taxpayer_id=a.pk + 1000)
    with pytest.raises(IntegrityError, match="referred to by payments"), transaction.atomic():
        Statement.objects.filter(pk=result.statement.pk)._raw_delete("default")
    with pytest.raises(IntegrityError, match="referred to by payments"), transaction.atomic():
        Taxpayer.objects.filter(pk=a.pk)._raw_delete("default")
    assert Payment.objects.create(**row).taxpayer_id is None  # a queued payment is fine


def test_daily_command_credits_an_instalment_fallen_due(town):
    """``manage.py credit_overpayments --date``: 60.00 kept since 1 March 2025 goes to a 40.00
    instalment due 15 May 2025 on that day (not before: a run for 14 May leaves it)."""
    from django.core.management import call_command

    tp = _taxpayer(town)
    _send(town, tp, [(1, date(2025, 3, 17), D("100.00"))])
    _import(town, [samples.Credit(date(2025, 3, 1), D("160.00"), tp.individual_account.nrb)])
    due = Charge.objects.create(
        municipality=town, taxpayer=tp, year=2025, number=2, due_date=date(2025, 5, 15),
        amount=D("40.00"), principal_open=D("40.00"), accrued_to=date(2025, 5, 15),
        decision_number="PN.3120.1.2025", posted_seq=services._next_seq()[0])
    call_command("credit_overpayments", "--date", "2025-05-14", stdout=io.StringIO())
    assert Charge.objects.get(pk=due.pk).principal_open == D("40.00")
    call_command("credit_overpayments", "--date", "2025-05-15", stdout=io.StringIO())
    assert Charge.objects.get(pk=due.pk).principal_open == D("0.00")
    assert _steps(tp)[-2:] == [("paid_principal", D("40.00")), ("overpay_credit", D("-40.00"))]
    assert services.replay_taxpayer(tp.pk) == services.stored_steps(tp.pk)
