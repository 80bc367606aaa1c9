"""Where an imported feature may lie, and which municipality an import may write into.

Every importer checks each feature against the place it claims: Poland (the area of use of the
storage CRS, EPSG:2180) and, when the municipality's boundary is stored, that boundary widened by
a tolerance. Both checks are one set-based SQL statement over a staged table (``place_sql``):
a feature whose bounding box lies inside a rectangle inscribed in Poland's area of use passes on
a box comparison; only the others are tested exactly, against the prepared area polygon.
"""

from __future__ import annotations

import math
from functools import lru_cache

from pyproj import CRS, Transformer

from importers.errors import ImportProblem
from importers.gml.crs import area_of_use
from layers.domain.identifiers import IdentifierError, parse_unit
from layers.domain.srid import STORAGE_SRID

DEFAULT_BOUNDARY_TOLERANCE_M = 500.0
TERYT_FORMAT = "WWPPGG_R: six digits, '_', the unit kind digit, e.g. 180501_1"


class PlaceError(ImportProblem, ValueError):
    """A municipality code that is not a TERYT code, or a municipality that does not exist."""


def check_teryt(text: str | None) -> str:
    """The TERYT code of a cadastral unit (``\\d{6}_\\d``, kind 1–5, 8, 9), or PlaceError
    naming the expected format."""
    value = (text or "").strip()
    try:
        return parse_unit(value)
    except IdentifierError as exc:
        raise PlaceError(f"--municipality {value!r} is not a TERYT code {TERYT_FORMAT} "
                         f"({exc})") from None


@lru_cache(maxsize=1)
def poland() -> tuple[str, tuple[float, float, float, float], str]:
    """(the area of use of EPSG:2180 as EWKT in 2180, an axis-aligned rectangle inside it as
    (xmin, ymin, xmax, ymax), a description for messages)."""
    aou = CRS.from_epsg(STORAGE_SRID).area_of_use
    west, south, east, north = aou.west, aou.south, aou.east, aou.north
    steps = 40
    to_2180 = Transformer.from_crs(4326, STORAGE_SRID, always_xy=True).transform

    def edge(lon0, lat0, lon1, lat1):  # both ends included
        return [to_2180(lon0 + (lon1 - lon0) * i / steps, lat0 + (lat1 - lat0) * i / steps)
                for i in range(steps + 1)]

    south_edge = edge(west, south, east, south)
    east_edge = edge(east, south, east, north)
    north_edge = edge(east, north, west, north)
    west_edge = edge(west, north, west, south)
    ring = south_edge[:-1] + east_edge[:-1] + north_edge[:-1] + west_edge
    ewkt = (f"SRID={STORAGE_SRID};POLYGON((" + ",".join(f"{x:.3f} {y:.3f}" for x, y in ring)
            + "))")
    # the edges are curves in 2180 (drawn as chords): a rectangle within every vertex of each,
    # less a margin for the chords, lies inside the polygon (tests check it)
    margin = 100.0
    inner = (max(x for x, _ in west_edge) + margin, max(y for _, y in south_edge) + margin,
             min(x for x, _ in east_edge) - margin, min(y for _, y in north_edge) - margin)
    text = (f"outside Poland (the area of use of EPSG:{STORAGE_SRID}: "
            f"{west:.2f}–{east:.2f}° E, {south:.2f}–{north:.2f}° N)")
    return ewkt, inner, text


def place_params(municipality_id: int, teryt: str, tolerance_m: float) -> dict:
    """The query parameters of ``place_sql``: Poland's area, and the municipality's stored
    boundary widened by ``tolerance_m`` (buffered once here, not per feature), if known."""
    from django.db import connection

    ewkt, (xmin, ymin, xmax, ymax), text = poland()
    with connection.cursor() as cur:
        cur.execute("SELECT ST_AsEWKB(ST_Buffer(geom, %s)) FROM layers_municipality "
                    "WHERE id = %s AND geom IS NOT NULL", [float(tolerance_m), municipality_id])
        row = cur.fetchone()
    return {"poland": ewkt, "px0": xmin, "py0": ymin, "px1": xmax, "py1": ymax,
            "outside_poland": text, "boundary": bytes(row[0]) if row else None,
            "outside_boundary": (f"outside the boundary of {teryt} by more than "
                                 f"{float(tolerance_m):g} m (option --boundary-tolerance)")}


