"""Base maps of the map page: a list easy to extend (the raster engineer adds /rasters/ ones).

An ``online`` base map is offered but never the default, so on a closed network the browser
never asks for it unless a user picks it. The first ``default`` entry is shown on opening.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class BaseMap:
    key: str
    label: str | Promise
    url: str | None  # XYZ template ({z}/{x}/{y}); None = a plain background, no tiles at all
    attribution: str = ""
    online: bool = False  # needs the internet: never the default
    default: bool = False
    max_zoom: int = 22
    max_native_zoom: int | None = None
    bounds: list[list[float]] | None = None  # [[south, west], [north, east]] in WGS 84


BASE_MAPS: list[BaseMap] = [
    BaseMap("plain", _("Plain background"), None, default=True),
    BaseMap(
        "osm", _("OpenStreetMap (internet)"), "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution='&copy; <a href="https://www.openstreetmap.org/copyright">'
                    "OpenStreetMap</a>",
        online=True, max_native_zoom=19,
    ),
]


def default_base_map(base_maps: list[BaseMap]) -> BaseMap:
    offline = [b for b in base_maps if not b.online]
    return next((b for b in offline if b.default), offline[0] if offline else base_maps[0])


def raster_base_maps() -> list[BaseMap]:
    """The app's own orthophotos and hillshades: base maps that need no internet.

    An orthophoto, where one exists, becomes the default base map."""
    from layers.rasters.selectors import base_layers

    return [
        BaseMap(key=b["name"], label=b["label"], url=b["url"], attribution=b["attribution"],
                max_zoom=b["max_zoom"], max_native_zoom=b["max_native_zoom"],
                default=b["kind"] == "orthophoto", bounds=b["bounds"])
        for b in base_layers()
    ]


def all_base_maps() -> list[BaseMap]:
    return [*raster_base_maps(), *BASE_MAPS]
