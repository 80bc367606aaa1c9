from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class ParkingConfig(AppConfig):
    name = "registers.parking"
    label = "parking"
    verbose_name = _("Paid parking")

    def ready(self) -> None:
        from gis_app.accounts.roles import Capability
        from layers.tiles.registry import TileLayer, register_tile_layer

        # The zone manager's thematic layer: each zone coloured by its estimated occupancy over
        # the paid hours of the last 7 days (parking_zoneoccupancy). Never public: only the
        # towns where the viewer may read parking revenue.
        register_tile_layer(TileLayer(
            name="parking_occupancy", function="parking_occupancy_tile", public=False,
            detail_capability=Capability.VIEW_PARKING_REVENUE,
            tables=("layers_parkingzone", "parking_zoneoccupancy", "parking_zonecapacity"),
            min_zoom=8, label=gettext_noop("Parking occupancy (last 7 days)"),
            style=(("color", "#37474f"), ("weight", 1.5), ("fill", True), ("fillColor", "#ef6c00"),
                   ("fillOpacity", 0.55), ("by", "band"),
                   ("palette", (("low", "#2e7d32", _("below 50 %")),
                                ("medium", "#f9a825", _("50–70 %")),
                                ("high", "#ef6c00", _("70–85 %")),
                                ("full", "#c62828", _("85 % and more")),
                                ("none", "#9e9e9e", _("no bay count or no paid hour"))))),
        ))
