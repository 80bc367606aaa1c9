from django.urls import path

from importers.web import views

app_name = "importers_web"

urlpatterns = [
    path("", views.upload, name="import_upload"),
    path("<int:pk>/", views.job_page, name="import_job"),
    path("<int:pk>/state.json", views.job_state, name="import_state"),
    path("<int:pk>/cancel", views.job_cancel, name="import_cancel"),
]
