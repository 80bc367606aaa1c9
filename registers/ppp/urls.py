from django.urls import path

from registers.ppp import views

app_name = "ppp"
urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("new/", views.project_new, name="project_new"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("<int:pk>/assessment/", views.worksheet, name="worksheet"),
    path("<int:pk>/assessment.pdf", views.assessment_pdf, name="assessment_pdf"),
    path("<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("<int:pk>/obligations/", views.obligation_add, name="obligation_add"),
]
