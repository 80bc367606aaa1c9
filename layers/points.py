"""(x, y, srid) → a point in the storage SRID: the one place where a coordinate given from
outside (a form, a query string, an API call) becomes a point the database can compare."""

from __future__ import annotations

import math
import threading

from django.contrib.gis.gdal import CoordTransform, GDALException, SpatialReference
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

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
