"""Vector tiles: one SQL function per layer (ST_AsMVT), served by a thin view."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilesConfig(AppConfig):
    name = "layers.tiles"
    label = "tiles"
    verbose_name = _("Vector tiles")

    def ready(self) -> None:
        from gis_app.accounts.roles import Capability
        from layers.tiles.registry import TileLayer, register_tile_layer

        for layer in (
            TileLayer("parcels", "tiles_parcels", public=True,
                      detail_capability=Capability.VIEW_MAP, tables=("layers_parcel",),
                      min_zoom=14, label="Parcels"),
            TileLayer("buildings", "tiles_buildings", public=True,
                      detail_capability=Capability.VIEW_MAP, tables=("layers_building",),
                      min_zoom=15, label="Buildings"),
            TileLayer("land_uses", "tiles_land_uses", public=True,
                      detail_capability=Capability.VIEW_MAP, tables=("layers_landuse",),
                      min_zoom=14, label="Land uses"),
            TileLayer("parking_zones", "tiles_parking_zones", public=True,
                      detail_capability=Capability.VIEW_PARKING,
                      tables=("layers_parkingzone",), min_zoom=8, label="Paid-parking zones"),
            TileLayer("landscape_areas", "tiles_landscape_areas", public=True,
                      detail_capability=Capability.VIEW_LANDSCAPE,
                      tables=("layers_landscapearea",), min_zoom=8, label="Landscape areas"),
        ):
            register_tile_layer(layer)
