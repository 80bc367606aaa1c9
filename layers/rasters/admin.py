"""Admin: registered rasters (read-only facts; import with ``manage.py import_raster``) and the
protected viewpoints, which are data an administrator or inspector keeps."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.gis import admin as gis_admin

from layers.rasters.models import ProtectedViewpoint, Raster
from layers.widgets import OfflineMapWidget


@admin.register(Raster)
class RasterAdmin(gis_admin.GISModelAdmin):
    gis_widget = OfflineMapWidget
    list_display = ("name", "label", "kind", "municipality", "resolution_m", "source_crs",
                    "created")
    list_filter = ("kind", "municipality")
    readonly_fields = ("kind", "file_path", "resolution_m", "width", "height", "band_count",
                       "dtype", "nodata", "source_crs", "source_file", "created")

    def has_add_permission(self, request) -> bool:
        return False  # rasters arrive through the importer, which checks and converts them


@admin.register(ProtectedViewpoint)
class ProtectedViewpointAdmin(gis_admin.GISModelAdmin):
    gis_widget = OfflineMapWidget
    list_display = ("name", "landscape_area", "eye_height_m", "max_distance_m")
    list_filter = ("landscape_area__municipality",)
    search_fields = ("name", "landscape_area__code", "landscape_area__name")
    raw_id_fields = ("landscape_area",)
