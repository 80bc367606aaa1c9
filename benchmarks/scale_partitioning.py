"""Partitioning study for issue #20: 1,000,000 parcels in 50 towns, one table against one
partition per town, measured in the same run.

Builds a scratch database ``geogmina_bench_scale`` in the project's cluster (the developer's own
database is never touched) with two copies of the same rows:

- ``flat``: ``parcel`` and ``building`` as the product keeps them today (one table each, a GiST
  index on the geometry, a btree on ``municipality_id`` and the id prefix index search uses);
- ``part``: the same tables ``PARTITION BY LIST (municipality_id)``, one partition per town, the
  same indexes (declared on the parent, so every partition gets its own).

The towns are laid out as a 10 × 5 block of adjacent squares (about 4.2 km a side, 30 m
parcels), so tiles on a town border read two or four partitions, as they would between real
neighbouring municipalities. Then, interleaving the two layouts query by query so both see the
same buffer cache and machine load, it measures:

1. vector tiles z15/z16 with the product's tile query shape (ST_AsMVT over ST_AsMVTGeom), inside
   a town and on a town border; on ``part`` both spatial-only (as the product's tile functions
   query: no town filter, so every partition's index is probed) and with the towns of the tile
   looked up first (partition pruning);
2. search by id prefix within one town (an officer) and across all towns (a national user);
3. replacing one town's 20,000 parcels: ``DELETE`` + ``INSERT`` on ``flat`` against loading a new
   table and swapping it in with ``DETACH``/``ATTACH PARTITION`` on ``part`` (total time and the
   time the swap holds its lock);
4. ``VACUUM (ANALYZE)`` after that replacement: the whole flat table against one partition.

    .venv/bin/python benchmarks/scale_partitioning.py [--towns 50] [--parcels-per-town 20000]
        [--rounds 60] [--rebuild]

Prints a Markdown table (p50/p95 in ms, ratios part/flat) and a JSON line; the figures and the
decision they support are in docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BENCH_DB = "geogmina_bench_scale"
CELL = 30.0                       # parcel size on the ground [m]
ORIGIN_E, ORIGIN_N = 560_000.0, 240_000.0   # EPSG:2180, south-east Poland
TOWN_COLUMNS = 10


def connect(dbname: str):
    import psycopg2

    from gis_app import dbctl

    conn = psycopg2.connect(dbname=dbname, user=dbctl.DB_USER, host=str(dbctl.socket_dir()),
                            port=dbctl.port())
    conn.autocommit = True
    with conn.cursor() as cur:   # as the product's tile functions (docs: pitfalls, parallel plans)
        cur.execute("SET max_parallel_workers_per_gather = 0")
    return conn


def grid_side(per_town: int) -> tuple[int, int]:
    cols = int(math.sqrt(per_town))
    return cols, math.ceil(per_town / cols)


TABLES = """
CREATE TABLE {s}.town (id integer PRIMARY KEY, teryt text NOT NULL,
                       extent geometry(Polygon, 2180) NOT NULL);
CREATE INDEX ON {s}.town USING gist (extent);
CREATE TABLE {s}.parcel (
    id bigint NOT NULL, municipality_id integer NOT NULL, cadastral_id text NOT NULL,
    number text NOT NULL, legal_area_m2 numeric(14, 2), retired_at timestamptz,
    geom geometry(MultiPolygon, 2180) NOT NULL,
    PRIMARY KEY ({pk_parcel})){partition};
CREATE TABLE {s}.building (
    id bigint NOT NULL, municipality_id integer NOT NULL, parcel_id bigint NOT NULL,
    local_id text NOT NULL, retired_at timestamptz, geom geometry(MultiPolygon, 2180) NOT NULL,
    PRIMARY KEY ({pk_building})){partition};
