"""Point folium at the app's own static files: on a closed network a CDN address breaks the page.

folium keeps its asset URLs in the class attributes ``default_js``/``default_css`` of the map and
of every plugin. ``offline_map`` builds a Map whose assets all come from ``STATIC_URL``.
"""

from __future__ import annotations

from typing import Any

import folium
from django.templatetags.static import static

LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"


def offline_map(**kwargs: Any) -> folium.Map:
    """A folium Map with Leaflet from our static files and no other default asset."""
    m = folium.Map(tiles=None, **kwargs)
    m.default_js = [("leaflet", static(LEAFLET_JS))]
    m.default_css = [("leaflet_css", static(LEAFLET_CSS))]
    return m


def external_assets(html: str) -> list[str]:
    """Asset URLs in rendered HTML that do not come from this app (for tests and a check)."""
    import re

    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    return [u for u in urls if re.match(r"^(https?:)?//", u)]
