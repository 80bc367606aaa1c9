from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Spatial register")

    def ready(self) -> None:
        # the spatial register's own OGC collections; registers add theirs from their ready()
        from layers.ogc import builtin  # noqa: F401  (registers on import)
