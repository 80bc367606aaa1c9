from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PppConfig(AppConfig):
    name = "registers.ppp"
    label = "ppp"
    verbose_name = _("Public-private partnership")

    def ready(self) -> None:
        from gis_app.accounts.roles import Capability
        from layers.tiles.registry import TileLayer, register_tile_layer

        # Public: the projects open for partners (title, stage, contact) for everyone; every
        # project of the towns where the viewer may read the property register.
        register_tile_layer(TileLayer(
            name="ppp_projects", function="ppp_projects_tile", public=True,
            detail_capability=Capability.VIEW_LEASES, tables=("ppp_pppproject",), min_zoom=10,
            label=_("PPP projects"),
            style=(("color", "#6a1b9a"), ("weight", 2), ("fill", True),
                   ("fillColor", "#ce93d8"), ("fillOpacity", 0.4), ("by", "stage"),
                   ("palette", (("idea", "#9e9e9e", _("idea")),
                                ("assessment", "#f9a825", _("preliminary assessment")),
                                ("selection", "#1565c0", _("partner selection")),
                                ("contract", "#6a1b9a", _("contract")),
                                ("operation", "#2e7d32", _("operation")),
                                ("closed", "#616161", _("closed"))))),
        ))
