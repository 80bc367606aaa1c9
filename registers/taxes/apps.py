from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Classes of the tax_status tile (klass of taxes_parcel_tax_status), with legend labels.
TAX_STATUS_PALETTE = (
    ("paid", "#2e7d32", _("paid to date")),
    ("arrears_low", "#ffb74d", _("in arrears: under 500 zł")),
    ("arrears_mid", "#f4511e", _("in arrears: 500–5,000 zł")),
    ("arrears_high", "#b71c1c", _("in arrears: 5,000 zł and more")),
    ("assessed", "#81c784", _("assessed, no decision posted")),
    ("not_assessed", "#9e9e9e", _("not assessed")),
    ("exempt", "#1e88e5", _("exempt")),
    ("differs", "#8e24aa", _("differs from the cadastre")),
)


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
            tables=("layers_parcel", "taxes_taxobject", "taxes_reconciliationcase",
                    "payments_charge"),  # all tracked (payments_charge: payments 0002)
            min_zoom=14,
            label=_("Tax status"),
            style=(("color", "#424242"), ("weight", 1), ("fill", True), ("fillOpacity", 0.5),
                   ("by", "klass"), ("palette", TAX_STATUS_PALETTE)),
            audit_reads="read_tax",  # tax secrecy: who saw the layer is on record
        ))
