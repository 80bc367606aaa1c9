"""Import one cadastral file: parse → COPY into staging → one set-based merge per table.

One transaction per file: a malformed, cut-off or refused file leaves the database exactly as it
was (only the ImportRun that reports the failure is written, outside that transaction). Two
imports into the same municipality serialise on a transaction-scoped advisory lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from pyproj import Transformer

from importers import merge, parallel
from importers.gml.crs import UnknownCRSError, _area_of_use
from importers.gml.reader import FormatError, Reader, ReadStats
from importers.gml.security import NotXMLError, UnsafeXMLError
from importers.models import ImportIssue, ImportRun
from importers.place import (
    DEFAULT_BOUNDARY_TOLERANCE_M,
    PlaceError,
    check_teryt,
    place_params,
    place_sql,
)
from importers.staging import copy_records
from layers import pii
from layers.domain import locks
from layers.domain.codes import LAND_USE_LABELS
from layers.domain.srid import STORAGE_SRID
from layers.models import Municipality

log = logging.getLogger(__name__)

LOCK_CLASS = locks.IMPORT_MUNICIPALITY
# Session-level lock held by the process running a cadastre import, keyed by the run's id: it
# dies with the process, so a "running" run whose lock is free was killed (SIGKILL, OOM, power).
RUN_LOCK_CLASS = locks.IMPORT_RUN
INTERRUPTED = ("interrupted: the import process ended before finishing (killed or crashed); "
               "its transaction was rolled back, nothing of it was stored")


def close_interrupted_runs(current: int | None = None) -> int:
    """Mark cadastre runs left "running" by a dead process as failed; returns how many.

    ``current``: the caller's own run (a session re-acquires its own lock, so it must be
    skipped)."""
    closed = 0
    with connection.cursor() as cur:
        for run_id in ImportRun.objects.filter(
                status=ImportRun.Status.RUNNING, kind="cadastre").exclude(
                pk=current).values_list("id", flat=True):
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", (RUN_LOCK_CLASS, run_id))
            if not cur.fetchone()[0]:
                continue  # its process is alive and importing
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", (RUN_LOCK_CLASS, run_id))
            closed += ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.RUNNING).update(
                status=ImportRun.Status.FAILED, message=INTERRUPTED)
    return closed


MAX_ISSUES = 10_000
AREA_TOLERANCE = 0.02  # relative; plus 1 m² absolute
POLAND_LONLAT = (13.5, 48.5, 24.7, 55.4)
POLISH_SCHEMAS = {"egib2015", "egib2021", "kieg"}


class ImportFailed(Exception):
    """A fatal error: nothing of the file was stored. The message says why."""


class _DryRun(Exception):
    pass


class _AllRejected(Exception):
    """Every object of the file was rejected: the run fails, its issues are kept."""


@dataclass
class ImportResult:
    run: ImportRun
    counts: dict = field(default_factory=dict)
    issues: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.run.status != ImportRun.Status.FAILED


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_SOURCE_EXTENT = """
    SELECT srid, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
        SELECT ST_SRID(g) AS srid, ST_Extent(g) AS e FROM (
            SELECT ST_GeomFromEWKT(geom_src) AS g FROM stg
            WHERE geom_src IS NOT NULL AND error IS NULL) q
        GROUP BY 1) q2"""


def _check_area_of_use(cursor, schema: str, transformed: bool = False) -> None:
    """Refuse coordinates outside the source CRS's area of use (or outside Poland for Polish
    schemas), naming swapped axes as the likely cause.

    ``transformed``: the staged rows already hold the storage-CRS geometry ``g``; its extent,
    taken back to longitude/latitude, is checked first (no second parse of the text), and only
    a file that fails is measured again in its own CRS for the message."""
    if transformed:
        cursor.execute("""
            SELECT src_srid, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
                SELECT src_srid, ST_Extent(g) AS e FROM stg
                WHERE g IS NOT NULL AND error IS NULL GROUP BY 1) q""")
        fine = True
        for srid, xmin, ymin, xmax, ymax in cursor.fetchall():
            try:
                bounds = Transformer.from_crs(STORAGE_SRID, 4326, always_xy=True
                                              ).transform_bounds(xmin, ymin, xmax, ymax)
            except Exception:
                fine = False
                break
            if not all(_fits(bounds, box) for box in _areas(srid, schema)):
                fine = False
                break
        if fine:
            return
    cursor.execute(_SOURCE_EXTENT)
    for srid, xmin, ymin, xmax, ymax in cursor.fetchall():
        try:
            bounds = Transformer.from_crs(srid, 4326, always_xy=True).transform_bounds(
                xmin, ymin, xmax, ymax)
        except Exception:  # PROJ refuses wildly wrong coordinates
            bounds = (math.inf,) * 4
        for box in _areas(srid, schema):
            if not _fits(bounds, box):
                raise ImportFailed(
                    f"coordinates ({xmin:.2f} {ymin:.2f} … {xmax:.2f} {ymax:.2f}) fall outside "
                    f"the area of use of EPSG:{srid}"
                    f"{' and of Poland' if box == POLAND_LONLAT else ''}: "
                    "are the axes swapped? urn:ogc:def:crs:EPSG::NNNN and "
                    "http://www.opengis.net/def/crs/EPSG/0/NNNN promise northing (latitude) "
                    "first; EPSG:NNNN is read easting (longitude) first")


def _areas(srid: int, schema: str) -> list[tuple[float, float, float, float]]:
    aou = _area_of_use(srid)
    return ([aou] if aou else []) + ([POLAND_LONLAT] if schema in POLISH_SCHEMAS else [])


def _fits(bounds, box) -> bool:
    """Within the CRS's area of use; touching Poland at least (an object abroad in a Polish
    file is rejected per object, with the others kept: ``importers.place``)."""
    if box != POLAND_LONLAT:
        return _inside(bounds, box)
    w, s, e, n = bounds
    west, south, east, north = box
    return all(math.isfinite(v) for v in bounds) and (
        w <= east and e >= west and s <= north and n >= south)


def _inside(bounds, box, margin: float = 1.0) -> bool:
    w, s, e, n = bounds
    west, south, east, north = box
    return all(math.isfinite(v) for v in bounds) and (
        w >= west - margin and e <= east + margin and s >= south - margin
        and n <= north + margin)


TIMINGS: dict[str, float] | None = None  # set to a dict to profile the statements


class _TimedCursor:
    def __init__(self, cur) -> None:
        self._cur = cur

    def execute(self, sql: str, params=None):
        import time

        started = time.perf_counter()
        try:
            return self._cur.execute(sql, params)
        finally:
            key = " ".join(sql.split())[:80]
            TIMINGS[key] = TIMINGS.get(key, 0.0) + time.perf_counter() - started

    def __getattr__(self, name: str):
        return getattr(self._cur, name)


def _maybe_timed(cur):
    return _TimedCursor(cur) if TIMINGS is not None else cur


def _exec(cursor, sql: str, params: dict) -> int:
    cursor.execute(sql, params)
    return cursor.rowcount


@dataclass
class Progress:
    """Where a long import is: ``on_batch(n)`` as staged features arrive, ``on_phase(name)``
    when the work moves on (the merge and the commit take most of a big file's time, and a bar
    frozen at the last staged feature looked hung). The phase is also written to the run's
    ``phase`` for the admin, through a connection of its own committing at once: the import's
    own transaction shows nothing until it ends."""

    on_batch: Callable[[int], None] | None = None
    on_phase: Callable[[str], None] | None = None
    run_id: int | None = None
    _conn: Any = None

    def phase(self, name: str) -> None:
        self._publish(name)
        if self.on_phase:
            self.on_phase(name)

    def _publish(self, name: str) -> None:
        if self.run_id is None:
            return
        try:
            if self._conn is None:
                self._conn = psycopg2.connect(**connection.get_connection_params())
                self._conn.autocommit = True
            with self._conn.cursor() as cur:
                cur.execute("UPDATE importers_importrun SET phase = %s WHERE id = %s",
                            (name[:80], self.run_id))
        except psycopg2.Error:
            self.close()
            self.run_id = None  # a courtesy to the admin: never a reason to fail an import

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()
            self._conn = None


def import_cadastre(path: Path | str, *, municipality: str | None = None, dry_run: bool = False,
                    complete: bool = False, user=None,
                    on_batch: Callable[[int], None] | None = None,
                    on_phase: Callable[[str], None] | None = None,
                    boundary_tolerance_m: float = DEFAULT_BOUNDARY_TOLERANCE_M) -> ImportResult:
    """Import one EGiB / INSPIRE CP / county WFS file; never raises for bad input.

    ``municipality``: a TERYT code WWPPGG_R of a stored municipality or of the one the file's
    identifiers name; each object must lie in Poland and, when the municipality's boundary is
    stored, within ``boundary_tolerance_m`` of it."""
    path = Path(path)
    run = ImportRun.objects.create(source=str(path), kind="cadastre")
    progress = Progress(on_batch, on_phase, run_id=run.id)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, %s)", (RUN_LOCK_CLASS, run.id))
    try:
        close_interrupted_runs(current=run.id)
        return _run_import(path, run, municipality, dry_run, complete, progress,
                           boundary_tolerance_m)
    finally:
        progress.close()
        with contextlib.suppress(DatabaseError), connection.cursor() as cur:
            # (a lost connection has released the lock already)
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", (RUN_LOCK_CLASS, run.id))


def _run_import(path: Path, run: ImportRun, municipality: str | None, dry_run: bool,
                complete: bool, progress: Progress, tolerance: float) -> ImportResult:
    result = ImportResult(run=run)
    try:
        if municipality is not None:
            municipality = check_teryt(municipality)
        if not (math.isfinite(tolerance) and tolerance >= 0):
            raise ImportFailed(f"the boundary tolerance must be a distance in metres ≥ 0, "
                               f"not {tolerance!r}")
        run.sha256 = _sha256(path)
        with transaction.atomic():
            _import(path, run, result, municipality, complete, progress, tolerance)
            if dry_run:
                raise _DryRun
            progress.phase("committing")
        run.status = (ImportRun.Status.UNCHANGED
                      if not (run.created or run.updated or run.retired or run.history)
                      else ImportRun.Status.OK)
        if run.status == ImportRun.Status.UNCHANGED:
            run.message = (f"nothing changed: all {run.unchanged} objects are already current"
                           if run.unchanged else "nothing to import")
    except _DryRun:
        run.status = ImportRun.Status.DRY_RUN
        run.message = "dry run: everything was rolled back"
    except _AllRejected as exc:  # rolled back; the rejections are the report
        run.status = ImportRun.Status.FAILED
        run.message = str(exc)
        run.created = run.updated = run.unchanged = run.retired = run.history = 0
    except (ImportFailed, PlaceError, FormatError, NotXMLError, UnsafeXMLError,
            UnknownCRSError, FileNotFoundError, IsADirectoryError) as exc:
        run.status = ImportRun.Status.FAILED
        run.message = str(exc)
        result.issues = []
    except (DatabaseError, psycopg2.Error) as exc:  # e.g. a lock timeout: rolled back, reported
        run.status = ImportRun.Status.FAILED
        run.message = f"the database refused the import: {exc}".strip()
        result.issues = []
    except Exception as exc:  # a bug or an environment failure: rolled back, never "running"
        log.exception("cadastre import of %s failed", path)
        run.status = ImportRun.Status.FAILED
        run.message = (f"unexpected error ({type(exc).__name__}): {exc}; nothing of the file "
                       "was stored")
        result.issues = []
    if run.municipality_id and not Municipality.objects.filter(pk=run.municipality_id).exists():
        run.municipality = None  # created inside the rolled-back transaction
    run.finished_at = timezone.now()
    run.save()
    if result.issues:
        ImportIssue.objects.bulk_create(
            [ImportIssue(run=run, **i) for i in result.issues[:MAX_ISSUES]], batch_size=2000)
    return result


# Planner settings of the merge, local to the import's transaction. JIT compilation costs more
# than it saves on these one-off statements; sorts and hashes over the staged rows fit in memory.
MERGE_SETTINGS = {"jit": "off", "work_mem": "256MB", "maintenance_work_mem": "256MB"}


def _tune(cur) -> dict[str, str]:
    """Apply MERGE_SETTINGS; returns the previous values for ``_untune``."""
    cur.execute("SELECT name, current_setting(name) FROM unnest(%s::text[]) name",
                (list(MERGE_SETTINGS),))
    previous = dict(cur.fetchall())
    for name, value in MERGE_SETTINGS.items():
        cur.execute("SELECT set_config(%s, %s, true)", (name, value))
    return previous


def _untune(cur, previous: dict[str, str]) -> None:
    """Put the settings back (an enclosing transaction must not inherit them); on an error the
    rollback of the import's savepoint or transaction restores them by itself."""
    for name, value in previous.items():
        cur.execute("SELECT set_config(%s, %s, true)", (name, value))


