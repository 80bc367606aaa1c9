"""Vector tile functions (one per layer) and the change counter behind the tiles' ETag.

Each function is ``fn(z integer, x integer, y integer, allowed bigint[]) RETURNS bytea``:
- the stored column is filtered with ``geom && ST_Transform(ST_TileEnvelope(...), 2180)`` so the
  GiST index is used (transforming the column instead was measured 200 × slower);
- geometries are simplified to about half a pixel of the zoom before ``ST_AsMVTGeom``;
- attributes beyond the ids are emitted only for features of municipalities in ``allowed``;
- ``SET max_parallel_workers_per_gather = 0``: a parallel plan was 1.8 × slower on 2 cores.
PL/pgSQL rather than SQL so each connection caches the plan (SQL functions with a SET clause are
planned on every call).

The ETag counter: a statement-level trigger bumps one row per table in ``tiles_table_version``
on INSERT/UPDATE/DELETE/TRUNCATE: one cheap UPDATE per statement, whatever the rows touched.
The table is not a Django model, so ``flush`` (tests) leaves it alone; ``tiles_track(table)``
puts any other table (a register's) under the same counter.
"""

from django.db import migrations

COMMON = """
CREATE TABLE IF NOT EXISTS tiles_table_version (
    table_name text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0
);

CREATE OR REPLACE FUNCTION tiles_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tiles_table_version AS v (table_name, version) VALUES (TG_TABLE_NAME, 1)
    ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tiles_track(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS tiles_version_bump ON %s', tbl);
    EXECUTE format('CREATE TRIGGER tiles_version_bump AFTER INSERT OR UPDATE OR DELETE '
                   'OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_version()',
                   tbl);
    INSERT INTO tiles_table_version (table_name, version) VALUES (name, 0)
    ON CONFLICT (table_name) DO NOTHING;
END $$;

SELECT tiles_track('layers_parcel');
SELECT tiles_track('layers_building');
SELECT tiles_track('layers_landuse');
SELECT tiles_track('layers_parkingzone');
SELECT tiles_track('layers_landscapearea');
"""


def tile_function(name: str, layer: str, min_zoom: int, select: str, source: str) -> str:
    """One MVT function; ``select`` lists the attributes, ``source`` the FROM/WHERE tail."""
    return f"""
CREATE OR REPLACE FUNCTION {name}(z integer, x integer, y integer, allowed bigint[])
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    env geometry;
    bbox geometry;
    tol float8;
    result bytea;
BEGIN
    IF z < {min_zoom} THEN
        RETURN ''::bytea;
    END IF;
    env := ST_TileEnvelope(z, x, y);
    bbox := ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 2180);
    -- half a pixel in metres on the ground (Web Mercator stretches ~1.6 x at 51 N)
    tol := (ST_XMax(env) - ST_XMin(env)) / 4096 * 0.3;
    SELECT ST_AsMVT(t, '{layer}', 4096, 'geom', 'fid') INTO result FROM (
        SELECT {select},
               ST_AsMVTGeom(ST_Transform(ST_Simplify(f.geom, tol, true), 3857),
                            env, 4096, 64, true) AS geom
        {source}
    ) t WHERE t.geom IS NOT NULL;
    RETURN coalesce(result, ''::bytea);
END $$;
"""


def detail(expr: str, alias: str) -> str:
    return f"CASE WHEN f.municipality_id = ANY(allowed) THEN {expr} END AS {alias}"


FUNCTIONS = [
    tile_function(
        "tiles_parcels", "parcels", 14,
        ", ".join([
            "f.id AS fid", "f.cadastral_id", "f.number",
            detail("f.legal_area_m2::float8", "legal_area_m2"),
        ]),
        "FROM layers_parcel f WHERE f.geom && bbox AND f.retired_at IS NULL",
    ),
    tile_function(
        "tiles_buildings", "buildings", 15,
        ", ".join([
            "f.id AS fid", "f.building_id",
            detail("nullif(f.kind, '')", "kind"),
            detail("f.storeys_above::integer", "storeys_above"),
        ]),
        "FROM layers_building f WHERE f.geom && bbox AND f.retired_at IS NULL",
    ),
    tile_function(
        "tiles_land_uses", "land_uses", 14,
        ", ".join([
            "f.id AS fid", "nullif(f.contour_id, '') AS contour_id",
            detail("nullif(f.ofu, '')", "ofu"),
            detail("nullif(f.ozu, '')", "ozu"),
            detail("nullif(f.ozk, '')", "ozk"),
        ]),
        "FROM layers_landuse f WHERE f.geom && bbox AND f.retired_at IS NULL "
        "AND f.kind = 'use'",
    ),
    tile_function(
        "tiles_parking_zones", "parking_zones", 8,
        ", ".join([
            "f.id AS fid", "f.code",
            detail("f.name", "name"), detail("f.kind", "kind"),
        ]),
        "FROM layers_parkingzone f WHERE f.geom && bbox AND f.retired_at IS NULL",
    ),
    tile_function(
        "tiles_landscape_areas", "landscape_areas", 8,
        ", ".join([
            "f.id AS fid", "f.code",
            detail("f.name", "name"), detail("f.kind", "kind"),
        ]),
        "FROM layers_landscapearea f WHERE f.geom && bbox AND f.retired_at IS NULL",
    ),
]

DROP = """
DROP FUNCTION IF EXISTS tiles_parcels(integer, integer, integer, bigint[]);
DROP FUNCTION IF EXISTS tiles_buildings(integer, integer, integer, bigint[]);
DROP FUNCTION IF EXISTS tiles_land_uses(integer, integer, integer, bigint[]);
DROP FUNCTION IF EXISTS tiles_parking_zones(integer, integer, integer, bigint[]);
DROP FUNCTION IF EXISTS tiles_landscape_areas(integer, integer, integer, bigint[]);
DROP TRIGGER IF EXISTS tiles_version_bump ON layers_parcel;
DROP TRIGGER IF EXISTS tiles_version_bump ON layers_building;
DROP TRIGGER IF EXISTS tiles_version_bump ON layers_landuse;
DROP TRIGGER IF EXISTS tiles_version_bump ON layers_parkingzone;
DROP TRIGGER IF EXISTS tiles_version_bump ON layers_landscapearea;
DROP FUNCTION IF EXISTS tiles_track(regclass);
DROP FUNCTION IF EXISTS tiles_bump_version();
DROP TABLE IF EXISTS tiles_table_version;
"""


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]

    operations = [migrations.RunSQL(COMMON + "\n".join(FUNCTIONS), DROP)]
