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
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

from importers.errors import ImportProblem
from importers.gml.crs import SrsInfo, UnknownCRSError, parse_srs_name
from importers.gml.egib import (
    EGIB_MAPPINGS,
    EGIB_TYPES,
    KST_LETTERS,
    Scan,
    Values,
    area_m2,
    building_id_problem,
    integer,
    parcel_id_problem,
)
from importers.gml.geometry import (
    POINT_TYPES,
    SURFACE_TYPES,
    GeometryError,
    local,
    point_ewkt,
    surface_ewkt,
)
from importers.gml.security import NotXMLError, check_prolog, parser_options


class Readable(Protocol):
    """A file-like source of bytes (``importers.parallel`` hands the reader a file's slice)."""

    def read(self, size: int = -1) -> bytes: ...


Element = etree._Element  # lxml's element type (its documented name for annotations)
ScanResult = tuple[Values, dict[str, str], dict[str, list[str]], dict[str, Element],
                   dict[str, str], list[dict[str, str]]]

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

_WRAPPERS = frozenset({"EGB_Podmiot", "EGB_JednostkaRejestrowa"})
_KIEG_BUILDING = frozenset({"budynki", "budynek", "Budynki"})


class FormatError(ImportProblem, ValueError):
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
    attrs: dict[str, Any]
    refs: dict[str, list[str]]
    geom: str | None = None
    error: str | None = None


@dataclass
class ReadStats:
    schema: str = ""
    features: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)
    srids: set[int] = field(default_factory=set)


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


