"""Read queries over the spatial register used by the UI and the APIs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import QuerySet

from gis_app.accounts.access import has_capability, municipality_ids, visible_municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import audit
from gis_app.audit.models import AuditAction
from layers.domain.identifiers import (
    KW_RE,
    IdentifierError,
    ParcelId,
    normalize_kw,
    parse_parcel_id,
)
from layers.domain.srid import STORAGE_SRID, WGS84_SRID
from layers.domain.text import normalize_text
from layers.models import Municipality, Parcel
from layers.points import stored_point


def municipality_list(user: Any) -> QuerySet[Municipality]:
    """Municipalities the user was granted (all of them are public for the public map)."""
    if getattr(user, "is_authenticated", False):
        return Municipality.objects.filter(id__in=visible_municipality_ids(user))
    return Municipality.objects.all()


def parcels_at_point(x: float, y: float, srid: int = STORAGE_SRID) -> QuerySet[Parcel]:
    """Active parcels containing the point (given in any SRID)."""
    return Parcel.objects.filter(retired_at__isnull=True,
                                 geom__intersects=stored_point(x, y, srid))


def parcels_intersecting(geom: GEOSGeometry) -> QuerySet[Parcel]:
    """Active parcels whose interior meets ``geom`` (a zone, an area), SRIDs reconciled."""
    if geom.srid and geom.srid != STORAGE_SRID:
        geom = geom.transform(STORAGE_SRID, clone=True)
    return Parcel.objects.filter(retired_at__isnull=True, geom__intersects=geom).exclude(
        geom__touches=geom
    )


# --- search ------------------------------------------------------------------------------------

SEARCH_LIMIT = 20
_PRECINCT_NUMBER_RE = re.compile(
    r"^(?P<precinct>\d{4})[\s.]+(?:(?P<sheet>AR_\d+)[\s.]+)?(?P<number>[0-9A-Za-z]+(?:/[0-9A-Za-z]+)*)$",
    re.IGNORECASE,
)

# Columns every search query returns; bbox in WGS 84 for the map's zoom-to.
_RESULT_COLUMNS = """
    p.id, p.cadastral_id, p.municipality_id,
    ST_XMin(b.box), ST_YMin(b.box), ST_XMax(b.box), ST_YMax(b.box)
"""
_RESULT_FROM = """
    CROSS JOIN LATERAL (SELECT Box2D(ST_Transform(ST_Envelope(p.geom), 4326)) AS box) b
