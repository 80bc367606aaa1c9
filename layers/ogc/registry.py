"""The collections OGC API – Features serves, and who may read each.

A collection is a queryset of current rows, the properties it publishes (an output name, an ORM
lookup or expression, a JSON type) and an access rule: public collections are open to all;
the others need ``capability`` and show only rows of the municipalities where the user holds it.
Every collection is registered from an ``AppConfig.ready()`` with ``register_collection``, as
tile layers are: the spatial register's own from ``layers.apps`` (``layers.ogc.builtin``); a
register would add its own from its ``ready()`` (registers → layers is the allowed arrow; layers
never imports registers). No register publishes one yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from gis_app.accounts.roles import Capability


@dataclass(frozen=True)
class Property:
    name: str  # name in the GeoJSON properties and in exports
    source: Any  # ORM lookup ("precinct__teryt") or an expression (StringAgg(...))
    type: str = "string"  # JSON schema type: string | number | integer
    title: str = ""


@dataclass(frozen=True)
class Collection:
    id: str  # URL segment: /ogc/collections/<id>
    title: str
    description: str
    queryset: Callable[[], QuerySet]  # current rows only; ordered by pk by the API
    properties: tuple[Property, ...]
    public: bool
    capability: Capability | None = None  # what a non-public collection needs
    geometry_field: str = "geom"
    geometry_type: str = "MultiPolygon"
    municipality_field: str = "municipality_id"
    audit_action: str | None = None  # e.g. AuditAction.READ_OWNERS for owner-bearing layers
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def allowed(self, municipality_ids: set[int] | None) -> bool:
        return self.public or bool(municipality_ids)


_COLLECTIONS: dict[str, Collection] = {}


def register_collection(collection: Collection) -> None:
    if not collection.public and collection.capability is None:
        raise ValueError(f"collection {collection.id}: a non-public collection needs a "
                         "capability")
    if not collection.id.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"collection id {collection.id!r}: letters, digits, '-' and '_' only")
    _COLLECTIONS[collection.id] = collection


def get_collection(collection_id: str) -> Collection | None:
    return _COLLECTIONS.get(collection_id)


def collections() -> list[Collection]:
    return list(_COLLECTIONS.values())
