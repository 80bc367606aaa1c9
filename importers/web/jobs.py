"""Imports from the browser: checking an upload, queueing it, running it in the worker,
reporting its progress and cancelling it.

The importers are called through their public entry points (the functions the management
commands call): ``import_cadastre``, ``import_vector``, ``import_raster``. Each keeps its own
promise: one transaction per file, nothing half-written. This module adds the queue around them:

- the job runs in ``manage.py db_worker`` (django-tasks' database backend); a job holds the
  town's import lock (``layers.domain.locks.IMPORT_MUNICIPALITY``, the lock the importers take
  themselves, re-entrant for the session that holds it) for its whole run, so two imports of one
  town run one after the other even with several workers;
- progress (phase, per cent, features read) is written through a connection of its own that
  commits at once: the import's own transaction shows nothing until it ends;
- cancelling marks the job; the import stops at its next phase (an exception inside its
  transaction: rolled back) and a statement under way, or a wait for the town's lock, is
  cancelled with ``pg_cancel_backend`` (the worker's connection carries the job in its
  ``application_name``); once the import is committing a cancel comes too late and says so.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import psycopg2
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from gis_app.accounts.access import municipality_ids
from gis_app.accounts.roles import Capability
from gis_app.audit.log import Note, audit
from gis_app.audit.models import AuditAction
from importers.models import ImportRun
from importers.reasons import table_label
from importers.web.models import WebImport
from layers.domain import locks
from layers.models import Municipality

log = logging.getLogger(__name__)

VECTOR_KINDS = {WebImport.Kind.PARKING_ZONES, WebImport.Kind.LANDSCAPE_AREAS}
RASTER_KINDS = {WebImport.Kind.ORTHOPHOTO, WebImport.Kind.ELEVATION}
ACTIVE = (WebImport.Status.QUEUED, WebImport.Status.RUNNING, WebImport.Status.CANCELLING)
#: the cadastre importer's phases in their order, with the share of the work done when each
#: starts (the merge phases are named per table: "merging parcels", …)
CADASTRE_PHASES = {"reading": 5, "checking": 35, "merging": 45, "linking": 85,
                   "reporting": 90, "committing": 95}
TOO_LATE = "committing"
#: the importers' phase names (English, stored as they come) in the viewer's language
PHASE_LABELS = {
    "reading": gettext_lazy("reading the file"),
    "checking": gettext_lazy("checking the objects"),
    "linking": gettext_lazy("linking the objects"),
    "reporting": gettext_lazy("writing the report"),
    "committing": gettext_lazy("saving"),
    "starting": gettext_lazy("starting"),
    "importing": gettext_lazy("importing"),
    "waiting": gettext_lazy("waiting for other imports of this town"),
    "warp": gettext_lazy("reprojecting the raster"),
    "cog": gettext_lazy("writing the tiled raster"),
}


class ImportCancelled(Exception):
    """Raised inside the import's transaction when its job was cancelled: rolled back."""


def upload_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def application_name(job_id: int) -> str:
    return f"geogmina-import-{job_id}"


# --- upload -----------------------------------------------------------------------------------

def check_content(kind: str, path: Path) -> None:
    """Refuse a file whose content is not what ``kind`` imports (the importers' own checks, run
    before the job is queued so the page can say it at once); ``ValidationError``."""
    if path.stat().st_size == 0:
        raise ValidationError(_("The file is empty."))
    if kind == WebImport.Kind.CADASTRE:
        from importers.gml.security import UnsafeXMLError, check_prolog

        with open(path, "rb") as fh:
            head = fh.read(4096)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            head = head.decode("utf-16", errors="ignore").encode("utf-8")
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise ValidationError(_("The file is not XML: a cadastral GML file is expected "
                                    "(recognised by its content, not by its name)."))
        try:
            check_prolog(path)
        except UnsafeXMLError:
            raise ValidationError(_("The file declares a DTD or entities, which cadastral GML "
                                    "never does: refused unread.")) from None
    elif kind in VECTOR_KINDS:
        from importers.vector import VectorImportError, recognise

        try:
            recognise(path)
        except VectorImportError:
            raise ValidationError(_("The file is not a GeoPackage, Shapefile (zipped or not), "
                                    "GeoJSON, GML or FlatGeobuf file (recognised by its "
                                    "content, not by its name).")) from None
    elif kind in RASTER_KINDS:
        from importers.raster.importer import RasterImportError, check_source

        try:
            check_source(path, str(kind))
        except RasterImportError as exc:
            raise ValidationError(_("The raster was refused: %(reason)s")
                                  % {"reason": str(exc).replace(str(path.parent) + "/", "")}
                                  ) from None
    else:
        raise ValidationError(_("Unknown kind of import."))


def phase_label(phase: str) -> str:
    """A phase as the page shows it: "merging parcels" → "łączenie: parcels" etc."""
    if not phase:
        return ""
    if phase.startswith("merging"):
        return _("merging into the register: %(table)s") % {"table": table_label(phase[8:])}
    head, _sep, rest = phase.partition(" ")
    label = PHASE_LABELS.get(head)
    if label is None:
        return phase
    return f"{label} {rest}".strip() if head in ("warp", "cog") else str(label)