def _import(path: Path, run: ImportRun, result: ImportResult, teryt: str | None,
            complete: bool, progress: Progress, tolerance: float) -> None:
    with connection.cursor() as cursor:
        cur = _maybe_timed(cursor.cursor)  # the psycopg2 cursor, for copy_expert
        previous = _tune(cur)
        _import_tuned(cur, path, run, result, teryt, complete, progress, tolerance)
        _untune(cur, previous)


def _import_tuned(cur, path: Path, run: ImportRun, result: ImportResult, teryt: str | None,
                  complete: bool, progress: Progress, tolerance: float) -> None:
    progress.phase("reading")
    stats, transformed = _stage(cur, path, progress.on_batch)
    progress.phase("checking")
    run.schema = stats.schema
    if stats.srids:
        cur.execute("SELECT srid FROM spatial_ref_sys WHERE srid = ANY(%s)",
                    (list(stats.srids),))
        known = {row[0] for row in cur.fetchall()}
        missing = sorted(stats.srids - known)
        if missing:
            raise UnknownCRSError(f"unknown coordinate reference system EPSG:{missing[0]}")
        _check_area_of_use(cur, stats.schema, transformed)
    unit = teryt or (stats.units.most_common(1)[0][0] if stats.units else None)
    if not unit:
        if not sum(stats.features.values()):
            run.message = "the file holds no cadastral features"
            cur.execute("DROP TABLE IF EXISTS stg")
            return
        raise ImportFailed("cannot tell the municipality from the identifiers: pass "
                           "--municipality TERYT")
    muni = Municipality.objects.filter(teryt=unit).first()
    if muni is None:
        if unit not in stats.units:
            named = ", ".join(u for u, _n in stats.units.most_common(5)) or "none"
            raise ImportFailed(f"municipality {unit} is not in the database and the file does "
                               f"not define it (its identifiers name: {named})")
        muni = Municipality.objects.create(teryt=unit, name=unit)
    run.municipality = muni
    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, muni.id))
    params = {"muni": muni.id, "run": run.id, "teryt": unit,
              **place_params(muni.id, unit, tolerance)}
    check_unit = bool(stats.units)
    for sql in merge.prepare_sql(check_unit, transformed, place_sql("t", params)):
        cur.execute(sql, params)
    cur.execute("""SELECT count(*) FILTER (WHERE error IS NULL),
                          count(*) FILTER (WHERE error IS NOT NULL
                                           AND NOT coalesce(attrs ? 'warning', false))
                   FROM t WHERE ftype <> 'other'""")
    accepted, rejected = cur.fetchone()
    if rejected and not accepted:
        progress.phase("reporting")
        result.issues = _issues(cur, params)
        run.rejected = rejected
        raise _AllRejected(f"every one of the {rejected} objects was rejected: nothing was "
                           "stored")
    for spec in merge.SPECS:
        if spec.ftype in merge.SKIPPABLE and stats.features.get(spec.ftype):
            # a first import into the town (nothing stored) skips the search altogether
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {spec.table} "
                        "WHERE municipality_id = %(muni)s)", params)
            if cur.fetchone()[0]:
                cur.execute(merge.unchanged_sql(spec), params)
    cur.execute("SELECT ftype, count(*) FROM same GROUP BY ftype")
    set_aside = dict(cur.fetchall())
    for sql in merge.current_sql():
        cur.execute(sql, params)
    cur.execute(merge.unresolved_sql(), params)
    counts: dict[str, dict[str, int]] = {}
    for spec in merge.SPECS:
        stm = merge.merge_sql(spec)
        progress.phase(f"merging {spec.label}")
        cur.execute(stm["plan"], params)
        cur.execute("ANALYZE m")  # row counts for the planner: hash joins, not 100,000 probes
        cur.execute("SELECT action, count(*) FROM m GROUP BY action")
        plan = dict(cur.fetchall())
        if not plan and not set_aside.get(spec.ftype) and spec.ftype not in stats.features:
            cur.execute("DROP TABLE m")
            if spec.ftype == "precinct":
                _implied_precincts(cur, params)
            continue
        row = {"created": 0, "updated": 0, "unchanged": plan.get("same", 0)
               + plan.get("older", 0) + set_aside.get(spec.ftype, 0), "retired": 0,
               "history": 0}
        if spec.ftype == "parcel":
            row["retired"] += _exec(cur, """
                UPDATE layers_parcel e SET retired_at = now()
                FROM c WHERE c.ftype = 'parcel' AND c.object_end IS NULL
                  AND e.cadastral_id = c.attrs->>'cadastral_id' AND e.retired_at IS NULL
                  AND NOT (e.source_namespace = c.ns AND e.local_id = c.local_id)""", params)
        row["history"] += _exec(cur, stm["archive"], params)
        row["updated"] = _exec(cur, stm["update"], params)
        row["created"] = _exec(cur, stm["insert"], params)
        row["history"] += _exec(cur, stm["history"], params)
        cur.execute("DROP TABLE m")
        counts[spec.label] = row
        if spec.ftype == "precinct":
            _implied_precincts(cur, params)
    progress.phase("linking")
    _relations(cur, params)
    if complete:
        _retire_absent(cur, params, counts)
    cur.execute("""SELECT ftype, count(*) FROM t
                   WHERE error IS NOT NULL AND NOT coalesce(attrs ? 'warning', false)
                   GROUP BY ftype""")
    for ftype, n in cur.fetchall():
        label = merge.SPEC_BY_TYPE[ftype].label if ftype in merge.SPEC_BY_TYPE else ftype
        counts.setdefault(label, {"created": 0, "updated": 0, "unchanged": 0, "retired": 0,
                                  "history": 0})["rejected"] = n
    progress.phase("reporting")
    result.issues = _issues(cur, params)
    # ON COMMIT DROP is not enough inside an outer transaction (tests, batch imports)
    cur.execute("DROP TABLE IF EXISTS stg, t, k, same, c, h, r, u, touched")
    result.counts = counts
    run.counts = {**counts, "skipped": dict(stats.skipped)}
    for key in ("created", "updated", "unchanged", "retired", "history", "rejected"):
        setattr(run, key, sum(r.get(key, 0) for r in counts.values()))


