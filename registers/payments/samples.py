"""Statements the project writes itself (demo town, tests, benchmark): MT940 in the Polish
banks' variant (``:86:`` with ``~`` sub-fields) and camt.053.001.02."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Credit:
    booked_on: date
    amount: Decimal
    to_account: str  # the individual account (26 digits) or the collection account
    title: str = "Podatek od nieruchomości"
    payer_name: str = "Jan Kowalski"
    payer_account: str = "61109010140000071219812874"
    ref: str = ""


def _mt_amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def mt940(account: str, reference: str, credits: Iterable[Credit], number: int = 1) -> bytes:
    credits = list(credits)
    first = credits[0].booked_on if credits else date.today()
    out = [f":20:{reference}", f":25:/PL{account}", f":28C:{number}/1",
           f":60F:C{first:%y%m%d}PLN0,00"]
    total = Decimal("0")
    for i, c in enumerate(credits):
        total += c.amount
        ref = c.ref or f"{i + 1:010d}"
        title = c.title[:35 * 6]
        parts = [title[k:k + 35] for k in range(0, len(title), 35)] or [""]
        subs = "".join(f"~{20 + k}{p}" for k, p in enumerate(parts))
        out.append(f":61:{c.booked_on:%y%m%d}{c.booked_on:%m%d}CN{_mt_amount(c.amount)}"
                   f"NTRFNONREF//{ref}")
        out.append(f":86:020~00IBCG{subs}~3010901014~31{c.payer_account[10:]}"
                   f"~32{c.payer_name[:35]}~38PL{c.payer_account}~60{c.to_account}")
    last = credits[-1].booked_on if credits else first
    out.append(f":62F:C{last:%y%m%d}PLN{_mt_amount(total)}")
    return ("\r\n".join(out) + "\r\n-").encode("utf-8")


def camt053(account: str, reference: str, credits: Iterable[Credit],
            created: date | None = None) -> bytes:
    credits = list(credits)
    created = created or (credits[-1].booked_on if credits else date.today())
    entries = []
    for i, c in enumerate(credits):
        ref = c.ref or f"{reference}-{i + 1}"
        entries.append(
            f"<Ntry><Amt Ccy=\"PLN\">{c.amount:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
            f"<Sts>BOOK</Sts><BookgDt><Dt>{c.booked_on.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{c.booked_on.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(ref)}</AcctSvcrRef><NtryDtls><TxDtls>"
            f"<Refs><AcctSvcrRef>{escape(ref)}</AcctSvcrRef></Refs>"
            f"<RltdPties><Dbtr><Nm>{escape(c.payer_name)}</Nm></Dbtr>"
            f"<DbtrAcct><Id><IBAN>PL{c.payer_account}</IBAN></Id></DbtrAcct>"
            f"<CdtrAcct><Id><IBAN>PL{c.to_account}</IBAN></Id></CdtrAcct></RltdPties>"
            f"<RmtInf><Ustrd>{escape(c.title)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n'
        f"<BkToCstmrStmt><GrpHdr><MsgId>{escape(reference)}</MsgId>"
        f"<CreDtTm>{created.isoformat()}T18:00:00</CreDtTm></GrpHdr>\n"
        f"<Stmt><Id>{escape(reference)}</Id><CreDtTm>{created.isoformat()}T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>PL{account}</IBAN></Id><Ccy>PLN</Ccy></Acct>\n"
        + "".join(entries) + "</Stmt></BkToCstmrStmt></Document>\n").encode("utf-8")
