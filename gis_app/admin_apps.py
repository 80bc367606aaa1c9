"""django.contrib.admin with the project's site (INSTALLED_APPS names this instead)."""

from django.contrib.admin.apps import AdminConfig


class GeogminaAdminConfig(AdminConfig):
    """Every ModelAdmin audited and scoped to the towns its user administers
    (gis_app.admin_site)."""

    default_site = "gis_app.admin_site.GeogminaAdminSite"
