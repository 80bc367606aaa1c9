from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "gis_app.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # The admin has autodiscovered every admin module by now (it is the first app).
        from gis_app.audit.admin_trail import install

        install()
