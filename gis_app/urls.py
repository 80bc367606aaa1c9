"""URL configuration. Every view declares who may use it (``gis_app.accounts.access``)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from gis_app import audit_views
from gis_app.accounts.access import access

login_view = access(public=True, description="log in")(auth_views.LoginView.as_view())
logout_view = access(public=True, description="log out (POST)")(auth_views.LogoutView.as_view())
language_view = access(public=True, description="switch the UI language (POST)")(set_language)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", logout_view, name="logout"),
    path("i18n/setlang/", language_view, name="set_language"),
    path("tiles/", include("layers.tiles.urls")),
    path("rasters/", include("layers.rasters.urls")),
    path("ogc/", include("layers.ogc.urls")),
    path("taxes/", include("registers.taxes.urls")),
    path("payments/", include("registers.payments.urls")),
    path("leases/", include("registers.leases.urls")),
    path("housing/", include("registers.housing.urls")),
    path("parking/", include("registers.parking.urls")),
    path("landscape/", include("registers.landscape.urls")),
    path("ppp/", include("registers.ppp.urls")),
    path("audit/", audit_views.event_list, name="audit-events"),
    path("", include("map_ui.urls")),
]

# Uploaded files (lease documents, inspection photos) are never served as plain media: each
# register serves its files through a view that checks the user's role.

# Styled error pages in the site's layout (JSON for machine clients): gis_app.error_views
handler403 = "gis_app.error_views.permission_denied"
handler404 = "gis_app.error_views.page_not_found"
handler500 = "gis_app.error_views.server_error"
