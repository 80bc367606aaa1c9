"""The tax-status tile (thematic: paid / in arrears by amount / not assessed / exempt / differs)
against the plain parcel tile of the same parcels, in one run.

    .venv/bin/python benchmarks/tax_status_tile.py [--parcels 100000] [--repeat 5] [--block 4]

Uses the town of ``benchmarks/tax_roll.py`` (database ``bench_taxes``, a grid of 20 × 20 m
parcels with land and building tax objects, 1 % planted discrepancies; generated on first use
and kept). Its taxpayers get four 2026 instalments each (posted here, replaced every run): a
third still owe every instalment already due (in arrears, amounts spread over the legend's
classes), the rest paid, one in twenty none posted (assessed). Measured, interleaved tile by
tile so both see the same buffer cache, best of ``--repeat`` per tile, over a ``--block`` ×
``--block`` square of z16 tiles in the middle of the town and the z15 tiles over it:

* baseline: ``tiles_parcels`` (the parcels layer: geometry, id, number, area) for the same tiles;
* ``taxes_tax_status_tile``: the same parcels, each with ``taxes_parcel_tax_status`` (the one
  function the card reads too: open reconciliation case, active objects, the taxpayers'
  charges).

Prints per zoom: tiles, features, median and worst tile in ms for both, and the ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHARGES_SQL = """
DELETE FROM payments_ledgerentry WHERE municipality_id = %(m)s;
DELETE FROM payments_payment WHERE municipality_id = %(m)s;
DELETE FROM payments_charge WHERE municipality_id = %(m)s;
INSERT INTO payments_charge (municipality_id, taxpayer_id, kind, tax_kind, year, number,
    due_date, amount, decision_number, principal_open, interest_open, accrued_to, posted_seq,
    posted_at)
SELECT %(m)s, t.id, 'instalment', 'property', 2026, k.n, k.due, a.amount,
       'PN.2026.' || t.id,
       CASE WHEN t.id %% 3 = 0 AND k.due < (now() AT TIME ZONE 'Europe/Warsaw')::date
            THEN a.amount ELSE 0 END,
       0, k.due, nextval('payments_event_seq'), now()
FROM taxes_taxpayer AS t
CROSS JOIN (VALUES (1, date '2026-03-16'), (2, date '2026-05-15'), (3, date '2026-09-15'),
                   (4, date '2026-11-16')) AS k (n, due)
CROSS JOIN LATERAL (SELECT (50 + (t.id * 37) %% 3000)::numeric(14, 2) AS amount) AS a
WHERE t.municipality_id = %(m)s AND t.id %% 20 <> 7;
ANALYZE payments_charge;
"""


def _roll_module():
    spec = importlib.util.spec_from_file_location("bench_tax_roll",
                                                  ROOT / "benchmarks" / "tax_roll.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--block", type=int, default=4, help="z16 tiles per side")
    args = parser.parse_args()
    roll = _roll_module()
    roll._prepare_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    town = roll._town("999901_1", "Bench city", args.parcels)
    with connection.cursor() as cur:
        cur.execute(CHARGES_SQL, {"m": town.pk})
        cur.execute("""SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Transform(ST_SetSRID(
                           ST_Centroid(ST_Extent(geom)::geometry), 2180), 4326) AS c
                       FROM layers_parcel WHERE municipality_id = %s) AS q""", [town.pk])
        lon, lat = cur.fetchone()
    # the z16 block in the middle of the town, and the z15 tiles over it
    cx, cy = _tile_of(lon, lat, 16)
    half = args.block // 2
    tiles = {16: [(cx + i, cy + j) for i in range(-half, args.block - half)
                  for j in range(-half, args.block - half)]}
    tiles[15] = sorted({(x // 2, y // 2) for x, y in tiles[16]})
    allowed = [town.pk]

    def call(function: str, z: int, x: int, y: int) -> tuple[float, int]:
        with connection.cursor() as cur:
            t0 = time.perf_counter()
            cur.execute(f"SELECT {function}(%s, %s, %s, %s::bigint[])", [z, x, y, allowed])
            data = bytes(cur.fetchone()[0] or b"")
            return time.perf_counter() - t0, len(data)

    def features(z: int, x: int, y: int) -> dict[str, int]:
        with connection.cursor() as cur:
            cur.execute("""SELECT s.klass, count(*) FROM layers_parcel AS p
                           CROSS JOIN LATERAL taxes_parcel_tax_status(
                               p.municipality_id, p.cadastral_id,
                               (now() AT TIME ZONE 'Europe/Warsaw')::date) AS s
                           WHERE p.geom && ST_Transform(ST_TileEnvelope(%s, %s, %s), 2180)
                             AND p.retired_at IS NULL GROUP BY 1""", [z, x, y])
            return dict(cur.fetchall())

    report: dict = {"parcels": args.parcels, "repeat": args.repeat, "zooms": {}}
    for z, coords in sorted(tiles.items(), reverse=True):
        base, status, sizes = [], [], [0, 0]
        for x, y in coords:
            best_b = best_s = float("inf")
            for _ in range(args.repeat):
                tb, nb = call("tiles_parcels", z, x, y)
                ts, ns = call("taxes_tax_status_tile", z, x, y)
                best_b, best_s = min(best_b, tb), min(best_s, ts)
            base.append(best_b * 1000)
            status.append(best_s * 1000)
            sizes[0] += nb
            sizes[1] += ns
        classes = features(z, *coords[len(coords) // 2])
        report["zooms"][f"z{z}"] = {
            "tiles": len(coords),
            "features_middle_tile_by_class": classes,
            "baseline_parcels_ms": {"median": round(statistics.median(base), 1),
                                    "max": round(max(base), 1)},
            "tax_status_ms": {"median": round(statistics.median(status), 1),
                              "max": round(max(status), 1)},
            "ratio_median": round(statistics.median(status) / statistics.median(base), 2),
            "kb_per_tile": {"baseline": round(sizes[0] / len(coords) / 1024, 1),
                            "tax_status": round(sizes[1] / len(coords) / 1024, 1)},
        }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
