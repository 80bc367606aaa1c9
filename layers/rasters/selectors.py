"""Read queries over registered rasters, for the map page's base-layer switcher."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from layers.rasters.models import Raster
from layers.rasters.render import MAX_ZOOM, natural_zoom


def raster_list(municipality_id: int | None = None) -> QuerySet[Raster]:
    qs = Raster.objects.all().order_by("kind", "name")
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    return qs


def base_layers(municipality_id: int | None = None) -> list[dict[str, Any]]:
    """Tile layers the map can offer as base layers: orthophotos, then hillshades.

    Each item: name, label, url (Leaflet template with {z}/{x}/{y}), attribution, min_zoom,
    max_zoom, max_native_zoom (beyond it Leaflet upscales instead of asking the server),
    bounds [[south, west], [north, east]] in WGS 84, kind.
    """
    layers: list[dict[str, Any]] = []
    for raster in raster_list(municipality_id):
        footprint = raster.footprint.transform(4326, clone=True)
        west, south, east, north = footprint.extent
        native = natural_zoom(raster.resolution_m, (south + north) / 2)
        common = {
            "attribution": raster.attribution or raster.label or raster.name,
            "min_zoom": 0,
            "max_zoom": MAX_ZOOM,
            "max_native_zoom": min(MAX_ZOOM, native + 1),
            "bounds": [[south, west], [north, east]],
            "kind": raster.kind,
        }
        template = "/{z}/{x}/{y}."
        if raster.kind == Raster.Kind.ORTHOPHOTO:
            url = reverse("rasters:tile", args=[raster.name, 0, 0, 0, "jpg"])
            layers.append({"name": raster.name, "label": raster.label or raster.name,
                           "url": url.removesuffix("/0/0/0.jpg") + template + "jpg", **common})
        else:
            url = reverse("rasters:hillshade", args=[raster.name, 0, 0, 0, "png"])
            layers.append({"name": f"{raster.name}-hillshade",
                           "label": f"{raster.label or raster.name} (hillshade)",
                           "url": url.removesuffix("/0/0/0.png") + template + "png", **common})
    layers.sort(key=lambda item: item["kind"] != Raster.Kind.ORTHOPHOTO)
    return layers
