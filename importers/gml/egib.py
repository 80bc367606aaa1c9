"""The EGiB field mapping, as data: per feature type, a table of (attribute, how it is read)
and the few checks its objects need.

``importers.gml.reader`` scans an element's children once (``Scan``: text values, units, land
uses) and then builds the record's attributes by running down ``EGIB_MAPPINGS[ftype].fields``;
the order of the fields is the order of the staged attributes (a file without version ids is
versioned by the hash of that JSON, so the order is kept stable). A getter receives the scan
and the attributes read so far (``search_text`` is made of the name read just before).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from layers.domain.identifiers import (
    NUMBER_RE,
    PRECINCT_RE,
    SHEET_RE,
    IdentifierError,
    parse_parcel_id,
    parse_unit,
    split_building_id,
)
from layers.domain.text import normalize_text

Values = dict[str, list[str]]

EGIB_TYPES = {
    "EGB_DzialkaEwidencyjna": "parcel",
    "EGB_Budynek": "building",
    "EGB_KonturUzytkuGruntowego": "landuse",
    "EGB_KonturKlasyfikacyjny": "landuse",
    "EGB_ObrebEwidencyjny": "precinct",
    "EGB_AdresNieruchomosci": "address",
    "EGB_JednostkaRejestrowaGruntow": "regunit",
    "EGB_JednostkaRejestrowaBudynkow": "regunit",
    "EGB_JednostkaRejestrowaLokali": "regunit",
    "EGB_OsobaFizyczna": "subject",
    "EGB_Instytucja": "subject",
    "EGB_Malzenstwo": "subject",
    "EGB_PodmiotGrupowy": "subject",
    "EGB_WspolnotaGruntowa": "subject",
    "EGB_UdzialWeWlasnosci": "share",
    "EGB_UdzialWeWladaniu": "share",
}
REGUNIT_KIND = {"EGB_JednostkaRejestrowaGruntow": "G", "EGB_JednostkaRejestrowaBudynkow": "B",
                 "EGB_JednostkaRejestrowaLokali": "L"}
SUBJECT_KIND = {"EGB_OsobaFizyczna": "person", "EGB_Instytucja": "institution",
                 "EGB_Malzenstwo": "marriage", "EGB_PodmiotGrupowy": "group",
                 "EGB_WspolnotaGruntowa": "community"}
KST_2015 = {"101": "p", "102": "t", "103": "h", "104": "s", "105": "b", "106": "z", "107": "k",
            "108": "g", "109": "i", "110": "m"}
KST_LETTERS = frozenset("mgtkzbhpsi")

def decimal_text(text: str | None, factor: int = 1) -> str | None:
    """A decimal (comma or point) times ``factor``, as text; None when it is not one."""
    if text is None:
        return None
    try:
        return str(Decimal(text.strip().replace(",", ".")) * factor)
    except InvalidOperation:
        return None


def integer(text: str | None) -> int | None:
    """An integer (a decimal is truncated); None when it is not a number."""
    if text is None:
        return None
    try:
        return int(Decimal(text.strip()))
    except (InvalidOperation, ValueError):
        return None


def area_m2(values: Values, uoms: dict[str, str], *names: str) -> str | None:
    """The first of ``names`` present, in m² (its ``uom``: m², a or ha; m² when absent)."""
    for name in names:
        if name in values:
            uom = (uoms.get(name) or "m2").lower()
            factor = 10_000 if uom in ("ha", "hektar") else 100 if uom in ("a", "ar") else 1
            return decimal_text(values[name][0], factor)
    return None


# Fast paths of the checks below (one match per object on the hot path): each accepts only
# identifiers that ``layers.domain.identifiers`` accepts too; whatever they do not match is
# decided, and explained, by the domain's parser.
_NUMBER = r"[0-9A-Za-z]+(?:[/.][0-9A-Za-z]+)*"
_OK_PARCEL_ID = re.compile(rf"[0-9]{{6}}_[1-589]\.[0-9]{{4}}\.(?:[Aa][Rr]_[0-9]+\.)?{_NUMBER}\Z")
_OK_BUILDING_ID = re.compile(
    rf"[0-9]{{6}}_[1-589]\.[0-9]{{4}}\.(?:[Aa][Rr]_[0-9]+\.)?{_NUMBER}_BUD\Z")


def parcel_id_problem(text: str) -> str | None:
    """Why ``text`` is not an EGiB parcel id (WWPPGG_R.OOOO[.AR_n].NUMBER), or None."""
    if _OK_PARCEL_ID.match(text):
        return None
    try:
        parse_parcel_id(text)
    except IdentifierError as exc:
        return f"{text!r} is not an EGiB parcel id WWPPGG_R.OOOO.NUMBER: {exc}"
    return None


def building_id_problem(text: str) -> str | None:
    """Why ``text`` is not an EGiB building id (WWPPGG_R.OOOO.[AR_n.]NUMBER.NR_BUD or
    WWPPGG_R.OOOO.NR_BUD), or None."""
    if _OK_BUILDING_ID.match(text):
        return None
    try:
        _precinct, rest = split_building_id(text)
        m = SHEET_RE.match(rest)
        if m:
            rest = m.group("rest")
        if not NUMBER_RE.match(rest.replace(".", "/")):
            raise IdentifierError(f"building number part {rest!r} is malformed")
    except IdentifierError as exc:
        return f"{text!r} is not an EGiB building id WWPPGG_R.OOOO.NUMBER_BUD: {exc}"
    return None


def precinct_id_problem(text: str) -> str | None:
    """Why ``text`` is not an EGiB precinct id (WWPPGG_R.OOOO), or None."""
    unit, _dot, number = text.strip().partition(".")
    try:
        parse_unit(unit)
        if not PRECINCT_RE.match(number):
            raise IdentifierError(f"precinct number {number!r} must be four digits")
    except IdentifierError as exc:
        return f"{text!r} is not an EGiB precinct id WWPPGG_R.OOOO: {exc}"
    return None


# the text elements an owner's record may carry besides its name (not reported as unknown)
SUBJECT_NAME_TAGS = {
    "person": ("pierwszyCzlonNazwiska", "drugiCzlonNazwiska", "pierwszeImie", "drugieImie"),
    "institution": ("nazwaPelna", "nazwaSkrocona", "nazwa"),
    "community": ("nazwaPelna", "nazwaSkrocona", "nazwa"),
}
SUBJECT_OTHER_TAGS = frozenset({
    "startObiekt", "startWersjaObiekt", "koniecWersjaObiekt", "koniecObiekt", "pesel", "regon",
    "status", "imieOjca", "imieMatki", "plec", "obywatelstwo", "numerKRS", "NIP", "nip",
    "informacjaOSmierci", "dataUrodzenia", "rodzajPodmiotu", "adresZameldowania", "nazwisko2",
    "oznaczenieDokumentu", "uwagi", "dataZgonu"})


@dataclass(slots=True)
class Scan:
    """What one pass over a feature's children found (``Reader._scan``)."""

    name: str  # the element's local name, e.g. EGB_DzialkaEwidencyjna
    values: Values  # element name → its non-empty texts, in file order
    uoms: dict[str, str]  # element name → its uom attribute
    land_uses: list[dict[str, str]]  # the parcel's klasoużytki

    def first(self, *tags: str) -> str | None:
        values = self.values
        for tag in tags:
            found = values.get(tag)
            if found:
                return found[0]
        return None