"""

INDEXES = """
CREATE INDEX ON {s}.parcel USING gist (geom);
CREATE INDEX ON {s}.parcel (municipality_id);
CREATE INDEX ON {s}.parcel (cadastral_id text_pattern_ops);
CREATE INDEX ON {s}.building USING gist (geom);
CREATE INDEX ON {s}.building (municipality_id);
"""


def parcel_rows_sql(target: str, towns: str, per_town: int, id_offset: str = "0") -> str:
    """INSERT … SELECT of every parcel of the towns given by the SQL list ``towns``."""
    cols, _rows = grid_side(per_town)
    return f"""
    INSERT INTO {target} (id, municipality_id, cadastral_id, number, legal_area_m2, geom)
    SELECT {id_offset} + t * {per_town} + i + 1, t + 1,
           format('%s.%s.%s', teryt, lpad((i / 1000 + 1)::text, 4, '0'), i % 1000 + 1),
           (i % 1000 + 1)::text, {CELL * CELL},
           ST_Multi(ST_MakeEnvelope(e, n, e + {CELL} - 0.5, n + {CELL} - 0.5, 2180))
    FROM (SELECT t, i, format('%s_1', lpad((180101 + t)::text, 6, '0')) AS teryt,
                 {ORIGIN_E} + (t % {TOWN_COLUMNS}) * {cols * CELL} + (i % {cols}) * {CELL} AS e,
                 {ORIGIN_N} + (t / {TOWN_COLUMNS}) * {grid_side(per_town)[1] * CELL}
                     + (i / {cols}) * {CELL} AS n
          FROM unnest({towns}) AS t, generate_series(0, {per_town - 1}) AS i) g
    """


def building_rows_sql(target: str, parcels: str) -> str:
    """A building on 3 of 5 parcels (about 600,000 for a million), inside its plot."""
    return f"""
    INSERT INTO {target} (id, municipality_id, parcel_id, local_id, geom)
    SELECT p.id, p.municipality_id, p.id, 'B' || p.id,
           ST_Multi(ST_MakeEnvelope(ST_XMin(p.geom) + 5, ST_YMin(p.geom) + 5,
                                    ST_XMin(p.geom) + 17, ST_YMin(p.geom) + 15, 2180))
    FROM {parcels} p WHERE p.id % 5 < 3
    """


def build(db, towns: int, per_town: int) -> None:
    cols, rows = grid_side(per_town)
    with db.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        for schema in ("flat", "part"):
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        cur.execute(TABLES.format(s="flat", partition="", pk_parcel="id", pk_building="id"))
        cur.execute(TABLES.format(s="part", partition=" PARTITION BY LIST (municipality_id)",
                                  pk_parcel="municipality_id, id",
                                  pk_building="municipality_id, id"))
        for t in range(1, towns + 1):
            for table in ("parcel", "building"):
                cur.execute(f"CREATE TABLE part.{table}_{t} PARTITION OF part.{table} "
                            f"FOR VALUES IN ({t})")
        for schema in ("flat", "part"):
            cur.execute(f"""
                INSERT INTO {schema}.town (id, teryt, extent)
                SELECT t + 1, format('%s_1', lpad((180101 + t)::text, 6, '0')),
                       ST_MakeEnvelope(e, n, e + {cols * CELL}, n + {rows * CELL}, 2180)
                FROM (SELECT t, {ORIGIN_E} + (t % {TOWN_COLUMNS}) * {cols * CELL} AS e,
                             {ORIGIN_N} + (t / {TOWN_COLUMNS}) * {rows * CELL} AS n
                      FROM generate_series(0, {towns - 1}) t) g""")
        t0 = time.perf_counter()
        all_towns = f"(SELECT array_agg(g) FROM generate_series(0, {towns - 1}) g)"
        cur.execute(parcel_rows_sql("flat.parcel", all_towns, per_town))
        cur.execute(building_rows_sql("flat.building", "flat.parcel"))
        print(f"  flat rows: {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        cur.execute("INSERT INTO part.parcel SELECT * FROM flat.parcel")
        cur.execute("INSERT INTO part.building SELECT * FROM flat.building")
        print(f"  part rows: {time.perf_counter() - t0:.1f} s", flush=True)
        for schema in ("flat", "part"):
            t0 = time.perf_counter()
            cur.execute(INDEXES.format(s=schema))
            cur.execute(f"ANALYZE {schema}.parcel; ANALYZE {schema}.building; "
                        f"ANALYZE {schema}.town")
            print(f"  {schema} indexes + analyze: {time.perf_counter() - t0:.1f} s", flush=True)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def sample_tiles(db, towns: int, per_town: int, rounds: int, seed: int = 7):
    """(kind, z, x, y) tiles: inside a town, and on the corner where four towns meet."""
    cols, rows = grid_side(per_town)
    rng = random.Random(seed)
    points: list[tuple[str, float, float]] = []
    for _ in range(rounds):
        t = rng.randrange(towns)
        e0 = ORIGIN_E + (t % TOWN_COLUMNS) * cols * CELL
        n0 = ORIGIN_N + (t // TOWN_COLUMNS) * rows * CELL
        points.append(("inside", e0 + rng.uniform(0.3, 0.7) * cols * CELL,
                       n0 + rng.uniform(0.3, 0.7) * rows * CELL))
        # a corner shared by four towns (not on the outer edge of the block)
        tc = rng.randrange(1, TOWN_COLUMNS)
        tr = rng.randrange(1, max(2, towns // TOWN_COLUMNS))
        points.append(("border", ORIGIN_E + tc * cols * CELL + rng.uniform(-40, 40),
                       ORIGIN_N + tr * rows * CELL + rng.uniform(-40, 40)))
    tiles = []
    with db.cursor() as cur:
        for kind, e, n in points:
            cur.execute("SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s),"
                        " 2180), 4326) p", [e, n])
            lon, lat = cur.fetchone()
            z = rng.choice((15, 16))
            tiles.append((kind, z, *tile_of(lon, lat, z)))
    return tiles


TILE_SQL = """
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e,
                    ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 1.0 / 64),
                                 2180) AS b)
