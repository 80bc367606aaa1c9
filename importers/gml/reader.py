"""Streaming reader of EGiB GML (2015 and 2021 schemas), INSPIRE Cadastral Parcels (3.0 and 4.0)
and flattened county WFS layers, yielding one flat record per feature.

Memory stays flat with file size: ``iterparse`` fires only on feature-member elements (and
envelopes, for a file-level default CRS), and each member is cleared once read. Nothing is
resolved here beyond normalising references: cross-feature work happens in SQL, set-based.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from lxml import etree

from importers.gml.crs import SrsInfo, UnknownCRSError, parse_srs_name
from importers.gml.geometry import (
    POINT_TYPES,
    SURFACE_TYPES,
    GeometryError,
    local,
    point_ewkt,
    surface_ewkt,
)
from importers.gml.security import NotXMLError, check_prolog, parser_options
from layers.domain.identifiers import (
    NUMBER_RE,
    PRECINCT_RE,
    SHEET_RE,
    IdentifierError,
    parse_parcel_id,
    parse_unit,
    split_building_id,
)

EGIB_2015_NS = "urn:gugik:specyfikacje:gmlas:ewidencjaGruntowBudynkow:1.0"
EGIB_2021_NS = "ewidencjaGruntowIBudynkow:1.0"
EGIB_NAMESPACES = {EGIB_2015_NS: "egib2015", EGIB_2021_NS: "egib2021"}
INSPIRE_CP_NAMESPACES = {
    "http://inspire.ec.europa.eu/schemas/cp/4.0": "inspire4",
    "urn:x-inspire:specification:gmlas:CadastralParcels:3.0": "inspire3",
}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
GML_ID = ("{http://www.opengis.net/gml/3.2}id", "{http://www.opengis.net/gml}id")
_MEMBER_TAGS = ["{*}featureMember", "{*}member", "{*}featureMembers", "{*}Envelope"]
_TERYT = re.compile(r"^(\d{6}_\d)\.")
_CONVENTIONAL_GML_ID = re.compile(
    r"^(PL\.[A-Za-z]{1,6}\.\d{1,6}\.[A-Za-z0-9]{1,8})_(.+)_(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\S*)$")

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
_REGUNIT_KIND = {"EGB_JednostkaRejestrowaGruntow": "G", "EGB_JednostkaRejestrowaBudynkow": "B",
                 "EGB_JednostkaRejestrowaLokali": "L"}
_SUBJECT_KIND = {"EGB_OsobaFizyczna": "person", "EGB_Instytucja": "institution",
                 "EGB_Malzenstwo": "marriage", "EGB_PodmiotGrupowy": "group",
                 "EGB_WspolnotaGruntowa": "community"}
KST_2015 = {"101": "p", "102": "t", "103": "h", "104": "s", "105": "b", "106": "z", "107": "k",
            "108": "g", "109": "i", "110": "m"}
KST_LETTERS = frozenset("mgtkzbhpsi")
_WRAPPERS = frozenset({"EGB_Podmiot", "EGB_JednostkaRejestrowa"})
_KIEG_BUILDING = frozenset({"budynki", "budynek", "Budynki"})


class FormatError(ValueError):
    """The file is XML but not a cadastral file we understand (wrong namespace, no features)."""


@dataclass
class Record:
    ftype: str
    gml_id: str
    ns: str
    local_id: str
    version_id: str
    object_start: str | None
    version_start: str | None
    version_end: str | None
    object_end: str | None
    line: int
    attrs: dict
    refs: dict
    geom: str | None = None
    error: str | None = None


@dataclass
class ReadStats:
    schema: str = ""
    features: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    units: Counter = field(default_factory=Counter)
    srids: set = field(default_factory=set)


@lru_cache(maxsize=10_000)  # a file's identifiers share a handful of units
def _unit_of(head: str) -> str | None:
    m = _TERYT.match(head)
    return m.group(1) if m else None


@lru_cache(maxsize=50_000)  # a file points at the same precincts and units again and again
def normalise_href(href: str) -> str | None:
    """All three EGiB reference forms → ``i:<namespace>:<lokalnyId>`` or ``g:<gml:id>``."""
    href = href.strip()
    if not href:
        return None
    if href.startswith("#"):
        href = href[1:]
    if href.startswith("urn:pzgik:id:"):
        parts = href[len("urn:pzgik:id:"):].split(":")
        if len(parts) >= 2:
            return f"i:{parts[0]}:{parts[1]}"
    m = _CONVENTIONAL_GML_ID.match(href)
    if m:
        return f"i:{m.group(1)}:{m.group(2)}"
    return f"g:{href}"


def _decimal(text: str | None, factor: int = 1) -> str | None:
    if text is None:
        return None
    try:
        return str(Decimal(text.strip().replace(",", ".")) * factor)
    except InvalidOperation:
        return None


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(Decimal(text.strip()))
    except (InvalidOperation, ValueError):
        return None


def _area_m2(values: dict, uoms: dict, *names: str) -> str | None:
    for name in names:
        if name in values:
            uom = (uoms.get(name) or "m2").lower()
            factor = 10_000 if uom in ("ha", "hektar") else 100 if uom in ("a", "ar") else 1
            return _decimal(values[name][0], factor)
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
_SUBJECT_NAME_TAGS = {
    "person": ("pierwszyCzlonNazwiska", "drugiCzlonNazwiska", "pierwszeImie", "drugieImie"),
    "institution": ("nazwaPelna", "nazwaSkrocona", "nazwa"),
    "community": ("nazwaPelna", "nazwaSkrocona", "nazwa"),
}
_SUBJECT_OTHER_TAGS = frozenset({
    "startObiekt", "startWersjaObiekt", "koniecWersjaObiekt", "koniecObiekt", "pesel", "regon",
    "status", "imieOjca", "imieMatki", "plec", "obywatelstwo", "numerKRS", "NIP", "nip",
    "informacjaOSmierci", "dataUrodzenia", "rodzajPodmiotu", "adresZameldowania", "nazwisko2",
    "oznaczenieDokumentu", "uwagi", "dataZgonu"})


class Reader:
    """Iterate ``Record``s of one file; ``stats`` fills in as it goes."""

    def __init__(self, path: Path, encrypt: Callable[[str], bytes] | None = None, *,
                 source=None, line_offset: int = 0) -> None:
        """``source``: a file-like object holding a slice of ``path`` to read instead of the
        whole file (see ``importers.parallel``); ``line_offset`` turns its line numbers into
        the file's."""
        self.path = Path(path)
        self._source = source
        self._line0 = line_offset
        self.encrypt = encrypt
        self.stats = ReadStats()
        self._default_srs: SrsInfo | None = None
        self._nested: list[Record] = []

    # ---- top level -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Record]:
        check_prolog(self.path)
        context = etree.iterparse(self._source or str(self.path), events=("end",),
                                  tag=_MEMBER_TAGS,
                                  **parser_options())
        root_checked = False
        try:
            for _event, el in context:
                name = local(el.tag)
                if not root_checked:
                    self._check_root(el.getroottree().getroot())
                    root_checked = True
                if name == "Envelope":
                    if self._default_srs is None and el.get("srsName"):
                        with contextlib.suppress(UnknownCRSError):
                            self._default_srs = parse_srs_name(el.get("srsName"))
                    continue
                parent = el.getparent()
                if parent is None or parent.getparent() is not None:
                    continue  # a nested "member" inside a feature: handled with its feature
                for feature in el:
                    if not local(feature.tag):
                        continue
                    yield from self._feature(feature)
                el.clear()
                while el.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            line, col = exc.position if exc.position else (exc.lineno, 0)
            raise NotXMLError(f"malformed XML at line {line + self._line0}, column {col}: "
                              f"{exc.msg}") from exc
        if not root_checked:
            for _event, root in etree.iterparse(str(self.path), events=("start",),
                                                **parser_options()):
                self._check_root(root)
                break

    def _line(self, el) -> int:
        return (el.sourceline or 0) + self._line0

    def _check_root(self, root) -> None:
        rname = local(root.tag)
        if rname not in ("FeatureCollection", "SpatialDataSet"):
            raise FormatError(f"root element {rname!r} is not a GML/WFS FeatureCollection")
        uris = set(root.nsmap.values())
        for uri, schema in {**EGIB_NAMESPACES, **INSPIRE_CP_NAMESPACES}.items():
            if uri in uris:
                self.stats.schema = self.stats.schema or schema

    # ---- one feature -----------------------------------------------------------------------
    def _feature(self, feature) -> Iterator[Record]:
        qname = feature.tag
        ns_uri = qname[1:].partition("}")[0] if qname.startswith("{") else ""
        name = local(qname)
        if name.startswith("EGB_"):
            if ns_uri not in EGIB_NAMESPACES:
                raise FormatError(
                    f"line {self._line(feature)}: {name} in namespace {ns_uri!r}, which is neither "
                    f"the 2015 ({EGIB_2015_NS}) nor the 2021 ({EGIB_2021_NS}) EGiB namespace")
            self.stats.schema = self.stats.schema or EGIB_NAMESPACES[ns_uri]
            ftype = EGIB_TYPES.get(name)
            if ftype is None:
                # not stored, but staged by identity so that references to it resolve
                self.stats.skipped[name] += 1
                yield self._identity_only(feature)
                return
            rec = self._egib(feature, name, ftype, EGIB_NAMESPACES[ns_uri])
        elif name == "CadastralParcel":
            self.stats.schema = self.stats.schema or INSPIRE_CP_NAMESPACES.get(ns_uri, "inspire")
            rec = self._inspire_parcel(feature)
        elif name in _KIEG_BUILDING:
            self.stats.schema = self.stats.schema or "kieg"
            rec = self._kieg_building(feature)
        else:
            self.stats.skipped[name] += 1
            return
        yield from self._nested
        self._nested.clear()
        self.stats.features[rec.ftype] += 1
        yield rec

    def _scan(self, feature):
        """One pass over the children: simple values, uoms, refs, geometry, identity, nested."""
        values: dict[str, list[str]] = {}
        uoms: dict[str, str] = {}
        refs: dict[str, list[str]] = {}
        geoms: dict[str, object] = {}
        ident: dict[str, str] = {}
        land_uses: list[dict] = []
        for child in feature:
            cname = local(child.tag)
            if not cname:
                continue
            href = child.get(XLINK_HREF)
            if href is not None:
                key = normalise_href(href)
                if key:
                    refs.setdefault(cname, []).append(key)
                continue
            if len(child):
                first = child[0]  # comments and PIs are removed by the parser
                fname = local(first.tag)
                if not fname:
                    first = next((c for c in child if local(c.tag)), None)
                    fname = local(first.tag) if first is not None else ""
                if fname in SURFACE_TYPES or fname in POINT_TYPES or fname == "Point":
                    geoms[cname] = first
                elif cname in ("idIIP", "inspireId"):
                    for leaf in child.iter():
                        lname = local(leaf.tag)
                        if lname and leaf.text and leaf.text.strip() and not len(leaf):
                            ident[lname] = leaf.text.strip()
                elif cname == "klasouzytek":
                    for entry in child:
                        if not local(entry.tag):
                            continue
                        lu: dict[str, str] = {}
                        for e in entry:
                            if local(e.tag):
                                lu[local(e.tag)] = (e.text or "").strip()
                                if local(e.tag) == "powierzchnia":
                                    lu["_uom"] = e.get("uom") or "ha"
                        land_uses.append(lu)
                elif fname in _WRAPPERS:
                    for leaf in first.iter():
                        h = leaf.get(XLINK_HREF)
                        if h:
                            key = normalise_href(h)
                            if key:
                                refs.setdefault(cname, []).append(key)
                    # a wrapper may also hold an inline feature
                    for inner in first:
                        if local(inner.tag) in EGIB_TYPES and len(inner):
                            self._inline(inner, cname, refs)
                elif fname in EGIB_TYPES:
                    self._inline(first, cname, refs)
                continue
            text = child.text
            if text is not None:
                text = text.strip()
                if text:
                    values.setdefault(cname, []).append(text)
                    uom = child.get("uom")
                    if uom:
                        uoms[cname] = uom
        return values, uoms, refs, geoms, ident, land_uses

    def _inline(self, inner, prop: str, refs: dict) -> None:
        """An inline child feature (2021 XSD allows it): read it as a feature of its own."""
        name = local(inner.tag)
        rec = self._egib(inner, name, EGIB_TYPES[name], self.stats.schema)
        self.stats.features[rec.ftype] += 1
        self._nested.append(rec)
        refs.setdefault(prop, []).append(f"i:{rec.ns}:{rec.local_id}")

    def _geometry(self, geoms: dict, *names: str,
                  point: bool = False) -> tuple[str | None, str | None]:
        el = None
        for n in names:
            if n in geoms:
                el = geoms[n]
                break
        if el is None and geoms and not names:
            el = next(iter(geoms.values()))
        if el is None:
            return None, None
        try:
            if point or local(el.tag) == "Point":
                ewkt, srid = point_ewkt(el, self._default_srs)
            else:
                ewkt, srid = surface_ewkt(el, self._default_srs)
        except GeometryError as exc:
            return None, str(exc)
        self.stats.srids.add(srid)
        return ewkt, None

    def _gml_id(self, feature) -> str:
        for attr in GML_ID:
            v = feature.get(attr)
            if v:
                return v
        return ""

    def _unit(self, ident: str | None) -> None:
        if ident:
            unit = _unit_of(ident[:9])  # all that ``_TERYT`` looks at
            if unit:
                self.stats.units[unit] += 1

    # ---- EGiB ------------------------------------------------------------------------------
    def _egib(self, feature, name: str, ftype: str, schema: str) -> Record:
        values, uoms, refs, geoms, ident, land_uses = self._scan(feature)
        gml_id = self._gml_id(feature)

        def first(*names: str) -> str | None:
            for n in names:
                if n in values:
                    return values[n][0]
            return None

        ns = ident.get("przestrzenNazw", "")
        local_id = ident.get("lokalnyId", "")
        version_id = ident.get("wersjaId", "")
        problems: list[str] = []  # every problem of the object, so one round fixes a file
        if not local_id:
            m = _CONVENTIONAL_GML_ID.match(gml_id)
            if m:
                ns, local_id = m.group(1), m.group(2)
            elif gml_id:
                ns, local_id = "gml", gml_id
            else:
                problems.append("no idIIP and no gml:id: the object cannot be identified")
        attrs: dict = {"schema": schema}
        geom = None
        if ftype == "parcel":
            cid = first("idDzialki")
            self._unit(cid)
            attrs.update(
                cadastral_id=cid,
                legal_area_m2=_area_m2(values, uoms, "poleEwidencyjne", "powierzchniaEwidencyjna"),
                kw=values.get("numerKW", []) + values.get("numerElektronicznejKW", []),
                land_uses=[
                    {"ofu": lu.get("OFU", ""), "ozu": lu.get("OZU", ""), "ozk": lu.get("OZK", ""),
                     "area_m2": _area_m2({"p": [lu["powierzchnia"]]},
                                         {"p": lu.get("_uom", "ha")}, "p")
                     if lu.get("powierzchnia") else None}
                    for lu in land_uses
                ],
            )
            if not cid:
                problems.append("parcel without idDzialki")
            elif problem := parcel_id_problem(cid):
                problems.append("idDzialki " + problem)
            geom, gerr = self._geometry(geoms, "geometria")
            if geom is None:
                problems.append(f"geometry: {gerr}" if gerr else "parcel without geometry")
        elif ftype == "building":
            bid = first("idBudynku")
            self._unit(bid)
            kst_raw = first("rodzajWgKST") or ""
            kst = KST_2015.get(kst_raw, kst_raw if kst_raw in KST_LETTERS else "")
            attrs.update(
                building_id=bid, kind=kst, kind_source=kst_raw[:8],
                storeys_above=_int(first("liczbaKondygnacjiNadziemnych")),
                storeys_below=_int(first("liczbaKondygnacjiPodziemnych")),
                built_up_area_m2=_area_m2(values, uoms, "powZabudowy"),
                usable_area_separate_m2=_area_m2(
                    values, uoms, "lacznaPowUzytkowaLokaliWyodrebnionych"),
                usable_area_other_m2=_area_m2(
                    values, uoms, "lacznaPowUzytkowaLokaliNiewyodrebnionych",
                    "lacznaPowUzytkLokaliNiewyodrebnionych"),
                usable_area_ancillary_m2=_area_m2(values, uoms,
                                                  "lacznaPowUzytkowaPomieszczenPrzynaleznych"),
                kw=values.get("numerKW", []) + values.get("numerElektronicznejKW", []),
            )
            if not bid:
                problems.append("building without idBudynku")
            elif problem := building_id_problem(bid):
                problems.append("idBudynku " + problem)
            geom, gerr = self._geometry(geoms, "geometria")
            if gerr:
                problems.append(f"geometry: {gerr}")
        elif ftype == "landuse":
            cid = first("idUzytku", "idKonturu")
            self._unit(cid)
            attrs.update(kind="use" if name == "EGB_KonturUzytkuGruntowego" else "class",
                         contour_id=cid or "", ofu=first("OFU") or "", ozu=first("OZU") or "",
                         ozk=first("OZK") or "")
            geom, gerr = self._geometry(geoms, "geometria")
            if geom is None:
                problems.append(f"geometry: {gerr}" if gerr else "contour without geometry")
        elif ftype == "precinct":
            pid = first("idObrebu")
            self._unit(pid)
            attrs.update(teryt=pid, name=first("nazwaWlasna") or "")
            if not pid:
                problems.append("precinct without idObrebu")
            elif problem := precinct_id_problem(pid):
                problems.append("idObrebu " + problem)
            geom, gerr = self._geometry(geoms, "geometria")
        elif ftype == "address":
            from layers.domain.text import normalize_text

            attrs.update(locality=first("nazwaMiejscowosci") or "",
                         locality_simc=first("idMiejscowosci") or "",
                         street=first("nazwaUlicy") or "", street_ulic=first("idNazwyUlicy") or "",
                         house_number=first("numerPorzadkowy") or "",
                         flat_number=first("numerLokalu") or "")
            attrs["search_text"] = normalize_text(
                f"{attrs['street']} {attrs['house_number']} {attrs['locality']}")
            geom, gerr = self._geometry(geoms, "geometria", point=True)
        elif ftype == "regunit":
            uid = first("idJednostkiRejestrowej")
            self._unit(uid)
            attrs.update(unit_id=uid or "", kind=_REGUNIT_KIND[name],
                         group=_int(first("grupaRejestrowa")))
            if not uid:
                problems.append("registration unit without idJednostkiRejestrowej")
        elif ftype == "subject":
            from layers.domain.text import normalize_text

            kind = _SUBJECT_KIND[name]
            if kind == "person":
                surname = "-".join(v for v in (first("pierwszyCzlonNazwiska"),
                                               first("drugiCzlonNazwiska")) if v)
                given = " ".join(v for v in (first("pierwszeImie"), first("drugieImie")) if v)
                sname = f"{surname} {given}".strip()
            elif kind in ("institution", "community"):
                sname = first("nazwaPelna", "nazwaSkrocona", "nazwa") or ""
            else:
                sname = ""
            pesel = first("pesel")
            attrs.update(kind=kind, name=sname, search_text=normalize_text(sname),
                         regon=first("regon") or "", status=_int(first("status")))
            if not sname and kind in _SUBJECT_NAME_TAGS:
                # a warning, not a rejection: the owner is left out (its shares keep the
                # reference as an unresolved link), never stored without a name
                known = _SUBJECT_NAME_TAGS[kind]
                unknown = sorted(set(values) - set(known) - _SUBJECT_OTHER_TAGS)
                attrs["warning"] = True
                problems.append(
                    f"owner ({name}) with no name in the tags the reader knows "
                    f"({', '.join(known)}); tags it does not know: "
                    f"{', '.join(unknown) or 'none'}; not stored")
            if pesel and self.encrypt is not None:
                attrs["pesel_enc"] = self.encrypt(pesel).decode("ascii")
        elif ftype == "share":
            own = name == "EGB_UdzialWeWlasnosci"
            attrs.update(kind="ownership" if own else "possession",
                         right=_int(first("rodzajPrawa", "rodzajWladania")),
                         numerator=_int(first("licznikUlamkaOkreslajacegoWartoscUdzialu")),
                         denominator=_int(first("mianownikUlamkaOkreslajacegoWartoscUdzialu")))
            if attrs["denominator"] == 0:
                problems.append("share with denominator 0")
        return Record(ftype=ftype, gml_id=gml_id, ns=ns, local_id=local_id,
                      version_id=version_id, object_start=first("startObiekt"),
                      version_start=first("startWersjaObiekt"),
                      version_end=first("koniecWersjaObiekt"), object_end=first("koniecObiekt"),
                      line=self._line(feature), attrs=attrs, refs=refs, geom=geom,
                      error="; ".join(problems) or None)

    def _identity_only(self, feature) -> Record:
        ns = local_id = version_id = ""
        for child in feature:
            if local(child.tag) == "idIIP":
                for leaf in child.iter():
                    lname = local(leaf.tag)
                    if lname == "lokalnyId":
                        local_id = (leaf.text or "").strip()
                    elif lname == "przestrzenNazw":
                        ns = (leaf.text or "").strip()
                    elif lname == "wersjaId":
                        version_id = (leaf.text or "").strip()
                break
        gml_id = self._gml_id(feature)
        if not local_id:
            ns, local_id = "gml", gml_id
        return Record(ftype="other", gml_id=gml_id, ns=ns, local_id=local_id,
                      version_id=version_id, object_start=None, version_start=None,
                      version_end=None, object_end=None, line=self._line(feature),
                      attrs={}, refs={})

    # ---- INSPIRE CP ------------------------------------------------------------------------
    def _inspire_parcel(self, feature) -> Record:
        values, uoms, refs, geoms, ident, _ = self._scan(feature)
        upper = {k.upper(): v for k, v in values.items()}

        def first(*names: str) -> str | None:
            for n in names:
                if n.upper() in upper:
                    return upper[n.upper()][0]
            return None

        gml_id = self._gml_id(feature)
        local_id = ident.get("localId") or first("INSPIREID_LOCALID") or gml_id
        ns = ident.get("namespace") or first("INSPIREID_NAMESPACE") or "INSPIRE"
        version_id = ident.get("versionId") or first("INSPIREID_VERSIONID") or ""
        cid = first("nationalCadastralReference") or first("label") or local_id
        self._unit(cid)
        label = first("label") or cid
        geom, gerr = self._geometry(geoms, "geometry", "msGeometry", "geometria")
        problems = [] if geom else [f"geometry: {gerr}" if gerr else "parcel without geometry"]
        if not local_id:
            problems.append("parcel without an identifier")
        elif problem := parcel_id_problem(cid):
            problems.append("nationalCadastralReference " + problem)
        error = "; ".join(problems) or None
        attrs = {"schema": self.stats.schema or "inspire", "cadastral_id": cid, "number": label,
                 "legal_area_m2": _area_m2(values, uoms, "areaValue"), "kw": [], "land_uses": []}
        return Record(ftype="parcel", gml_id=gml_id, ns=ns[:64], local_id=local_id,
                      version_id=version_id, object_start=None,
                      version_start=first("beginLifespanVersion"),
                      version_end=first("endLifespanVersion"), object_end=None,
                      line=self._line(feature), attrs=attrs, refs=refs, geom=geom, error=error)

    # ---- flattened county WFS (KIEG) -------------------------------------------------------
    def _kieg_building(self, feature) -> Record:
        values, _uoms, refs, geoms, _ident, _ = self._scan(feature)
        upper = {k.upper(): v for k, v in values.items()}

        def first(*names: str) -> str | None:
            for n in names:
                if n in upper:
                    return upper[n][0]
            return None

        bid = first("ID_BUDYNKU") or ""
        self._unit(bid)
        kind = ""
        for candidate in (first("RODZAJ"), first("FUNKCJA")):
            if candidate and candidate in KST_LETTERS:
                kind = candidate
                break
        geom, gerr = self._geometry(geoms)
        problems = [] if geom else [f"geometry: {gerr}" if gerr else "building without geometry"]
        if not bid:
            problems.append("building without ID_BUDYNKU")
        elif problem := building_id_problem(bid):
            problems.append("ID_BUDYNKU " + problem)
        error = "; ".join(problems) or None
        attrs = {"schema": "kieg", "building_id": bid, "kind": kind,
                 "kind_source": (first("RODZAJ") or "")[:8],
                 "storeys_above": _int(first("KONDYGNACJE_NADZIEMNE")),
                 "storeys_below": _int(first("KONDYGNACJE_PODZIEMNE")), "kw": []}
        return Record(ftype="building", gml_id=self._gml_id(feature), ns="KIEG", local_id=bid,
                      version_id="", object_start=None, version_start=None, version_end=None,
                      object_end=None, line=self._line(feature), attrs=attrs, refs=refs,
                      geom=geom, error=error)