WORKERS: int | None = None  # parser processes; None: one per core (at most 4)


def _stage(cur, path: Path, on_batch) -> tuple[ReadStats, bool]:
    """COPY the file into ``stg``; (reader statistics, whether ``stg.g`` is computed).

    The fast way: big files parsed by several processes, geometries transformed by the server
    during the COPY. If that fails in any way (the server refuses a transform, a worker cannot
    read its slice), the file is staged again the plain way (one process, source text only),
    whose checks then name the problem, if the file has one."""
    progress = (lambda: on_batch(500)) if on_batch else None
    slices = parallel.plan(path, WORKERS or parallel.default_workers())
    try:
        with transaction.atomic():  # a savepoint: the fallback below starts clean
            if slices:
                _count, stats = parallel.copy_parallel(cur, path, slices, pii.encrypt,
                                                       progress, STORAGE_SRID)
            else:
                reader = Reader(path, encrypt=pii.encrypt)
                copy_records(cur, reader, on_batch=progress, transform_srid=STORAGE_SRID)
                stats = reader.stats
        return stats, True
    except (psycopg2.Error, parallel.ParallelReadFailed):
        reader = Reader(path, encrypt=pii.encrypt)
        copy_records(cur, reader, on_batch=progress)
        return reader.stats, False


def _implied_precincts(cur, params: dict) -> None:
    """Precincts implied by identifiers (WWPPGG_R.OOOO.…) that the file does not describe."""
    cur.execute(r"""
        INSERT INTO layers_precinct (municipality_id, teryt, name, source_namespace,
            local_id, version_id, unresolved_links, import_run_id)
        SELECT %(muni)s, p, '', 'TERYT', p, '', '{}'::jsonb, %(run)s
        FROM (SELECT DISTINCT left(obj_id, 13) AS p FROM c) q
        WHERE p ~ '^\d{6}_\d\.\d{4}$'
        ON CONFLICT (teryt) DO NOTHING""", params)


