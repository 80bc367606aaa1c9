"""Read queries over the spatial register used by the UI and the APIs."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import QuerySet

from gis_app.accounts.access import visible_municipality_ids
from layers.domain.srid import STORAGE_SRID
from layers.models import Municipality, Parcel


def municipality_list(user: Any) -> QuerySet[Municipality]:
    """Municipalities the user was granted (all of them are public for the public map)."""
    if getattr(user, "is_authenticated", False):
        return Municipality.objects.filter(id__in=visible_municipality_ids(user))
    return Municipality.objects.all()


def parcels_at_point(x: float, y: float, srid: int = STORAGE_SRID) -> QuerySet[Parcel]:
    """Active parcels containing the point (given in any SRID)."""
    point = GEOSGeometry(f"SRID={srid};POINT({x} {y})")
    if srid != STORAGE_SRID:
        point.transform(STORAGE_SRID)
    return Parcel.objects.filter(retired_at__isnull=True, geom__intersects=point)


def parcels_intersecting(geom: GEOSGeometry) -> QuerySet[Parcel]:
    """Active parcels whose interior meets ``geom`` (a zone, an area), SRIDs reconciled."""
    if geom.srid and geom.srid != STORAGE_SRID:
        geom = geom.transform(STORAGE_SRID, clone=True)
    return Parcel.objects.filter(retired_at__isnull=True, geom__intersects=geom).exclude(
        geom__touches=geom
    )


def parcel_geojson_sample(limit: int = 2000) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (WGS 84) of at most ``limit`` active parcels: ids only."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT json_build_object('type', 'FeatureCollection', 'features',
                   coalesce(json_agg(json_build_object(
                       'type', 'Feature',
                       'geometry', ST_AsGeoJSON(ST_Transform(geom, 4326), 6)::json,
                       'properties', json_build_object('cadastral_id', cadastral_id)
                   )), '[]'::json))
            FROM (SELECT geom, cadastral_id FROM layers_parcel
                  WHERE retired_at IS NULL ORDER BY id LIMIT %s) p
            """,
            [limit],
        )
        row = cur.fetchone()[0]
    return row if isinstance(row, dict) else json.loads(row)