"""


@dataclass(frozen=True)
class SearchResult:
    """One plot found; ``label`` says why it matched (only what the viewer may see)."""

    parcel_id: int
    cadastral_id: str
    municipality_id: int
    kind: str  # "id" | "address" | "kw" | "owner"
    label: str
    bbox: tuple[float, float, float, float]  # west, south, east, north (EPSG:4326)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.parcel_id, "cadastral_id": self.cadastral_id,
            "municipality_id": self.municipality_id, "kind": self.kind, "label": self.label,
            "bbox": list(self.bbox),
        }


@dataclass
class SearchOutcome:
    query: str
    kind: str  # what the query was read as: id, precinct_number, kw, text, empty
    results: list[SearchResult]
    message: str = ""


def search_scope(user: Any) -> list[int] | None:
    """Municipality ids a search may return: None = all (the public, ids only)."""
    if getattr(user, "is_authenticated", False):
        return sorted(visible_municipality_ids(user))
    return None


def _scope_sql(scope: list[int] | None) -> tuple[str, list[Any]]:
    if scope is None:
        return "", []
    return " AND p.municipality_id = ANY(%s)", [scope]


def _rows_to_results(rows: list[tuple], kind: str, labels: dict[int, str] | None = None
                     ) -> list[SearchResult]:
    out = []
    for pid, cid, mid, w, s, e, n, *extra in rows:
        label = (labels or {}).get(pid) or (extra[0] if extra and extra[0] else cid)
        out.append(SearchResult(pid, cid, mid, kind, label, (w, s, e, n)))
    return out


def search_parcels(user: Any, query: str, limit: int = SEARCH_LIMIT) -> SearchOutcome:
    """Find plots by id, precinct + number, KW number, address or (role permitting) owner.

    The query's shape decides the search: a KW number, a full TERYT parcel id, a four-digit
    precinct with a number, otherwise free text (address, and owner names for users holding
    VIEW_OWNERS: that read is audit-logged). Results stay within ``search_scope(user)``.
    """
    q = " ".join(query.split())
    if not q:
        return SearchOutcome(query, "empty", [], "")
    scope = search_scope(user)
    kw = normalize_kw(q)
    if KW_RE.match(kw):
        detail = municipality_ids(user, Capability.VIEW_MAP)
        if not detail:
            return SearchOutcome(q, "kw", [], "log in to search by land register (KW) number")
        return SearchOutcome(q, "kw", _search_kw(kw, sorted(detail), limit))
    try:
        pid = parse_parcel_id(q)
    except IdentifierError:
        pid = None
    if pid is not None:
        return SearchOutcome(q, "id", _search_id(pid, scope, limit))
    m = _PRECINCT_NUMBER_RE.match(q)
    if m:
        return SearchOutcome(q, "precinct_number", _search_precinct_number(
            m["precinct"], m["number"], (m["sheet"] or "").upper() or None, scope, limit))
    results = _search_address(user, q, scope, limit)
    owners_in = municipality_ids(user, Capability.VIEW_OWNERS)
    if owners_in:
        results += _search_owner(user, q, sorted(owners_in), limit)
    return SearchOutcome(q, "text", results[: 2 * limit])


def _search_id(pid: ParcelId, scope: list[int] | None, limit: int) -> list[SearchResult]:
    where, params = _scope_sql(scope)
    sheet_sql = " AND upper(p.sheet) = %s" if pid.sheet else ""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_RESULT_COLUMNS} FROM layers_parcel p {_RESULT_FROM}
            WHERE p.retired_at IS NULL
              AND (p.cadastral_id = %s
                   OR (p.precinct_id = (SELECT id FROM layers_precinct WHERE teryt = %s)
                       AND p.number = %s{sheet_sql}))
              {where}
            ORDER BY p.cadastral_id LIMIT %s
            """,
            [str(pid), pid.precinct_id, pid.number, *([pid.sheet] if pid.sheet else []),
             *params, limit],
        )
        return _rows_to_results(cur.fetchall(), "id")


def _search_precinct_number(precinct: str, number: str, sheet: str | None,
                            scope: list[int] | None, limit: int) -> list[SearchResult]:
    where, params = _scope_sql(scope)
    sheet_sql = " AND upper(p.sheet) = %s" if sheet else ""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_RESULT_COLUMNS} FROM layers_parcel p {_RESULT_FROM}
            WHERE p.retired_at IS NULL
              AND p.precinct_id = ANY(ARRAY(SELECT id FROM layers_precinct
                                            WHERE split_part(teryt, '.', 2) = %s))
              AND upper(p.number) = upper(%s){sheet_sql}
              {where}
            ORDER BY p.cadastral_id LIMIT %s
            """,
            [precinct, number, *([sheet] if sheet else []), *params, limit],
        )
        return _rows_to_results(cur.fetchall(), "id")


def _search_kw(kw: str, detail: list[int], limit: int) -> list[SearchResult]:
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT {_RESULT_COLUMNS}, %s FROM layers_parcel p {_RESULT_FROM}
            WHERE p.retired_at IS NULL AND p.kw_numbers @> ARRAY[%s]::varchar[]
              AND p.municipality_id = ANY(%s)
            ORDER BY p.cadastral_id LIMIT %s
            """,
            [kw, kw, detail, limit],
        )
        rows = cur.fetchall()
    return [SearchResult(r[0], r[1], r[2], "kw", f"{r[1]} · KW {kw}", tuple(r[3:7]))
            for r in rows]


def _text_conditions(column: str, text: str) -> tuple[str, list[str]] | None:
    """AND of the query's words: long ones as substrings (trigram index), short ones as words."""
    tokens = normalize_text(text).split()
    if not tokens or not any(len(t) >= 3 for t in tokens):
        return None
    parts, params = [], []
    for token in tokens[:8]:
        if len(token) >= 3:
            parts.append(f"{column} LIKE %s")
            params.append("%" + token.replace("\\", "").replace("%", "").replace("_", "") + "%")
        else:
            parts.append(f"{column} ~ %s")
            params.append(r"(^| )" + re.escape(token) + r"( |$)")
    return " AND ".join(parts), params


