from django.urls import path, re_path

from layers.tiles import tilejson, views

app_name = "tiles"
# z/x/y are matched loosely so that a malformed tile address gets a 400 saying why, not a 404.
urlpatterns = [
    path("index.json", tilejson.tilejson_index, name="tilejson-index"),
    path("<str:layer>.json", tilejson.layer_tilejson, name="tilejson"),
    re_path(r"^(?P<layer>[\w-]+)/(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/]+)\.pbf$", views.tile,
            name="tile"),
]
