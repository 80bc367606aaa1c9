from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeasesConfig(AppConfig):
    name = "registers.leases"
    label = "leases"
    verbose_name = _("Municipal property and leases")
