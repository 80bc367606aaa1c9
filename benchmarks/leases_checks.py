"""Saving a lease in a town full of leases: the rule checks, against their baseline, in one run.

    .venv/bin/python benchmarks/leases_checks.py [--leases 5000] [--repeat 100]

Builds, inside a transaction rolled back at the end (nothing stays in the database), a town of
``--leases`` plots on a 20 m grid with one active lease on each, then measures, in the same run:

* the check: ``services.lease_problems`` for a new lease on one plot (plots exist, area inside its
  plots within 1 cm, no overlap with any active lease of the town in an overlapping period) —
  what every save runs under the municipality's lock;
* baseline: the same overlap query with index scans disabled (what the check would cost without
  the GiST index on ``leases_lease.geom``), so the ratio shows the check does not grow with the
  number of leases;
* the leased-areas tile at z16 over the busy corner (the SQL function the map calls).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")

X0, Y0, SIZE = 677_000.0, 211_000.0, 20.0


class Rollback(Exception):
    pass


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _stats(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(len(values) * 0.95) - 1]
    return f"p50 {statistics.median(values):7.2f} ms   p95 {p95:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leases", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import connection, transaction
    from pyproj import Transformer

    from layers.models import Municipality
    from registers.leases import services
    from registers.leases.models import Lease

    side = int(args.leases ** 0.5)
    try:
        with transaction.atomic():
            town = Municipality.objects.create(teryt="999999_9", name="Benchmark")
            with connection.cursor() as cur:
                cur.execute("INSERT INTO layers_precinct (municipality_id, teryt, name, "
                            "source_namespace, local_id, version_id, unresolved_links) "
                            "VALUES (%s, '999999_9.0001', '1', 'bench', 'p', '', '{}') "
                            "RETURNING id", [town.id])
                precinct = cur.fetchone()[0]
                # plots on a grid, one active lease of an inner square on each
                cur.execute(
                    """
                    INSERT INTO layers_parcel (municipality_id, precinct_id, cadastral_id, number,
                        sheet, legal_area_m2, kw_numbers, source_format, geom,
                        source_namespace, local_id, version_id, unresolved_links)
                    SELECT %(m)s, %(p)s, '999999_9.0001.' || i, i::text, '', 400, '{}', '',
                           ST_Multi(ST_MakeEnvelope(%(x)s + (i %% %(side)s) * %(s)s,
                                                    %(y)s + (i / %(side)s) * %(s)s,
                                                    %(x)s + (i %% %(side)s + 1) * %(s)s,
                                                    %(y)s + (i / %(side)s + 1) * %(s)s, 2180)),
                           'bench', 'b' || i, '1', '{}'
                    FROM generate_series(0, %(n)s - 1) AS i
                    """, {"m": town.id, "p": precinct, "x": X0, "y": Y0, "s": SIZE,
                          "side": side, "n": args.leases})
                cur.execute(
                    """
                    INSERT INTO leases_lease (municipality_id, number, kind, lessee_kind,
                        lessee_name, lessee_tax_id, lessee_address, cadastral_ids, whole_plot,
                        geom, shared, purpose, purpose_detail, rent_amount, rent_period,
                        vat_rate, indexation, start_date, end_date, procedure,
                        council_resolution, follow_up, notice_reference, status,
                        refusal_reason, notes, version, created_at, updated_at)
                    SELECT p.municipality_id, 'B/' || p.number, 'lease', 'person', 'x', '', '',
                           ARRAY[p.cadastral_id], false,
                           ST_Multi(ST_Buffer(ST_Envelope(p.geom), -2)), false, 'other', '',
                           100, 'yearly', 23, 'cpi', DATE '2024-01-01', DATE '2030-12-31',
                           'tender', '', false, '', 'active', '', '', 1, now(), now()
                    FROM layers_parcel AS p WHERE p.municipality_id = %s
                    """, [town.id])
                cur.execute("ANALYZE layers_parcel; ANALYZE leases_lease;")
            # a new lease on plot 0, clear of the existing one there (its 2 m margin)
            poly = Polygon(((X0 + 0.5, Y0 + 0.5), (X0 + 1.5, Y0 + 0.5), (X0 + 1.5, Y0 + 1.5),
                            (X0 + 0.5, Y0 + 1.5), (X0 + 0.5, Y0 + 0.5)), srid=2180)
            lease = Lease(municipality_id=town.id, lessee_name="new",
                          cadastral_ids=["999999_9.0001.0"], geom=MultiPolygon(poly, srid=2180),
                          start_date=date(2025, 1, 1), end_date=date(2025, 2, 28),
                          status=Lease.Status.ACTIVE)
            assert services.lease_problems(lease) == [], services.lease_problems(lease)

            def check() -> None:
                services.lease_problems(lease)

            def overlap_without_index() -> None:
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL enable_indexscan = off")
                    cur.execute("SET LOCAL enable_bitmapscan = off")
                    services.overlapping_leases(lease)
                    cur.execute("SET LOCAL enable_indexscan = on")
                    cur.execute("SET LOCAL enable_bitmapscan = on")

            def overlap_with_index() -> None:
                services.overlapping_leases(lease)

            lon, lat = Transformer.from_crs(2180, 4326, always_xy=True).transform(X0, Y0)
            import math

            n = 2 ** 16
            tx = int((lon + 180) / 360 * n)
            ty = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

            def tile() -> None:
                with connection.cursor() as cur:
                    cur.execute("SELECT leases_leased_areas_tile(16, %s, %s, %s::bigint[])",
                                [tx, ty, [town.id]])

            for fn in (check, overlap_without_index, overlap_with_index, tile):
                fn()  # warm up
            results = {
                "check (lease_problems)": _timed(check, args.repeat),
                "overlap query, GiST index": _timed(overlap_with_index, args.repeat),
                "baseline: overlap query, no index": _timed(overlap_without_index,
                                                            max(5, args.repeat // 10)),
                "leased-areas tile z16": _timed(tile, args.repeat),
            }
            print(f"{args.leases} plots on a grid {side} wide, an active lease on each")
            for name, values in results.items():
                print(f"  {name:36s} {_stats(values)}")
            ratio = (statistics.median(results["baseline: overlap query, no index"])
                     / statistics.median(results["overlap query, GiST index"]))
            print(f"  ratio baseline / indexed overlap query: {ratio:.0f} ×")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
