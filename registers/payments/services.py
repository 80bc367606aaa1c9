"""Writing the payments register: individual accounts, charges, statements, allocation,
reminders. Set-based where the numbers are large (statement import, matching, allocation:
``sql/allocate.sql``); every change audited.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from gis_app.audit.log import AuditItem, Note, audit, audit_many
from gis_app.audit.models import AuditAction
from layers.models import Municipality
from registers.common.editing import (
    StaleEditError,
    audit_change,
    changes,
    locked_update,
    snapshot,
)
from registers.payments import rules
from registers.payments.models import (
    BankSettings,
    Charge,
    IndividualAccount,
    InterestRate,
    LedgerEntry,
    Payment,
    PaymentParameters,
    Reminder,
    Statement,
)
from registers.payments.statements import ParsedStatement, StatementError, parse

ZERO = rules.ZERO
# Advisory-lock key space of the payments register (one lock per municipality).
LOCK_NAMESPACE = 16_002


def _lock(municipality_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, municipality_id])


def _next_seq(n: int = 1) -> list[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('payments_event_seq') FROM generate_series(1, %s)", [n])
        return [row[0] for row in cur.fetchall()]


# ---------------------------------------------------------------------------------------------
# Yearly numbers


def parameters_for(year: int) -> PaymentParameters:
    params = PaymentParameters.objects.filter(year__lte=year).order_by("-year").first()
    if params is None:
        raise ValidationError(f"no payment parameters for {year} or before; add them in the "
                              "admin (interest threshold, cost of a reminder)")
    return params


def rule_params(on_date: date) -> rules.Params:
    rates = [rules.RatePeriod(r.valid_from, r.annual_percent)
             for r in InterestRate.objects.order_by("valid_from")]
    return rules.Params(rates=rates, threshold=parameters_for(on_date.year).interest_threshold)


# ---------------------------------------------------------------------------------------------
# Individual accounts (mikrorachunki)


def check_settlement_number(number: str) -> None:
    """8 digits whose last is the check digit of the first seven (schwifty recomputes it)."""
    if len(number) != 8 or not number.isdigit():
        raise ValidationError(f"bank settlement number {number!r}: 8 digits expected")
    generated = IBAN.generate("PL", bank_code=number, account_code="0" * 16).bank_code
    if generated != number:
        raise ValidationError(f"bank settlement number {number}: wrong check digit (the "
                              f"eighth digit should be {generated[-1]})")


def account_number(bank: BankSettings, taxpayer_id: int) -> str:
    """The taxpayer's NRB: the bank's settlement number, the municipality's prefix and the
    taxpayer's id; check digits by schwifty (ISO 13616 mod 97). Depends only on stored
    values, so it never changes once given."""
    width = 16 - len(bank.account_prefix)
    if len(str(taxpayer_id)) > width:
        raise ValidationError(f"taxpayer id {taxpayer_id} does not fit the {width} digits the "
                              f"prefix {bank.account_prefix} leaves")
    try:
        iban = IBAN.generate("PL", bank_code=bank.settlement_number,
                             account_code=f"{bank.account_prefix}{taxpayer_id:0{width}d}")
        iban.validate()
    except SchwiftyException as exc:
        raise ValidationError(f"cannot form an account number: {exc}") from exc
    return iban.compact[2:]


BANK_FIELDS = ("settlement_number", "account_prefix", "collection_account", "bank_name")
#: "whatever is stored": the system's own saves (demo data, setup), which no form was built for
ANY_VERSION: Any = object()


def bank_settings_save(user: Any, municipality: Municipality, settlement_number: str,
                       account_prefix: str, collection_account: str = "",
                       bank_name: str = "", version: Any = ANY_VERSION) -> BankSettings:
    """Create or change the municipality's bank. ``version`` is the one the officer's form was
    built from (None: there was no bank yet); a bank saved meanwhile raises StaleEditError."""
    check_settlement_number(settlement_number)
    if not account_prefix.isdigit() or not 1 <= len(account_prefix) <= 6:
        raise ValidationError("individual account prefix: 1 to 6 digits")
    if collection_account:
        try:
            IBAN("PL" + collection_account).validate()
        except SchwiftyException as exc:
            raise ValidationError(f"collection account: {exc}") from exc
    values = {"settlement_number": settlement_number, "account_prefix": account_prefix,
              "collection_account": collection_account, "bank_name": bank_name}
    with transaction.atomic():
        rows = BankSettings.objects.filter(municipality=municipality)
        if version is ANY_VERSION:
            version = rows.values_list("version", flat=True).first()
        bank = locked_update(rows, version)
        before = None
        if bank is None:
            bank = BankSettings(municipality=municipality, **values)
        else:
            before = snapshot(bank, BANK_FIELDS)
            for name, value in values.items():
                setattr(bank, name, value)
            bank.bump()
        bank.save()
        audit_change(user, bank, before, snapshot(bank, BANK_FIELDS),
                     municipality_id=municipality.pk)
    return bank


def ensure_accounts(municipality_id: int, taxpayer_ids: Iterable[int] | None = None) -> int:
    """Give every taxpayer of the municipality (or those listed) without one an individual
    account; existing numbers are never changed. Returns how many were given."""
    from registers.taxes.models import Taxpayer

    bank = BankSettings.objects.filter(municipality_id=municipality_id).first()
    if bank is None:
        raise ValidationError("the municipality has no bank for individual accounts yet")
    missing = Taxpayer.objects.filter(municipality_id=municipality_id,
                                      individual_account__isnull=True)
    if taxpayer_ids is not None:
        missing = missing.filter(pk__in=list(taxpayer_ids))
    rows = [IndividualAccount(taxpayer_id=tid, municipality_id=municipality_id,
                              nrb=account_number(bank, tid))
            for tid in missing.values_list("pk", flat=True)]
    IndividualAccount.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return len(rows)


# ---------------------------------------------------------------------------------------------
# Charges


@dataclass(frozen=True)
class Schedule:
    """A decision's whole schedule for one taxpayer, year and tax (what ``decision_issued``
    carries)."""

    taxpayer_id: int
    year: int
    tax_kind: str
    decision_number: str
    instalments: Sequence[tuple[int, date, Decimal]]


def post_schedule(municipality_id: int, taxpayer_id: int, year: int, tax_kind: str,
                  decision_number: str, instalments: Sequence[tuple[int, date, Decimal]],
                  today: date | None = None) -> list[Charge]:
    """A decision's whole schedule becomes the taxpayer's charges (CONTRACTS.md): charges of
    the same taxpayer, year and tax that are not yet due and untouched by any payment are
    replaced; those already due or (partly) paid stay as they are, and the schedule's
    instalment of the same number is then not posted again."""
    return post_schedules(municipality_id, [Schedule(taxpayer_id, year, tax_kind,
                                                     decision_number, instalments)], today)


def post_schedules(municipality_id: int, schedules: Sequence[Schedule],
                   today: date | None = None) -> list[Charge]:
    """``post_schedule`` for many decisions at once (a chunk of the decision batch) with a
    fixed number of queries, whatever the number of decisions: the same rule for each
    taxpayer, year and tax, the charges numbered (``posted_seq``) in the order given, one audit
    entry per schedule, and kept overpayments credited once for all the taxpayers."""
    today = today or timezone.localdate()
    if not schedules:
        return []
    keys = {(s.taxpayer_id, s.year, s.tax_kind) for s in schedules}
    if len(keys) != len(schedules):
        raise ValueError("one schedule per taxpayer, year and tax at a time")
    taxpayer_ids = sorted({s.taxpayer_id for s in schedules})
    with transaction.atomic():
        _lock(municipality_id)
        existing = [c for c in Charge.objects.select_for_update().filter(
            taxpayer_id__in=taxpayer_ids, year__in={s.year for s in schedules},
            kind=Charge.Kind.INSTALMENT).order_by("pk")
            if (c.taxpayer_id, c.year, c.tax_kind) in keys]
        candidates = [c.pk for c in existing
                      if c.due_date > today and c.principal_open == c.amount
                      and c.interest_open == 0]
        touched = set()
        if candidates:
            touched = set(LedgerEntry.objects.filter(charge_id__in=candidates)
                          .values_list("charge_id", flat=True).distinct())
            touched |= set(Reminder.objects.filter(charge_id__in=candidates)
                           .values_list("charge_id", flat=True).distinct())
        replaceable = {pk for pk in candidates if pk not in touched}
        kept: dict[tuple[int, int, str], set[int]] = {}
        for c in existing:
            if c.pk not in replaceable:
                kept.setdefault((c.taxpayer_id, c.year, c.tax_kind), set()).add(c.number)
        if replaceable:
            Charge.objects.filter(pk__in=replaceable).delete()
        replaced: dict[tuple[int, int, str], int] = {}
        for c in existing:
            if c.pk in replaceable:
                key = (c.taxpayer_id, c.year, c.tax_kind)
                replaced[key] = replaced.get(key, 0) + 1
        new = [(s, n, d, Decimal(a)) for s in schedules for n, d, a in s.instalments
               if n not in kept.get((s.taxpayer_id, s.year, s.tax_kind), ()) and Decimal(a) > 0]
        seqs = _next_seq(len(new)) if new else []
        rows = Charge.objects.bulk_create([
            Charge(municipality_id=municipality_id, taxpayer_id=s.taxpayer_id, year=s.year,
                   tax_kind=s.tax_kind, number=n, due_date=d, amount=a, principal_open=a,
                   accrued_to=d, decision_number=s.decision_number, posted_seq=seq)
            for (s, n, d, a), seq in zip(new, seqs, strict=True)], batch_size=5000)
        posted: dict[tuple[int, int, str], int] = {}
        for s, *_rest in new:
            key = (s.taxpayer_id, s.year, s.tax_kind)
            posted[key] = posted.get(key, 0) + 1
        audit_many(None, AuditAction.UPDATE, "taxes.taxpayer", [
            AuditItem(s.taxpayer_id, Note(
                gettext_noop("charges of decision %(decision)s (%(tax)s %(year)s): posted: "
                             "%(posted)s, replaced: %(replaced)s, kept: %(kept)s"),
                decision=s.decision_number, year=s.year,
                tax=dict(Charge.TaxKind.choices).get(s.tax_kind, s.tax_kind),
                posted=posted.get(key, 0), replaced=replaced.get(key, 0),
                kept=len(kept.get(key, ()))))
            for s in schedules for key in [(s.taxpayer_id, s.year, s.tax_kind)]],
            municipality_id=municipality_id)
        # a kept overpayment goes to the new instalments already due (art. 76 § 1)
        credit_overpayments(municipality_id, today, taxpayer_ids)
    return rows


def post_liability_charges(municipality_id: int, year: int, prefix: str = "PN",
                           today: date | None = None) -> int:
    """Charges from the tax roll's instalment plan for every assessed taxpayer (property tax;
    used until decisions are issued through the decisions register, and by the demo)."""
    from registers.taxes import rules as tax_rules
    from registers.taxes.services import roll_rows

    schedules = []
    for row in roll_rows(municipality_id, year):
        if not row["tax"] or row["below_threshold"]:
            continue
        plan = tax_rules.instalment_plan(row["tax"], year,
                                         legal_person=row["kind"] == "company")
        schedules.append(Schedule(
            row["taxpayer_id"], year, "property", f"{prefix}.{year}.{row['taxpayer_id']}",
            [(i, due, amount) for i, (due, amount) in enumerate(plan, start=1)]))
    return len(post_schedules(municipality_id, schedules, today=today))


# ---------------------------------------------------------------------------------------------
# Statements in: parse whole, store set-based, match, allocate


# ---------------------------------------------------------------------------------------------
# Overpayments (nadpłata): credited against arrears and current liabilities, art. 76 § 1

# Taxpayers of a municipality keeping an overpayment and owing a charge due by their day
# ``upto``: a fixed day, or (``by_payments``) the earliest booking day of their payments matched
# but not yet allocated, so the overpayment is credited as of the instalments' due dates before
# those payments are allocated.
CREDIT_CANDIDATES_SQL = """
WITH kept AS (
    SELECT e.taxpayer_id, sum(e.amount) AS available,
           max(e.on_date) FILTER (WHERE e.kind = 'overpayment') AS since,
           (array_agg(e.payment_id ORDER BY e.seq DESC)
                FILTER (WHERE e.kind = 'overpayment'))[1] AS payment_id
    FROM payments_ledgerentry AS e
    WHERE e.municipality_id = %(m)s AND e.kind IN ('overpayment', 'overpay_credit')
      AND (%(only)s::bigint[] IS NULL OR e.taxpayer_id = ANY (%(only)s::bigint[]))
    GROUP BY e.taxpayer_id
    HAVING sum(e.amount) > 0
),
day AS (
    SELECT k.*, CASE WHEN %(by_payments)s
                     THEN (SELECT min(p.booked_on) FROM payments_payment AS p
                           WHERE p.taxpayer_id = k.taxpayer_id AND p.status = 'matched')
                     ELSE %(upto)s::date END AS upto
    FROM kept AS k
)
SELECT d.taxpayer_id, d.available, d.since, d.payment_id, d.upto
FROM day AS d
WHERE d.upto IS NOT NULL AND d.since <= d.upto
  AND EXISTS (SELECT 1 FROM payments_charge AS c
              WHERE c.taxpayer_id = d.taxpayer_id AND c.due_date <= d.upto
                AND (c.principal_open > 0 OR c.interest_open > 0))
