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
    path("<int:municipality_id>/rural/new/", views.rural_new, name="rural_new"),
    path("<int:municipality_id>/import/", views.declarations_import, name="import"),
    path("<int:municipality_id>/roll/", views.roll, name="roll"),
    path("<int:municipality_id>/reconciliation/", views.case_list, name="cases"),
    path("<int:municipality_id>/reconciliation/run/", views.reconcile_run, name="reconcile"),
    path("taxpayer/<int:taxpayer_id>/", views.liability, name="liability"),
    path("case/<int:case_id>/status/", views.case_status, name="case_status"),
    path("<int:municipality_id>/decisions/", views.decision_list, name="decisions"),
    path("<int:municipality_id>/decisions/batch/", views.decision_batch, name="batch"),
    path("taxpayer/<int:taxpayer_id>/decisions/new/", views.decision_new, name="decision_new"),
    path("decision/<int:decision_id>/", views.decision_detail, name="decision"),
    path("decision/<int:decision_id>/pdf/", views.decision_pdf, name="decision_pdf"),
    path("decision/<int:decision_id>/status/", views.decision_status, name="decision_status"),
    path("decision/<int:decision_id>/amend/", views.decision_amend, name="decision_amend"),
]
