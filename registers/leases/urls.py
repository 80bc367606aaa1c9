from django.urls import path

from registers.leases import views

app_name = "leases"
urlpatterns = [
    path("", views.lease_list, name="lease_list"),
    path("new/", views.lease_new, name="lease_new"),
    path("rents/", views.rent_roll, name="rent_roll"),
    path("<int:pk>/", views.lease_detail, name="lease_detail"),
    path("<int:pk>/edit/", views.lease_edit, name="lease_edit"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("documents/<int:doc_id>/", views.document_download, name="document_download"),
    path("property/", views.property_list, name="property_list"),
    path("property/<int:parcel_id>/edit/", views.property_edit, name="property_edit"),
    path("usufruct/", views.usufruct_list, name="usufruct_list"),
    path("usufruct/<int:pk>/update/", views.usufruct_update, name="usufruct_update"),
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/new/", views.offer_edit, name="offer_new"),
    path("offers/<int:pk>/edit/", views.offer_edit, name="offer_edit"),
]