def _like_prefix(q: str) -> str:
    text = normalize_text(q).replace("\\", "").replace("%", "").replace("_", "")
    return text + "%"


def _search_address(user: Any, q: str, scope: list[int] | None, limit: int
                    ) -> list[SearchResult]:
    cond = _text_conditions("a.search_text", q)
    if cond is None:
        return []
    where_text, text_params = cond
    where, params = _scope_sql(scope)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH prefix AS (
                -- the query as the start of the text: a btree range scan, already ordered
                SELECT a.id, a.locality, a.street, a.house_number,
                       1000 - length(a.search_text) AS rank
                FROM layers_address a
                WHERE a.search_text LIKE %s AND a.retired_at IS NULL
                ORDER BY a.search_text LIMIT %s
            ), hits AS (
                SELECT * FROM prefix
                UNION ALL
                -- otherwise every word anywhere (trigram index); OFFSET 0 keeps the planner
                -- from betting on a sequential scan because of the LIMIT
                (SELECT * FROM (
                    SELECT a.id, a.locality, a.street, a.house_number,
                           -length(a.search_text) AS rank
                    FROM layers_address a
                    WHERE {where_text} AND a.retired_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM prefix)
                    OFFSET 0) w
                 ORDER BY rank DESC LIMIT %s)
            ), links AS (
                SELECT pa.parcel_id, h.* FROM hits h
                JOIN layers_parcel_addresses pa ON pa.address_id = h.id
                UNION
                SELECT bp.parcel_id, h.* FROM hits h
                JOIN layers_building_addresses ba ON ba.address_id = h.id
                JOIN layers_building_parcels bp ON bp.building_id = ba.building_id
            )
            SELECT DISTINCT ON (p.id) {_RESULT_COLUMNS},
                   concat_ws(' ', nullif(l.street, ''), l.house_number) || ', ' || l.locality,
                   l.rank
            FROM links l JOIN layers_parcel p ON p.id = l.parcel_id {_RESULT_FROM}
            WHERE p.retired_at IS NULL {where}
            ORDER BY p.id, l.rank DESC
            """,
            [_like_prefix(q), limit, *text_params, limit, *params],
        )
        rows = sorted(cur.fetchall(), key=lambda r: (-r[8], r[1]))[:limit]
    detail = municipality_ids(user, Capability.VIEW_MAP)
    return [
        SearchResult(r[0], r[1], r[2], "address",
                     f"{r[7]} · {r[1]}" if r[2] in detail else r[1], tuple(r[3:7]))
        for r in rows
    ]


def _search_owner(user: Any, q: str, owners_in: list[int], limit: int) -> list[SearchResult]:
    cond = _text_conditions("s.search_text", q)
    if cond is None:
        return []
    where_text, text_params = cond
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH prefix AS (
                SELECT s.id, s.name FROM layers_subject s
                WHERE s.search_text LIKE %s AND s.municipality_id = ANY(%s)
                  AND s.retired_at IS NULL
                ORDER BY s.search_text LIMIT %s
            ), subjects AS (
                SELECT * FROM prefix
                UNION ALL
                -- OFFSET 0 plans the filter without the LIMIT: with it the planner bet on a
                -- sequential scan finding 20 rows early, and a name matching nobody read the
                -- whole table
                (SELECT id, name FROM (
                    SELECT s.id, s.name FROM layers_subject s
                    WHERE {where_text} AND s.municipality_id = ANY(%s) AND s.retired_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM prefix)
                    OFFSET 0) m
                 LIMIT %s)
            )
            SELECT DISTINCT ON (p.id) {_RESULT_COLUMNS}, s.name
            FROM subjects s
            JOIN layers_share sh ON sh.subject_id = s.id AND sh.retired_at IS NULL
            JOIN layers_parcel p ON p.registration_unit_id = sh.registration_unit_id
            {_RESULT_FROM}
            WHERE p.retired_at IS NULL AND p.municipality_id = ANY(%s)
            ORDER BY p.id LIMIT %s
            """,
            [_like_prefix(q), owners_in, limit, *text_params, owners_in, limit, owners_in,
             limit],
        )
        rows = cur.fetchall()
    results = [SearchResult(r[0], r[1], r[2], "owner", f"{r[7]} · {r[1]}", tuple(r[3:7]))
               for r in rows]
    for mid in sorted({r.municipality_id for r in results}):
        audit(user, AuditAction.READ_OWNERS, "owner_search", q, municipality_id=mid,
              detail=f"{sum(r.municipality_id == mid for r in results)} plots found")
    return results


