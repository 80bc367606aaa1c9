from django.urls import path

from registers.landscape import views

app_name = "landscape"
urlpatterns = [
    path("", views.area_list, name="areas"),
    path("areas/<int:pk>/rules/", views.area_rules, name="area_rules"),
    path("check/", views.check_page, name="check"),
    path("api/check", views.api_check, name="api_check"),
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections.geojson", views.inspections_geojson, name="inspections_geojson"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection"),
    path("photos/<int:pk>", views.photo, name="photo"),
    path("devices/", views.device_list, name="devices"),
    path("devices/new/", views.device_edit, name="device_new"),
    path("devices/<int:pk>/edit/", views.device_edit, name="device_edit"),
    path("fee-rates/", views.fee_rates, name="fee_rates"),
    path("devices/<int:pk>/", views.device_detail, name="device"),
    path("devices/<int:pk>/steps/", views.device_step, name="device_step"),
    path("devices/<int:pk>/photos/", views.device_photo_upload, name="device_photo_upload"),
    path("device-photos/<int:pk>", views.device_photo, name="device_photo"),
    path("fee-declarations/", views.fee_declarations, name="fee_declarations"),
]