ORDER BY d.taxpayer_id
"""


def credit_overpayments(municipality_id: int, upto: date | None = None,
                        taxpayer_ids: Sequence[int] | None = None,
                        by_payments: bool = False) -> int:
    """Credit every kept overpayment of the municipality (or of ``taxpayer_ids``) against the
    taxpayer's open charges due by ``upto`` (default today), by the pure rule
    ``rules.credit_overpayment`` (art. 76 § 1, art. 76a o.p.; the rule is stated there).
    Touches only the taxpayers who keep an overpayment and owe something due — few, so one small
    step each. Returns the number of charges credited. Call inside the register's lock."""
    upto = upto or timezone.localdate()
    with connection.cursor() as cur:
        cur.execute(CREDIT_CANDIDATES_SQL, {
            "m": municipality_id, "upto": upto, "by_payments": by_payments,
            "only": list(taxpayer_ids) if taxpayer_ids is not None else None})
        candidates = cur.fetchall()
    if not candidates:
        return 0
    _check_rates_cover(municipality_id)
    params = rule_params(upto)
    credited = 0
    entries: list[LedgerEntry] = []
    for taxpayer_id, available, since, payment_id, day in candidates:
        rows = {c.pk: c for c in Charge.objects.select_for_update().filter(
            taxpayer_id=taxpayer_id, due_date__lte=day).exclude(principal_open=0,
                                                               interest_open=0)}
        state = [rules.Charge(id=c.pk, due_date=c.due_date, amount=c.amount, kind=c.kind,
                              number=c.number, principal_open=c.principal_open,
                              interest_open=c.interest_open, accrued_to=c.accrued_to)
                 for c in rows.values()]
        steps = rules.credit_overpayment(state, available, since,
                                         rules.Credit(payment_id, day), params)
        if not steps:
            continue
        (seq,) = _next_seq()
        entries += [LedgerEntry(municipality_id=municipality_id, taxpayer_id=taxpayer_id,
                                payment_id=st.payment_id, charge_id=st.charge_id,
                                on_date=st.on_date, kind=st.kind, amount=st.amount,
                                seq=seq * 10000 + i) for i, st in enumerate(steps)]
        touched = {st.charge_id for st in steps}
        changed = []
        for c in state:
            if c.id in touched:
                row = rows[c.id]
                row.principal_open, row.interest_open = c.principal_open, c.interest_open
                row.accrued_to = c.accrued_to
                changed.append(row)
        Charge.objects.bulk_update(changed, ["principal_open", "interest_open", "accrued_to"])
        credited += len(changed)
        used = -sum(st.amount for st in steps if st.kind == rules.OVERPAYMENT_CREDITED)
        audit(None, AuditAction.UPDATE, "taxes.taxpayer", taxpayer_id,
              municipality_id=municipality_id,
              detail=Note(gettext_noop("overpayment credited (art. 76 § 1 o.p.) against charges "
                                       "due by %(day)s: %(charges)s, %(amount)s zł"),
                          day=day, charges=len(changed), amount=used))
    LedgerEntry.objects.bulk_create(entries)
    return credited


