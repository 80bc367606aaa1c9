from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebImportsConfig(AppConfig):
    """Imports from the browser: an upload page, a job queue (django-tasks' database backend,
    run by ``manage.py db_worker``), progress, cancelling and the report."""

    name = "importers.web"
    label = "importers_web"
    verbose_name = _("Imports from the browser")