def _safe_name(name: str) -> str:
    base = Path(name or "upload").name
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.ASCII).strip("._") or "upload"
    return base[-120:]


def create(user: Any, *, kind: str, municipality: Municipality, upload: UploadedFile,
           complete: bool = False, name: str = "", mapping: dict[str, str] | None = None
           ) -> WebImport:
    """Store the upload, check its content and queue the import (after the commit).
    ``PermissionDenied`` without IMPORT_DATA in the town; ``ValidationError`` for the file."""
    if municipality.pk not in municipality_ids(user, Capability.IMPORT_DATA):
        raise PermissionDenied(_("You may not import data into this municipality."))
    cap = settings.GEOGMINA_IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > cap:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": cap // 2**20})
    folder = upload_root() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / _safe_name(upload.name)
    try:
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        check_content(kind, path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if kind in RASTER_KINDS and not name:
        name = f"{municipality.teryt.replace('_', '-')}-{kind}-{folder.name[:8]}"
    job = WebImport.objects.create(
        kind=kind, municipality=municipality, file=str(path), original_name=upload.name[:255],
        size=path.stat().st_size, complete=complete, name=name, mapping=mapping or {},
        created_by=user)
    audit(user, AuditAction.CREATE, "importers.webimport", job.pk,
          municipality_id=municipality.pk,
          detail=Note(gettext_noop("%(kind)s: file %(name)s (%(size)s B)"),
                      kind=dict(WebImport.Kind.choices).get(job.kind, job.kind),
                      name=job.original_name, size=job.size))
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    from importers.web.tasks import run_import

    result = run_import.enqueue(job_id)
    WebImport.objects.filter(pk=job_id).update(task_id=str(result.id))


def queue_position(job: WebImport) -> int:
    """How many imports of the same town are before this queued one."""
    return WebImport.objects.filter(municipality=job.municipality, status__in=ACTIVE,
                                    created_at__lt=job.created_at).exclude(pk=job.pk).count()


# --- cancelling ---------------------------------------------------------------------------------

def cancel(user: Any, job: WebImport) -> WebImport:
    """Cancel a queued or running import. A queued one never starts; a running one is rolled
    back (its report says so); one already committing finishes, and its page says the cancel
    came too late."""
    if job.finished:
        return job
    with transaction.atomic():
        job = WebImport.objects.select_for_update().get(pk=job.pk)
        if job.status == WebImport.Status.QUEUED:
            job.status, job.finished_at = WebImport.Status.CANCELLED, timezone.now()
            job.message = _("Cancelled before it started: nothing was imported.")
            job.save(update_fields=["status", "finished_at", "message"])
            _remove_upload(job)
        elif job.status == WebImport.Status.RUNNING:
            job.status = WebImport.Status.CANCELLING
            job.save(update_fields=["status"])
        audit(user, AuditAction.UPDATE, "importers.webimport", job.pk,
              municipality_id=job.municipality_id, detail=Note(gettext_noop("cancel requested")))
    if job.status == WebImport.Status.CANCELLING and job.phase != TOO_LATE:
        with connection.cursor() as cur:  # a statement under way, or the wait for the lock
            cur.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = %s AND state = 'active' "
                        "AND pid <> pg_backend_pid()", [application_name(job.pk)])
    return job


def _remove_upload(job: WebImport) -> None:
    folder = Path(job.file).parent
    root = upload_root().resolve()
    if folder.resolve().parent == root:  # only a folder this module made
        shutil.rmtree(folder, ignore_errors=True)


# --- the worker's side ----------------------------------------------------------------------------

class Reporter:
    """Progress of one job, written through an autocommit connection of its own, and the
    cancel check, read through the import's connection (READ COMMITTED: it sees the cancel the
    page committed)."""

    def __init__(self, job: WebImport) -> None:
        self.job_id = job.pk
        self.percent = 0
        self.staged = 0
        self.phase_name = ""
        self.cancel_seen = False
        self._conn: Any = None
        self._last = 0.0

    def publish(self, phase: str | None = None, percent: int | None = None) -> None:
        if phase is not None:
            self.phase_name = phase[:80]
        if percent is not None:
            self.percent = max(self.percent, min(100, int(percent)))
        try:
            if self._conn is None:
                self._conn = psycopg2.connect(**connection.get_connection_params())
                self._conn.autocommit = True
            with self._conn.cursor() as cur:
                cur.execute("UPDATE importers_web_webimport SET phase = %s, progress = %s, "
                            "staged = %s WHERE id = %s",
                            (self.phase_name, self.percent, self.staged, self.job_id))
        except psycopg2.Error:
            self.close()  # progress is a courtesy: never a reason to fail an import

    def cancelled(self) -> bool:
        status = WebImport.objects.filter(pk=self.job_id).values_list("status", flat=True)
        self.cancel_seen = self.cancel_seen or status.first() == WebImport.Status.CANCELLING
        return self.cancel_seen

    def check(self) -> None:
        if self.cancelled():
            raise ImportCancelled(_("cancelled by the user"))

    # the importers' callbacks
    def on_phase(self, name: str) -> None:
        step = next((v for k, v in CADASTRE_PHASES.items() if name.startswith(k)), None)
        if name.startswith("merging"):
            step = max(CADASTRE_PHASES["merging"], min(80, self.percent + 7))
        self.publish(name, step)
        if name != TOO_LATE:
            self.check()

    def on_batch(self, n: int = 500) -> None:
        import time

        self.staged += n
        now = time.monotonic()
        if now - self._last >= 0.5:  # at most two writes a second
            self._last = now
            self.publish()

    def on_raster(self, stage: str, done: int, total: int) -> None:
        share = done / total if total else 0
        self.publish(f"{stage} {round(100 * share)} %",
                     10 + 80 * share if stage != "cog" else 90)
        self.check()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()
            self._conn = None


