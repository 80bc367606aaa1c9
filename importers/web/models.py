"""An import an administrator started from the browser: the uploaded file, what to do with it,
and where the background job is (queued → running → done / failed / cancelled)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from importers.models import ImportRun
from importers.reasons import reason_text
from layers.models import Municipality


class WebImport(models.Model):
    class Kind(models.TextChoices):
        CADASTRE = "cadastre", _("cadastre (EGiB or INSPIRE GML)")
        PARKING_ZONES = "parking_zones", _("paid-parking zones (vector file)")
        LANDSCAPE_AREAS = "landscape_areas", _("landscape areas (vector file)")
        ORTHOPHOTO = "orthophoto", _("orthophoto (GeoTIFF)")
        ELEVATION = "elevation", _("elevation model (GeoTIFF)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting in the queue")
        RUNNING = "running", _("running")
        CANCELLING = "cancelling", _("cancelling")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("what to import"), max_length=20, choices=Kind.choices)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="web_imports", verbose_name=_("municipality"))
    file = models.CharField(_("stored file"), max_length=500)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    complete = models.BooleanField(_("complete extract"), default=False)
    name = models.CharField(_("raster name"), max_length=64, blank=True)
    mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.QUEUED)
    phase = models.CharField(_("now"), max_length=80, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress in per cent"), default=0)
    staged = models.PositiveIntegerField(_("features read"), default=0)
    message = models.TextField(_("message"), blank=True)
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="web_imports", verbose_name=_("import run"))
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("started by"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import from the browser")
        verbose_name_plural = _("imports from the browser")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["municipality", "status"], name="webimport_town_status")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def message_text(self) -> str:
        """The message in the reader's language: an importer's failure is stored as it wrote
        it (English, what the CLI prints) and read through the reasons' catalogue."""
        return reason_text(self.message)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)