class Reader:
    """Iterate ``Record``s of one file; ``stats`` fills in as it goes."""

    def __init__(self, path: Path, encrypt: Callable[[str], bytes] | None = None, *,
                 source: Readable | None = None, line_offset: int = 0) -> None:
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
        self._names: dict[object, str] = {}  # tag → local name ("" for comments and PIs)

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

    def _line(self, el: Element) -> int:
        line = el.sourceline
        return (line if isinstance(line, int) else 0) + self._line0

    def _check_root(self, root: Element) -> None:
        rname = local(root.tag)
        if rname not in ("FeatureCollection", "SpatialDataSet"):
            raise FormatError(f"root element {rname!r} is not a GML/WFS FeatureCollection")
        uris = set(root.nsmap.values())
        for uri, schema in {**EGIB_NAMESPACES, **INSPIRE_CP_NAMESPACES}.items():
            if uri in uris:
                self.stats.schema = self.stats.schema or schema

    # ---- one feature -----------------------------------------------------------------------
    def _feature(self, feature: Element) -> Iterator[Record]:
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

    def _scan(self, feature: Element) -> ScanResult:
        """One pass over the children: simple values, uoms, refs, geometry, identity, nested.

        The hot loop of the parse (every child of every feature): a text leaf, the common case,
        costs one name look-up, ``text``, ``get`` of the link attribute and ``len``."""
        values: Values = {}
        uoms: dict[str, str] = {}
        refs: dict[str, list[str]] = {}
        geoms: dict[str, Element] = {}
        ident: dict[str, str] = {}
        land_uses: list[dict[str, str]] = []
        names = self._names
        for child in feature:
            tag = child.tag
            cname = names.get(tag)
            if cname is None:
                cname = names[tag] = local(tag)
            if not cname:
                continue
            href = child.get(XLINK_HREF)
            if href is not None:
                key = normalise_href(href)
                if key:
                    if cname in refs:
                        refs[cname].append(key)
                    else:
                        refs[cname] = [key]
                continue
            if not len(child):
                text = child.text
                if text is not None:
                    text = text.strip()
                    if text:
                        if cname in values:
                            values[cname].append(text)
                        else:
                            values[cname] = [text]
                        uom = child.get("uom")
                        if uom:
                            uoms[cname] = uom
                continue
            first = child[0]  # comments and PIs are removed by the parser
            fname = local(first.tag)
            if not fname:
                found = next((c for c in child if local(c.tag)), None)
                if found is None:
                    continue
                first, fname = found, local(found.tag)
            if fname in SURFACE_TYPES or fname in POINT_TYPES or fname == "Point":
                geoms[cname] = first
            elif cname in ("idIIP", "inspireId"):
                for leaf in child.iter():
                    lname = local(leaf.tag)
                    if lname and not len(leaf):
                        ltext = (leaf.text or "").strip()
                        if ltext:
                            ident[lname] = ltext
            elif cname == "klasouzytek":
                for entry in child:
                    if not local(entry.tag):
                        continue
                    lu: dict[str, str] = {}
                    for e in entry:
                        ename = local(e.tag)
                        if ename:
                            lu[ename] = (e.text or "").strip()
                            if ename == "powierzchnia":
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
        return values, uoms, refs, geoms, ident, land_uses

    def _inline(self, inner: Element, prop: str, refs: dict[str, list[str]]) -> None:
        """An inline child feature (2021 XSD allows it): read it as a feature of its own."""
        name = local(inner.tag)
        rec = self._egib(inner, name, EGIB_TYPES[name], self.stats.schema)
        self.stats.features[rec.ftype] += 1
        self._nested.append(rec)
        refs.setdefault(prop, []).append(f"i:{rec.ns}:{rec.local_id}")

    def _geometry(self, geoms: dict[str, Element], *names: str,
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

    def _gml_id(self, feature: Element) -> str:
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
    def _egib(self, feature: Element, name: str, ftype: str, schema: str) -> Record:
        values, uoms, refs, geoms, ident, land_uses = self._scan(feature)
        gml_id = self._gml_id(feature)
        scan = Scan(name, values, uoms, land_uses)
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
        mapping = EGIB_MAPPINGS[ftype]
        attrs: dict[str, Any] = {"schema": schema}
        for attr, get in mapping.fields:
            attrs[attr] = get(scan, attrs)
        if mapping.id_attr:
            oid = attrs[mapping.id_attr]
            self._unit(oid)
            if not oid:
                if mapping.id_missing:
                    problems.append(mapping.id_missing)
            elif mapping.id_problem and (problem := mapping.id_problem(oid)):
                problems.append(f"{mapping.id_tag} {problem}")
        geom = None
        if mapping.geometry:
            geom, gerr = self._geometry(geoms, mapping.geometry, point=mapping.point)
            if mapping.geometry_missing and geom is None:
                problems.append(f"geometry: {gerr}" if gerr else mapping.geometry_missing)
            elif mapping.geometry_error and gerr:
                problems.append(f"geometry: {gerr}")
        if mapping.check:
            mapping.check(scan, attrs, problems, self.encrypt)
        first = scan.first
        return Record(ftype=ftype, gml_id=gml_id, ns=ns, local_id=local_id,
                      version_id=version_id, object_start=first("startObiekt"),
                      version_start=first("startWersjaObiekt"),
                      version_end=first("koniecWersjaObiekt"), object_end=first("koniecObiekt"),
                      line=self._line(feature), attrs=attrs, refs=refs, geom=geom,
                      error="; ".join(problems) or None)

    def _identity_only(self, feature: Element) -> Record:
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
    def _inspire_parcel(self, feature: Element) -> Record:
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
        attrs: dict[str, Any] = {
            "schema": self.stats.schema or "inspire", "cadastral_id": cid, "number": label,
            "legal_area_m2": area_m2(values, uoms, "areaValue"), "kw": [], "land_uses": []}
        return Record(ftype="parcel", gml_id=gml_id, ns=ns[:64], local_id=local_id,
                      version_id=version_id, object_start=None,
                      version_start=first("beginLifespanVersion"),
                      version_end=first("endLifespanVersion"), object_end=None,
                      line=self._line(feature), attrs=attrs, refs=refs, geom=geom, error=error)

    # ---- flattened county WFS (KIEG) -------------------------------------------------------
    def _kieg_building(self, feature: Element) -> Record:
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
        attrs: dict[str, Any] = {"schema": "kieg", "building_id": bid, "kind": kind,
                 "kind_source": (first("RODZAJ") or "")[:8],
                 "storeys_above": integer(first("KONDYGNACJE_NADZIEMNE")),
                 "storeys_below": integer(first("KONDYGNACJE_PODZIEMNE")), "kw": []}
        return Record(ftype="building", gml_id=self._gml_id(feature), ns="KIEG", local_id=bid,
                      version_id="", object_start=None, version_start=None, version_end=None,
                      object_end=None, line=self._line(feature), attrs=attrs, refs=refs,
                      geom=geom, error=error)