@dataclass
class ImportResult:
    statement: Statement | None
    already: bool = False
    transactions: int = 0
    new: int = 0
    matched_account: int = 0
    matched_title: int = 0
    queued: int = 0
    allocated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    #: seconds per step (parse, store, match, credit, allocate, …), for the benchmark
    timings: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - since
        return now


COPY_COLUMNS = ("line", "fingerprint", "booked_on", "amount", "payer_name", "payer_account",
                "title", "accounts", "title_keys", "named_number", "named_year")


def _tsv(value: Any) -> str:
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ") \
        .replace("\r", " ")


def copy_payload(parsed: ParsedStatement) -> io.StringIO:
    """The statement's transactions as COPY text for ``payments_stage`` (``COPY_COLUMNS``)."""
    buf = io.StringIO()
    seen: dict[tuple, int] = {}
    for tx in parsed.transactions:
        key = (tx.booked_on, tx.amount, tx.bank_ref, tx.payer_account, tx.title)
        seen[key] = ordinal = seen.get(key, 0) + 1
        buf.write("\t".join(_tsv(v) for v in (
            tx.line, tx.fingerprint(parsed.account, ordinal), tx.booked_on.isoformat(),
            tx.amount, tx.payer_name, tx.payer_account, tx.title, " ".join(tx.accounts),
            " ".join(tx.title_keys), tx.named_number, tx.named_year)) + "\n")
    buf.seek(0)
    return buf


