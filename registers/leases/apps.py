from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeasesConfig(AppConfig):
    name = "registers.leases"
    label = "leases"
    verbose_name = _("Municipal property and leases")

    def ready(self) -> None:
        from gis_app.accounts.roles import Capability
        from layers.tiles.registry import TileLayer, register_tile_layer

        register_tile_layer(TileLayer(
            name="leased_areas", function="leases_leased_areas_tile", public=False,
            detail_capability=Capability.VIEW_LEASES, tables=("leases_lease",), min_zoom=12,
            label=_("Leased areas"),
            style=(("color", "#c2185b"), ("weight", 2), ("fill", True),
                   ("fillColor", "#f48fb1"), ("fillOpacity", 0.35), ("by", "state"),
                   ("palette", (("proposed", "#f9a825", _("proposed, not yet signed")),
                                ("expiring", "#d84315", _("ending within 90 days")),
                                ("running", "#2e7d32", _("running, fixed term")),
                                ("open", "#1565c0", _("for an indefinite period")),
                                ("expired", "#757575", _("ended"))))),
        ))
        register_tile_layer(TileLayer(
            name="municipal_property", function="leases_municipal_property_tile",
            public=False, detail_capability=Capability.VIEW_LEASES,
            tables=("layers_parcel", "leases_propertyoverride"), min_zoom=12,
            label=_("Municipal property"),
            style=(("color", "#2e7d32"), ("weight", 1.5), ("fill", True),
                   ("fillColor", "#66bb6a"), ("fillOpacity", 0.3), ("by", "source"),
                   ("palette", (("cadastre", "#2e7d32", _("municipal by the cadastre")),
                                ("include", "#00897b", _("added by the property office"))))),
        ))
        register_tile_layer(TileLayer(
            name="investment_offer", function="leases_investment_offer_tile", public=True,
            detail_capability=None, tables=("leases_investmentoffer",), min_zoom=10,
            label=_("Investment offer"),
            style=(("color", "#e65100"), ("weight", 2), ("fill", True),
                   ("fillColor", "#ffb74d"), ("fillOpacity", 0.4)),
        ))
