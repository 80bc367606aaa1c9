from django.urls import path

from map_ui import views

app_name = "map_ui"
urlpatterns = [
    path("", views.map_page, name="map"),
    path("health/", views.health, name="health"),
]