STAGE_SQL = """
CREATE TEMP TABLE payments_stage (
    line integer, fingerprint text, booked_on date, amount numeric(14, 2), payer_name text,
    payer_account text, title text, accounts text, title_keys text, named_number smallint,
    named_year smallint
) ON COMMIT DROP
"""

# The new payments, matched by individual account as they are inserted (one write per row, not
# an insert and then an update of most rows): one of the transaction's account numbers is
# exactly one taxpayer's. Returns (inserted, matched by account).
INSERT_SQL = """
WITH ins AS (
    INSERT INTO payments_payment (municipality_id, statement_id, line, fingerprint, booked_on,
        amount, payer_name, payer_account, title, accounts, title_keys, named_number,
        named_year, taxpayer_id, matched_by, status, note, version)
    SELECT %(m)s, %(s)s, s.line, s.fingerprint, s.booked_on, s.amount, s.payer_name,
           s.payer_account, s.title, s.accounts, s.title_keys, s.named_number, s.named_year,
           CASE WHEN m.n = 1 THEN m.taxpayer_id END,
           CASE WHEN m.n = 1 THEN 'account' ELSE '' END,
           CASE WHEN m.n = 1 THEN 'matched' ELSE 'queued' END, '', 1
    FROM payments_stage AS s
    LEFT JOIN LATERAL (
        SELECT min(a.taxpayer_id) AS taxpayer_id, count(DISTINCT a.taxpayer_id) AS n
        FROM unnest(string_to_array(s.accounts, ' ')) AS acc (nrb)
        JOIN payments_individualaccount AS a
          ON a.nrb = acc.nrb AND a.municipality_id = %(m)s
    ) AS m ON true
    ON CONFLICT (municipality_id, fingerprint) DO NOTHING
    RETURNING status
)
SELECT count(*), count(*) FILTER (WHERE status = 'matched') FROM ins
"""