Getter = Callable[[Scan, dict[str, Any]], Any]
Check = Callable[[Scan, dict[str, Any], list[str], Callable[[str], bytes] | None], None]


# ---- getters -----------------------------------------------------------------------------------
def text(*tags: str) -> Getter:
    """The first text of the first of ``tags`` present, else None."""
    if len(tags) == 1:
        tag = tags[0]

        def one(scan: Scan, _attrs: dict[str, Any]) -> str | None:
            found = scan.values.get(tag)
            return found[0] if found else None
        return one
    return lambda scan, _attrs: scan.first(*tags)


def text_or_empty(*tags: str) -> Getter:
    """The first text of the first of ``tags`` present, else ""."""
    if len(tags) == 1:
        tag = tags[0]

        def one(scan: Scan, _attrs: dict[str, Any]) -> str:
            found = scan.values.get(tag)
            return found[0] if found else ""
        return one
    return lambda scan, _attrs: scan.first(*tags) or ""


def number(*tags: str) -> Getter:
    """The first of ``tags`` present as an integer, else None."""
    if len(tags) == 1:
        tag = tags[0]

        def one(scan: Scan, _attrs: dict[str, Any]) -> int | None:
            found = scan.values.get(tag)
            return integer(found[0]) if found else None
        return one
    return lambda scan, _attrs: integer(scan.first(*tags))


