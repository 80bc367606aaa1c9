"""Queries behind OGC API – Features: CRS handling, bbox, paging, GeoJSON assembly.

Axis order follows the CRS (OGC API – Features Part 2): CRS84 is longitude, latitude; EPSG:2180
and 2176–2179 are defined northing, easting, so coordinates in those CRSs come out as
[northing, easting] (GDAL and OWSLib expect exactly this), and a ``bbox`` given with
``bbox-crs`` EPSG:2180 is read as minN,minE,maxN,maxE. Geometries are transformed in the query
(never on a model instance) and filtered on the stored 2180 column so the GiST index is used.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import Polygon
from django.db.models import Func, QuerySet

from gis_app.params import OFFSET_MAX, PAGE_MAX, BadParameter, bounded_int
from layers.domain.srid import OUTPUT_SRIDS, STORAGE_SRID, WGS84_SRID
from layers.ogc.registry import Collection

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
NORTHING_FIRST = set(OUTPUT_SRIDS)  # EPSG 2180, 2176–2179: axis order N, E
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_OFFSET = OFFSET_MAX  # gis_app.params: keeps the SQL OFFSET a bigint


class RequestError(ValueError):
    """A bad query parameter (HTTP 400); the message names it."""


def crs_uri(srid: int) -> str:
    return CRS84 if srid == 4326 else EPSG_URI.format(srid)


def supported_crs() -> list[str]:
    return [CRS84, *[EPSG_URI.format(s) for s in OUTPUT_SRIDS]]


def parse_crs(value: str | None, param: str = "crs") -> int:
    """A CRS URI (or EPSG:n / CRS84 shorthand) → SRID; 4326 stands for CRS84 (lon, lat)."""
    if not value:
        return 4326
    v = value.strip().strip("[]")
    if v in (CRS84, "CRS84", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84"):
        return 4326
    for prefix in ("http://www.opengis.net/def/crs/EPSG/0/",
                   "https://www.opengis.net/def/crs/EPSG/0/", "EPSG:", "urn:ogc:def:crs:EPSG::"):
        if v.startswith(prefix):
            code = v[len(prefix):]
            if code.isdigit() and int(code) in OUTPUT_SRIDS:
                return int(code)
    raise RequestError(f"{param} {value!r} not supported; use one of {', '.join(supported_crs())}")


def parse_bbox(value: str | None, bbox_crs: str | None) -> Polygon | None:
    """bbox=minx,miny,maxx,maxy in ``bbox-crs`` axis order (CRS84: lon,lat) → a polygon."""
    if not value:
        return None
    srid = parse_crs(bbox_crs, "bbox-crs")
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise RequestError("bbox needs 4 numbers: minx,miny,maxx,maxy")
    try:
        nums = [float(p) for p in parts]
    except ValueError as exc:
        raise RequestError(f"bbox must be numbers, got {value!r}") from exc
    if len(nums) == 6:  # with heights: drop them
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if not all(math.isfinite(n) for n in nums):
        raise RequestError("bbox: the numbers must be finite")
    a0, a1, b0, b1 = nums
    if srid in NORTHING_FIRST:
        a0, a1, b0, b1 = a1, a0, b1, b0  # to easting, northing
    if a0 > b0 or a1 > b1:
        raise RequestError("bbox: the lower corner must come first")
    if srid == 4326 and not (-180 <= a0 <= 180 and -90 <= a1 <= 90 and -180 <= b0 <= 180
                             and -90 <= b1 <= 90):
        raise RequestError("bbox: longitude/latitude out of range")
    return _bbox_polygon(a0, a1, b0, b1, srid)


# Poland with a wide margin (CRS84). A projected bbox is clipped to it: far outside, PROJ cannot
# transform a point back to the storage CRS and the query would fail instead of finding nothing.
_DOMAIN_CRS84 = (5.0, 40.0, 35.0, 65.0)
# A CRS84 bbox is clamped to the storage CRS's area of use (with this margin, degrees): the
# whole world (-180,-90,180,90) reaches the poles, where PROJ's transform to EPSG:2180 gives
# infinities, and the query found nothing instead of everything.
_AREA_MARGIN_DEG = 1.0


@cache
def _area_of_use_crs84(srid: int = STORAGE_SRID) -> tuple[float, float, float, float]:
    from pyproj import CRS

    area = CRS.from_epsg(srid).area_of_use
    if area is None:  # pragma: no cover - every EPSG CRS we store in has one
        return _DOMAIN_CRS84
    m = _AREA_MARGIN_DEG
    return (max(-180.0, area.west - m), max(-90.0, area.south - m),
            min(180.0, area.east + m), min(90.0, area.north + m))


@cache
def _domain(srid: int) -> tuple[float, float, float, float]:
    if srid == 4326:
        return _area_of_use_crs84()
    area = Polygon.from_bbox(_DOMAIN_CRS84)
    area.srid = 4326
    area.transform(srid)
    return area.extent


def _bbox_polygon(x0: float, y0: float, x1: float, y1: float, srid: int) -> Polygon:
    d0, e0, d1, e1 = _domain(srid)
    x0, y0, x1, y1 = max(x0, d0), max(y0, e0), min(x1, d1), min(y1, e1)
    if x0 > x1 or y0 > y1:  # wholly outside: a point at the domain's corner finds nothing
        x0 = x1 = d0
        y0 = y1 = e0
    poly = Polygon.from_bbox((x0, y0, x1, y1))
    poly.srid = srid
    return poly


def parse_paging(limit: str | None, offset: str | None) -> tuple[int, int]:
    try:
        lim = bounded_int(limit, "limit", low=1, high=PAGE_MAX, default=DEFAULT_LIMIT)
        off = bounded_int(offset, "offset", low=0, high=OFFSET_MAX, default=0)
    except BadParameter as exc:
        raise RequestError(exc.message) from exc
    assert lim is not None and off is not None
    return min(lim, MAX_LIMIT), off


def scoped(collection: Collection, municipality_ids: set[int] | None) -> QuerySet:
    qs = collection.queryset()
    if not collection.public:
        qs = qs.filter(**{f"{collection.municipality_field}__in": municipality_ids or set()})
    return qs


def _geometry_expr(collection: Collection, srid: int) -> Any:
    geom: Any = collection.geometry_field
    if srid != STORAGE_SRID:
        geom = Transform(geom, srid)
    if srid in NORTHING_FIRST:
        geom = Func(geom, function="ST_FlipCoordinates", output_field=_geom_field(collection))
    return AsGeoJSON(geom, precision=7 if srid == 4326 else 3)


def _geom_field(collection: Collection) -> Any:
    model = collection.queryset().model
    return model._meta.get_field(collection.geometry_field)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass
class Page:
    matched: int
    features: list[str]  # serialised GeoJSON Feature objects


def _values(collection: Collection, qs: QuerySet, srid: int | None) -> tuple[QuerySet, list]:
    annotations: dict[str, Any] = {}
    keys: list[tuple[str, str]] = []
    for i, prop in enumerate(collection.properties):
        if isinstance(prop.source, str):
            keys.append((prop.name, prop.source))
        else:
            alias = f"_p{i}"
            annotations[alias] = prop.source
            keys.append((prop.name, alias))
    if srid is not None:
        annotations["_geojson"] = _geometry_expr(collection, srid)
    if annotations:
        qs = qs.annotate(**annotations)
    fields = ["pk", *[k for _, k in keys]]
    if srid is not None:
        fields.append("_geojson")
    return qs.values(*fields), keys


def feature_page(collection: Collection, municipality_ids: set[int] | None, *,
                 bbox: Polygon | None, limit: int, offset: int, srid: int,
                 pk: int | None = None) -> Page:
    """One page of features as GeoJSON strings, ordered by id, plus the matched count."""
    qs = scoped(collection, municipality_ids)
    if bbox is not None:
        qs = qs.filter(**{f"{collection.geometry_field}__intersects": bbox})
    if pk is not None:
        qs = qs.filter(pk=pk)
    matched = qs.count()
    rows, keys = _values(collection, qs.order_by("pk"), srid)
    features = []
    for row in rows[offset:offset + limit]:
        props = {name: _jsonable(row[key]) for name, key in keys}
        geometry = row["_geojson"] or "null"
        properties = json.dumps(props, ensure_ascii=False)
        features.append(f'{{"type":"Feature","id":{int(row["pk"])},"geometry":{geometry},'
                        f'"properties":{properties}}}')
    return Page(matched=matched, features=features)


def extent_crs84(collection: Collection) -> list[float] | None:
    """Spatial extent of the whole collection (all municipalities) in CRS84."""
    from django.contrib.gis.db.models import Extent

    qs = collection.queryset()
    qs = qs.model.objects.filter(pk__in=qs.values("pk")) if qs.query.annotations else qs
    # the extent of the stored geometries (the index's boxes, no per-row transform), then
    # that one rectangle transformed: its edges densified first, since a straight edge in
    # EPSG:2180 is a curve in CRS84 and the corners alone could leave rows outside the box
    box = qs.aggregate(e=Extent(collection.geometry_field))["e"]
    if not box:
        return None
    xmin, ymin, xmax, ymax = box
    rect = Polygon.from_bbox((xmin, ymin, xmax, ymax))
    rect.srid = STORAGE_SRID
    step = max(xmax - xmin, ymax - ymin, 1.0) / 16
    dense = Polygon([rect.exterior_ring.coords[0], *_densified(rect.exterior_ring.coords, step)],
                    srid=STORAGE_SRID)
    dense.transform(WGS84_SRID)
    return [round(v, 7) for v in dense.extent]


def _densified(ring: tuple, step: float) -> list[tuple[float, float]]:
    """The ring's points after the first, with points added every ``step`` metres or less."""
    out: list[tuple[float, float]] = []
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
        out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]
    return out
