from django.urls import path

from registers.housing import views

app_name = "housing"
urlpatterns = [
    path("", views.flat_list, name="flat_list"),
    path("new/", views.flat_edit, name="flat_new"),
    path("<int:pk>/edit/", views.flat_edit, name="flat_edit"),
]
