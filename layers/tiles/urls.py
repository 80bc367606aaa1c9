from django.urls import re_path

from layers.tiles import views

app_name = "tiles"
# z/x/y are matched loosely so that a malformed tile address gets a 400 saying why, not a 404.
urlpatterns = [
    re_path(r"^(?P<layer>[\w-]+)/(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/]+)\.pbf$", views.tile,
            name="tile"),
]