def area(*tags: str) -> Getter:
    return lambda scan, _attrs: area_m2(scan.values, scan.uoms, *tags)


def texts(*tags: str) -> Getter:
    """Every text of every one of ``tags``, in the order of ``tags``."""
    return lambda scan, _attrs: [v for tag in tags for v in scan.values.get(tag, ())]


def by_name(kinds: dict[str, str]) -> Getter:
    """A value told by the element's own name (``EGB_JednostkaRejestrowaGruntow`` → G)."""
    return lambda scan, _attrs: kinds[scan.name]


def _land_uses(scan: Scan, _attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"ofu": lu.get("OFU", ""), "ozu": lu.get("OZU", ""), "ozk": lu.get("OZK", ""),
             "area_m2": area_m2({"p": [lu["powierzchnia"]]}, {"p": lu.get("_uom", "ha")}, "p")
             if lu.get("powierzchnia") else None}
            for lu in scan.land_uses]


def _kst(scan: Scan, _attrs: dict[str, Any]) -> str:
    raw = scan.first("rodzajWgKST") or ""
    return KST_2015.get(raw, raw if raw in KST_LETTERS else "")


def _kst_source(scan: Scan, _attrs: dict[str, Any]) -> str:
    return (scan.first("rodzajWgKST") or "")[:8]


def _address_search(_scan: Scan, attrs: dict[str, Any]) -> str:
    return normalize_text(f"{attrs['street']} {attrs['house_number']} {attrs['locality']}")


def _subject_name(scan: Scan, attrs: dict[str, Any]) -> str:
    kind = attrs["kind"]
    if kind == "person":
        surname = "-".join(v for v in (scan.first("pierwszyCzlonNazwiska"),
                                       scan.first("drugiCzlonNazwiska")) if v)
        given = " ".join(v for v in (scan.first("pierwszeImie"), scan.first("drugieImie")) if v)
        return f"{surname} {given}".strip()
    if kind in ("institution", "community"):
        return scan.first("nazwaPelna", "nazwaSkrocona", "nazwa") or ""
    return ""


# ---- checks beyond the identifier and the geometry ---------------------------------------------
def _check_subject(scan: Scan, attrs: dict[str, Any], problems: list[str],
                   encrypt: Callable[[str], bytes] | None) -> None:
    kind = attrs["kind"]
    if not attrs["name"] and kind in SUBJECT_NAME_TAGS:
        # a warning, not a rejection: the owner is left out (its shares keep the reference as
        # an unresolved link), never stored without a name
        known = SUBJECT_NAME_TAGS[kind]
        unknown = sorted(set(scan.values) - set(known) - SUBJECT_OTHER_TAGS)
        attrs["warning"] = True
        problems.append(
            f"owner ({scan.name}) with no name in the tags the reader knows "
            f"({', '.join(known)}); tags it does not know: "
            f"{', '.join(unknown) or 'none'}; not stored")
    pesel = scan.first("pesel")
    if pesel and encrypt is not None:
        attrs["pesel_enc"] = encrypt(pesel).decode("ascii")


def _check_share(_scan: Scan, attrs: dict[str, Any], problems: list[str],
                 _encrypt: Callable[[str], bytes] | None) -> None:
    if attrs["denominator"] == 0:
        problems.append("share with denominator 0")


@dataclass(frozen=True)
class Mapping:
    """How one EGiB feature type becomes a record.

    ``id_attr``: the attribute holding the object's EGiB identifier (counted for the file's
    municipality; ``id_missing`` is the problem when it is absent, ``id_problem`` says why it
    is malformed, reported after ``id_tag``). ``geometry``: the property holding it, read as a
    point when ``point``; ``geometry_missing``: the problem when there is none (None: optional);
    ``geometry_error``: whether an unreadable optional geometry is a problem."""

    fields: tuple[tuple[str, Getter], ...]
    id_attr: str | None = None
    id_tag: str = ""
    id_missing: str | None = None
    id_problem: Callable[[str], str | None] | None = None
    geometry: str | None = None
    point: bool = False
    geometry_missing: str | None = None
    geometry_error: bool = False
    check: Check | None = None


