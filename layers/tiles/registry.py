"""The tile layers the app serves, each backed by one SQL function.

Every layer is an SQL function ``fn(z integer, x integer, y integer, allowed bigint[]) RETURNS
bytea`` (an MVT tile). ``allowed`` holds the ids of the municipalities in which the viewer holds
``detail_capability``: the function returns protected attributes (owner names, tax status …)
only for features of those municipalities, and for a layer that is not public it returns no
feature outside them. The public passes an empty array.

Registers add their layers from ``AppConfig.ready()``: registers → layers is the allowed arrow.
Cached tiles are validated by an ETag built from a change counter per table in ``tables``; a
register puts its own table under that counter with ``track_changes_sql(table)`` in a migration
(a layer whose tables are not all tracked is served without an ETag, never stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    # Leaflet.VectorGrid style of the layer's features (color, fillColor, weight, fillOpacity …);
    # ("by", "<attribute>") with ("palette", (("<value>", "#rrggbb"), …)) colours each feature
    # by an attribute (and lists the values in the legend). The SQL function must name its MVT
    # layer like the TileLayer (ST_AsMVT(rows, '<name>', …)) for the style to apply.
    style: tuple[tuple[str, Any], ...] = ()
    # The audit action (e.g. "read_tax") written when the layer's protected attributes are
    # served to a viewer holding ``detail_capability``; "" for layers whose reads are not
    # audited. Tiles of one layer are audited once per session and day (see the view).
    audit_reads: str = ""


_LAYERS: dict[str, TileLayer] = {}


def register_tile_layer(layer: TileLayer) -> None:
    if not layer.public and layer.detail_capability is None:
        raise ValueError(f"tile layer {layer.name}: a non-public layer needs a capability")
    _LAYERS[layer.name] = layer


def tile_layer(name: str) -> TileLayer | None:
    return _LAYERS.get(name)


def tile_layers() -> list[TileLayer]:
    return list(_LAYERS.values())


def visible_tile_layers(user: Any) -> list[TileLayer]:
    """The layers ``user`` may fetch: public ones, and the others where they hold the capability."""
    from gis_app.accounts.access import has_capability

    return [
        layer for layer in _LAYERS.values()
        if layer.public or has_capability(user, layer.detail_capability)
    ]


def track_changes_sql(table: str) -> str:
    """SQL for a migration (RunSQL) putting ``table`` under the tiles' change counter."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"not a plain table name: {table!r}")
    return f"SELECT tiles_track('{table}');"
