"""The tile layers the app serves, each backed by one SQL function.

Every layer is an SQL function ``fn(z integer, x integer, y integer, allowed bigint[]) RETURNS
bytea`` (an MVT tile). ``allowed`` holds the ids of the municipalities in which the viewer holds
``detail_capability``: the function returns protected attributes (owner names, tax status …)
only for features of those municipalities, and for a layer that is not public it returns no
feature outside them. The public passes an empty array.

Registers add their layers from ``AppConfig.ready()``: registers → layers is the allowed arrow.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis_app.accounts.roles import Capability


@dataclass(frozen=True)
class TileLayer:
    name: str  # URL segment: /tiles/<name>/<z>/<x>/<y>.pbf
    function: str  # SQL function name
    public: bool  # the public may fetch it (with public attributes only)
    detail_capability: Capability | None  # what unlocks protected attributes / features
    tables: tuple[str, ...]  # tables whose changes invalidate cached tiles (ETag)
    min_zoom: int = 0
    max_zoom: int = 22
    label: str = ""


_LAYERS: dict[str, TileLayer] = {}


def register_tile_layer(layer: TileLayer) -> None:
    if not layer.public and layer.detail_capability is None:
        raise ValueError(f"tile layer {layer.name}: a non-public layer needs a capability")
    _LAYERS[layer.name] = layer


def tile_layer(name: str) -> TileLayer | None:
    return _LAYERS.get(name)


def tile_layers() -> list[TileLayer]:
    return list(_LAYERS.values())