# Then by title: an identifier in the title (individual account number written in the title,
# the taxpayer's reference in the tax system, NIP, a decision number) names exactly one taxpayer.
MATCH_TITLE_SQL = """
WITH tok AS MATERIALIZED (
    SELECT p.id, tk.key
    FROM payments_payment AS p
    CROSS JOIN LATERAL unnest(string_to_array(p.title_keys, ' ')) AS tk (key)
    WHERE p.statement_id = %(s)s AND p.status = 'queued'
),
keys AS (
    SELECT a.taxpayer_id, a.nrb AS key
    FROM payments_individualaccount AS a
    WHERE a.municipality_id = %(m)s AND a.nrb IN (SELECT key FROM tok)
    UNION
    SELECT t.id, upper(t.external_ref) FROM taxes_taxpayer AS t
    WHERE t.municipality_id = %(m)s AND length(t.external_ref) >= 3
      AND upper(t.external_ref) IN (SELECT key FROM tok)
    UNION
    SELECT t.id, regexp_replace(t.tax_id, '[^0-9]', '', 'g') FROM taxes_taxpayer AS t
    WHERE t.municipality_id = %(m)s AND t.tax_id <> ''
      AND regexp_replace(t.tax_id, '[^0-9]', '', 'g')
          IN (SELECT key FROM tok WHERE key ~ '^[0-9]{10}$')
    UNION
    SELECT c.taxpayer_id, upper(c.decision_number) FROM payments_charge AS c
    WHERE c.municipality_id = %(m)s AND length(c.decision_number) >= 3
      AND upper(c.decision_number) IN (SELECT key FROM tok)
),
m AS (
    SELECT tok.id, min(k.taxpayer_id) AS taxpayer_id, count(DISTINCT k.taxpayer_id) AS n
    FROM tok JOIN keys AS k ON k.key = tok.key
    GROUP BY tok.id
)
UPDATE payments_payment AS p
SET taxpayer_id = m.taxpayer_id, matched_by = 'title', status = 'matched'
FROM m
WHERE p.id = m.id AND m.n = 1
"""


