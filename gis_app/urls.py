"""URL configuration. Every view declares who may use it (``gis_app.accounts.access``)."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("tiles/", include("layers.tiles.urls")),
    path("rasters/", include("layers.rasters.urls")),
    path("ogc/", include("layers.ogc.urls")),
    path("taxes/", include("registers.taxes.urls")),
    path("leases/", include("registers.leases.urls")),
    path("housing/", include("registers.housing.urls")),
    path("parking/", include("registers.parking.urls")),
    path("landscape/", include("registers.landscape.urls")),
    path("", include("map_ui.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
