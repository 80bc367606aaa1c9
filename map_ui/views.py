"""The map page (public) and the health check."""

from __future__ import annotations

import json

import folium
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gis_app.accounts.access import access
from layers.selectors import municipality_list, parcel_geojson_sample
from map_ui.offline import offline_map


@access(public=True, description="the map page; the public sees public layers only")
def map_page(request: HttpRequest) -> HttpResponse:
    municipalities = municipality_list(request.user)
    m = offline_map(location=[51.4, 21.1], zoom_start=13, control_scale=True,
                    prefer_canvas=True)
    sample = parcel_geojson_sample(limit=2000)
    if sample["features"]:
        layer = folium.GeoJson(
            sample,
            name=_("Parcels"),
            style_function=lambda _f: {"color": "#b5482b", "weight": 1, "fillOpacity": 0.05},
            tooltip=folium.GeoJsonTooltip(fields=["cadastral_id"], aliases=[_("Parcel")]),
        )
        layer.add_to(m)
        m.fit_bounds(layer.get_bounds())
    folium.LayerControl().add_to(m)
    root = m.get_root()
    root.render()
    context = {
        "map_header": root.header.render(),
        "map_html": root.html.render(),
        "map_script": root.script.render(),
        "municipalities": municipalities,
        "parcel_count": len(sample["features"]),
    }
    return render(request, "map_ui/map.html", context)


@access(public=True, description="liveness and database check for monitoring")
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT postgis_lib_version()")
            postgis = cur.fetchone()[0]
    except Exception as exc:  # the database is down: say so, do not crash
        return JsonResponse({"status": "error", "database": str(exc).splitlines()[0]},
                            status=503)
    return JsonResponse({"status": "ok", "postgis": postgis})


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
