"""The importers' rejection reasons, phase names and failure messages in the reader's language
(issue #18).

The importers write their reasons in English, often from SQL (``concat_ws('; ', …)`` of the
checks of one object), and that text stays what the CLI prints, the tests assert and the report
keeps. The pages show each reason through this catalogue: every form a reason takes, as a
pattern over the English text and a translatable template over its parts, so a report written
before a translation was added reads translated too. Values (identifiers, numbers, tags) and
the technical texts of other tools (PostGIS's validity reasons) are kept as they were written.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

#: the object types of the report (``feature_type``)
FEATURE_TYPES: dict[str, Any] = {
    "parcel": _("parcel"), "building": _("building"), "landuse": _("land-use contour"),
    "precinct": _("precinct"), "share": _("share"), "subject": _("owner"),
    "regunit": _("registration unit"), "address": _("address"), "contour": _("contour"),
    "other": _("other object"),
}

#: the registers a cadastral import merges into (the phase "merging parcels", …)
TABLES: dict[str, Any] = {
    "precincts": _("precincts"), "addresses": _("addresses"),
    "registration units": _("registration units"), "subjects": _("owners"),
    "shares": _("shares"), "parcels": _("parcels"), "buildings": _("buildings"),
    "land-use contours": _("land-use contours"),
}

#: the quantities the range checks name (importers.merge._RANGES)
QUANTITIES: dict[str, Any] = {
    "legal area": _("legal area"), "land-use area": _("land-use area"),
    "storeys above ground": _("storeys above ground"),
    "storeys below ground": _("storeys below ground"),
    "built up area": _("built-up area"), "usable area separate": _("usable area (separate)"),
    "usable area other": _("usable area (other)"),
    "usable area ancillary": _("usable area (ancillary)"), "right": _("kind of right"),
    "numerator": _("numerator"), "denominator": _("denominator"), "status": _("status"),
    "registration group": _("registration group"),
}

_WHAT = {"parcel": _("parcel"), "building": _("building"), "precinct": _("precinct"),
         "registration unit": _("registration unit"), "contour": _("contour")}
_QUANTITY = "|".join(re.escape(k) for k in sorted(QUANTITIES, key=len, reverse=True))
_WHATS = "|".join(re.escape(k) for k in sorted(_WHAT, key=len, reverse=True))

#: (pattern over the English reason, template; groups named ``*_reason`` are translated in turn,
#: ``quantity``/``what`` by their tables)
PATTERNS: list[tuple[re.Pattern[str], Any]] = [(re.compile(p + r"\Z", re.DOTALL), t) for p, t in [
    (r"no geometry", _("no geometry")),
    (r"no polygon geometry", _("no polygon geometry")),
    (r"invalid geometry that cannot be repaired", _("invalid geometry that cannot be repaired")),
    (r"invalid geometry that cannot be repaired: (?P<why>.+)",
     _("invalid geometry that cannot be repaired: %(why)s")),
    (r"invalid geometry repaired with ST_MakeValid: (?P<why>.+)",
     _("invalid geometry repaired with ST_MakeValid: %(why)s")),
    (r"(?P<n>\d+) invalid geometries repaired", _("invalid geometries repaired: %(n)s")),
    (rf"(?P<quantity>{_QUANTITY}) (?P<value>\S+?)(?P<unit> m²)? is negative",
     _("%(quantity)s %(value)s%(unit)s is negative")),
    (rf"(?P<quantity>{_QUANTITY}) (?P<value>\S+?)(?P<unit> m²)? is out of range "
     r"\((?P<low>\S+) to (?P<high>\S+)\)",
     _("%(quantity)s %(value)s%(unit)s is out of range (%(low)s to %(high)s)")),
    (r"belongs to cadastral unit (?P<unit>\S+), not to (?P<teryt>\S+)",
     _("belongs to cadastral unit %(unit)s, not to %(teryt)s")),
    (r"duplicate id (?P<id>\S+) version (?P<version>.*) \(first at line (?P<line>\d+)\)",
     _("duplicate id %(id)s version %(version)s (first at line %(line)s)")),
    (r"duplicate gml:id (?P<id>\S+) \(first at line (?P<line>\d+)\)",
     _("duplicate gml:id %(id)s (first at line %(line)s)")),
    (r"duplicate parcel id (?P<id>\S+) \(also object (?P<other>.+)\)",
     _("duplicate parcel id %(id)s (also object %(other)s)")),
    (r"duplicate code (?P<code>.+) \(first at row (?P<line>\d+)\)",
     _("duplicate code %(code)s (first at row %(line)s)")),
    (r"legal area (?P<legal>\S+) m² vs geometric (?P<geometric>\S+) m² \((?P<pct>\S+) %\)",
     _("legal area %(legal)s m² vs geometric %(geometric)s m² (%(pct)s %%)")),
    (r"unknown land-use code \(OFU\) (?P<code>.+)", _("unknown land-use code (OFU) %(code)s")),
    (r"no idIIP and no gml:id: the object cannot be identified",
     _("no idIIP and no gml:id: the object cannot be identified")),
    (rf"(?P<what>{_WHATS}) without geometry", _("%(what)s without geometry")),
    (rf"(?P<what>{_WHATS}) without an identifier", _("%(what)s without an identifier")),
    (rf"(?P<what>{_WHATS}) without (?P<tag>[\w:]+)", _("%(what)s without %(tag)s")),
    (r"geometry: (?P<why_reason>.+)", _("geometry: %(why_reason)s")),
    (r"share with denominator 0", _("share with denominator 0")),
    (r"owner \((?P<kind>[^)]*)\) with no name in the tags the reader knows \((?P<known>[^)]*)\);"
     r" tags it does not know: (?P<unknown>.*); not stored",
     _("owner (%(kind)s) with no name in the tags the reader knows (%(known)s); tags it does "
       "not know: %(unknown)s; not stored")),
    (r"(?P<tag>idDzialki|idBudynku|idObrebu|nationalCadastralReference|ID_BUDYNKU) "
     r"(?P<why_reason>'.+)", _("%(tag)s %(why_reason)s")),
    (r"(?P<id>'[^']*') is not an EGiB parcel id WWPPGG_R\.OOOO\.NUMBER: (?P<why>.+)",
     _("%(id)s is not an EGiB parcel id WWPPGG_R.OOOO.NUMBER: %(why)s")),
    (r"(?P<id>'[^']*') is not an EGiB building id WWPPGG_R\.OOOO\.NUMBER_BUD: (?P<why>.+)",
     _("%(id)s is not an EGiB building id WWPPGG_R.OOOO.NUMBER_BUD: %(why)s")),
    (r"(?P<id>'[^']*') is not an EGiB precinct id WWPPGG_R\.OOOO: (?P<why>.+)",
     _("%(id)s is not an EGiB precinct id WWPPGG_R.OOOO: %(why)s")),
    (r"(?P<name>[\w:]+): (?P<raw>.+) is not a date-time",
     _("%(name)s: %(raw)s is not a date-time")),
    (r"geometry without srsName and no default CRS in the file",
     _("geometry without srsName and no default CRS in the file")),
    (r"non-numeric coordinates", _("non-numeric coordinates")),
    (r"(?P<n>\d+) coordinate values do not make (?P<dim>\d)-D positions",
     _("%(n)s coordinate values do not make %(dim)s-D positions")),
    (r"bad coordinate tuple (?P<tuple>.+)", _("bad coordinate tuple %(tuple)s")),
    (r"an arc needs 3, 5, 7 … control points", _("an arc needs 3, 5, 7 … control points")),
    (r"unsupported curve type (?P<type>\S+)", _("unsupported curve type %(type)s")),
    (r"a ring has (?P<n>\d+) positions \(at least 4 are needed\)",
     _("a ring has %(n)s positions (at least 4 are needed)")),
    (r"a ring is not closed", _("a ring is not closed")),
    (r"unsupported ring type (?P<type>\S+)", _("unsupported ring type %(type)s")),
    (r"a polygon without an exterior ring", _("a polygon without an exterior ring")),
    (r"unsupported surface patch (?P<type>\S+)", _("unsupported surface patch %(type)s")),
    (r"unsupported geometry type (?P<type>\S+)", _("unsupported geometry type %(type)s")),
    (r"an empty geometry", _("an empty geometry")),
    (r"a point needs exactly one position", _("a point needs exactly one position")),
    (r"outside the boundary of (?P<teryt>\S+) by more than (?P<m>\S+) m "
     r"\(option --boundary-tolerance\)",
     _("outside the boundary of %(teryt)s by more than %(m)s m (option --boundary-tolerance)")),
    (r"outside Poland \(the area of use of (?P<crs>EPSG:\d+): (?P<box>[^)]*)\)",
     _("outside Poland (the area of use of %(crs)s: %(box)s)")),
    (r"coordinates \((?P<box>[^)]*)\) fall outside the area of use of (?P<crs>EPSG:\d+)"
     r"(?P<poland> and of Poland)?: are the axes swapped\? .*",
     _("coordinates (%(box)s) fall outside the area of use of %(crs)s%(poland)s: are the axes "
       "swapped? urn:ogc:def:crs:EPSG::NNNN and http://www.opengis.net/def/crs/EPSG/0/NNNN "
       "promise northing (latitude) first; EPSG:NNNN is read easting (longitude) first")),
    (r"kind (?P<kind>.+) is not one of (?P<kinds>.+)", _("kind %(kind)s is not one of %(kinds)s")),
    # -- why a whole run failed (``ImportRun.message``, the browser import's message): the
    # importers' exceptions, cadastral, vector and raster; a file name or another tool's error
    # text (libxml2's, GDAL's, PostgreSQL's) inside them is kept as written
    (r"every one of the (?P<n>\d+) objects was rejected: nothing was stored",
     _("all %(n)s objects were rejected: nothing was stored")),
    (r"every one of the (?P<n>\d+) features was rejected: nothing was changed",
     _("all %(n)s features were rejected: nothing was changed")),
    (r"the source holds no features: nothing was changed",
     _("the source holds no features: nothing was changed")),
    (r"the file holds no cadastral features", _("the file holds no cadastral features")),
    (r"interrupted: the import process ended before finishing \(killed or crashed\); its "
     r"transaction was rolled back, nothing of it was stored",
     _("interrupted: the import process ended before finishing (killed or crashed); its "
       "transaction was rolled back, nothing of it was stored")),
    (r"the database refused the import: (?P<error>.+)",
     _("the database refused the import: %(error)s")),
    (r"unexpected error \((?P<type>\w+)\): (?P<error>.*); nothing of the file was stored",
     _("unexpected error (%(type)s): %(error)s; nothing of the file was stored")),
    (r"malformed XML at line (?P<line>\d+), column (?P<column>\d+): (?P<error>.+)",
     _("malformed XML at line %(line)s, column %(column)s: %(error)s")),
    (r"root element (?P<name>'[^']*') is not a GML/WFS FeatureCollection",
     _("root element %(name)s is not a GML/WFS FeatureCollection")),
    (r"line (?P<line>\d+): (?P<name>\S+) in namespace (?P<ns>'[^']*'), which is neither the "
     r"2015 \((?P<ns2015>[^)]*)\) nor the 2021 \((?P<ns2021>[^)]*)\) EGiB namespace",
     _("line %(line)s: %(name)s in namespace %(ns)s, which is neither the 2015 (%(ns2015)s) "
       "nor the 2021 (%(ns2021)s) EGiB namespace")),
    (r"the file declares a DTD or entities \(line (?P<line>\d+)\); cadastral GML never does, "
     r"so it is refused unread \(XXE / entity-expansion protection\)",
     _("the file declares a DTD or entities (line %(line)s); cadastral GML never does, so it is "
       "refused unread (XXE / entity-expansion protection)")),
    (r"unknown coordinate reference system (?P<crs>.+)",
     _("unknown coordinate reference system %(crs)s")),
    (r"cannot tell the municipality from the identifiers: pass --municipality TERYT",
     _("cannot tell the municipality from the identifiers: pass --municipality TERYT")),
    (r"municipality (?P<teryt>\S+) is not in the database and the file does not define it "
     r"\(its identifiers name: (?P<named>[^)]*)\)",
     _("municipality %(teryt)s is not in the database and the file does not define it (its "
       "identifiers name: %(named)s)")),
    (r"(?P<file>.+) is not a (?P<formats>.+) file \(recognised by its content, not by its "
     r"name\)",
     _("%(file)s is not a %(formats)s file (recognised by its content, not by its name)")),
    (r"the source has no coordinate reference system",
     _("the source has no coordinate reference system")),
    (r"column (?P<column>'[^']*') \(for (?P<field>\w+)\) is not in the source; it has "
     r"(?P<columns>.*)",
     _("column %(column)s (for %(field)s) is not in the source; it has %(columns)s")),
    (r"cannot read the (?P<driver>\S+) source: (?P<error>.+)",
     _("cannot read the %(driver)s source: %(error)s")),
    (r"the file looks like (?P<driver>\S+) but GDAL reads it as (?P<other>\S+): refused",
     _("the file looks like %(driver)s but GDAL reads it as %(other)s: refused")),
    (r"(?P<file>[^:]+): the file is empty", _("%(file)s: the file is empty")),
    (r"(?P<file>[^:]+): not a raster GDAL can read \(unsupported format, or a corrupt or "
     r"truncated file\): (?P<error>.*)",
     _("%(file)s: not a raster GDAL can read (unsupported format, or a corrupt or truncated "
       "file): %(error)s")),
    (r"(?P<file>[^:]+): unsupported format (?P<driver>\S+); a GeoTIFF is expected",
     _("%(file)s: unsupported format %(driver)s; a GeoTIFF is expected")),
    (r"(?P<file>[^:]+): the file has no coordinate reference system \(CRS\); add one "
     r"\(e\.g\. gdal_edit\.py -a_srs EPSG:2180\) and import again",
     _("%(file)s: the file has no coordinate reference system (CRS); add one (e.g. "
       "gdal_edit.py -a_srs EPSG:2180) and import again")),
    (r"(?P<file>[^:]+): the file has no georeferencing \(geotransform\)",
     _("%(file)s: the file has no georeferencing (geotransform)")),
    (r"(?P<file>[^:]+): absurd size (?P<width>\d+)×(?P<height>\d+) px \(limit (?P<side>\S+) "
     r"px a side, (?P<total>\S+) px in all\); cut it into sheets",
     _("%(file)s: absurd size %(width)s×%(height)s px (limit %(side)s px a side, %(total)s px "
       "in all); cut it into sheets")),
    (r"(?P<file>[^:]+): too small \((?P<width>\d+)×(?P<height>\d+) px\)",
     _("%(file)s: too small (%(width)s×%(height)s px)")),
    (r"(?P<file>[^:]+): an orthophoto needs 1, 3 or 4 bands, the file has (?P<n>\d+)",
     _("%(file)s: an orthophoto needs 1, 3 or 4 bands, the file has %(n)s")),
    (r"(?P<file>[^:]+): an orthophoto must be 8-bit \(uint8\), the file is (?P<dtype>\w+); "
     r"scale it first \(gdal_translate -ot Byte -scale\)",
     _("%(file)s: an orthophoto must be 8-bit (uint8), the file is %(dtype)s; scale it first "
       "(gdal_translate -ot Byte -scale)")),
    (r"(?P<file>[^:]+): an elevation model needs exactly 1 band, the file has (?P<n>\d+)",
     _("%(file)s: an elevation model needs exactly 1 band, the file has %(n)s")),
    (r"(?P<file>[^:]+): unsupported pixel type (?P<dtype>\w+)",
     _("%(file)s: unsupported pixel type %(dtype)s")),
    (r"(?P<file>[^:]+): absurd pixel size (?P<size>\S+) m \(accepted (?P<low>\S+)–"
     r"(?P<high>\S+) m\)",
     _("%(file)s: absurd pixel size %(size)s m (accepted %(low)s–%(high)s m)")),
]]


@cache
def _msgids() -> list[str]:
    with override(None):
        return [str(template) for _pattern, template in PATTERNS]


def _one(part: str) -> str | None:
    for (pattern, template), msgid in zip(PATTERNS, _msgids(), strict=True):
        m = pattern.match(part)
        if m is None:
            continue
        if str(template) == msgid and not any(g.endswith("_reason") for g in m.groupdict()):
            return part  # no translation (English): the text as it was written
        values: dict[str, Any] = {}
        for name, value in m.groupdict().items():
            value = value or ""
            if name.endswith("_reason"):
                value = reason_text(value)
            elif name == "quantity":
                value = str(QUANTITIES[value])
            elif name == "what":
                value = str(_WHAT[value])
            elif name == "poland" and value:
                value = " " + str(_("and of Poland"))
            values[name] = value
        return str(template) % values
    return None


def reason_text(reason: str) -> str:
    """A reason as the importer wrote it, in the active language: the whole text if it is one
    known form, else each of its ``; ``-joined checks; a form not in the catalogue as written."""
    if not reason:
        return ""
    whole = _one(reason)
    if whole is not None:
        return whole
    return "; ".join(_one(part) or part for part in reason.split("; "))


def is_known(reason: str) -> bool:
    """Whether every part of ``reason`` is a form of the catalogue (tests)."""
    return _one(reason) is not None or all(_one(p) is not None for p in reason.split("; "))


def feature_type_label(feature_type: str) -> str:
    label = FEATURE_TYPES.get(feature_type)
    return str(label) if label is not None else feature_type


def table_label(table: str) -> str:
    label = TABLES.get(table)
    return str(label) if label is not None else table
