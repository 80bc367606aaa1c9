"""Landscape resolution register."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LandscapeConfig(AppConfig):
    name = "registers.landscape"
    label = "landscape"
    verbose_name = _("Landscape resolution")

    def ready(self) -> None:
        from gis_app.accounts.roles import Capability
        from layers.tiles.registry import TileLayer, register_tile_layer

        register_tile_layer(TileLayer(
            name="landscape_inspections", function="landscape_inspections_tile", public=False,
            detail_capability=Capability.VIEW_LANDSCAPE, tables=("landscape_inspection",),
            min_zoom=10, label=str(_("Landscape inspections"))))