def _relations(cur, params: dict) -> None:
    """Klasoużytki and many-to-many links of the rows this run created or updated."""
    cur.execute("""
        CREATE TEMP TABLE touched ON COMMIT DROP AS
        SELECT 'parcel'::text AS ftype, p.id, c.seq FROM layers_parcel p
          JOIN c ON c.ftype = 'parcel' AND c.ns = p.source_namespace AND c.local_id = p.local_id
         WHERE p.import_run_id = %(run)s
        UNION ALL
        SELECT 'building', b.id, c.seq FROM layers_building b
          JOIN c ON c.ftype = 'building' AND c.ns = b.source_namespace AND c.local_id = b.local_id
         WHERE b.import_run_id = %(run)s
        UNION ALL
        SELECT 'subject', s.id, c.seq FROM layers_subject s
          JOIN c ON c.ftype = 'subject' AND c.ns = s.source_namespace AND c.local_id = s.local_id
         WHERE s.import_run_id = %(run)s""", params)
    known = "'" + "','".join(LAND_USE_LABELS) + "'"
    statements = [
        """DELETE FROM layers_parcellanduse WHERE parcel_id IN
           (SELECT id FROM touched WHERE ftype = 'parcel')""",
        f"""INSERT INTO layers_parcellanduse (parcel_id, ofu, ozu, ozk, area_m2, known_code)
           SELECT tt.id, left(lu->>'ofu', 8), left(coalesce(lu->>'ozu', ''), 8),
                  left(coalesce(lu->>'ozk', ''), 8), round((lu->>'area_m2')::numeric, 2),
                  (lu->>'ofu') IN ({known})
           FROM touched tt JOIN c ON c.seq = tt.seq,
                jsonb_array_elements(c.attrs->'land_uses') lu
           WHERE tt.ftype = 'parcel'""",
        """DELETE FROM layers_parcel_addresses WHERE parcel_id IN
           (SELECT id FROM touched WHERE ftype = 'parcel')""",
        """INSERT INTO layers_parcel_addresses (parcel_id, address_id)
           SELECT DISTINCT tt.id, a.id FROM touched tt JOIN r ON r.seq = tt.seq
             JOIN layers_address a ON a.source_namespace = r.tns AND a.local_id = r.tlid
           WHERE tt.ftype = 'parcel' AND r.prop = 'adresDzialki'""",
        """DELETE FROM layers_building_parcels WHERE building_id IN
           (SELECT id FROM touched WHERE ftype = 'building')""",
        """INSERT INTO layers_building_parcels (building_id, parcel_id)
           SELECT DISTINCT tt.id, p.id FROM touched tt JOIN r ON r.seq = tt.seq
             JOIN layers_parcel p ON p.source_namespace = r.tns AND p.local_id = r.tlid
           WHERE tt.ftype = 'building' AND r.prop = 'dzialkaZabudowana'""",
        """DELETE FROM layers_building_addresses WHERE building_id IN
           (SELECT id FROM touched WHERE ftype = 'building')""",
        """INSERT INTO layers_building_addresses (building_id, address_id)
           SELECT DISTINCT tt.id, a.id FROM touched tt JOIN r ON r.seq = tt.seq
             JOIN layers_address a ON a.source_namespace = r.tns AND a.local_id = r.tlid
           WHERE tt.ftype = 'building' AND r.prop = 'adresBudynku'""",
        """DELETE FROM layers_subject_members WHERE from_subject_id IN
           (SELECT id FROM touched WHERE ftype = 'subject')""",
        """INSERT INTO layers_subject_members (from_subject_id, to_subject_id)
           SELECT DISTINCT tt.id, s.id FROM touched tt JOIN r ON r.seq = tt.seq
             JOIN layers_subject s ON s.source_namespace = r.tns AND s.local_id = r.tlid
           WHERE tt.ftype = 'subject' AND r.prop = ANY(%(member_props)s)
             AND s.id <> tt.id""",
        # marriages and groups are named after their members
        """UPDATE layers_subject g SET name = left(q.name, 512), search_text = left(q.st, 512)
           FROM (SELECT m.from_subject_id AS id,
                        string_agg(s.name, ' i ' ORDER BY s.name) AS name,
                        string_agg(s.search_text, ' i ' ORDER BY s.name) AS st
                 FROM layers_subject_members m JOIN layers_subject s ON s.id = m.to_subject_id
                 WHERE m.from_subject_id IN (SELECT id FROM touched WHERE ftype = 'subject')
                 GROUP BY 1) q
           WHERE g.id = q.id AND g.name = ''""",
    ]
    params = {**params, "member_props": list(merge.SUBJECT_MEMBER_PROPS)}
    for sql in statements:
        cur.execute(sql, params)


