from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RastersConfig(AppConfig):
    name = "layers.rasters"
    label = "rasters"
    verbose_name = _("Rasters")
