from django.urls import path

from map_ui import desk, openapi, printing, views

app_name = "map_ui"
urlpatterns = [
    path("", views.map_page, name="map"),
    path("search/", views.search_page, name="search"),
    path("map/print.pdf", printing.map_print, name="map_print"),
    path("api/openapi.json", openapi.openapi_json, name="openapi"),
    path("api/search", views.search_api, name="search_api"),
    path("api/parcels/at", views.parcel_at, name="parcel_at"),
    path("api/identify", views.identify_at, name="identify"),
    path("api/parcels/<int:parcel_id>", views.card_api, name="card_api"),
    path("parcels/<int:parcel_id>/card", views.card_fragment, name="card"),
    path("parcels/<int:parcel_id>/print", views.card_print, name="card_print"),
    path("health/", views.health, name="health"),
    path("desk/", desk.desk, name="desk"),
    path("desk/resolutions/<int:municipality_id>/", desk.desk_resolutions,
         name="desk_resolutions"),
]
