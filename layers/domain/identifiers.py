"""Cadastral identifiers (Dz.U. 2021 poz. 1390, Zał. 5).

A parcel id is ``WWPPGG_R.OOOO.NDZ`` or, where parcels are numbered per map sheet,
``WWPPGG_R.OOOO.AR_n.NDZ``. The parcel number may contain ``/`` and (in old data) dots, so the id
is split on its first two dots only, then a leading ``AR_n.`` sheet is peeled off the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ASCII only: ``\d`` would also match other scripts' digits, and ``$`` a trailing newline
UNIT_RE = re.compile(r"^(?P<woj>\d{2})(?P<pow>\d{2})(?P<gmi>\d{2})_(?P<kind>\d)\Z", re.ASCII)
PRECINCT_RE = re.compile(r"^\d{4}\Z", re.ASCII)
SHEET_RE = re.compile(r"^(?P<sheet>AR_\d+)\.(?P<rest>.+)\Z", re.IGNORECASE | re.ASCII | re.DOTALL)
NUMBER_RE = re.compile(r"^[0-9A-Za-z]+(?:/[0-9A-Za-z]+)*\Z")

UNIT_KINDS = {
    "1": "urban municipality",
    "2": "rural municipality",
    "3": "urban-rural municipality",
    "4": "town in an urban-rural municipality",
    "5": "rural area of an urban-rural municipality",
    "8": "district of Warsaw",
    "9": "delegation of a city",
}


class IdentifierError(ValueError):
    """An identifier that does not follow Zał. 5; the message names the faulty part."""


@dataclass(frozen=True)
class ParcelId:
    unit: str  # WWPPGG_R, the cadastral unit (jednostka ewidencyjna)
    precinct: str  # OOOO, the precinct (obręb) number within the unit
    number: str  # NDZ, e.g. "161/8"
    sheet: str | None = None  # "AR_5" when parcels are numbered per map sheet

    @property
    def precinct_id(self) -> str:
        return f"{self.unit}.{self.precinct}"

    @property
    def municipality_teryt(self) -> str:
        return self.unit

    def __str__(self) -> str:
        middle = f"{self.sheet}." if self.sheet else ""
        return f"{self.unit}.{self.precinct}.{middle}{self.number}"


def parse_unit(text: str) -> str:
    text = text.strip()
    if not UNIT_RE.match(text):
        raise IdentifierError(
            f"{text!r} is not a cadastral unit id WWPPGG_R (six digits, '_', one digit)"
        )
    if text[-1] not in UNIT_KINDS:
        raise IdentifierError(f"{text!r}: unit kind {text[-1]!r} is not one of 1–5, 8, 9")
    return text


def parse_parcel_id(text: str) -> ParcelId:
    """Parse a full parcel id; raises IdentifierError saying which part is wrong."""
    raw = text.strip()
    parts = raw.split(".", 2)
    if len(parts) != 3:
        raise IdentifierError(
            f"{raw!r} is not a parcel id: expected WWPPGG_R.OOOO.NUMBER (two dots at least)"
        )
    unit, precinct, rest = parts
    parse_unit(unit)
    if not PRECINCT_RE.match(precinct):
        raise IdentifierError(f"{raw!r}: precinct {precinct!r} must be four digits")
    sheet = None
    m = SHEET_RE.match(rest)
    if m:
        sheet = m.group("sheet").upper()
        rest = m.group("rest")
    if not rest or not NUMBER_RE.match(rest.replace(".", "/")):
        raise IdentifierError(f"{raw!r}: parcel number {rest!r} is empty or malformed")
    return ParcelId(unit=unit, precinct=precinct, number=rest, sheet=sheet)


def split_building_id(text: str) -> tuple[str, str]:
    """Split ``…_BUD`` ids of both styles into (precinct id, local part)."""
    raw = text.strip()
    if not raw.endswith("_BUD"):
        raise IdentifierError(f"{raw!r} is not a building id (must end in _BUD)")
    unit, precinct, rest = ([*raw[:-len("_BUD")].split(".", 2), "", ""])[:3]
    parse_unit(unit)
    if not PRECINCT_RE.match(precinct) or not rest:
        raise IdentifierError(f"{raw!r}: expected WWPPGG_R.OOOO.NR_BUD")
    return f"{unit}.{precinct}", rest


KW_RE = re.compile(r"^[A-Z]{2}[1-9][A-Z]/\d{8}/\d$")


def normalize_kw(text: str) -> str:
    """Upper-case, strip spaces: ``kr1k/00012345/6`` → ``KR1K/00012345/6``."""
    return re.sub(r"\s+", "", text).upper()


# --- Land and mortgage register (księga wieczysta) numbers -------------------------------------
# ``KKKK/NNNNNNNN/C``: the court's code, the register's number, a control digit. The control
# digit is the sum of the twelve characters' values (digits as themselves, X 10, then A…Z
# without Q, V and X from 11) weighted 1, 3, 7, 1, 3, 7, … modulo 10 (rozporządzenie MS
# w sprawie zakładania i prowadzenia ksiąg wieczystych w systemie teleinformatycznym).
KW_VALUES = {c: v for v, c in enumerate("0123456789X")} | {
    c: 11 + i for i, c in enumerate("ABCDEFGHIJKLMNOPRSTUWYZ")}


def kw_check_digit(court: str, number: str) -> int:
    """The control digit of the register ``court``/``number`` (``KS1J``, ``00012345``)."""
    body = (court + number).upper()
    if len(body) != 12 or any(ch not in KW_VALUES for ch in body):
        raise IdentifierError(f"{court}/{number}: not a court code and an 8-digit number")
    return sum(KW_VALUES[ch] * (1, 3, 7)[i % 3] for i, ch in enumerate(body)) % 10


def kw_problem(text: str) -> str | None:
    """None when ``text`` is a well-formed KW number with the right control digit, otherwise
    the problem's code: ``format`` or ``check_digit``."""
    kw = normalize_kw(text)
    if not KW_RE.match(kw):
        return "format"
    court, number, digit = kw.split("/")
    return None if kw_check_digit(court, number) == int(digit) else "check_digit"


# --- Tax and statistical identifiers (python-stdnum) --------------------------------------------

def tax_id_kind(text: str) -> str | None:
    """Which identifier ``text`` is, by its check digits: ``nip``, ``regon`` (9 or 14 digits),
    ``pesel``, or None when it is none of them (wrong length or a failing check digit)."""
    from stdnum.pl import nip, pesel, regon

    compact = re.sub(r"[\s-]", "", text)
    if not compact.isascii() or not compact.isdigit():
        return None
    if len(compact) == 10 and nip.is_valid(compact):
        return "nip"
    if len(compact) in (9, 14) and regon.is_valid(compact):
        return "regon"
    if len(compact) == 11 and pesel.is_valid(compact):
        return "pesel"
    return None
