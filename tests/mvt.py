"""Test helpers for vector tiles: which tile holds a point, and what a tile carries."""

from __future__ import annotations

import math
from typing import Any

import mapbox_vector_tile
from pyproj import Transformer

_TO_WGS84 = Transformer.from_crs(2180, 4326, always_xy=True)


def tile_of(x: float, y: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile (z, x, y) holding a PL-1992 point."""
    lon, lat = _TO_WGS84.transform(x, y)
    n = 2 ** z
    tx = int((lon + 180.0) / 360.0 * n)
    ty = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, tx, ty


def decode_mvt(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """{layer name: [feature properties, with the feature id as "_id" where it has one]}."""
    decoded = mapbox_vector_tile.decode(data) if data else {}
    return {
        name: [{**f["properties"], **({"_id": f["id"]} if f.get("id") is not None else {})}
               for f in layer["features"]]
        for name, layer in decoded.items()
    }
