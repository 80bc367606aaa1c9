"""Point folium at the app's own static files: on a closed network a CDN address breaks the page.

folium keeps its asset URLs in the class attributes ``default_js``/``default_css`` of the map and
of every plugin. ``offline_map`` builds a Map whose assets all come from ``STATIC_URL``; the
plugin subclasses below do the same for the plugins the map page uses.
"""

from __future__ import annotations

import re
from typing import Any

import folium
from django.templatetags.static import static
from folium.map import Layer
from folium.plugins import VectorGridProtobuf
from jinja2 import Template

LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"
VECTORGRID_JS = "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
PROJ4_JS = "vendor/proj4/proj4.js"


def offline_map(**kwargs: Any) -> folium.Map:
    """A folium Map with Leaflet from our static files and no other default asset."""
    m = folium.Map(tiles=None, **kwargs)
    m.default_js = [("leaflet", static(LEAFLET_JS))]
    m.default_css = [("leaflet_css", static(LEAFLET_CSS))]
    return m


class OfflineVectorGrid(VectorGridProtobuf):
    """Leaflet.VectorGrid (protobuf) served from our static files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_js = [("vectorGrid", static(VECTORGRID_JS))]
        self.default_css = []


class PlainBaseLayer(Layer):
    """A base layer with no tiles at all: the map's background colour (needs no network)."""

    _template = Template(
        """
        {% macro script(this, kwargs) -%}
        var {{ this.get_name() }} = L.layerGroup();
        {%- endmacro %}
        """
    )

    def __init__(self, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "PlainBaseLayer"


def external_assets(html: str) -> list[str]:
    """Asset URLs in rendered HTML that do not come from this app (for tests and a check)."""
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    return [u for u in urls if re.match(r"^(https?:)?//", u)]
