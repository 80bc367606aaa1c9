"""Bank statements in: MT940 (the Polish banks' variant, ``mt-940`` package) and ISO 20022
camt.053 (lxml: line numbers for errors, any version's namespace; ``pycamt`` gives neither).

A statement is parsed whole before anything is stored: the first problem refuses it with the
line and the reason (:class:`StatementError`). Only credits in PLN are payments; debits and
reversals are counted and left out.

What the parser takes from each credit: the booking date, the amount, the payer's name and
account, the title, every 26-digit account number the transaction carries (the individual
account it was paid to is one of them: banks put it in different places — camt's creditor
account, an MT940 ``:86:`` sub-field, a statement per account in ``:25:``), the identifiers in
the title (tokens; an account number written in groups) and the instalment the payer named
("rata 2/2026", art. 62 § 1 o.p.).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import mt940
from lxml import etree

ACCOUNT_RE = re.compile(r"(?<!\d)(?:PL)?(\d{26})(?!\d)")
GROUPED_ACCOUNT_RE = re.compile(r"(?<!\d)(?:PL\s?)?(\d{2}(?:\s?\d{4}){6})(?!\d)")
NAMED_RE = re.compile(r"\bRATA\s*(?:NR\.?\s*)?(\d{1,2})\s*[/ -]\s*(20\d{2})\b", re.IGNORECASE)
TOKEN_SPLIT_RE = re.compile(r"[\s,;:()\"']+")
SUBFIELD_RE = re.compile(r"[~^<](\d{2})")
MAX_TITLE = 1000


class StatementError(ValueError):
    """A statement refused whole: ``line`` (1-based, 0 when unknown) and ``reason``."""

    def __init__(self, line: int, reason: str) -> None:
        self.line, self.reason = line, reason
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass
class Transaction:
    line: int
    booked_on: date
    amount: Decimal
    bank_ref: str = ""
    payer_name: str = ""
    payer_account: str = ""
    title: str = ""
    accounts: list[str] = field(default_factory=list)
    title_keys: list[str] = field(default_factory=list)
    named_number: int | None = None
    named_year: int | None = None

    def fingerprint(self, account: str, ordinal: int) -> str:
        """The same transaction gives the same fingerprint whichever statement brings it."""
        key = "|".join([account, self.booked_on.isoformat(), f"{self.amount:.2f}",
                        self.bank_ref, self.payer_account, self.title, str(ordinal)])
        return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class ParsedStatement:
    format: str
    account: str
    reference: str
    statement_date: date | None
    fingerprint: str
    transactions: list[Transaction]
    skipped: int = 0  # debits and reversals


def _nrb(text: str) -> str:
    """26 digits of a Polish account number ('' when it is not one)."""
    compact = re.sub(r"\s", "", text or "").upper()
    compact = compact[2:] if compact.startswith("PL") else compact
    return compact if len(compact) == 26 and compact.isdigit() else ""


def _title_info(title: str) -> tuple[list[str], int | None, int | None]:
    keys = [m.group(1).replace(" ", "") for m in GROUPED_ACCOUNT_RE.finditer(title)]
    keys += [t for t in TOKEN_SPLIT_RE.split(title.upper()) if len(t) >= 3]
    named = NAMED_RE.search(title)
    number, year = (int(named.group(1)), int(named.group(2))) if named else (None, None)
    return list(dict.fromkeys(keys)), number, year


@functools.lru_cache(maxsize=65536)
def _nrb_cached(text: str) -> str:
    return _nrb(text)


@functools.lru_cache(maxsize=65536)
def _title_info_cached(title: str) -> tuple[list[str], int | None, int | None]:
    """``_title_info`` once per distinct title (a statement repeats a few titles many times);
    callers must not change the list returned."""
    return _title_info(title)


def _fingerprint(data: bytes) -> str:
    normal = b"\n".join(line.rstrip() for line in data.replace(b"\r", b"").split(b"\n"))
    return hashlib.sha256(normal.strip()).hexdigest()


def parse(data: bytes) -> ParsedStatement:
    """MT940 or camt.053, told by the content."""
    head = data.lstrip()[:200]
    if head.startswith(b"<"):
        return parse_camt053(data)
    if b":20:" in data[:2000] or b":25:" in data[:2000]:
        return parse_mt940(data)
    raise StatementError(1, "neither an MT940 statement (no :20:/:25: tag) nor camt.053 XML")


# ---------------------------------------------------------------------------------------------
# MT940


def _decode(data: bytes) -> str:
    for encoding in ("utf-8", "cp1250"):  # Polish banks still send Windows-1250
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementError(0, "not text in UTF-8 or Windows-1250")


def _subfields(details: str) -> dict[str, str]:
    out: dict[str, str] = {}
    marks = list(SUBFIELD_RE.finditer(details))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(details)
        value = details[m.end():end].replace("\n", "")
        out[m.group(1)] = out.get(m.group(1), "") + value
    return out


def parse_mt940(data: bytes) -> ParsedStatement:
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    tag_lines = [i + 1 for i, line in enumerate(lines) if line.startswith(":61:")]
    logging.getLogger("mt940").setLevel(logging.ERROR)
    parsed = mt940.models.Transactions()
    try:
        parsed.parse(text)
    except Exception as exc:  # the library raises RuntimeError/ValueError with the value
        value = exc.args[2] if len(exc.args) > 2 and isinstance(exc.args[2], str) else ""
        line = next((i + 1 for i, row in enumerate(lines) if value and value[:20] in row), 0)
        raise StatementError(line, f"malformed MT940 field: {value or exc}") from exc
    account = str(parsed.data.get("account_identification") or "").lstrip("/")
    if not account:
        first = next((i + 1 for i, row in enumerate(lines) if row.strip()), 1)
        raise StatementError(first, "no account (:25:) in the statement")
    reference = str(parsed.data.get("transaction_reference") or "")
    number = parsed.data.get("statement_number")
    if number:
        reference = f"{reference}/{number}"
    if len(parsed) != len(tag_lines):
        raise StatementError(0, f"{len(tag_lines)} :61: lines but {len(parsed)} transactions "
                                "read")
    own = _nrb(account)
    out: list[Transaction] = []
    skipped = 0
    last_date = None
    for tx, line in zip(parsed, tag_lines, strict=True):
        d = tx.data
        status = d.get("status")
        amount = d.get("amount")
        if status not in ("C", "D", "RC", "RD") or amount is None:
            raise StatementError(line, "a :61: line without a debit/credit mark or amount")
        currency = getattr(amount, "currency", None) or d.get("currency")
        if currency and currency != "PLN":
            raise StatementError(line, f"currency {currency}: only PLN statements are taken")
        booked = d.get("entry_date") or d.get("date")
        if booked is None:
            raise StatementError(line, "no booking date")
        booked_on = date(booked.year, booked.month, booked.day)
        last_date = booked_on
        if status != "C":
            skipped += 1
            continue
        value = abs(Decimal(amount.amount))
        if value <= 0:
            raise StatementError(line, "a credit of 0.00")
        details = d.get("transaction_details") or ""
        sub = _subfields(details)
        if sub:
            title = "".join(sub.get(k, "") for k in ("20", "21", "22", "23", "24", "25", "26"))
            name = " ".join(filter(None, (sub.get(k, "").strip() for k in ("32", "33"))))
            name = name or " ".join(filter(None, (sub.get(k, "").strip()
                                                  for k in ("27", "28", "29"))))
            payer = _nrb(sub.get("38", "")) or _nrb(sub.get("30", "") + sub.get("31", ""))
        else:
            title, name, payer = details.replace("\n", " "), "", ""
        title = title.strip()[:MAX_TITLE]
        values = list(sub.values()) if sub else [details.replace("\n", "")]
        accounts = list(dict.fromkeys(
            [m.group(1) for v in values for m in ACCOUNT_RE.finditer(v.replace(" ", ""))]
            + ([own] if own else [])))
        keys, named_number, named_year = _title_info(title)
        out.append(Transaction(
            line=line, booked_on=booked_on, amount=value,
            bank_ref=str(d.get("bank_reference") or d.get("customer_reference") or ""),
            payer_name=name[:300], payer_account=payer, title=title, accounts=accounts,
            title_keys=keys, named_number=named_number, named_year=named_year))
    return ParsedStatement(format="mt940", account=own or account, reference=reference,
                           statement_date=last_date, fingerprint=_fingerprint(data),
                           transactions=out, skipped=skipped)


# ---------------------------------------------------------------------------------------------
# camt.053


class _Camt:
    """Element look-ups in the document's namespace (lxml's C path search: fast)."""

    def __init__(self, namespace: str) -> None:
        self.ns = "{" + namespace + "}"
        self.paths: dict[tuple[str, ...], str] = {}

    def _path(self, path: tuple[str, ...]) -> str:
        found = self.paths.get(path)
        if found is None:
            found = self.paths[path] = "/".join(self.ns + p for p in path)
        return found

    def child(self, el: etree._Element | None, *path: str) -> etree._Element | None:
        return None if el is None else el.find(self._path(path))

    def text(self, el: etree._Element | None, *path: str) -> str:
        if el is None:
            return ""
        found = el.findtext(self._path(path))
        return found.strip() if found else ""

    def children(self, el: etree._Element | None, name: str) -> list[etree._Element]:
        return [] if el is None else el.findall(self.ns + name)

    def account(self, el: etree._Element | None) -> str:
        return _nrb(self.text(el, "Id", "IBAN")) or _nrb(self.text(el, "Id", "Othr", "Id"))


def _camt_date(x: _Camt, el: etree._Element | None, line: int, what: str) -> date:
    raw = x.text(el, "Dt") or x.text(el, "DtTm")[:10]
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise StatementError(line, f"{what}: not a date ({raw!r})") from None


def parse_camt053(data: bytes) -> ParsedStatement:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise StatementError(exc.lineno or 0, f"not well-formed XML: {exc.msg}") from None
    if not etree.QName(root).namespace or "camt.053" not in etree.QName(root).namespace:
        raise StatementError(root.sourceline or 1, "not an ISO 20022 camt.053 document "
                                                   f"(namespace {etree.QName(root).namespace})")
    x = _Camt(etree.QName(root).namespace)
    stmts = x.children(x.child(root, "BkToCstmrStmt"), "Stmt")
    if len(stmts) != 1:
        raise StatementError(root.sourceline or 1,
                             f"{len(stmts)} <Stmt> elements: one statement per file expected")
    stmt = stmts[0]
    account = x.account(x.child(stmt, "Acct"))
    if not account:
        raise StatementError(stmt.sourceline, "no account IBAN in <Acct>")
    reference = x.text(stmt, "Id") or x.text(stmt, "ElctrncSeqNb")
    if not reference:
        raise StatementError(stmt.sourceline, "no statement <Id>")
    created = x.text(stmt, "CreDtTm")[:10]
    out: list[Transaction] = []
    skipped = 0
    # The paths below, made once per document (lxml's C search; no per-entry string work).
    p = x._path
    amt_p, ind_p, rvsl_p = p(("Amt",)), p(("CdtDbtInd",)), p(("RvslInd",))
    bk_dt_p, bk_dttm_p = p(("BookgDt", "Dt")), p(("BookgDt", "DtTm"))
    ref_e_p = p(("AcctSvcrRef",))
    tx_p = p(("NtryDtls", "TxDtls"))
    txamt_p = p(("AmtDtls", "TxAmt", "Amt"))
    ref_tx_p, e2e_p = p(("Refs", "AcctSvcrRef")), p(("Refs", "EndToEndId"))
    parties_p = p(("RltdPties",))
    nm_p, pty_nm_p = p(("Dbtr", "Nm")), p(("Dbtr", "Pty", "Nm"))
    dbtr_p, cdtr_p = p(("DbtrAcct",)), p(("CdtrAcct",))
    iban_p, othr_p = p(("Id", "IBAN")), p(("Id", "Othr", "Id"))
    ustrd_p = p(("RmtInf", "Ustrd"))

    def acct(el: etree._Element | None) -> str:
        if el is None:
            return ""
        return _nrb_cached(el.findtext(iban_p) or "") or _nrb_cached(el.findtext(othr_p) or "")

    def txt(el: etree._Element | None, path: str) -> str:
        if el is None:
            return ""
        found = el.findtext(path)
        return found.strip() if found else ""

    dates: dict[str, date] = {}
    for entry in stmt.iterchildren(x.ns + "Ntry"):
        line = entry.sourceline or 0
        amt = entry.find(amt_p)
        if amt is None:
            raise StatementError(line, "an entry without <Amt>")
        if amt.get("Ccy") != "PLN":
            raise StatementError(amt.sourceline, f"currency {amt.get('Ccy')}: only PLN "
                                                 "statements are taken")
        indicator = txt(entry, ind_p)
        if indicator not in ("CRDT", "DBIT"):
            raise StatementError(line, f"credit/debit indicator {indicator!r}")
        raw_day = txt(entry, bk_dt_p) or txt(entry, bk_dttm_p)[:10]
        booked_on = dates.get(raw_day)
        if booked_on is None:
            try:
                booked_on = dates[raw_day] = date.fromisoformat(raw_day)
            except ValueError:
                raise StatementError(line, f"booking date: not a date ({raw_day!r})") from None
        if indicator != "CRDT" or txt(entry, rvsl_p).lower() == "true":
            skipped += 1
            continue
        for tx in entry.findall(tx_p) or [None]:
            amount_el = tx.find(txamt_p) if tx is not None else None
            if amount_el is None:
                tx_amt = tx.find(amt_p) if tx is not None else None
                amount_el = tx_amt if tx_amt is not None else amt
            try:
                value = Decimal((amount_el.text or "").strip())
            except InvalidOperation:
                raise StatementError(amount_el.sourceline, "amount is not a number") from None
            if value <= 0 or value.as_tuple().exponent < -2:
                raise StatementError(amount_el.sourceline, f"amount {value}: a positive "
                                                           "amount in grosze expected")
            if tx is None:
                out.append(Transaction(
                    line=line, booked_on=booked_on, amount=value, bank_ref=txt(entry, ref_e_p),
                    accounts=[account]))
                continue
            parties = tx.find(parties_p)
            title = " ".join(t.text.strip() for t in tx.iterfind(ustrd_p)
                             if t.text)[:MAX_TITLE]
            creditor = acct(parties.find(cdtr_p)) if parties is not None else ""
            keys, named_number, named_year = _title_info_cached(title)
            out.append(Transaction(
                line=tx.sourceline or line, booked_on=booked_on, amount=value,
                bank_ref=txt(tx, ref_tx_p) or txt(entry, ref_e_p) or txt(tx, e2e_p),
                payer_name=(txt(parties, nm_p) or txt(parties, pty_nm_p))[:300],
                payer_account=acct(parties.find(dbtr_p)) if parties is not None else "",
                title=title,
                accounts=[creditor, account] if creditor and creditor != account
                else [account],
                title_keys=keys, named_number=named_number, named_year=named_year))
    statement_date = None
    if created:
        try:
            statement_date = date.fromisoformat(created)
        except ValueError:
            raise StatementError(stmt.sourceline, f"creation date {created!r}") from None
    return ParsedStatement(format="camt053", account=account, reference=reference,
                           statement_date=statement_date, fingerprint=_fingerprint(data),
                           transactions=out, skipped=skipped)
