from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "registers.housing"
    label = "housing"
    verbose_name = _("Protected housing")

    def ready(self) -> None:
        from gis_app.accounts.roles import Capability
        from layers.tiles.registry import TileLayer, register_tile_layer

        register_tile_layer(TileLayer(
            name="protected_flats", function="housing_flats_tile", public=False,
            detail_capability=Capability.VIEW_HOUSING,
            tables=("housing_protectedflat", "layers_parcel"), min_zoom=12,
            label=_("Plots with protected flats"),
            style=(("color", "#283593"), ("weight", 2), ("fill", True),
                   ("fillColor", "#7986cb"), ("fillOpacity", 0.4)),
        ))
