"""Read queries over the spatial register used by the UI and the APIs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from gis_app.accounts.access import has_capability, municipality_ids, visible_municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from gis_app.db_router import read_connection
from layers.domain.identifiers import (
    KW_RE,
    IdentifierError,
    ParcelId,
    normalize_kw,
    parse_parcel_id,
)
from layers.domain.srid import STORAGE_SRID, WGS84_SRID
from layers.domain.text import normalize_text
from layers.models import Municipality


def municipality_list(user: Any) -> QuerySet[Municipality]:
    """Municipalities the user was granted (all of them are public for the public map)."""
    if getattr(user, "is_authenticated", False):
        return Municipality.objects.filter(id__in=visible_municipality_ids(user))
    return Municipality.objects.all()


# --- search ------------------------------------------------------------------------------------

SEARCH_LIMIT = 20  # the default page size
SEARCH_MAX_PAGE_SIZE = 100
SEARCH_MIN_LENGTH = 1  # shorter (after trimming) answers nothing: count 0
TEXT_MIN_MESSAGE = "type at least 3 letters of a street, place or name"
# Free text (addresses, owners) is counted up to this many matches ("100+"): a broad prefix
# such as "Jas" matches every address of Jasło, and counting them all would cost more than
# finding the page. The count's cost grows with the cap (one index probe per hit): at 100,000
# parcels a cap of 1,000 put the autocomplete's p95 at 72-77 ms, 200 at 44-51 ms, 100 at
# 42-44 ms on a quiet host (benchmarks/search.py; the goal is 50 ms). Paging goes on past it.
SEARCH_COUNT_CAP = 100
# The text search walks the index in the sort order and stops after a bounded over-fetch; past
# this many rows it reads every match instead (exports, very deep pages)
_WALK_MAX = 20_000
_WALK_MIN = 50  # hits read at least, so that a typical page needs one walk
# Street and owner names sort as Polish readers expect (Ł after L, Ż after Z); the indexes
# address_search_order_idx and subject_search_order_idx are built on the same expressions
_COLLATE = 'COLLATE "pl-x-icu"'
_PRECINCT_NUMBER_RE = re.compile(
    r"^(?:(?P<unit>\d{6}_\d|\d)\.)?(?P<precinct>\d{4})[\s.]+(?:(?P<sheet>AR_\d+)[\s.]+)?"
    r"(?P<number>[0-9A-Za-z]+(?:/[0-9A-Za-z]+)*)$",
    re.IGNORECASE,
)
# "108", "108/3", "12a": a plot number alone, in any precinct of the viewer's scope
_NUMBER_RE = re.compile(r"^\d{1,5}[A-Za-z]?(?:/\d{1,5}[A-Za-z]?)?$")
# a KW number being typed: the court code ("KS1J", "KS1J/0001…") or its middle number part
_KW_PARTIAL_RE = re.compile(r"^(?:[A-Z]{2}[1-9][A-Z](?:/\d{0,8}(?:/\d?)?)?|\d{6,8}(?:/\d?)?)$")

_BBOX_COLUMNS = "ST_XMin(b.box), ST_YMin(b.box), ST_XMax(b.box), ST_YMax(b.box)"
_BBOX_FROM = """
    CROSS JOIN LATERAL (SELECT Box2D(ST_Transform(ST_Envelope(p.geom), 4326)) AS box) b
