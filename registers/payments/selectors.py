"""Read queries of the payments register (tax secrecy: every read of a taxpayer's account is
audited; everything is scoped to the municipalities where the user holds VIEW_TAX)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from registers.payments import rules
from registers.payments.models import Charge, IndividualAccount, LedgerEntry, Payment
from registers.payments.services import rule_params

ZERO = rules.ZERO


@dataclass
class StatementRow:
    on_date: date
    text: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    balance: Decimal = ZERO
    detail: str = ""


@dataclass
class AccountStatement:
    taxpayer: Any
    on_date: date
    account: str
    decisions: list[dict[str, Any]]
    charges: list[dict[str, Any]]
    rows: list[StatementRow]
    position: rules.Position
    reminders: list[Any] = field(default_factory=list)


def charges_as_of(taxpayer_id: int, on_date: date) -> tuple[list[rules.Charge], Decimal]:
    """The taxpayer's charges as they stood at the end of ``on_date`` (rebuilt from the ledger)
    and the overpayment kept by then."""
    steps = defaultdict(list)
    overpayment = ZERO
    for e in LedgerEntry.objects.filter(taxpayer_id=taxpayer_id, on_date__lte=on_date):
        if e.kind in (rules.OVERPAYMENT, rules.OVERPAYMENT_CREDITED):
            overpayment += e.amount  # kept (art. 76), less what was credited (negative)
        else:
            steps[e.charge_id].append(e)
    out = []
    for c in Charge.objects.filter(taxpayer_id=taxpayer_id).order_by("due_date", "number", "id"):
        mine = steps.get(c.pk, [])
        paid = sum((e.amount for e in mine if e.kind in (rules.PAID_PRINCIPAL, rules.PAID_COST)),
                   ZERO)
        accrued = sum((e.amount for e in mine if e.kind == rules.INTEREST_ACCRUED), ZERO)
        paid_interest = sum((e.amount for e in mine if e.kind == rules.PAID_INTEREST), ZERO)
        touched = [e.on_date for e in mine if c.kind == Charge.Kind.INSTALMENT]
        out.append(rules.Charge(id=c.pk, due_date=c.due_date, amount=c.amount, kind=c.kind,
                                number=c.number, principal_open=c.amount - paid,
                                interest_open=accrued - paid_interest,
                                accrued_to=max([c.due_date, *touched])))
    return out, overpayment


def account_statement(user: Any, taxpayer: Any, on_date: date) -> AccountStatement:
    """The kartoteka: decisions, instalments, payments, interest and the balance on a date."""
    account = IndividualAccount.objects.filter(taxpayer=taxpayer).first()
    charges = list(Charge.objects.filter(taxpayer=taxpayer).order_by("due_date", "number", "id"))
    decisions: dict[str, dict[str, Any]] = {}
    for c in charges:
        if c.kind != Charge.Kind.INSTALMENT:
            continue
        d = decisions.setdefault(c.decision_number, {
            "number": c.decision_number, "year": c.year, "tax": c.get_tax_kind_display(),
            "total": ZERO, "instalments": 0})
        d["total"] += c.amount
        d["instalments"] += 1
    events: list[tuple[date, int, StatementRow]] = []
    for c in charges:
        if c.due_date <= on_date:
            label = (f"{c.get_kind_display()} {c.number}/{c.year} ({c.decision_number})"
                     if c.kind == Charge.Kind.INSTALMENT else
                     f"{c.get_kind_display()} {c.decision_number}")
            events.append((c.due_date, 0, StatementRow(c.due_date, label, debit=c.amount)))
    payments = {p.pk: p for p in Payment.objects.filter(
        taxpayer=taxpayer, status=Payment.Status.ALLOCATED, booked_on__lte=on_date)}
    by_payment: dict[int, list[LedgerEntry]] = defaultdict(list)
    for e in LedgerEntry.objects.filter(taxpayer=taxpayer, on_date__lte=on_date).select_related(
            "charge").order_by("seq", "id"):
        by_payment[e.payment_id].append(e)
        if e.kind == rules.INTEREST_ACCRUED:
            events.append((e.on_date, 1, StatementRow(
                e.on_date, f"{e.get_kind_display()} ({e.charge.number}/{e.charge.year})",
                debit=e.amount)))
    def part(e: LedgerEntry) -> str:
        on = f" {e.charge.number}/{e.charge.year}" if e.charge and e.charge.number else ""
        return f"{e.get_kind_display()}{on}: {e.amount}"

    credits: dict[int, list[LedgerEntry]] = defaultdict(list)
    for p in payments.values():
        own = [e for e in by_payment.get(p.pk, []) if e.seq // 10000 == p.allocated_seq]
        for e in by_payment.get(p.pk, []):
            if e.seq // 10000 != p.allocated_seq:  # a later crediting of its overpayment
                credits[e.seq // 10000].append(e)
        events.append((p.booked_on, 2, StatementRow(
            p.booked_on, f"{p.title[:80]}", credit=p.amount,
            detail="; ".join(part(e) for e in own if e.kind != rules.INTEREST_ACCRUED))))
    # art. 76 § 1: the kept overpayment credited against a charge; no money moves, so the
    # balance stays (the payment was counted when it came), the row says where it went
    for run in credits.values():
        for e in run:
            if e.kind == rules.OVERPAYMENT_CREDITED:
                covered = [x for x in run if x.charge_id == e.charge_id
                           and x.kind not in (rules.OVERPAYMENT_CREDITED,
                                              rules.INTEREST_ACCRUED)]
                events.append((e.on_date, 3, StatementRow(
                    e.on_date, _("overpayment credited against %(what)s (art. 76 § 1 o.p.)")
                    % {"what": f"{e.charge.get_kind_display()} {e.charge.number}/"
                               f"{e.charge.year}"},
                    detail="; ".join(part(x) for x in covered))))
    events.sort(key=lambda t: (t[0], t[1]))
    balance = ZERO
    rows = []
    for _day, _order, row in events:
        balance += row.debit - row.credit
        row.balance = balance
        rows.append(row)
    state, overpayment = charges_as_of(taxpayer.pk, on_date)
    position = rules.position(state, overpayment, on_date, rule_params(on_date))
    charge_rows = [{"charge": c, "open": s.principal_open, "interest_open": s.interest_open}
                   for c, s in zip(charges, state, strict=True)]
    audit(user, AuditAction.READ_TAX, "taxes.taxpayer", taxpayer.pk,
          municipality_id=taxpayer.municipality_id,
          detail=Note(gettext_noop("account statement on %(day)s"),
                      day=on_date))
    return AccountStatement(
        taxpayer=taxpayer, on_date=on_date, account=account.formatted if account else "",
        decisions=list(decisions.values()), charges=charge_rows, rows=rows, position=position,
        reminders=list(taxpayer.reminders.order_by("issued_on")))


DEBTORS_SQL = """
SELECT t.id, t.name, t.tax_id, t.address, a.nrb,
       sum(c.principal_open) FILTER (WHERE c.kind = 'instalment' AND c.due_date < %(d)s)
           AS arrears,
       sum(c.interest_open) AS interest_settled,
       sum(c.principal_open) FILTER (WHERE c.kind = 'reminder_cost') AS costs,
       min(c.due_date) FILTER (WHERE c.kind = 'instalment' AND c.due_date < %(d)s
                               AND c.principal_open > 0) AS oldest_due
