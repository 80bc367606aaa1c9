"""OGC API – Features, mounted at /ogc/; geo exports of its collections and of parcel lists."""

from django.urls import path

from layers.ogc import export_views, views

app_name = "ogc"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("conformance", views.conformance, name="conformance"),
    path("api", views.api, name="api"),
    path("collections", views.collection_list, name="collections"),
    path("collections/<str:collection_id>", views.collection, name="collection"),
    path("collections/<str:collection_id>/items", views.items, name="items"),
    path("collections/<str:collection_id>/items/<str:feature_id>", views.item, name="item"),
    path("collections/<str:collection_id>/export.<str:fmt>", export_views.collection_export,
         name="collection-export"),
    path("exports/parcels.<str:fmt>", export_views.parcel_export, name="parcel-export"),
    # anything else under /ogc/ is an OGC exception in JSON, not the HTML 404 page
    path("<path:rest>", views.not_found, name="not-found"),
]
