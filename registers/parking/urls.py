from django.urls import path

from registers.parking import views

app_name = "parking"
urlpatterns = [
    path("", views.tariff_list, name="tariffs"),
    path("calculator/", views.calculator, name="calculator"),
    path("api/fee", views.api_fee, name="api_fee"),
    path("api/zones", views.api_zones, name="api_zones"),
    path("tariffs/new/", views.tariff_edit, name="tariff_new"),
    path("tariffs/<int:pk>/edit/", views.tariff_edit, name="tariff_edit"),
]
