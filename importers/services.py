"""Import one cadastral file: parse → COPY into staging → one set-based merge per table.

One transaction per file: a malformed, cut-off or refused file leaves the database exactly as it
was (only the ImportRun that reports the failure is written, outside that transaction). Two
imports into the same municipality serialise on a transaction-scoped advisory lock.

This module is the order of the steps and the run's bookkeeping; the statements, and the temp
tables they share, are ``importers.merge``'s; the parse is ``importers.gml``'s and the COPY
``importers.staging``'s and ``importers.parallel``'s. Bad input raises an ``ImportProblem``
(``importers.errors``) anywhere below; it is caught here once and becomes the failed run's
message.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from importers import merge, parallel, place, profiling
from importers.errors import AllRejected, ImportFailed, ImportProblem
from importers.gml.crs import UnknownCRSError
from importers.gml.reader import Reader, ReadStats
from importers.job import ImportJob, ImportResult, Progress
from importers.models import ImportIssue, ImportRun
from importers.staging import copy_records
from layers import pii
from layers.domain import locks
from layers.domain.srid import STORAGE_SRID
from layers.models import Municipality

__all__ = ["ImportFailed", "ImportResult", "close_interrupted_runs", "import_cadastre",
           "stage_file"]

log = logging.getLogger(__name__)

LOCK_CLASS = locks.IMPORT_MUNICIPALITY
# Session-level lock held by the process running a cadastre import, keyed by the run's id: it
# dies with the process, so a "running" run whose lock is free was killed (SIGKILL, OOM, power).
RUN_LOCK_CLASS = locks.IMPORT_RUN
INTERRUPTED = ("interrupted: the import process ended before finishing (killed or crashed); "
               "its transaction was rolled back, nothing of it was stored")
WORKERS: int | None = None  # parser processes; None: one per core (at most 4)
# Planner settings of the merge, local to the import's transaction. JIT compilation costs more
# than it saves on these one-off statements; sorts and hashes over the staged rows fit in memory.
MERGE_SETTINGS = {"jit": "off", "work_mem": "256MB", "maintenance_work_mem": "256MB"}


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


def import_cadastre(path: Path | str, *, municipality: str | None = None, dry_run: bool = False,
                    complete: bool = False, user: Any = None,
                    on_batch: Callable[[int], None] | None = None,
                    on_phase: Callable[[str], None] | None = None,
                    boundary_tolerance_m: float = place.DEFAULT_BOUNDARY_TOLERANCE_M,
                    ) -> ImportResult:
    """Import one EGiB / INSPIRE CP / county WFS file; never raises for bad input.

    ``municipality``: a TERYT code WWPPGG_R of a stored municipality or of the one the file's
    identifiers name; each object must lie in Poland and, when the municipality's boundary is
    stored, within ``boundary_tolerance_m`` of it."""
    run = ImportRun.objects.create(source=str(path), kind="cadastre")
    job = ImportJob(path=Path(path), run=run, progress=Progress(on_batch, on_phase, run.id),
                    dry_run=dry_run, complete=complete, tolerance_m=boundary_tolerance_m)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s, %s)", (RUN_LOCK_CLASS, run.id))
    try:
        close_interrupted_runs(current=run.id)
        _run(job, municipality)
        return job.result
    finally:
        job.progress.close()
        with contextlib.suppress(DatabaseError), connection.cursor() as cur:
            # (a lost connection has released the lock already)
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", (RUN_LOCK_CLASS, run.id))


def _run(job: ImportJob, municipality: str | None) -> None:
    """The import in its transaction, and the run's outcome written whatever happens."""
    run, result = job.run, job.result
    try:
        if municipality is not None:
            job.teryt = place.check_teryt(municipality)
        if not (math.isfinite(job.tolerance_m) and job.tolerance_m >= 0):
            raise ImportFailed(f"the boundary tolerance must be a distance in metres ≥ 0, "
                               f"not {job.tolerance_m!r}")
        run.sha256 = _sha256(job.path)
        with transaction.atomic():
            _import(job)
            if job.dry_run:
                transaction.set_rollback(True)
            else:
                job.progress.phase("committing")
        if job.dry_run:
            run.status = ImportRun.Status.DRY_RUN
            run.message = "dry run: everything was rolled back"
        elif run.created or run.updated or run.retired or run.history:
            run.status = ImportRun.Status.OK
        else:
            run.status = ImportRun.Status.UNCHANGED
            run.message = (f"nothing changed: all {run.unchanged} objects are already current"
                           if run.unchanged else "nothing to import")
    except AllRejected as exc:  # rolled back; the rejections are the report
        run.status = ImportRun.Status.FAILED
        run.message = str(exc)
        run.created = run.updated = run.unchanged = run.retired = run.history = 0
    except ImportProblem as exc:
        run.status = ImportRun.Status.FAILED
        run.message = str(exc)
        result.issues = []
    except (DatabaseError, psycopg2.Error) as exc:  # e.g. a lock timeout: rolled back, reported
        run.status = ImportRun.Status.FAILED
        run.message = f"the database refused the import: {exc}".strip()
        result.issues = []
    except Exception as exc:  # a bug or an environment failure: rolled back, never "running"
        log.exception("cadastre import of %s failed", job.path)
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
            [ImportIssue(run=run, **i) for i in result.issues[:merge.MAX_ISSUES]],
            batch_size=2000)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise ImportFailed(str(exc)) from exc
    return h.hexdigest()