KW = texts("numerKW", "numerElektronicznejKW")
EGIB_MAPPINGS: dict[str, Mapping] = {
    "parcel": Mapping(
        (("cadastral_id", text("idDzialki")),
         ("legal_area_m2", area("poleEwidencyjne", "powierzchniaEwidencyjna")),
         ("kw", KW),
         ("land_uses", _land_uses)),
        id_attr="cadastral_id", id_tag="idDzialki", id_missing="parcel without idDzialki",
        id_problem=parcel_id_problem,
        geometry="geometria", geometry_missing="parcel without geometry"),
    "building": Mapping(
        (("building_id", text("idBudynku")),
         ("kind", _kst),
         ("kind_source", _kst_source),
         ("storeys_above", number("liczbaKondygnacjiNadziemnych")),
         ("storeys_below", number("liczbaKondygnacjiPodziemnych")),
         ("built_up_area_m2", area("powZabudowy")),
         ("usable_area_separate_m2", area("lacznaPowUzytkowaLokaliWyodrebnionych")),
         ("usable_area_other_m2", area("lacznaPowUzytkowaLokaliNiewyodrebnionych",
                                       "lacznaPowUzytkLokaliNiewyodrebnionych")),
         ("usable_area_ancillary_m2", area("lacznaPowUzytkowaPomieszczenPrzynaleznych")),
         ("kw", KW)),
        id_attr="building_id", id_tag="idBudynku", id_missing="building without idBudynku",
        id_problem=building_id_problem,
        geometry="geometria", geometry_error=True),
    "landuse": Mapping(
        (("kind", by_name({"EGB_KonturUzytkuGruntowego": "use",
                           "EGB_KonturKlasyfikacyjny": "class"})),
         ("contour_id", text_or_empty("idUzytku", "idKonturu")),
         ("ofu", text_or_empty("OFU")),
         ("ozu", text_or_empty("OZU")),
         ("ozk", text_or_empty("OZK"))),
        id_attr="contour_id",
        geometry="geometria", geometry_missing="contour without geometry"),
    "precinct": Mapping(
        (("teryt", text("idObrebu")),
         ("name", text_or_empty("nazwaWlasna"))),
        id_attr="teryt", id_tag="idObrebu", id_missing="precinct without idObrebu",
        id_problem=precinct_id_problem,
        geometry="geometria"),
    "address": Mapping(
        (("locality", text_or_empty("nazwaMiejscowosci")),
         ("locality_simc", text_or_empty("idMiejscowosci")),
         ("street", text_or_empty("nazwaUlicy")),
         ("street_ulic", text_or_empty("idNazwyUlicy")),
         ("house_number", text_or_empty("numerPorzadkowy")),
         ("flat_number", text_or_empty("numerLokalu")),
         ("search_text", _address_search)),
        geometry="geometria", point=True),
    "regunit": Mapping(
        (("unit_id", text_or_empty("idJednostkiRejestrowej")),
         ("kind", by_name(REGUNIT_KIND)),
         ("group", number("grupaRejestrowa"))),
        id_attr="unit_id",
        id_missing="registration unit without idJednostkiRejestrowej"),
    "subject": Mapping(
        (("kind", by_name(SUBJECT_KIND)),
         ("name", _subject_name),
         ("search_text", lambda _scan, attrs: normalize_text(attrs["name"])),
         ("regon", text_or_empty("regon")),
         ("status", number("status"))),
        check=_check_subject),
    "share": Mapping(
        (("kind", by_name({"EGB_UdzialWeWlasnosci": "ownership",
                           "EGB_UdzialWeWladaniu": "possession"})),
         ("right", number("rodzajPrawa", "rodzajWladania")),
         ("numerator", number("licznikUlamkaOkreslajacegoWartoscUdzialu")),
         ("denominator", number("mianownikUlamkaOkreslajacegoWartoscUdzialu"))),
        check=_check_share),
}
