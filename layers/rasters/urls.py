"""Raster tiles, terrain queries and the parcel dossier, mounted at /rasters/."""

from django.urls import path, re_path

from layers.rasters import views

app_name = "rasters"

_TILE = r"(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/.]+)\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    path("terrain/height", views.terrain_height, name="terrain-height"),
    path("terrain/visibility", views.terrain_visibility, name="terrain-visibility"),
    path("dossier/<int:parcel_id>.pdf", views.parcel_dossier, name="dossier"),
    re_path(r"^(?P<name>[-\w]+)/hillshade/" + _TILE, views.hillshade_tile, name="hillshade"),
    re_path(r"^(?P<name>[-\w]+)/" + _TILE, views.raster_tile, name="tile"),
]