def place_sql(table: str, params: dict, geom: str = "geom", error: str = "error") -> list[str]:
    """Statements appending to ``table.error`` why a feature lies where it may not.

    ``%(...)s`` parameters come from ``place_params``. Features without geometry pass."""
    box = f"ST_MakeEnvelope(%(px0)s, %(py0)s, %(px1)s, %(py1)s, {STORAGE_SRID})"
    sql = [
        f"""UPDATE {table} SET {error} = concat_ws('; ', {error}, %(outside_poland)s)
            WHERE {geom} IS NOT NULL AND NOT ({geom} @ {box}) AND NOT ST_IsEmpty({geom})
              AND NOT ST_CoveredBy({geom}, ST_GeomFromEWKT(%(poland)s))""",
    ]
    if params.get("boundary") is not None:
        sql.append(
            f"""UPDATE {table} SET {error} = concat_ws('; ', {error}, %(outside_boundary)s)
                WHERE {geom} IS NOT NULL AND NOT ST_IsEmpty({geom})
                  AND NOT ST_CoveredBy({geom}, ST_GeomFromEWKB(%(boundary)s))""")
    return sql


# ---- the file as a whole: within its CRS's area of use ----------------------------------------
POLAND_LONLAT = (13.5, 48.5, 24.7, 55.4)
POLISH_SCHEMAS = frozenset({"egib2015", "egib2021", "kieg"})
Extent = tuple[int, float, float, float, float]  # srid, xmin, ymin, xmax, ymax


def _areas(srid: int, schema: str) -> list[tuple[float, float, float, float]]:
    aou = area_of_use(srid)
    return ([aou] if aou else []) + ([POLAND_LONLAT] if schema in POLISH_SCHEMAS else [])


def _inside(bounds: tuple[float, ...], box: tuple[float, ...], margin: float = 1.0) -> bool:
    w, s, e, n = bounds
    west, south, east, north = box
    return all(math.isfinite(v) for v in bounds) and (
        w >= west - margin and e <= east + margin and s >= south - margin
        and n <= north + margin)


def _fits(bounds: tuple[float, ...], box: tuple[float, ...]) -> bool:
    """Within the CRS's area of use; touching Poland at least (an object abroad in a Polish
    file is rejected per object, with the others kept: ``place_sql``)."""
    if box != POLAND_LONLAT:
        return _inside(bounds, box)
    w, s, e, n = bounds
    west, south, east, north = box
    return all(math.isfinite(v) for v in bounds) and (
        w <= east and e >= west and s <= north and n >= south)


def storage_extents_fit(extents: list[Extent], schema: str) -> bool:
    """The quick test: extents (per source CRS) of the geometry already in the storage CRS,
    taken back to longitude/latitude, within every area they must lie in."""
    for srid, xmin, ymin, xmax, ymax in extents:
        try:
            bounds = Transformer.from_crs(STORAGE_SRID, 4326, always_xy=True
                                          ).transform_bounds(xmin, ymin, xmax, ymax)
        except Exception:
            return False
        if not all(_fits(bounds, box) for box in _areas(srid, schema)):
            return False
    return True


def area_of_use_problem(extents: list[Extent], schema: str) -> str | None:
    """Why coordinates (extents in their own CRS) fall outside the CRS's area of use (or
    outside Poland for Polish schemas), naming swapped axes as the likely cause; or None."""
    for srid, xmin, ymin, xmax, ymax in extents:
        try:
            bounds = Transformer.from_crs(srid, 4326, always_xy=True).transform_bounds(
                xmin, ymin, xmax, ymax)
        except Exception:  # PROJ refuses wildly wrong coordinates
            bounds = (math.inf,) * 4
        for box in _areas(srid, schema):
            if not _fits(bounds, box):
                return (f"coordinates ({xmin:.2f} {ymin:.2f} … {xmax:.2f} {ymax:.2f}) fall "
                        f"outside the area of use of EPSG:{srid}"
                        f"{' and of Poland' if box == POLAND_LONLAT else ''}: "
                        "are the axes swapped? urn:ogc:def:crs:EPSG::NNNN and "
                        "http://www.opengis.net/def/crs/EPSG/0/NNNN promise northing "
                        "(latitude) first; EPSG:NNNN is read easting (longitude) first")
    return None