def _check_rates_cover(municipality_id: int) -> None:
    first = InterestRate.objects.order_by("valid_from").values_list("valid_from",
                                                                    flat=True).first()
    earliest = Charge.objects.filter(municipality_id=municipality_id, principal_open__gt=0) \
        .order_by("due_date").values_list("due_date", flat=True).first()
    if earliest is not None and (first is None or first > earliest):
        raise ValidationError(f"the late-payment interest rate table starts {first}; charges "
                              f"are due from {earliest}: extend the table first")


def allocate(municipality_id: int) -> int:
    """Allocate every matched payment of the municipality (set-based, sql/allocate.sql)."""
    with transaction.atomic():
        _lock(municipality_id)
        _check_rates_cover(municipality_id)
        with connection.cursor() as cur:
            cur.execute("SELECT payments_allocate(%s)", [municipality_id])
            allocated = cur.fetchone()[0]
        credit_overpayments(municipality_id)
        return allocated


def import_statement(user: Any, municipality: Municipality, data: bytes,
                     filename: str = "") -> ImportResult:
    """Parse whole (refused whole on the first problem), store, match, allocate."""
    t = started = time.perf_counter()
    try:
        parsed = parse(data)
    except StatementError as exc:
        raise ValidationError(f"{filename or 'statement'}: {exc}") from exc
    parse_seconds = time.perf_counter() - started
    with transaction.atomic():
        _lock(municipality.pk)
        existing = Statement.objects.filter(municipality=municipality,
                                            fingerprint=parsed.fingerprint).first()
        if existing is not None:
            return ImportResult(statement=existing, already=True,
                                transactions=len(parsed.transactions), skipped=parsed.skipped)
        statement = Statement.objects.create(
            municipality=municipality, format=parsed.format, account=parsed.account,
            reference=parsed.reference[:64], statement_date=parsed.statement_date,
            fingerprint=parsed.fingerprint, filename=filename[:200],
            transactions=len(parsed.transactions),
            imported_by=user if getattr(user, "is_authenticated", False) else None)
        result = ImportResult(statement=statement, transactions=len(parsed.transactions),
                              skipped=parsed.skipped, timings={"parse": parse_seconds})
        t = time.perf_counter()
        params = {"m": municipality.pk, "s": statement.pk}
        with connection.cursor() as cur:
            cur.execute(STAGE_SQL)
            payload = copy_payload(parsed)
            t = result.lap("copy_payload", t)
            cur.copy_expert(f"COPY payments_stage ({', '.join(COPY_COLUMNS)}) FROM STDIN",
                            payload)
            t = result.lap("copy", t)
            cur.execute(INSERT_SQL, params)
            result.new, result.matched_account = cur.fetchone()
            cur.execute("DROP TABLE payments_stage")
            t = result.lap("insert_match_account", t)
            cur.execute(MATCH_TITLE_SQL, params)
            result.matched_title = cur.rowcount
            t = result.lap("match_title", t)
            # the allocation's plan must see the newly matched rows (not "none are matched")
            cur.execute("ANALYZE payments_payment")
            t = result.lap("analyze", t)
        result.queued = result.new - result.matched_account - result.matched_title
        _check_rates_cover(municipality.pk)
        # overpayments kept from before are credited first, as of the instalments' due dates
        # up to each taxpayer's first new payment; then the payments; then what is due today
        credit_overpayments(municipality.pk, by_payments=True)
        t = result.lap("credit_overpayments", t)
        with connection.cursor() as cur:
            cur.execute("SELECT payments_allocate(%s)", [municipality.pk])
            result.allocated = cur.fetchone()[0]
        t = result.lap("allocate", t)
        credit_overpayments(municipality.pk)
        t = result.lap("credit_overpayments", t)
        Statement.objects.filter(pk=statement.pk).update(
            matched=result.matched_account + result.matched_title, queued=result.queued)
        audit(user, AuditAction.IMPORT, "payments.statement", statement.pk,
              municipality_id=municipality.pk,
              after={"format": parsed.format, "account": parsed.account,
                     "reference": parsed.reference, "transactions": result.transactions,
                     "new": result.new, "matched": result.matched_account + result.matched_title,
                     "queued": result.queued, "allocated": result.allocated})
    return result


