"""The address of a web-map tile (z/x/y in the XYZ scheme), read once for every tile endpoint."""

from __future__ import annotations

MAX_ZOOM = 22


class TileAddressError(ValueError):
    """z/x/y name no tile: the message says which part is wrong (the client's mistake)."""


def parse_tile_address(z: str, x: str, y: str) -> tuple[int, int, int]:
    """z/x/y from a URL as integers inside the tile matrix of zoom z."""
    try:
        zi, xi, yi = int(z), int(x), int(y)
    except ValueError:
        raise TileAddressError(f"z/x/y must be whole numbers, got {z}/{x}/{y}") from None
    if not 0 <= zi <= MAX_ZOOM:
        raise TileAddressError(f"zoom {zi} is outside 0–{MAX_ZOOM}")
    n = 1 << zi
    if not (0 <= xi < n and 0 <= yi < n):
        raise TileAddressError(f"tile {xi}/{yi} does not exist at zoom {zi} (0–{n - 1})")
    return zi, xi, yi