"""
# Natural order of a plot number ("9" < "10" < "101/7" < "101/12" < "101a")
_NUMBER_ORDER = ("substring({n} from '^\\d+')::bigint NULLS LAST, "
                 "substring({n} from '^\\d+/(\\d+)')::bigint NULLS FIRST, {n}")


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
    kind: str  # what the query was read as: id, precinct_number, number, kw, text, empty
    results: list[SearchResult]
    message: str = ""
    count: int = 0  # every match, not only this page
    count_capped: bool = False  # count is a lower bound (free text past SEARCH_COUNT_CAP)
    page: int = 1
    page_size: int = SEARCH_LIMIT

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size)) if self.count else 0


def search_scope(user: Any) -> list[int] | None:
    """Municipality ids a search may return: None = all (the public, ids only)."""
    if getattr(user, "is_authenticated", False):
        return sorted(visible_municipality_ids(user))
    return None


def _scope_sql(scope: list[int] | None) -> tuple[str, list[Any]]:
    if scope is None:
        return "", []
    return " AND p.municipality_id = ANY(%s)", [scope]


@dataclass(frozen=True)
class _Part:
    """One search as SQL: ``inner`` selects ``id`` (a parcel) and ``label`` plus the columns
    ``order`` sorts by; the page is cut in SQL and the total counted with the same query."""

    kind: str
    inner: str
    params: list[Any]
    order: str


def _run_part(part: _Part, offset: int, limit: int) -> tuple[list[tuple], int, bool]:
    """(rows of this page: id, cadastral id, municipality, bbox…, label; total matches; whether
    the total is exact: always, for these small id searches)."""
    with read_connection().cursor() as cur:
        cur.execute(
            f"""
            SELECT p.id, p.cadastral_id, p.municipality_id, {_BBOX_COLUMNS}, s.label, s.total
            FROM (SELECT i.*, count(*) OVER () AS total,
                         row_number() OVER (ORDER BY {part.order}) AS rn
                  FROM ({part.inner}) i ORDER BY rn LIMIT %s OFFSET %s) s
            JOIN layers_parcel p ON p.id = s.id {_BBOX_FROM}
            ORDER BY s.rn
            """,
            [*part.params, limit, offset],
        )
        rows = cur.fetchall()
        if rows:
            return [r[:-1] for r in rows], rows[0][-1], True
        if offset == 0:
            return [], 0, True
        cur.execute(f"SELECT count(*) FROM ({part.inner}) i", part.params)
        return [], cur.fetchone()[0], True


def _count_part(part: _Part) -> tuple[int, bool]:
    with read_connection().cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({part.inner}) i", part.params)
        return cur.fetchone()[0], True


@dataclass(frozen=True)
class _TextPart:
    """A free-text search (addresses, owners) that answers a page without building every
    match: ``hits`` selects the matching rows (addresses, subjects) with their sort keys,
    ``ORDER BY {hit_order}`` walks an index in that order, and only the first N of them (with
    ties) are joined to their plots by ``best`` (one row per plot: its first hit). The plots
    found that way are exactly the first ones in the result's order, so a page is exact once
    there are enough of them or the hits ran out; otherwise N grows. The total comes from a
    separate query capped at SEARCH_COUNT_CAP hits."""

    kind: str
    hits: str  # SELECT … FROM … WHERE … (no ORDER BY)
    hit_params: list[Any]
    hit_order: str
    best: str  # over CTE "hits": p.id, label, the sort keys, p.cadastral_id — one row per plot
    best_params: list[Any]
    order: str  # over best's columns (alias i)
    plots: str  # over CTE "hits": the plot ids they reach (within scope), duplicates allowed

    @property
    def plots_params(self) -> list[Any]:
        return self.best_params  # the same scope parameters, once

    def _walk(self, n: int | None, offset: int, limit: int
              ) -> tuple[list[tuple], int, int]:
        """(rows of the page, plots found, hits read) over the first ``n`` hits (all: None)."""
        cut = "FETCH FIRST %s ROWS WITH TIES" if n is not None else ""
        hits = f"WITH hits AS MATERIALIZED ({self.hits} ORDER BY {self.hit_order} {cut})"
        params = [*self.hit_params, *([n] if n is not None else []), *self.best_params]
        with read_connection().cursor() as cur:
            cur.execute(
                f"""
                {hits}, best AS ({self.best})
                SELECT p.id, p.cadastral_id, p.municipality_id, {_BBOX_COLUMNS}, s.label,
                       s.total, (SELECT count(*) FROM hits)
                FROM (SELECT i.*, count(*) OVER () AS total,
                             row_number() OVER (ORDER BY {self.order}) AS rn
                      FROM best i ORDER BY rn LIMIT %s OFFSET %s) s
                JOIN layers_parcel p ON p.id = s.id {_BBOX_FROM}
                ORDER BY s.rn
                """,
                [*params, limit, offset],
            )
            rows = cur.fetchall()
            if rows:
                return [r[:-2] for r in rows], rows[0][-2], rows[0][-1]
            # a page past the plots found: how many there were, and how many hits gave them
            cur.execute(f"{hits}, best AS ({self.best}) "
                        "SELECT (SELECT count(*) FROM best), (SELECT count(*) FROM hits)", params)
            found, read = cur.fetchone()
            return [], found, read

    def page(self, offset: int, limit: int) -> tuple[list[tuple], int, bool]:
        """(rows of this page, total, whether the total is exact)."""
        want = offset + limit
        n = max(2 * want, _WALK_MIN)
        while True:
            cut = n if n <= _WALK_MAX else None
            rows, found, read = self._walk(cut, offset, limit)
            if cut is None or read < cut:  # every hit read: the plots found are all of them
                return rows, found, True
            if found >= want:
                total, exact = self.count()
                return rows, max(total, found), exact and total >= found
            n *= 8

    def count(self) -> tuple[int, bool]:
        """(plots matching, exact?) from at most SEARCH_COUNT_CAP hits."""
        with read_connection().cursor() as cur:
            cur.execute(
                f"""
                WITH hits AS MATERIALIZED ({self.hits} LIMIT %s)
                SELECT (SELECT count(*) FROM hits), (SELECT count(DISTINCT id) FROM
                                                     ({self.plots}) x)
                """,
                [*self.hit_params, SEARCH_COUNT_CAP, *self.plots_params],
            )
            read, found = cur.fetchone()
        return found, read < SEARCH_COUNT_CAP


def _run_parts(parts: list[_Part | _TextPart], offset: int, limit: int
               ) -> tuple[list[tuple[str, tuple]], int, bool]:
    """Page through the parts one after the other (addresses, then owners): (rows, total,
    whether the total is exact). A part's total is a lower bound only when it has more rows
    than this page needs, so the parts after it only count."""
    found: list[tuple[str, tuple]] = []
    total = 0
    exact = True
    for part in parts:
        start = max(0, offset - total)
        want = limit - len(found)
        if want > 0 and exact:
            if isinstance(part, _TextPart):
                rows, count, part_exact = part.page(start, want)
            else:
                rows, count, part_exact = _run_part(part, start, want)
        else:
            rows = []
            count, part_exact = (part.count() if isinstance(part, _TextPart)
                                 else _count_part(part))
        found += [(part.kind, r) for r in rows]
        total += count
        exact = exact and part_exact
    return found, total, exact


def search_parcels(user: Any, query: str, page: int = 1,
                   page_size: int = SEARCH_LIMIT) -> SearchOutcome:
    """Find plots by id (full or partial), plot number, KW number (full or partial), address
    or (role permitting) owner, sorted and paged, with the count of all matches.

    The query's shape decides the search: a KW number or its start, a full TERYT parcel id, a
    precinct with a number (optionally after the unit: ``1.0001.108``), a plot number alone,
    otherwise free text (address, and owner names for users holding VIEW_OWNERS: that read is
    audit-logged). Results stay within ``search_scope(user)``; ids sort in natural order,
    addresses by street and house number.
    """
    page = max(1, page)
    page_size = min(max(1, page_size), SEARCH_MAX_PAGE_SIZE)
    q = " ".join(query.split())
    outcome = SearchOutcome(q, "empty", [], page=page, page_size=page_size)
    if len(q) < SEARCH_MIN_LENGTH:
        return outcome
    kind, parts, message = _plan(user, q)
    outcome.kind, outcome.message = kind, message
    if not parts:
        return outcome
    offset = (page - 1) * page_size
    rows, outcome.count, exact = _run_parts(parts, offset, page_size)
    outcome.count_capped = not exact
    detail = municipality_ids(user, Capability.VIEW_MAP)
    outcome.results = [_result(user, part_kind, r, detail) for part_kind, r in rows]
    owners = [r for r in outcome.results if r.kind == "owner"]
    for mid in sorted({r.municipality_id for r in owners}):
        audit(user, AuditAction.READ_OWNERS, "owner_search", q, municipality_id=mid,
              detail=Note(gettext_noop("plots shown: %(count)s"),
                          count=sum(r.municipality_id == mid for r in owners)))
    return outcome


def search_parcel_ids(user: Any, query: str, limit: int) -> tuple[list[int], str, int]:
    """Every plot the search finds for ``query`` (up to ``limit``): the same selector as the map's
    search, for exports of a search. Returns (parcel ids, what the query was read as, count)."""
    q = " ".join(query.split())
    if len(q) < SEARCH_MIN_LENGTH:
        return [], "empty", 0
    kind, parts, _message = _plan(user, q)
    if not parts:
        return [], kind, 0
    rows, total, _exact = _run_parts(parts, 0, limit)
    owners_munis = sorted({r[2] for k, r in rows if k == "owner"})
    for mid in owners_munis:
        audit(user, AuditAction.READ_OWNERS, "owner_search", q, municipality_id=mid,
              detail=Note(gettext_noop("plots exported: %(count)s"),
                          count=sum(1 for k, r in rows if k == "owner" and r[2] == mid)))
    return list(dict.fromkeys(r[0] for _k, r in rows)), kind, total


def _result(user: Any, kind: str, row: tuple, detail: set[int]) -> SearchResult:
    pid, cid, mid, w, s, e, n, label = row
    text = cid
    if kind == "address" and label and (mid in detail or public_addresses()):
        text = f"{label} · {cid}"
    elif kind in ("kw", "owner") and label:
        text = f"{cid} · KW {label}" if kind == "kw" else f"{label} · {cid}"
    return SearchResult(pid, cid, mid, kind, text, (w, s, e, n))


def public_addresses() -> bool:
    """Whether the public sees a plot's address (street, number, locality; never a flat number)
    in search results. A parameter (GEOGMINA_PUBLIC_ADDRESSES), not a constant: which address
    data the municipality publishes is its decision (UNCONFIRMED legal basis, see
    docs/permissions.md)."""
    from django.conf import settings

    return bool(getattr(settings, "GEOGMINA_PUBLIC_ADDRESSES", True))


def _plan(user: Any, q: str) -> tuple[str, list[_Part | _TextPart], str]:
    """What the query is read as, the searches that answer it, and a message for the user."""
    scope = search_scope(user)
    kw = normalize_kw(q)
    if KW_RE.match(kw) or (" " not in q and _KW_PARTIAL_RE.match(kw)):
        detail = municipality_ids(user, Capability.VIEW_MAP)
        if not detail:
            if KW_RE.match(kw) or not q.isdigit():
                return "kw", [], "log in to search by land register (KW) number"
        else:
            return "kw", [_kw_part(kw, sorted(detail))], ""
    try:
        pid = parse_parcel_id(q)
    except IdentifierError:
        pid = None
    if pid is not None:
        return "id", [_id_part(pid, scope)], ""
    m = _PRECINCT_NUMBER_RE.match(q)
    if m:
        return "precinct_number", [_precinct_number_part(
            m["unit"], m["precinct"], m["number"], (m["sheet"] or "").upper() or None,
            scope)], ""
    if _NUMBER_RE.match(q):
        return "number", [_number_part(q, scope)], ""
    parts: list[_Part | _TextPart] = []
    address = _address_part(q, scope)
    if address:
        parts.append(address)
    owners_in = municipality_ids(user, Capability.VIEW_OWNERS)
    if owners_in:
        owner = _owner_part(q, sorted(owners_in))
        if owner:
            parts.append(owner)
    if not parts:  # every word shorter than 3 letters: too broad to list (the search box
        return "text", [], TEXT_MIN_MESSAGE  # says so as the user types)
    return "text", parts, ""


def _number_condition(number: str) -> tuple[str, list[str]]:
    """The plot number itself or its divisions: "108" finds 108, 108/1, 108/2 …"""
    n = number.upper()
    return ("(upper(p.number) = %s OR upper(p.number) LIKE %s)",
            [n, n.replace("%", "").replace("_", "\\_") + "/%"])


_ID_ORDER = ("i.prefix, " + _NUMBER_ORDER.format(n="i.number") + ", i.id")


def _id_inner(where: str) -> str:
    return f"""
        SELECT p.id, '' AS label, p.number,
               left(p.cadastral_id, length(p.cadastral_id) - length(p.number)) AS prefix
        FROM layers_parcel p WHERE p.retired_at IS NULL AND {where}
    """


def _id_part(pid: ParcelId, scope: list[int] | None) -> _Part:
    where, params = _scope_sql(scope)
    sheet_sql = " AND upper(p.sheet) = %s" if pid.sheet else ""
    return _Part("id", _id_inner(
        f"""(p.cadastral_id = %s
              OR (p.precinct_id = (SELECT id FROM layers_precinct WHERE teryt = %s)
                  AND p.number = %s{sheet_sql})) {where}"""),
        [str(pid), pid.precinct_id, pid.number, *([pid.sheet] if pid.sheet else []), *params],
        _ID_ORDER)


def _precinct_number_part(unit: str | None, precinct: str, number: str, sheet: str | None,
                          scope: list[int] | None) -> _Part:
    where, params = _scope_sql(scope)
    sheet_sql = " AND upper(p.sheet) = %s" if sheet else ""
    cond, nparams = _number_condition(number)
    if unit and "_" in unit:  # the whole unit: WWPPGG_R.OOOO
        precincts, pparams = "teryt = %s", [f"{unit}.{precinct}"]
    elif unit:  # the unit's type digit only: "1.0001"
        precincts, pparams = "split_part(teryt, '_', 2) = %s", [f"{unit}.{precinct}"]
    else:
        precincts, pparams = "split_part(teryt, '.', 2) = %s", [precinct]
    return _Part("id", _id_inner(
        f"""p.precinct_id = ANY(ARRAY(SELECT id FROM layers_precinct WHERE {precincts}))
            AND {cond}{sheet_sql} {where}"""),
        [*pparams, *nparams, *([sheet] if sheet else []), *params], _ID_ORDER)


def _number_part(number: str, scope: list[int] | None) -> _Part:
    where, params = _scope_sql(scope)
    cond, nparams = _number_condition(number)
    return _Part("id", _id_inner(f"{cond} {where}"), [*nparams, *params], _ID_ORDER)


def _kw_part(kw: str, detail: list[int]) -> _Part:
    if KW_RE.match(kw):
        cond, params = "p.kw_numbers @> ARRAY[%s]::varchar[]", [kw]
        label = "%s::text"
        lparams = [kw]
    else:
        pattern = (kw + "%") if kw[0].isalpha() else ("%/" + kw + "%")
        cond = "EXISTS (SELECT 1 FROM unnest(p.kw_numbers) k WHERE k LIKE %s)"
        params = [pattern]
        label = "(SELECT min(k) FROM unnest(p.kw_numbers) k WHERE k LIKE %s)"
        lparams = [pattern]
    return _Part("kw", f"""
        SELECT p.id, {label} AS label, p.number,
               left(p.cadastral_id, length(p.cadastral_id) - length(p.number)) AS prefix
        FROM layers_parcel p
        WHERE p.retired_at IS NULL AND {cond} AND p.municipality_id = ANY(%s)
    """, [*lparams, *params, detail], _ID_ORDER)


def _text_conditions(column: str, text: str) -> tuple[str, list[str]] | None:
    """AND of the query's words: long ones as substrings (trigram index), short ones as words;
    the last word as the start of a word (the user is still typing it)."""
    tokens = normalize_text(text).split()
    if not tokens or not any(len(t) >= 3 for t in tokens):
        return None
    parts, params = [], []
    tokens = tokens[:8]
    for i, token in enumerate(tokens):
        if len(token) >= 3:
            parts.append(f"{column} LIKE %s")
            params.append("%" + token.replace("\\", "").replace("%", "").replace("_", "") + "%")
        else:
            last = i == len(tokens) - 1
            parts.append(f"{column} ~ %s")
            params.append(r"(^| )" + re.escape(token) + ("" if last else "( |$)"))
    return " AND ".join(parts), params


# the keys the address search sorts by; address_search_order_idx indexes the same expressions
_ADDRESS_KEYS = (f"lower(coalesce(nullif(a.street, ''), a.locality)) {_COLLATE} AS street_key, "
                 "substring(a.house_number from '^\\d+')::bigint AS hn_int, "
                 f"lower(a.locality) {_COLLATE} AS locality_key")


def _address_part(q: str, scope: list[int] | None) -> _TextPart | None:
    cond = _text_conditions("a.search_text", q)
    if cond is None:
        return None
    where_text, text_params = cond
    where, params = _scope_sql(scope)
    return _TextPart(
        "address",
        f"""SELECT a.id, a.locality, a.street, a.house_number, {_ADDRESS_KEYS}
            FROM layers_address a WHERE {where_text} AND a.retired_at IS NULL""",
        text_params,
        "street_key, hn_int, house_number, locality_key",
        f"""
        SELECT DISTINCT ON (p.id) p.id,
               concat_ws(' ', nullif(l.street, ''), l.house_number) || ', ' || l.locality
                   AS label,
               l.street_key, l.hn_int, l.house_number, l.locality_key, p.cadastral_id
        FROM (
            SELECT pa.parcel_id, h.* FROM hits h
            JOIN layers_parcel_addresses pa ON pa.address_id = h.id
            UNION ALL
            SELECT bp.parcel_id, h.* FROM hits h
            JOIN layers_building_addresses ba ON ba.address_id = h.id
            JOIN layers_building_parcels bp ON bp.building_id = ba.building_id
        ) l JOIN layers_parcel p ON p.id = l.parcel_id
        WHERE p.retired_at IS NULL {where}
        ORDER BY p.id, l.street_key, l.hn_int NULLS LAST, l.house_number, l.locality_key
        """,
        params,
        "i.street_key, i.hn_int NULLS LAST, i.house_number, i.locality_key, i.cadastral_id",
        # one index probe per hit (OFFSET 0 keeps the laterals apart): for the capped count's
        # thousand hits, hashing all of layers_parcel_addresses costs more
        f"""
        SELECT p.id FROM hits h
        CROSS JOIN LATERAL (
            SELECT pa.parcel_id FROM layers_parcel_addresses pa WHERE pa.address_id = h.id
            UNION ALL
            SELECT bp.parcel_id FROM layers_building_addresses ba
            JOIN layers_building_parcels bp ON bp.building_id = ba.building_id
            WHERE ba.address_id = h.id OFFSET 0) l
        CROSS JOIN LATERAL (SELECT p.id FROM layers_parcel p WHERE p.id = l.parcel_id
                            AND p.retired_at IS NULL {where} OFFSET 0) p
        """)


def _owner_part(q: str, owners_in: list[int]) -> _TextPart | None:
    cond = _text_conditions("s.search_text", q)
    if cond is None:
        return None
    where_text, text_params = cond
    return _TextPart(
        "owner",
        f"""SELECT s.id, s.name, s.name {_COLLATE} AS name_key FROM layers_subject s
            WHERE {where_text} AND s.municipality_id = ANY(%s) AND s.retired_at IS NULL""",
        [*text_params, owners_in],
        "name_key",
        """
        SELECT DISTINCT ON (p.id) p.id, h.name AS label, h.name_key, p.cadastral_id
        FROM hits h
        JOIN layers_share sh ON sh.subject_id = h.id AND sh.retired_at IS NULL
        JOIN layers_parcel p ON p.registration_unit_id = sh.registration_unit_id
        WHERE p.retired_at IS NULL AND p.municipality_id = ANY(%s)
        ORDER BY p.id, h.name_key
        """,
        [owners_in],
        "i.name_key, i.cadastral_id",
        """
        SELECT p.id FROM hits h
        CROSS JOIN LATERAL (
            SELECT p.id FROM layers_share sh
            JOIN layers_parcel p ON p.registration_unit_id = sh.registration_unit_id
            WHERE sh.subject_id = h.id AND sh.retired_at IS NULL AND p.retired_at IS NULL
              AND p.municipality_id = ANY(%s) OFFSET 0) p
        """)


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
                     purpose: Note | None = None) -> dict[str, Any] | None:
    """A plot's card in at most three queries (card, owners, audit), or None if out of scope:
    the one builder of a plot's data for the map's card and the PDF dossier (``purpose`` names
    the reader in the audit log).

    The public gets ``PUBLIC_CARD_KEYS``; a logged-in user sees only plots of municipalities
    they were granted, the details where they hold VIEW_MAP, owners (audit-logged) where they
    hold VIEW_OWNERS.
    """
    with read_connection().cursor() as cur:
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
              municipality_id=mid, detail=Note(gettext_noop("%(purpose)s, shares: %(count)s"),
                          purpose=purpose or Note(gettext_noop("parcel card")),
                          count=len(card["owners"])))
    return card


def _owners(unit: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not unit:
        return []
    with read_connection().cursor() as cur:
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
    with read_connection().cursor() as cur:
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
    with read_connection().cursor() as cur:
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