# --- the parcel card ---------------------------------------------------------------------------

_CARD_SQL = """
SELECT json_build_object(
    'id', p.id, 'cadastral_id', p.cadastral_id, 'number', p.number, 'sheet', p.sheet,
    'municipality', json_build_object('id', m.id, 'name', m.name, 'teryt', m.teryt),
    'precinct', json_build_object('teryt', pr.teryt, 'name', pr.name),
    'legal_area_m2', p.legal_area_m2, 'geom_area_m2', round(p.geom_area_m2::numeric, 2),
    'kw_numbers', p.kw_numbers, 'retired_at', p.retired_at,
    'registration_unit', CASE WHEN ru.id IS NOT NULL THEN json_build_object(
        'id', ru.id, 'unit_id', ru.unit_id, 'group', ru."group") END,
    'geojson', ST_AsGeoJSON(ST_Transform(p.geom, 4326), 7)::json,
    'bbox', json_build_array(ST_XMin(b.box), ST_YMin(b.box), ST_XMax(b.box), ST_YMax(b.box)),
    'svg', json_build_object(
        'path', ST_AsSVG(p.geom, 0, 2),
        'viewbox', concat_ws(' ', ST_XMin(p.geom), -ST_YMax(p.geom),
                             ST_XMax(p.geom) - ST_XMin(p.geom), ST_YMax(p.geom) - ST_YMin(p.geom))),
    'land_uses', (SELECT coalesce(json_agg(json_build_object(
            'ofu', lu.ofu, 'ozu', lu.ozu, 'ozk', lu.ozk, 'area_m2', lu.area_m2)
            ORDER BY lu.ofu, lu.ozu, lu.ozk), '[]')
        FROM layers_parcellanduse lu WHERE lu.parcel_id = p.id),
    'buildings', (SELECT coalesce(json_agg(json_build_object(
            'id', bd.id, 'building_id', bd.building_id, 'kind', bd.kind,
            'storeys_above', bd.storeys_above, 'storeys_below', bd.storeys_below,
            'built_up_area_m2', bd.built_up_area_m2) ORDER BY bd.building_id), '[]')
        FROM layers_building_parcels bp JOIN layers_building bd ON bd.id = bp.building_id
        WHERE bp.parcel_id = p.id AND bd.retired_at IS NULL),
    'addresses', (SELECT coalesce(json_agg(json_build_object(
            'locality', a.locality, 'street', a.street, 'house_number', a.house_number,
            'flat_number', a.flat_number) ORDER BY a.locality, a.street, a.house_number), '[]')
        FROM layers_parcel_addresses pa JOIN layers_address a ON a.id = pa.address_id
        WHERE pa.parcel_id = p.id),
    'parking_zones', (SELECT coalesce(json_agg(json_build_object(
            'id', z.id, 'code', z.code, 'name', z.name, 'kind', z.kind) ORDER BY z.code), '[]')
        FROM layers_parkingzone z
        WHERE z.geom && p.geom AND ST_Relate(z.geom, p.geom, '2********')
          AND z.retired_at IS NULL),
    'landscape_areas', (SELECT coalesce(json_agg(json_build_object(
            'id', la.id, 'kind', la.kind, 'code', la.code, 'name', la.name)
            ORDER BY la.kind, la.code), '[]')
        FROM layers_landscapearea la
        WHERE la.geom && p.geom AND ST_Relate(la.geom, p.geom, '2********')
          AND la.retired_at IS NULL)
)
FROM layers_parcel p
JOIN layers_municipality m ON m.id = p.municipality_id
LEFT JOIN layers_precinct pr ON pr.id = p.precinct_id
LEFT JOIN layers_registrationunit ru ON ru.id = p.registration_unit_id
CROSS JOIN LATERAL (SELECT Box2D(ST_Transform(ST_Envelope(p.geom), 4326)) AS box) b
WHERE p.id = %s
"""

