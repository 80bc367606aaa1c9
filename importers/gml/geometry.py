"""GML geometry → EWKT text in the source CRS, axes put in (x, y) order.

Built as text straight from ``posList`` tokens (no float round-trips) because parsing is the
hot path of an import; PostGIS then transforms, validates and repairs in one set-based pass.
Arcs are linearised here, as PostGIS would need curve types otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from importers.gml.crs import SrsInfo, parse_srs_name

Element = etree._Element  # lxml's element type (its documented name for annotations)

_NUMERIC = re.compile(r"^[0-9eE+\-.\s]*$")
# one vertex every 2° of arc: the chord error is r·(1 − cos 1°) ≈ 1.5e-4·r (1.5 mm at r = 10 m)
_ARC_STEP_RAD = math.radians(2.0)


class GeometryError(ValueError):
    """A geometry that cannot be read; the message is the reason recorded for the rejection."""


_LOCAL: dict[Any, str] = {}


def local(tag: object) -> str:
    """``{ns}Name`` → ``Name``; "" for comments and PIs (whose tag is a function). Cached:
    a file has a few dozen distinct tags and this is called for every element."""
    try:
        return _LOCAL[tag]
    except KeyError:
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        if len(_LOCAL) < 10_000:
            _LOCAL[tag] = name
        return name


def _srs(el: Element, default: SrsInfo | None) -> SrsInfo:
    name = el.get("srsName")
    if name:
        return parse_srs_name(name)
    if default is None:
        raise GeometryError("geometry without srsName and no default CRS in the file")
    return default


def _dim(el: Element, inherited: int) -> int:
    d = el.get("srsDimension")
    return int(d) if d and d.isdigit() else inherited


def _tokens_to_pairs(text: str, dim: int, swap: bool) -> tuple[list[str], list[str]]:
    if not _NUMERIC.match(text):
        raise GeometryError("non-numeric coordinates")
    tokens = text.split()
    if dim < 2 or len(tokens) % dim:
        raise GeometryError(f"{len(tokens)} coordinate values do not make {dim}-D positions")
    a, b = tokens[0::dim], tokens[1::dim]
    return (b, a) if swap else (a, b)


def _gml2_coordinates(text: str, swap: bool) -> tuple[list[str], list[str]]:
    xs, ys = [], []
    for tup in text.split():
        parts = tup.split(",")
        if len(parts) < 2 or not _NUMERIC.match(parts[0] + " " + parts[1]):
            raise GeometryError(f"bad coordinate tuple {tup!r}")
        xs.append(parts[0])
        ys.append(parts[1])
    return (ys, xs) if swap else (xs, ys)


def _point_list(el: Element, srs: SrsInfo, dim: int) -> tuple[list[str], list[str]]:
    """Positions of a LinearRing/LineString/segment: posList, pos*, coordinates, pointProperty."""
    xs: list[str] = []
    ys: list[str] = []
    for child in el:
        name = local(child.tag)
        if name in ("posList", "pos"):
            a, b = _tokens_to_pairs(child.text or "", _dim(child, dim), srs.swap)
            xs.extend(a)
            ys.extend(b)
        elif name == "coordinates":
            a, b = _gml2_coordinates(child.text or "", srs.swap)
            xs.extend(a)
            ys.extend(b)
        elif name in ("pointProperty", "pointRep"):
            for p in child:
                if local(p.tag) == "Point":
                    a, b = _point_list(p, srs, _dim(p, dim))
                    xs.extend(a)
                    ys.extend(b)
    return xs, ys


def _arc_points(pts: list[tuple[float, float]],
                full_circle: bool = False) -> list[tuple[float, float]]:
    """Linearise an arc string given by consecutive (start, mid, end) triples."""
    if len(pts) < 3 or (len(pts) - 1) % 2:
        raise GeometryError("an arc needs 3, 5, 7 … control points")
    out: list[tuple[float, float]] = [pts[0]]
    for i in range(0, len(pts) - 2, 2):
        p0, p1, p2 = pts[i], pts[i + 1], pts[i + 2]
        ax, ay = p0
        bx, by = p1
        cx, cy = p2
        d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
        if abs(d) < 1e-12:  # collinear: a straight segment
            out.extend([p1, p2])
            continue
        ux = ((ax * ax + ay * ay) * (by - cy) + (bx * bx + by * by) * (cy - ay)
              + (cx * cx + cy * cy) * (ay - by)) / d
        uy = ((ax * ax + ay * ay) * (cx - bx) + (bx * bx + by * by) * (ax - cx)
              + (cx * cx + cy * cy) * (bx - ax)) / d
        r = math.hypot(ax - ux, ay - uy)
        t0 = math.atan2(ay - uy, ax - ux)
        t1 = math.atan2(by - uy, bx - ux)
        t2 = math.atan2(cy - uy, cx - ux)
        # direction: counter-clockwise if the middle point lies on the ccw sweep from t0 to t2
        ccw_span = (t2 - t0) % (2 * math.pi)
        ccw_mid = (t1 - t0) % (2 * math.pi)
        if full_circle:
            span = 2 * math.pi if ccw_mid <= math.pi else -2 * math.pi
        else:
            span = ccw_span if ccw_mid <= ccw_span else ccw_span - 2 * math.pi
        steps = max(2, math.ceil(abs(span) / _ARC_STEP_RAD))
        for k in range(1, steps):
            t = t0 + span * k / steps
            out.append((ux + r * math.cos(t), uy + r * math.sin(t)))
        out.append(p2 if not full_circle else p0)
    return out


def _floats(xs: list[str], ys: list[str]) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _curve_points(curve: Element, srs: SrsInfo, dim: int) -> list[tuple[float, float]]:
    name = local(curve.tag)
    srs = _srs(curve, srs)
    dim = _dim(curve, dim)
    if name in ("LineString", "LineStringSegment"):
        return _floats(*_point_list(curve, srs, dim))
    if name in ("Arc", "ArcString"):
        return _arc_points(_floats(*_point_list(curve, srs, dim)))
    if name == "Circle":
        return _arc_points(_floats(*_point_list(curve, srs, dim)), full_circle=True)
    if name in ("Curve", "OrientableCurve", "CompositeCurve"):
        pts: list[tuple[float, float]] = []
        for child in curve.iter():
            cname = local(child.tag)
            if cname in ("LineStringSegment", "Arc", "ArcString", "Circle", "LineString"):
                seg = _curve_points(child, srs, dim)
                if pts and seg and pts[-1] == seg[0]:
                    seg = seg[1:]
                pts.extend(seg)
        return pts
    raise GeometryError(f"unsupported curve type {name}")


def _fmt(v: float) -> str:
    return repr(round(v, 4))


def _ring_text(ring: Element, srs: SrsInfo, dim: int) -> str:
    name = local(ring.tag)
    if name == "LinearRing":
        xs, ys = _point_list(ring, srs, dim)
        if len(xs) < 4:
            raise GeometryError(f"a ring has {len(xs)} positions (at least 4 are needed)")
        if (xs[0], ys[0]) != (xs[-1], ys[-1]) and (
            float(xs[0]), float(ys[0])) != (float(xs[-1]), float(ys[-1])):
            raise GeometryError("a ring is not closed")
        return ",".join([f"{x} {y}" for x, y in zip(xs, ys, strict=True)])
    if name == "Ring":
        pts: list[tuple[float, float]] = []
        for member in ring:
            if local(member.tag) != "curveMember":
                continue
            for curve in member:
                if not local(curve.tag):
                    continue
                seg = _curve_points(curve, srs, dim)
                if pts and seg and pts[-1] == seg[0]:
                    seg = seg[1:]
                pts.extend(seg)
        if len(pts) < 4:
            raise GeometryError(f"a ring has {len(pts)} positions (at least 4 are needed)")
        if math.dist(pts[0], pts[-1]) > 1e-6:
            raise GeometryError("a ring is not closed")
        pts[-1] = pts[0]
        return ",".join(f"{_fmt(x)} {_fmt(y)}" for x, y in pts)
    raise GeometryError(f"unsupported ring type {name}")


def _polygon_text(poly: Element, srs: SrsInfo, dim: int) -> str:
    rings: list[str] = []
    holes: list[str] = []
    for boundary in poly:
        bname = local(boundary.tag)
        if bname not in ("exterior", "interior", "outerBoundaryIs", "innerBoundaryIs"):
            continue
        for ring in boundary:
            if not local(ring.tag):
                continue
            text = _ring_text(ring, srs, dim)
            (rings if bname in ("exterior", "outerBoundaryIs") else holes).append(text)
    if len(rings) != 1:
        raise GeometryError("a polygon without an exterior ring")
    return "(" + ",".join(f"({r})" for r in rings + holes) + ")"


def _polygons(el: Element, srs: SrsInfo, dim: int) -> Iterable[str]:
    name = local(el.tag)
    srs = _srs(el, srs)
    dim = _dim(el, dim)
    if name in ("Polygon", "PolygonPatch"):
        yield _polygon_text(el, srs, dim)
    elif name == "Surface":
        for patches in el:
            if local(patches.tag) == "patches":
                for patch in patches:
                    if local(patch.tag) == "PolygonPatch":
                        yield _polygon_text(patch, srs, dim)
                    elif local(patch.tag):
                        raise GeometryError(f"unsupported surface patch {local(patch.tag)}")
    elif name in ("MultiSurface", "MultiPolygon", "CompositeSurface", "Shell"):
        for member in el:
            mname = local(member.tag)
            if mname in ("surfaceMember", "polygonMember", "surfaceMembers", "polygonMembers"):
                for child in member:
                    if local(child.tag):
                        yield from _polygons(child, srs, dim)
    else:
        raise GeometryError(f"unsupported geometry type {name}")


def surface_ewkt(el: Element, default: SrsInfo | None) -> tuple[str, int]:
    """A surface-like GML element → ("SRID=n;MULTIPOLYGON(...)", n)."""
    srs = _srs(el, default)
    polys = list(_polygons(el, srs, 2))
    if not polys:
        raise GeometryError("an empty geometry")
    return f"SRID={srs.srid};MULTIPOLYGON({','.join(polys)})", srs.srid


def point_ewkt(el: Element, default: SrsInfo | None) -> tuple[str, int]:
    srs = _srs(el, default)
    xs, ys = _point_list(el, srs, _dim(el, 2))
    if len(xs) != 1:
        raise GeometryError("a point needs exactly one position")
    return f"SRID={srs.srid};POINT({xs[0]} {ys[0]})", srs.srid


SURFACE_TYPES = frozenset({"Polygon", "Surface", "MultiSurface", "MultiPolygon",
                           "CompositeSurface", "PolygonPatch"})
POINT_TYPES = frozenset({"Point"})
