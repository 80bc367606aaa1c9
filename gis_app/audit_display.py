"""The audit log as people read it (issue #18): object types and actions by name, each change a
row of field label, value before and value after, values in the page's language (numbers and
money in the locale's format, yes/no, a choice's label), geometries summarised by their area
("changed: area 512,00 → 530,10 m²") and drawn small, before over after.

Beside ``audit_views`` (not in ``gis_app.audit``) because it formats with ``layers.formats``,
which the audit app may not import.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gis_app.audit.labels import field_labels, model_of
from gis_app.audit.log import render_note
from layers import formats

#: Object types written by code paths that audit something other than one model's row.
TYPE_LABELS: dict[str, Any] = {
    "audit_event": gettext_lazy("audit log"),
    "owner_search": gettext_lazy("owner search"),
    "parcel": gettext_lazy("parcel card"),
    "subject": gettext_lazy("owner (PESEL)"),
    "taxpayer": gettext_lazy("taxpayer"),
    "lease_document": gettext_lazy("lease document"),
    "parking.check": gettext_lazy("parking check"),
    "parking.plates": gettext_lazy("registration numbers (parking)"),
    "payments.debtors": gettext_lazy("list of debtors"),
    "payments.statement": gettext_lazy("account statement"),
    "taxes.roll": gettext_lazy("tax roll"),
    "landscape.inspection": gettext_lazy("landscape inspection"),
    "landscape.area_rules": gettext_lazy("rules of a landscape area"),
}

_GEOMETRY_WKT = re.compile(r"^\s*(?:SRID=\d+;)?\s*(MULTI)?(POINT|LINESTRING|POLYGON)\b",
                           re.IGNORECASE)


#: What the code wrote as the purpose of a read (the parcel card's, the dossier's).
PURPOSES: dict[str, Any] = {
    "parcel card": gettext_lazy("parcel card"),
    "parcel dossier (PDF)": gettext_lazy("parcel dossier (PDF)"),
}
_SHARES = re.compile(r"^(?P<purpose>.+), (?P<n>\d+) shares$")
_ROWS = re.compile(r"^(?P<fmt>csv|xlsx), (?P<n>\d+) rows(?P<rest>(?:, .*)?)$")
_PLOTS = re.compile(r"^(?P<n>\d+) plots shown$")


def _day(iso: str) -> str:
    from datetime import date, datetime

    try:
        value = datetime.fromisoformat(iso) if "T" in iso else date.fromisoformat(iso)
    except ValueError:
        return iso
    return formats.date(value)


def detail_text(detail: str, note: Any = None) -> str:
    """The detail of an event in the page's language: the stored message (``Note``) translated,
    its numbers and dates in the locale's format; an older row's English text by the patterns
    written most often; any other as it was written."""
    if note:
        return render_note(note, translate=_, number=formats.number, day=_day)
    if m := _SHARES.match(detail):
        n = int(m["n"])
        return ngettext("%(purpose)s, %(n)d share", "%(purpose)s, %(n)d shares", n) % {
            "purpose": str(PURPOSES.get(m["purpose"], m["purpose"])), "n": n}
    if m := _ROWS.match(detail):
        n = int(m["n"])
        return ngettext("%(fmt)s, %(n)d row", "%(fmt)s, %(n)d rows", n) % {
            "fmt": m["fmt"].upper(), "n": n} + m["rest"]
    if m := _PLOTS.match(detail):
        n = int(m["n"])
        return ngettext("%(n)d plot shown", "%(n)d plots shown", n) % {"n": n}
    return detail


def type_label(object_type: str) -> str:
    """A Polish (active language) name of an audited object type, never the code, unless the
    type is unknown (then the code, so nothing is hidden)."""
    if object_type in TYPE_LABELS:
        return str(TYPE_LABELS[object_type])
    model = model_of(object_type)
    if model is not None:
        return str(model._meta.verbose_name)
    return object_type


def type_choices(object_types: Any) -> list[tuple[str, str]]:
    """(code, label) of the given object types, sorted by label."""
    return sorted(((t, type_label(t)) for t in object_types if t), key=lambda c: c[1].lower())


def _field(object_type: str, name: str) -> models.Field | None:
    model = model_of(object_type)
    if model is None:
        return None
    with suppress(FieldDoesNotExist):
        return model._meta.get_field(name)
    return None


def _geometry(value: Any) -> Any:
    if not isinstance(value, str) or not _GEOMETRY_WKT.match(value):
        return None
    from django.contrib.gis.geos import GEOSException, GEOSGeometry

    try:
        return GEOSGeometry(value)
    except (GEOSException, ValueError, TypeError):
        return None


def _measure(geom: Any) -> tuple[str, Any]:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return "area", formats.area(geom.area)
    if geom.geom_type in ("LineString", "MultiLineString"):
        return "length", f"{formats.number(geom.length, 2)}\xa0m"
    return "position", f"{formats.number(geom.centroid.x, 2)}, {formats.number(geom.centroid.y, 2)}"


def geometry_summary(before: Any, after: Any) -> str:
    """``changed: area 512,00 → 530,10 m²`` (or the one side's area for a create/delete)."""
    old, new = _geometry(before), _geometry(after)
    if old is not None and new is not None:
        kind, old_text = _measure(old)
        _kind, new_text = _measure(new)
        if kind == "area":
            return _("changed: area %(before)s → %(after)s") % {
                "before": formats.number(old.area, 2), "after": new_text}
        if kind == "length":
            return _("changed: length %(before)s → %(after)s") % {
                "before": old_text, "after": new_text}
        return _("moved by %(distance)s m") % {"distance": formats.number(old.distance(new), 2)}
    one = new if new is not None else old
    kind, text = _measure(one)
    names = {"area": _("area"), "length": _("length"), "position": _("position")}
    return f"{names[kind]} {text}"


def display_value(object_type: str, name: str, value: Any) -> str:
    """One snapshot value as the page shows it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    field = _field(object_type, name)
    if field is not None and field.choices and not isinstance(value, list | dict):
        with suppress(TypeError):
            label = dict(field.flatchoices).get(value)
            if label is not None:
                return str(label)
    if isinstance(value, list):
        return ", ".join(display_value(object_type, name, v) for v in value) or "–"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {display_value(object_type, k, v)}" for k, v in value.items())
    if isinstance(field, models.DecimalField | models.FloatField) or isinstance(value, float):
        places = getattr(field, "decimal_places", None)
        return formats.number(value, places if places is not None else 2)
    if isinstance(value, int) and not isinstance(field, models.ForeignKey | models.AutoField):
        return formats.number(value) if abs(value) >= 10_000 else str(value)
    geom = _geometry(value)
    if geom is not None:
        return geometry_summary(None, value)
    return str(value)


@dataclass
class ChangeRow:
    label: str
    before: str
    after: str
    changed: bool
    svg: str = ""


def change_rows(object_type: str, before: Any, after: Any) -> list[ChangeRow]:
    """Each field of the before/after snapshots as a row of label and values (a create has no
    before, a delete no after). A geometry's row says what became of its area and carries a
    small drawing of both shapes."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    names = list(dict.fromkeys([*after, *before]))
    labels = field_labels(object_type, names)
    rows = []
    for name in names:
        old, new = before.get(name), after.get(name)
        if _geometry(old) is not None or _geometry(new) is not None:
            summary = geometry_summary(old, new) if name in before and name in after else ""
            rows.append(ChangeRow(
                str(labels[name]),
                display_value(object_type, name, old) if name in before else "",
                summary or display_value(object_type, name, new) if name in after else "",
                old != new, svg=geometry_svg(_geometry(old), _geometry(new))))
            continue
        rows.append(ChangeRow(str(labels[name]),
                              display_value(object_type, name, old) if name in before else "",
                              display_value(object_type, name, new) if name in after else "",
                              name in before and old != new))
    return rows


def geometry_svg(before: Any, after: Any, size: int = 120) -> str:
    """A small inline SVG of the geometry before (dashed) and after (filled), on one scale;
    y grows north (PL-1992 X is northing, stored as y). Empty when neither is an area."""
    shapes = [g for g in (before, after) if g is not None and not g.empty]
    if not shapes:
        return ""
    xs = [c for g in shapes for c in (g.extent[0], g.extent[2])]
    ys = [c for g in shapes for c in (g.extent[1], g.extent[3])]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    pad = 4
    scale = (size - 2 * pad) / span

    def path(geom: Any) -> str:
        parts = []
        polygons = (geom if geom.geom_type.startswith("Multi") else [geom])
        for poly in polygons:
            rings = poly if poly.geom_type == "Polygon" else [poly]
            for ring in rings:
                coords = ring.coords if hasattr(ring, "coords") else []
                if coords and not isinstance(coords[0], tuple):
                    coords = [coords]
                pts = [f"{pad + (x - min(xs)) * scale:.1f},{size - pad - (y - min(ys)) * scale:.1f}"
                       for x, y, *_rest in coords]
                closed = " Z" if poly.geom_type == "Polygon" else ""
                if pts:
                    parts.append("M" + " L".join(pts) + closed)
        return " ".join(parts)

    label = escape(_("before and after"))
    out = [f'<svg class="audit-geom" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
           f'role="img" aria-label="{label}">']
    if before is not None:
        out.append(f'<path d="{path(before)}" fill="none" stroke="#888" stroke-dasharray="3 2"/>')
    if after is not None:
        out.append(f'<path d="{path(after)}" fill="rgba(0,90,200,.25)" stroke="#005ac8"/>')
    out.append("</svg>")
    return "".join(out)
