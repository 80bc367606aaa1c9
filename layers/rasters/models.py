"""Registered rasters (orthophotos, elevation models) and protected viewpoints.

A raster's pixels live in a Cloud-Optimised GeoTIFF under ``MEDIA_ROOT/rasters/`` in the storage
CRS (EPSG:2180), written by ``importers.raster``; the row records where the file is, what it
covers and how it was made, so tiles, terrain queries and dossiers never open a file blindly.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.utils.translation import gettext_lazy as _

from layers.domain.srid import STORAGE_SRID


class Raster(models.Model):
    """One imported raster, stored as a COG in EPSG:2180."""

    class Kind(models.TextChoices):
        ORTHOPHOTO = "orthophoto", _("orthophoto")
        ELEVATION = "elevation", _("elevation model")

    name = models.SlugField(_("name"), max_length=64, unique=True,
                            help_text=_("URL segment of the tiles: /rasters/<name>/z/x/y.png"))
    label = models.CharField(_("label"), max_length=128, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    municipality = models.ForeignKey("layers.Municipality", on_delete=models.PROTECT,
                                     related_name="rasters", verbose_name=_("municipality"))
    file_path = models.CharField(_("file"), max_length=512,
                                 help_text=_("relative to MEDIA_ROOT"))
    footprint = models.MultiPolygonField(_("footprint"), srid=STORAGE_SRID, spatial_index=False)
    resolution_m = models.FloatField(_("pixel size [m]"))
    width = models.PositiveIntegerField(_("width [px]"))
    height = models.PositiveIntegerField(_("height [px]"))
    band_count = models.PositiveSmallIntegerField(_("bands"))
    dtype = models.CharField(_("data type"), max_length=16)
    nodata = models.FloatField(_("nodata value"), null=True, blank=True)
    source_crs = models.CharField(_("CRS of the source"), max_length=64)
    source_file = models.CharField(_("source file name"), max_length=255, blank=True)
    attribution = models.CharField(_("attribution"), max_length=200, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("raster")
        verbose_name_plural = _("rasters")
        ordering = ["name"]
        indexes = [GistIndex(fields=["footprint"], name="raster_footprint_gist")]

    def __str__(self) -> str:
        return self.label or self.name

    @property
    def path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / self.file_path


class ProtectedViewpoint(models.Model):
    """A viewpoint from which a landscape area's views are protected (a data row, not code).

    The eye height is above the ground of the elevation model at ``point``.
    """

    landscape_area = models.ForeignKey("layers.LandscapeArea", on_delete=models.CASCADE,
                                       related_name="viewpoints",
                                       verbose_name=_("landscape area"))
    name = models.CharField(_("name"), max_length=200)
    point = models.PointField(_("location"), srid=STORAGE_SRID, spatial_index=False)
    eye_height_m = models.FloatField(_("eye height above ground [m]"), default=1.6)
    max_distance_m = models.FloatField(
        _("range [m]"), default=5000.0,
        help_text=_("objects farther than this are not considered part of the protected view"))

    class Meta:
        verbose_name = _("protected viewpoint")
        verbose_name_plural = _("protected viewpoints")
        ordering = ["landscape_area", "name"]
        indexes = [GistIndex(fields=["point"], name="viewpoint_point_gist")]

    def __str__(self) -> str:
        return self.name
