from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebImportsConfig(AppConfig):
    """Imports from the browser: an upload page, a job queue (django-tasks' database backend,
    run by ``manage.py db_worker``), progress, cancelling and the report."""

    name = "importers.web"
    label = "importers_web"
    verbose_name = _("Imports from the browser")

    def ready(self) -> None:
        """The queue's rows are not edited in the admin: a job is cancelled through its page
        (/imports/), which rolls the import back safely; a row changed by hand would bypass
        that protocol."""
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
