"""Models of the importers: every import leaves an ImportRun with its counts and issues."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from layers.models import Municipality


class ImportRun(models.Model):
    """One import of one file: what it did (counts) and what it could not do (issues)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        OK = "ok", _("imported")
        UNCHANGED = "unchanged", _("nothing changed")
        DRY_RUN = "dry_run", _("dry run (rolled back)")
        FAILED = "failed", _("failed")

    source = models.CharField(_("source file"), max_length=500)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    kind = models.CharField(_("importer"), max_length=32, default="cadastre")
    schema = models.CharField(_("schema"), max_length=32, blank=True)
    municipality = models.ForeignKey(Municipality, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="import_runs",
                                     verbose_name=_("municipality"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    retired = models.PositiveIntegerField(_("retired"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    history = models.PositiveIntegerField(_("archived versions"), default=0)
    counts = models.JSONField(_("counts per table"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    # written by the running import through a connection of its own (its transaction shows
    # nothing until it ends); emptied when the run ends
    phase = models.CharField(_("now"), max_length=80, blank=True,
                             help_text=_("what a running import is doing"))

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} ({self.get_status_display()})"


class ImportIssue(models.Model):
    """A rejection, a repair, an area difference or an unknown code met during an import."""

    class Kind(models.TextChoices):
        REJECTED = "rejected", _("rejected")
        REPAIRED = "repaired", _("geometry repaired")
        AREA = "area", _("legal vs geometric area")
        CODE = "code", _("unknown code")
        WARNING = "warning", _("warning")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    feature_type = models.CharField(_("feature type"), max_length=32, blank=True)
    object_id = models.CharField(_("object id"), max_length=200, blank=True)
    line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("import issue")
        verbose_name_plural = _("import issues")
        ordering = ["run", "line", "id"]
        indexes = [models.Index(fields=["run", "kind"], name="importissue_run_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.reason}"
