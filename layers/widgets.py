"""An admin map widget that needs no internet: OpenLayers from the app's own static files."""

from __future__ import annotations

from django.contrib.gis.forms.widgets import OpenLayersWidget


class OfflineMapWidget(OpenLayersWidget):
    template_name = "layers/widgets/offline_openlayers.html"

    class Media:
        extend = False  # drop the parent's CDN addresses
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/dist/ol.js", "gis/js/OLMapWidget.js", "layers/offline_map_widget.js")
