from django.apps import AppConfig


class GisAppConfig(AppConfig):
    """The project package itself: its system checks (gis_app.checks)."""

    name = "gis_app"

    def ready(self) -> None:
        from gis_app import checks  # noqa: F401  (registers the checks)