def execute(job_id: int) -> WebImport | None:
    """The worker's body for one job; never raises for a failed or cancelled import."""
    started = WebImport.objects.filter(pk=job_id, status=WebImport.Status.QUEUED).update(
        status=WebImport.Status.RUNNING, started_at=timezone.now(),
        phase="waiting")
    if not started:
        return None  # cancelled while it waited in the queue (or run already)
    return run_claimed(job_id)


def run_claimed(job_id: int) -> WebImport:
    """Run a job this worker has claimed (status running or, if cancelled since, cancelling)."""
    job = WebImport.objects.select_related("municipality").get(pk=job_id)
    reporter = Reporter(job)
    status, message, run = WebImport.Status.DONE, "", None
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('application_name', %s, false)",
                        [application_name(job_id)])
            cur.execute("SELECT pg_advisory_lock(%s, %s)",
                        (locks.IMPORT_MUNICIPALITY, job.municipality_id))
        try:
            reporter.check()
            reporter.publish("starting", 1)
            run, failure = _import(job, reporter)
            if failure:
                status, message = WebImport.Status.FAILED, failure
        finally:
            with contextlib.suppress(DatabaseError), connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)",
                            (locks.IMPORT_MUNICIPALITY, job.municipality_id))
    except ImportCancelled:
        status = WebImport.Status.CANCELLED
    except DatabaseError as exc:  # the wait for the lock cancelled, or the database refused
        status, message = WebImport.Status.FAILED, str(exc).strip()
    except Exception as exc:  # a bug: reported, never left "running"
        log.exception("web import %s failed", job_id)
        status, message = WebImport.Status.FAILED, f"{type(exc).__name__}: {exc}"
    finally:
        reporter.close()
        with contextlib.suppress(DatabaseError), connection.cursor() as cur:
            cur.execute("SELECT set_config('application_name', '', false)")
    return _finish(job, reporter, status, message, run)


def _finish(job: WebImport, reporter: Reporter, status: str, message: str,
            run: ImportRun | None) -> WebImport:
    cancelled = reporter.cancelled()
    if cancelled and (status != WebImport.Status.DONE):
        status = WebImport.Status.CANCELLED
        message = _("Cancelled: the import was rolled back, nothing of the file was stored.")
    elif cancelled:
        message = _("The cancel came too late: the import had already been committed.")
    elif status == WebImport.Status.DONE and not message:
        message = _("Imported.")
    job.status, job.message, job.run = status, message, run
    job.finished_at = timezone.now()
    job.phase = ""
    job.progress = 100 if status == WebImport.Status.DONE else reporter.percent
    job.staged = reporter.staged
    job.save(update_fields=["status", "message", "run", "finished_at", "phase", "progress",
                            "staged"])
    _remove_upload(job)
    return job


def _import(job: WebImport, reporter: Reporter) -> tuple[ImportRun | None, str]:
    """Run the importer; (its run if it keeps one, the failure message or "")."""
    path, teryt = Path(job.file), job.municipality.teryt
    if job.kind == WebImport.Kind.CADASTRE:
        from importers.services import import_cadastre

        result = import_cadastre(path, municipality=teryt, complete=job.complete,
                                 on_batch=reporter.on_batch, on_phase=reporter.on_phase)
        run = result.run
        return run, run.message if run.status == ImportRun.Status.FAILED else ""
    if job.kind in VECTOR_KINDS:
        from importers.vector import import_vector

        reporter.publish("importing", 10)
        reporter.check()
        result = import_vector(path, layer=str(job.kind), municipality=teryt,
                               mapping=job.mapping or {}, complete=job.complete)
        run = result.run
        return run, run.message if run.status == ImportRun.Status.FAILED else ""
    from importers.raster.importer import RasterImportError, import_raster

    try:
        raster = import_raster(path, kind=str(job.kind), municipality=job.municipality,
                               name=job.name, label=job.original_name[:100],
                               progress=reporter.on_raster)
    except RasterImportError as exc:
        return None, str(exc).replace(str(path.parent) + "/", "")
    return None, "" if raster else _("nothing was imported")
