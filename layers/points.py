"""(x, y, srid) → a point in the storage SRID: the one place where a coordinate given from
outside (a form, a query string, an API call) becomes a point the database can compare."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

from django.contrib.gis.gdal import CoordTransform, GDALException, SpatialReference
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from layers import formats
from layers.domain.srid import PL2000_SRIDS, STORAGE_SRID, WGS84_SRID

#: The coordinate systems a point may be given in: PL-1992, PL-2000 zones, WGS 84 (lon/lat).
ACCEPTED_SRIDS = (STORAGE_SRID, *PL2000_SRIDS, WGS84_SRID)


class PointError(ValueError):
    """x/y/srid name no point on the ground; ``field`` is the parameter at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_local = threading.local()


def _to_storage(srid: int) -> CoordTransform:
    """The transformation from ``srid`` to the storage SRID, built once per thread: building
    it (GDAL looks both systems up in the PROJ database) cost ~35 ms a point on a loaded host,
    far more than the query the point is for. GDAL's transformations are not thread-safe,
    hence one per thread."""
    cache = getattr(_local, "transforms", None)
    if cache is None:
        cache = _local.transforms = {}
    ct = cache.get(srid)
    if ct is None:
        ct = cache[srid] = CoordTransform(SpatialReference(srid), SpatialReference(STORAGE_SRID))
    return ct


def stored_point(x: float, y: float, srid: int = STORAGE_SRID) -> Point:
    """The point in ``STORAGE_SRID``; ``PointError`` for an unknown SRID, a number that is not
    finite, lon/lat out of range, or a point outside the given coordinate system."""
    if srid not in ACCEPTED_SRIDS:
        raise PointError("srid", _("srid must be one of %(s)s")
                         % {"s": ", ".join(map(str, ACCEPTED_SRIDS))})
    if not (math.isfinite(x) and math.isfinite(y)):
        raise PointError("x", _("coordinates x and y must be finite numbers"))
    if srid == WGS84_SRID and not (-180 <= x <= 180 and -90 <= y <= 90):
        raise PointError("x", _("x is longitude and y latitude in EPSG:4326"))
    point = Point(float(x), float(y), srid=srid)
    if srid != STORAGE_SRID:
        try:
            point.transform(_to_storage(srid))
        except GDALException:
            raise PointError("x", _("the point lies outside the coordinate system EPSG:%(s)s")
                             % {"s": srid}) from None
    return point


def parse_number(raw: object, field: str) -> float:
    """A coordinate as a person or a program writes it: "211551.5", "211 551,50" (the national
    format the map shows: spaces grouping, decimal comma). ``PointError`` names ``field``."""
    try:
        value = formats.parse_decimal(raw)
    except formats.NumberError:
        if str(raw).strip().lower().lstrip("+-") in ("inf", "infinity", "nan"):
            raise PointError(field, _("parameter %(p)s must be a finite number")
                             % {"p": field}) from None
        raise PointError(field, _("parameter %(p)s must be a number, got %(v)s")
                         % {"p": field, "v": str(raw)[:40]}) from None
    if value is None:
        raise PointError(field, _("parameter %(p)s is missing") % {"p": field})
    if not math.isfinite(number := float(value)):  # 1e400: a finite decimal, no float
        raise PointError(field, _("parameter %(p)s must be a finite number") % {"p": field})
    return number


def point_from_params(params: Mapping[str, Any], default_srid: int = STORAGE_SRID) -> Point:
    """The point a query or a form gives, in ``STORAGE_SRID``: the one axis convention.

    - ``x``/``y``: the Polish convention of the whole app (map readout, forms, exports): **X is
      the northing** and Y the easting; in EPSG:4326 X is the latitude and Y the longitude.
    - ``e``/``n``: easting and northing named explicitly (longitude and latitude in EPSG:4326),
      for GIS software that thinks in (easting, northing).
    - ``srid``: 2180, 2176–2179 or 4326 (``default_srid`` when absent).

    Mixing the two pairs, a missing half of a pair, text that is not a number or a point
    outside the coordinate system raise ``PointError`` naming the parameter at fault."""
    has_xy = any(str(params.get(k) or "").strip() for k in ("x", "y"))
    has_en = any(str(params.get(k) or "").strip() for k in ("e", "n"))
    if has_xy and has_en:
        raise PointError("x", _("give either x and y (X the northing, Y the easting) or e and n "
                                "(easting, northing), not both"))
    if not (has_xy or has_en):
        raise PointError("x", _("give a point: x and y (X the northing, Y the easting) or e "
                                "and n (easting, northing)"))
    raw_srid = str(params.get("srid") or "").strip()
    try:
        srid = int(raw_srid) if raw_srid else default_srid
    except ValueError:
        raise PointError("srid", _("srid must be one of %(s)s")
                         % {"s": ", ".join(map(str, ACCEPTED_SRIDS))}) from None
    if has_en:
        easting, northing = parse_number(params.get("e"), "e"), parse_number(params.get("n"), "n")
    else:
        northing, easting = parse_number(params.get("x"), "x"), parse_number(params.get("y"), "y")
    try:
        return stored_point(easting, northing, srid)
    except PointError as exc:
        if exc.field != "x":
            raise
        if srid == WGS84_SRID:  # the only range check stored_point makes on its own
            message = (_("e is the longitude and n the latitude in EPSG:4326") if has_en else
                       _("X is the latitude and Y the longitude in EPSG:4326"))
        else:
            message = exc.message
        raise PointError("e" if has_en else "x", message) from None