def _retire_absent(cur, params: dict, counts: dict) -> None:
    """A complete extract of a precinct: its stored objects missing from the file are retired."""
    # Without statistics on the staging table the anti-join below became a nested loop of full
    # scans: 176 s of the demo town's 195 s load. With them it is a hash anti-join.
    cur.execute("ANALYZE t (ftype, ns, local_id, obj_id)")
    for spec in merge.SPECS:
        if spec.ftype not in ("parcel", "building", "landuse"):
            continue
        n = _exec(cur, f"""
            UPDATE {spec.table} e SET retired_at = now()
            WHERE e.municipality_id = %(muni)s AND e.retired_at IS NULL
              AND e.precinct_id IN (SELECT p.id FROM layers_precinct p
                    WHERE p.teryt IN (
                        SELECT DISTINCT substring(obj_id from '^(\\d{{6}}_\\d\\.\\d{{4}})')
                        FROM t WHERE ftype = '{spec.ftype}'))
              AND NOT EXISTS (SELECT 1 FROM t WHERE t.ftype = '{spec.ftype}'
                              AND t.ns = e.source_namespace AND t.local_id = e.local_id)""",
                  params)
        counts.setdefault(spec.label, {"created": 0, "updated": 0, "unchanged": 0,
                                       "retired": 0, "history": 0})["retired"] += n