def resolve_payment(user: Any, payment: Payment, taxpayer_id: int | None, note: str = "",
                    version: int | None = None) -> Payment:
    """The officer clarifies a queued payment: assigns it to a taxpayer (then it is allocated)
    or marks it as not a tax payment (to be returned)."""
    from registers.taxes.models import Taxpayer

    with transaction.atomic():
        _lock(payment.municipality_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if version is not None and locked.version != version:
            raise StaleEditError("the payment was changed meanwhile; reload and try again")
        if locked.status != Payment.Status.QUEUED:
            raise ValidationError("only a payment waiting for clarification can be assigned")
        before = {"status": locked.status, "taxpayer": locked.taxpayer_id}
        if taxpayer_id is None:
            locked.status = Payment.Status.RETURNED
        else:
            if not Taxpayer.objects.filter(pk=taxpayer_id,
                                           municipality_id=locked.municipality_id).exists():
                raise ValidationError(f"no taxpayer {taxpayer_id} in this municipality")
            locked.taxpayer_id, locked.status = taxpayer_id, Payment.Status.MATCHED
            locked.matched_by = Payment.MatchedBy.OFFICER
        locked.note, locked.version = note, locked.version + 1
        locked.save()
        audit(user, AuditAction.UPDATE, "payments.payment", locked.pk,
              municipality_id=locked.municipality_id, before=before,
              after={"status": locked.status, "taxpayer": locked.taxpayer_id, "note": note})
        if taxpayer_id is not None:
            allocate(locked.municipality_id)
    locked.refresh_from_db()
    return locked


# ---------------------------------------------------------------------------------------------
# Replay: the ledger from the charges and the payments


def replay_taxpayer(taxpayer_id: int) -> list[rules.Step]:
    """The taxpayer's ledger recomputed by the pure rules from the charges and payments in the
    order they were recorded (for the check that the stored ledger is what the law gives)."""
    charges = Charge.objects.filter(taxpayer_id=taxpayer_id)
    payments = Payment.objects.filter(taxpayer_id=taxpayer_id,
                                      status=Payment.Status.ALLOCATED)
    events = [rules.Event(seq=c.posted_seq, charge=rules.Charge(
        id=c.pk, due_date=c.due_date, amount=c.amount, kind=c.kind, number=c.number))
        for c in charges]
    events += [rules.Event(seq=p.allocated_seq, payment=rules.Payment(
        id=p.pk, booked_on=p.booked_on, amount=p.amount, named_charge_id=p.named_charge_id))
        for p in payments]
    # crediting runs of the kept overpayment: one per event number (seq // 10000); its day is
    # the last day it credited on (the same as the run's ``upto`` for the rule, see rules)
    runs: dict[int, tuple[int, date]] = {}
    for e in LedgerEntry.objects.filter(taxpayer_id=taxpayer_id,
                                        kind=rules.OVERPAYMENT_CREDITED):
        run = runs.get(e.seq // 10000)
        runs[e.seq // 10000] = (e.payment_id, max(e.on_date, run[1]) if run else e.on_date)
    events += [rules.Event(seq=seq, credit=rules.Credit(payment_id, day))
               for seq, (payment_id, day) in runs.items()]
    last = max((p.booked_on for p in payments), default=timezone.localdate())
    return rules.replay(events, rule_params(last))


def stored_steps(taxpayer_id: int) -> list[rules.Step]:
    return [rules.Step(e.payment_id, e.charge_id, e.kind, e.amount, e.on_date)
            for e in LedgerEntry.objects.filter(taxpayer_id=taxpayer_id).order_by("seq", "id")]


# ---------------------------------------------------------------------------------------------
# Reminders (upomnienia) and enforcement


def issue_reminders(user: Any, municipality_id: int, on_date: date | None = None
                    ) -> list[Reminder]:
    """A reminder for every instalment overdue on ``on_date`` that has none yet, with its cost
    (the year's parameter) posted as a charge the next payment covers first (art. 55 § 2)."""
    on_date = on_date or timezone.localdate()
    cost = parameters_for(on_date.year).reminder_cost
    params = rule_params(on_date)
    with transaction.atomic():
        _lock(municipality_id)
        credit_overpayments(municipality_id, on_date)
        overdue = list(Charge.objects.filter(
            municipality_id=municipality_id, kind=Charge.Kind.INSTALMENT, due_date__lt=on_date,
            principal_open__gt=0, reminders__isnull=True).order_by("taxpayer_id", "due_date"))
        start = Reminder.objects.filter(municipality_id=municipality_id,
                                        issued_on__year=on_date.year).count()
        reminders = []
        for i, c in enumerate(overdue, start=start + 1):
            pos = rules.position([rules.Charge(id=c.pk, due_date=c.due_date, amount=c.amount,
                                               principal_open=c.principal_open,
                                               interest_open=c.interest_open,
                                               accrued_to=c.accrued_to)], ZERO, on_date, params)
            reminders.append(Reminder(
                municipality_id=municipality_id, taxpayer_id=c.taxpayer_id, charge=c,
                number=f"UP/{on_date.year}/{i}", issued_on=on_date, arrears=c.principal_open,
                interest=pos.interest, cost=cost,
                issued_by=user if getattr(user, "is_authenticated", False) else None))
        reminders = Reminder.objects.bulk_create(reminders)
        seqs = _next_seq(len(reminders)) if reminders else []
        Charge.objects.bulk_create([
            Charge(municipality_id=municipality_id, taxpayer_id=r.taxpayer_id,
                   kind=Charge.Kind.REMINDER_COST, tax_kind=r.charge.tax_kind,
                   year=on_date.year, number=0, due_date=on_date, amount=cost,
                   principal_open=cost, accrued_to=on_date, decision_number=r.number,
                   posted_seq=seq, reminder=r)
            for r, seq in zip(reminders, seqs, strict=True)])
        audit(user, AuditAction.CREATE, "payments.reminder", "",
              municipality_id=municipality_id,
              detail=Note(gettext_noop("reminders issued on %(day)s: %(count)s"), day=on_date,
                          count=len(reminders)))
    return reminders



def enforcement_cases(municipality_id: int, on_date: date | None = None) -> list[dict[str, Any]]:
    """Reminders delivered at least the year's number of days ago whose instalment is still
    unpaid: ripe for a writ of execution (tytuł wykonawczy, art. 15 § 1 u.p.e.a.)."""
    on_date = on_date or timezone.localdate()
    days = parameters_for(on_date.year).enforcement_after_days
    out = []
    rows = Reminder.objects.filter(
        municipality_id=municipality_id, delivered_on__isnull=False,
        charge__principal_open__gt=0).select_related("taxpayer", "charge").order_by(
        "delivered_on", "id")
    for r in rows:
        if (on_date - r.delivered_on).days >= days:
            out.append({"reminder": r, "taxpayer": r.taxpayer, "charge": r.charge,
                        "unpaid": r.charge.principal_open,
                        "days_since_delivery": (on_date - r.delivered_on).days})
    return out


def reminder_delivered(user: Any, reminder: Reminder, delivered_on: date,
                       version: int | None = None) -> Reminder:
    """Record the reminder's delivery; ``version`` is the one the officer's page showed (None:
    not checked, for the system's own calls)."""
    with transaction.atomic():
        locked = locked_update(Reminder.objects.filter(pk=reminder.pk),
                               reminder.version if version is None else version,
                               gone="the reminder no longer exists")
        if delivered_on < locked.issued_on:
            raise ValidationError("a reminder cannot be delivered before it was issued")
        before = snapshot(locked, ["delivered_on"])
        locked.delivered_on = delivered_on
        locked.bump()
        locked.save(update_fields=["delivered_on", "version"])
        audit_change(user, locked, before, snapshot(locked, ["delivered_on"]),
                     municipality_id=locked.municipality_id)
    return locked


def reminders_delivered(user: Any, reminders: Sequence[Reminder], delivered_on: date) -> int:
    """``reminder_delivered`` for many reminders of one municipality at once (the system's own
    call: no version check), in one UPDATE and one audit INSERT; how many were recorded."""
    if not reminders:
        return 0
    with transaction.atomic():
        locked = {r.pk: r for r in Reminder.objects.select_for_update().filter(
            pk__in=[r.pk for r in reminders])}
        rows = [locked[r.pk] for r in reminders if r.pk in locked]
        if any(delivered_on < r.issued_on for r in rows):
            raise ValidationError("a reminder cannot be delivered before it was issued")
        by_town: dict[int, list[AuditItem]] = {}
        for r in rows:
            before = snapshot(r, ["delivered_on"])
            r.delivered_on = delivered_on
            r.bump()
            moved_before, moved_after = changes(before, snapshot(r, ["delivered_on"]))
            by_town.setdefault(r.municipality_id, []).append(
                AuditItem(r.pk, before=moved_before, after=moved_after))
        Reminder.objects.bulk_update(rows, ["delivered_on", "version"], batch_size=2000)
        for municipality_id, items in by_town.items():
            audit_many(user, AuditAction.UPDATE,
                       getattr(Reminder, "audit_type", "") or Reminder._meta.label_lower,
                       items, municipality_id=municipality_id)
    return len(rows)
