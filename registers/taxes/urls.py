from django.urls import path

from registers.taxes import views

app_name = "taxes"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:municipality_id>/resolutions/", views.resolution_list, name="resolutions"),
    path("<int:municipality_id>/resolutions/new/", views.resolution_new, name="resolution_new"),
    path("<int:municipality_id>/taxpayers/", views.taxpayer_list, name="taxpayers"),
    path("<int:municipality_id>/taxpayers/new/", views.taxpayer_new, name="taxpayer_new"),
    path("<int:municipality_id>/objects/new/", views.taxobject_new, name="taxobject_new"),
    path("<int:municipality_id>/import/", views.declarations_import, name="import"),
    path("<int:municipality_id>/roll/", views.roll, name="roll"),
    path("<int:municipality_id>/reconciliation/", views.case_list, name="cases"),
    path("<int:municipality_id>/reconciliation/run/", views.reconcile_run, name="reconcile"),
    path("taxpayer/<int:taxpayer_id>/", views.liability, name="liability"),
    path("case/<int:case_id>/status/", views.case_status, name="case_status"),
]
