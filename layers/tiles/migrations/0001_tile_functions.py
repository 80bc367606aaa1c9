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

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"
TRACKED = ("layers_parcel", "layers_building", "layers_landuse", "layers_parkingzone",
           "layers_landscapearea")

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

    operations = [migrations.RunSQL(
        (SQL / "tracking.sql").read_text()
        + "".join(f"\nSELECT tiles_track('{table}');" for table in TRACKED)
        + "\n" + (SQL / "tiles.sql").read_text(), DROP)]