SELECT length(ST_AsMVT(t, 'parcels', 4096, 'geom', 'fid')) FROM (
    SELECT f.id AS fid, f.cadastral_id,
           ST_AsMVTGeom(ST_Transform(f.geom, 3857), env.e, 4096, 64, true) AS geom
    FROM {table} f, env WHERE f.geom && env.b AND f.retired_at IS NULL {town_filter}
) t WHERE t.geom IS NOT NULL
"""

PRUNED = ("AND f.municipality_id = ANY(ARRAY(SELECT id FROM {schema}.town w "
          "WHERE w.extent && env.b))")


def timed(cur, sql: str, params) -> float:
    t0 = time.perf_counter()
    cur.execute(sql, params)
    cur.fetchall()
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def measure_queries(db, towns: int, per_town: int, rounds: int) -> dict[str, dict[str, list]]:
    variants = {
        "flat": TILE_SQL.format(table="flat.parcel", town_filter=""),
        "part": TILE_SQL.format(table="part.parcel", town_filter=""),
        "part_pruned": TILE_SQL.format(table="part.parcel",
                                       town_filter=PRUNED.format(schema="part")),
    }
    results: dict[str, dict[str, list]] = {}
    tiles = sample_tiles(db, towns, per_town, rounds)
    with db.cursor() as cur:
        for sql in variants.values():   # warm the cache for every layout alike
            for _kind, z, x, y in tiles[:10]:
                timed(cur, sql, {"z": z, "x": x, "y": y})
        for kind, z, x, y in tiles:
            for name, sql in variants.items():
                results.setdefault(f"tile {kind}", {}).setdefault(name, []).append(
                    timed(cur, sql, {"z": z, "x": x, "y": y}))
        rng = random.Random(11)
        search = ("SELECT id, cadastral_id FROM {table} WHERE {scope} cadastral_id LIKE %(p)s "
                  "ORDER BY cadastral_id LIMIT 20")
        for _ in range(rounds * 2):
            t = rng.randrange(towns)
            sheet = rng.randrange(1, per_town // 1000 + 1)
            prefix = f"{180101 + t:06d}_1.{sheet:04d}.{rng.randrange(1, 99)}"
            for label, scope in (("search one town", "municipality_id = %(m)s AND"),
                                 ("search all towns", "")):
                for name, table in (("flat", "flat.parcel"), ("part", "part.parcel")):
                    results.setdefault(label, {}).setdefault(name, []).append(
                        timed(cur, search.format(table=table, scope=scope),
                              {"p": prefix + "%", "m": t + 1}))
    return results


def replace_town(db, town: int, per_town: int) -> dict[str, float]:
    """Replace town ``town``'s parcels with a fresh load of the same size on both layouts."""
    out: dict[str, float] = {}
    towns = f"ARRAY[{town - 1}]"
    offset = "10000000"   # new ids, as a reimport would have
    with db.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute("BEGIN")
        cur.execute("DELETE FROM flat.parcel WHERE municipality_id = %s", [town])
        cur.execute(parcel_rows_sql("flat.parcel", towns, per_town, offset))
        cur.execute("COMMIT")
        out["flat replace (delete + insert)"] = (time.perf_counter() - t0) * 1000

        t0 = time.perf_counter()
        cur.execute("CREATE TABLE part.parcel_new (LIKE part.parcel INCLUDING DEFAULTS "
                    "INCLUDING CONSTRAINTS)")
        cur.execute(parcel_rows_sql("part.parcel_new", towns, per_town, offset))
        cur.execute("ALTER TABLE part.parcel_new ADD PRIMARY KEY (municipality_id, id)")
        cur.execute("CREATE INDEX ON part.parcel_new USING gist (geom)")
        cur.execute("CREATE INDEX ON part.parcel_new (municipality_id)")
        cur.execute("CREATE INDEX ON part.parcel_new (cadastral_id text_pattern_ops)")
        # a CHECK matching the partition bound lets ATTACH skip its validation scan
        cur.execute(f"ALTER TABLE part.parcel_new ADD CONSTRAINT town_bound "
                    f"CHECK (municipality_id = {town})")
        cur.execute("ANALYZE part.parcel_new")
        load = time.perf_counter()
        cur.execute("BEGIN")
        cur.execute(f"ALTER TABLE part.parcel DETACH PARTITION part.parcel_{town}")
        cur.execute(f"ALTER TABLE part.parcel ATTACH PARTITION part.parcel_new "
                    f"FOR VALUES IN ({town})")
        cur.execute("COMMIT")
        swapped = time.perf_counter()
        cur.execute(f"DROP TABLE part.parcel_{town}")
        cur.execute(f"ALTER TABLE part.parcel_new RENAME TO parcel_{town}")
        cur.execute(f"ALTER TABLE part.parcel_{town} DROP CONSTRAINT town_bound")
        out["part replace (load, index, swap)"] = (time.perf_counter() - t0) * 1000
        out["part swap lock held"] = (swapped - load) * 1000

        t0 = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) flat.parcel")
        out["flat VACUUM ANALYZE (whole table)"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        cur.execute(f"VACUUM (ANALYZE) part.parcel_{town}")
        out["part VACUUM ANALYZE (one town)"] = (time.perf_counter() - t0) * 1000
        cur.execute("SELECT pg_total_relation_size('flat.parcel'), "
                    "(SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                    " WHERE inhparent = 'part.parcel'::regclass)")
        flat_size, part_size = cur.fetchone()
        out["flat parcel size MB"] = flat_size / 2**20
        out["part parcel size MB"] = float(part_size) / 2**20
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--towns", type=int, default=50)
    ap.add_argument("--parcels-per-town", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()

    admin = connect("postgres")
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        exists = cur.fetchone() is not None
        if exists and args.rebuild:
            cur.execute(f'DROP DATABASE "{BENCH_DB}"')
            exists = False
        if not exists:
            cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    admin.close()
    db = connect(BENCH_DB)
    with db.cursor() as cur:
        cur.execute("SELECT to_regclass('part.parcel') IS NOT NULL AND "
                    "(SELECT count(*) FROM flat.town) = %s", [args.towns]) if exists else None
        ready = exists and cur.fetchone()[0]
    total = args.towns * args.parcels_per_town
    if not ready:
        print(f"building {total:,} parcels in {args.towns} towns (flat and partitioned)…",
              flush=True)
        t0 = time.perf_counter()
        build(db, args.towns, args.parcels_per_town)
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)

    results = measure_queries(db, args.towns, args.parcels_per_town, args.rounds)
    maintenance = replace_town(db, random.Random(3).randrange(1, args.towns + 1),
                               args.parcels_per_town)

    print(f"\n{total:,} parcels, {args.towns} towns, {args.rounds} rounds\n")
    print("| query | layout | p50 ms | p95 ms | p95 vs flat |")
    print("|---|---|---:|---:|---:|")
    report: dict[str, object] = {"parcels": total, "towns": args.towns}
    for label, by_layout in results.items():
        flat95 = pct(by_layout["flat"], 0.95)
        for name, values in by_layout.items():
            p50, p95 = statistics.median(values), pct(values, 0.95)
            print(f"| {label} | {name} | {p50:.1f} | {p95:.1f} | {p95 / flat95:.2f} × |")
            report[f"{label} {name}"] = {"p50": round(p50, 2), "p95": round(p95, 2)}
    print("\n| one town's 20,000 parcels | ms |\n|---|---:|")
    for label, value in maintenance.items():
        print(f"| {label} | {value:,.0f} |")
        report[label] = round(value, 1)
    print("\n" + json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