def _issues(cur, params: dict) -> list[dict]:
    known = "'" + "','".join(LAND_USE_LABELS) + "'"
    cur.execute(f"""
        SELECT kind, ftype, obj, line, reason FROM (
          SELECT CASE WHEN attrs ? 'warning' THEN 'warning' ELSE 'rejected' END AS kind,
                 ftype, coalesce(obj_id, ns || ':' || local_id) AS obj,
                 line, error AS reason FROM t WHERE error IS NOT NULL
          UNION ALL
          SELECT 'repaired', ftype, coalesce(obj_id, ns || ':' || local_id), line,
                 'invalid geometry repaired with ST_MakeValid: ' || repair
          FROM t WHERE repair IS NOT NULL AND error IS NULL
          UNION ALL
          SELECT 'area', 'parcel', obj_id, line,
                 'legal area ' || round((attrs->>'legal_area_m2')::numeric, 2) || ' m² vs '
                 || 'geometric ' || round(ST_Area(geom)::numeric, 2) || ' m² ('
                 || round((100 * (ST_Area(geom) - (attrs->>'legal_area_m2')::float8)
                           / nullif((attrs->>'legal_area_m2')::float8, 0))::numeric, 1) || ' %%)'
          FROM t JOIN k USING (seq)
          WHERE t.error IS NULL AND t.ftype = 'parcel' AND attrs->>'legal_area_m2' IS NOT NULL
            AND abs(ST_Area(geom) - (attrs->>'legal_area_m2')::float8)
                > greatest(1.0, {AREA_TOLERANCE} * (attrs->>'legal_area_m2')::float8)
          UNION ALL
          SELECT 'code', ftype, obj_id, line, 'unknown land-use code (OFU) ' || quote_literal(o)
          FROM (SELECT t.ftype, obj_id, line, attrs->>'ofu' AS o FROM t JOIN k USING (seq)
                WHERE t.error IS NULL AND t.ftype = 'landuse'
                UNION ALL
                SELECT t.ftype, obj_id, line, lu->>'ofu' FROM t JOIN k USING (seq),
                       jsonb_array_elements(t.attrs->'land_uses') lu
                WHERE t.error IS NULL AND t.ftype = 'parcel') q
          WHERE o <> '' AND o NOT IN ({known})
        ) q ORDER BY line LIMIT {MAX_ISSUES}""", params)
    return [{"kind": k, "feature_type": f or "", "object_id": (o or "")[:200], "line": ln,
             "reason": r} for k, f, o, ln, r in cur.fetchall()]
