from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxesConfig(AppConfig):
    name = "registers.taxes"
    label = "taxes"
    verbose_name = _("Property tax")

    def ready(self) -> None:
        from gis_app.accounts.roles import Capability
        from layers.tiles.registry import TileLayer, register_tile_layer

        register_tile_layer(TileLayer(
            name="tax_status",
            function="taxes_tax_status_tile",
            public=False,
            detail_capability=Capability.VIEW_TAX,
            tables=("layers_parcel", "taxes_taxobject", "taxes_reconciliationcase"),  # tracked
            min_zoom=14,
            label="Tax status",
            audit_reads="read_tax",  # tax secrecy: who saw the layer is on record
        ))