# What the public sees of a plot: identification and geometry only.
PUBLIC_CARD_KEYS = frozenset({
    "id", "cadastral_id", "number", "sheet", "municipality", "precinct", "geom_area_m2",
    "retired_at", "bbox", "svg", "geojson",
})


def parcel_card_data(user: Any, parcel_id: int, *,
                     purpose: str = "parcel card") -> dict[str, Any] | None:
    """A plot's card in at most three queries (card, owners, audit), or None if out of scope:
    the one builder of a plot's data for the map's card and the PDF dossier (``purpose`` names
    the reader in the audit log).

    The public gets ``PUBLIC_CARD_KEYS``; a logged-in user sees only plots of municipalities
    they were granted, the details where they hold VIEW_MAP, owners (audit-logged) where they
    hold VIEW_OWNERS.
    """
    with connection.cursor() as cur:
        cur.execute(_CARD_SQL, [parcel_id])
        row = cur.fetchone()
    if row is None:
        return None
    card = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    mid = card["municipality"]["id"]
    authenticated = getattr(user, "is_authenticated", False)
    if authenticated and mid not in visible_municipality_ids(user):
        return None
    card["level"] = "public"
    if not has_capability(user, Capability.VIEW_MAP, mid):
        card = {k: v for k, v in card.items() if k in PUBLIC_CARD_KEYS}
        card["level"] = "public"
        return card
    card["level"] = "detail"
    card["owners"] = None  # None = not shown to this viewer; [] = none recorded
    if has_capability(user, Capability.VIEW_OWNERS, mid):
        card["owners"] = _owners(card.get("registration_unit"))
        audit(user, AuditAction.READ_OWNERS, "parcel", card["cadastral_id"],
              municipality_id=mid, detail=f"{purpose}, {len(card['owners'])} shares")
    return card


def _owners(unit: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not unit:
        return []
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT sh.kind, sh.numerator, sh.denominator, s.name, s.kind
            FROM layers_share sh LEFT JOIN layers_subject s ON s.id = sh.subject_id
            WHERE sh.registration_unit_id = %s AND sh.retired_at IS NULL
            ORDER BY sh.kind DESC, s.name
            """,
            [unit["id"]],
        )
        return [
            {"share_kind": k, "numerator": n, "denominator": d, "name": name or "",
             "subject_kind": sk or ""}
            for k, n, d, name, sk in cur.fetchall()
        ]


def parcel_at_point(user: Any, lon: float, lat: float) -> dict[str, Any] | None:
    """The active plot under a WGS 84 point, within the user's search scope."""
    scope = search_scope(user)
    where, params = _scope_sql(scope)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT p.id, p.cadastral_id FROM layers_parcel p
            CROSS JOIN (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), {WGS84_SRID}),
                                            {STORAGE_SRID}) AS pt) q
            WHERE p.geom && q.pt AND ST_Intersects(p.geom, q.pt) AND p.retired_at IS NULL
            {where}
            ORDER BY p.geom_area_m2 LIMIT 1
            """,
            [lon, lat, *params],
        )
        row = cur.fetchone()
    return {"id": row[0], "cadastral_id": row[1]} if row else None


def map_extent(user: Any) -> tuple[float, float, float, float] | None:
    """West, south, east, north (WGS 84) of what the user may see, for the first view.

    Municipality boundaries when they are known (a handful of rows), else the plots' extent.
    """
    scope = search_scope(user)
    where, params = _scope_sql(scope)
    with connection.cursor() as cur:
        for table, alias, extra in (
            ("layers_municipality", "p", " AND p.geom IS NOT NULL"),
            ("layers_parcel", "p", " AND p.retired_at IS NULL"),
        ):
            scope_sql = where.replace("p.municipality_id", "p.id") if table == (
                "layers_municipality") else where
            cur.execute(
                f"""
                SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (
                    SELECT Box2D(ST_Transform(
                        ST_SetSRID(ST_Extent({alias}.geom)::geometry, {STORAGE_SRID}),
                        {WGS84_SRID})) AS b
                    FROM {table} {alias} WHERE true {extra} {scope_sql}) e
                WHERE b IS NOT NULL
                """,
                params,
            )
            row = cur.fetchone()
            if row and row[0] is not None:
                return tuple(row)
    return None