FROM payments_charge AS c
JOIN taxes_taxpayer AS t ON t.id = c.taxpayer_id
LEFT JOIN payments_individualaccount AS a ON a.taxpayer_id = t.id
WHERE c.municipality_id = %(m)s AND (c.principal_open > 0 OR c.interest_open > 0)
GROUP BY t.id, t.name, t.tax_id, t.address, a.nrb
HAVING sum(c.principal_open) FILTER (WHERE c.kind = 'instalment' AND c.due_date < %(d)s) > 0
ORDER BY arrears DESC, t.name, t.id
LIMIT %(limit)s
"""

DEBTOR_COLUMNS = [("rank", "lp."), ("name", "podatnik"), ("tax_id", "NIP/REGON"),
                  ("address", "adres"), ("account", "rachunek"), ("arrears", "zaległość [zł]"),
                  ("interest_settled", "odsetki naliczone niezapłacone [zł]"),
                  ("costs", "koszty upomnień [zł]"), ("oldest_due", "najstarszy termin")]


def largest_debtors(user: Any, municipality_id: int, on_date: date,
                    limit: int = 100) -> list[dict[str, Any]]:
    with connection.cursor() as cur:
        cur.execute(DEBTORS_SQL, {"m": municipality_id, "d": on_date, "limit": limit})
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for i, r in enumerate(rows, start=1):
        r["rank"], r["account"] = i, r.pop("nrb") or ""
        r["interest_settled"] = r["interest_settled"] or ZERO
        r["costs"] = r["costs"] or ZERO
    audit(user, AuditAction.READ_TAX, "payments.debtors", "", municipality_id=municipality_id,
          detail=Note(gettext_noop("largest debtors on %(day)s (%(count)s)"), day=on_date,
                      count=len(rows)))
    return rows


def arrears_total(municipality_id: int, on_date: date) -> tuple[Decimal, int]:
    with connection.cursor() as cur:
        cur.execute("""SELECT coalesce(sum(principal_open), 0), count(DISTINCT taxpayer_id)
                       FROM payments_charge WHERE municipality_id = %s AND kind = 'instalment'
                         AND due_date < %s AND principal_open > 0""", [municipality_id, on_date])
        total, n = cur.fetchone()
    return total, n
