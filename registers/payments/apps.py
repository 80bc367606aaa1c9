from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "registers.payments"
    label = "payments"
    verbose_name = _("Tax payments and arrears")

    def ready(self) -> None:
        from gis_app.accounts.roles import Capability
        from layers.tiles.registry import TileLayer, register_tile_layer
        from registers.payments import receivers
        from registers.taxes.signals import decision_issued, decisions_issued

        decision_issued.connect(receivers.on_decision_issued,
                                dispatch_uid="payments.on_decision_issued")
        decisions_issued.connect(receivers.on_decisions_issued,
                                 dispatch_uid="payments.on_decisions_issued")
        register_tile_layer(TileLayer(
            name="tax_arrears_precincts", function="payments_arrears_precinct_tile",
            public=False, detail_capability=Capability.VIEW_TAX,
            tables=("layers_precinct", "payments_charge"), min_zoom=10,
            label=_("Tax arrears by precinct"),
            style=(("color", "#4a148c"), ("weight", 1), ("fill", True), ("fillOpacity", 0.55),
                   ("by", "band"),
                   ("palette", (("0", "#f3e5f5", _("no arrears")),
                                ("1", "#ce93d8", _("arrears up to 1,000 zł")),
                                ("2", "#ab47bc", _("arrears 1,000–10,000 zł")),
                                ("3", "#6a1b9a", _("arrears over 10,000 zł"))))),
            audit_reads="read_tax",
        ))
