from django.urls import path

from registers.housing import views

app_name = "housing"
urlpatterns = [
    path("", views.flat_list, name="flat_list"),
    path("new/", views.flat_edit, name="flat_new"),
    path("<int:pk>/edit/", views.flat_edit, name="flat_edit"),
    path("residents/", views.resident_list, name="residents"),
    path("residents/new/", views.resident_edit, name="resident_new"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:resident_pk>/stays/new/", views.stay_new, name="stay_new"),
    path("residents/<int:resident_pk>/waiting/new/", views.waiting_new, name="waiting_new"),
    path("stays/<int:pk>/edit/", views.stay_edit, name="stay_edit"),
    path("waiting/", views.waiting, name="waiting"),
    path("waiting/<int:pk>/edit/", views.waiting_edit, name="waiting_edit"),
    path("plan/", views.plan, name="plan"),
    path("plan.pdf", views.plan_pdf, name="plan_pdf"),
    path("plan/demand/new/", views.demand_edit, name="demand_new"),
    path("plan/demand/<int:pk>/edit/", views.demand_edit, name="demand_edit"),
    path("plan/candidates/new/", views.candidate_edit, name="candidate_new"),
    path("plan/candidates/<int:pk>/edit/", views.candidate_edit, name="candidate_edit"),
]