def _import(job: ImportJob) -> None:
    with connection.cursor() as cursor:
        cur = profiling.cursor(cursor.cursor)  # the psycopg2 cursor, for copy_expert
        cur.execute("SELECT name, current_setting(name) FROM unnest(%s::text[]) name",
                    (list(MERGE_SETTINGS),))
        previous = dict(cur.fetchall())
        _set_config(cur, MERGE_SETTINGS)
        _steps(job, cur)
        # an enclosing transaction must not inherit the settings; on an error the rollback of
        # the import's savepoint or transaction restores them by itself
        _set_config(cur, previous)


def _set_config(cur: Any, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        cur.execute("SELECT set_config(%s, %s, true)", (name, value))


def _steps(job: ImportJob, cur: Any) -> None:
    run, progress = job.run, job.progress
    progress.phase("reading")
    stats, transformed = stage_file(cur, job.path, progress.on_batch)
    progress.phase("checking")
    run.schema = stats.schema
    _check_crs(cur, stats, transformed)
    muni = _municipality(job, stats)
    if muni is None:  # the file holds nothing cadastral
        merge.drop_tables(cur)
        return
    run.municipality = muni
    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, muni.id))
    params = {"muni": muni.id, "run": run.id, "teryt": muni.teryt,
              **place.place_params(muni.id, muni.teryt, job.tolerance_m)}
    accepted, rejected = merge.check(cur, params, check_unit=bool(stats.units),
                                     transformed=transformed,
                                     place=place.place_sql(merge.CHECKED, params))
    if rejected and not accepted:
        progress.phase("reporting")
        job.result.issues = merge.issues(cur, params)
        run.rejected = rejected
        raise AllRejected(f"every one of the {rejected} objects was rejected: nothing was "
                          "stored")
    in_file = {ftype for ftype, n in stats.features.items() if n}
    stored = merge.stored_types(cur, params)
    set_aside = merge.set_aside_unchanged(cur, params, in_file, stored)
    merge.resolve(cur, params)
    counts: dict[str, dict[str, int]] = {}
    for spec in merge.SPECS:
        progress.phase(f"merging {spec.label}")
        row = merge.merge_table(cur, params, spec, set_aside=set_aside.get(spec.ftype, 0),
                                in_file=spec.ftype in stats.features)
        if row is not None:
            counts[spec.label] = row
    progress.phase("linking")
    merge.link_relations(cur, params)
    if job.complete:
        merge.retire_absent(cur, params, counts, stored)
    for ftype, n in merge.rejected_by_type(cur).items():
        label = merge.SPEC_BY_TYPE[ftype].label if ftype in merge.SPEC_BY_TYPE else ftype
        counts.setdefault(label, {"created": 0, "updated": 0, "unchanged": 0, "retired": 0,
                                  "history": 0})["rejected"] = n
    progress.phase("reporting")
    job.result.issues = merge.issues(cur, params)
    merge.drop_tables(cur)
    job.result.counts = counts
    run.counts = {**counts, "skipped": dict(stats.skipped)}
    for key in ("created", "updated", "unchanged", "retired", "history", "rejected"):
        setattr(run, key, sum(r.get(key, 0) for r in counts.values()))


def _check_crs(cur: Any, stats: ReadStats, transformed: bool) -> None:
    """Refuse a CRS the database does not know, or coordinates outside its area of use."""
    if not stats.srids:
        return
    cur.execute("SELECT srid FROM spatial_ref_sys WHERE srid = ANY(%s)", (list(stats.srids),))
    known = {row[0] for row in cur.fetchall()}
    missing = sorted(stats.srids - known)
    if missing:
        raise UnknownCRSError(f"unknown coordinate reference system EPSG:{missing[0]}")
    # the storage-CRS extents first (no second parse of the text); only a file that fails is
    # measured again in its own CRS, for the message
    if transformed and place.storage_extents_fit(merge.staged_extents(cur, True), stats.schema):
        return
    problem = place.area_of_use_problem(merge.staged_extents(cur, False), stats.schema)
    if problem:
        raise ImportFailed(problem)


def _municipality(job: ImportJob, stats: ReadStats) -> Municipality | None:
    """The municipality the import writes into: the caller's, else the one the file's
    identifiers name most (created when the file defines it); None for a file without
    cadastral features."""
    unit = job.teryt or (stats.units.most_common(1)[0][0] if stats.units else None)
    if not unit:
        if not sum(stats.features.values()):
            job.run.message = "the file holds no cadastral features"
            return None
        raise ImportFailed("cannot tell the municipality from the identifiers: pass "
                           "--municipality TERYT")
    muni = Municipality.objects.filter(teryt=unit).first()
    if muni is None:
        if unit not in stats.units:
            named = ", ".join(u for u, _n in stats.units.most_common(5)) or "none"
            raise ImportFailed(f"municipality {unit} is not in the database and the file does "
                               f"not define it (its identifiers name: {named})")
        muni = Municipality.objects.create(teryt=unit, name=unit)
    return muni


def stage_file(cur: Any, path: Path,
               on_batch: Callable[[int], None] | None) -> tuple[ReadStats, bool]:
    """COPY the file into the staging table; (reader statistics, whether the storage-CRS
    geometry was computed during the COPY).

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
