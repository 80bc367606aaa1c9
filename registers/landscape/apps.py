from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LandscapeConfig(AppConfig):
    name = "registers.landscape"
    label = "landscape"
    verbose_name = _("Landscape resolution")
