"""Revenue and occupancy per zone and hour at scale, against the daily report in the same run.

    .venv/bin/python benchmarks/parking_revenue.py [--sessions 200000] [--days 31] [--runs 5]

Inside a transaction that is rolled back (nothing stays): a town with one paid zone (the Radom
demo tariff, 1,850 bays), an operator, and ``--sessions`` sessions of 15–180 minutes spread over
the 92 days before 3 March 2026 (inserted set-based, then ANALYZE). Measured in the same run,
each ``--runs`` times over the last ``--days`` days:

* baseline: ``selectors.revenue_rows`` (the daily report: one GROUP BY per day);
* ``occupancy.hourly_rows`` (every session cut into its local hours, paid hours from the
  tariff's calendar);
* ``occupancy.zone_report`` (what the charts' JSON returns: both of them and the before/after).

Prints the median wall time and process CPU time per call, the ratios to the baseline, the
load average, and the server's execution time of the hourly query (EXPLAIN ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
END = date(2026, 3, 3)


class Rollback(Exception):
    pass


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(fn, runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), cpu()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(cpu() - c)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import connection, transaction

    from layers.models import Municipality, ParkingZone
    from registers.parking import demo, occupancy, operators, services
    from registers.parking.models import Tariff, ZoneCapacity
    from registers.parking.selectors import revenue_rows

    start = END - timedelta(days=args.days - 1)
    try:
        with transaction.atomic():
            town = Municipality.objects.create(teryt="999920_1", name="Benchmarkowo")
            x, y, size = 677_000, 211_000, 800
            zone = ParkingZone.objects.create(
                municipality=town, code="BENCH", name="Strefa benchmark", kind="ordinary",
                geom=MultiPolygon(Polygon(((x, y), (x + size, y), (x + size, y + size),
                                           (x, y + size), (x, y))), srid=2180),
                source_namespace="bench", local_id="bench-zone")
            tariff = services.tariff_save(None, Tariff(zone=zone, **demo.RADOM), [])
            ZoneCapacity.objects.create(zone=zone, bays=1850)
            op, _token = operators.operator_create("bench-operator", [town])
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute("""
                    INSERT INTO parking_parkingsession (operator_id, external_id,
                        municipality_id, zone_id, tariff_id, plate, start_time, end_time,
                        amount, fee, status, start_digest, created_at, updated_at, version)
                    SELECT %(op)s, 'b' || i, %(town)s, %(zone)s, %(tariff)s, '',
                           s, s + make_interval(mins => (15 + (i * 37) %% 166)::int),
                           3.60, 3.60, 'stopped', '-', now(), now(), 1
                    FROM generate_series(1::bigint, %(n)s) AS i,
                         LATERAL (SELECT timestamptz '2025-12-02 07:00+01'
                                  + make_interval(days => ((i * 7919) %% 92)::int,
                                                  mins => ((i * 104729) %% 660)::int)) AS t(s)
                    """, {"op": op.pk, "town": town.pk, "zone": zone.pk,
                          "tariff": tariff.pk, "n": args.sessions})
                cur.execute("ANALYZE parking_parkingsession")
            print(f"{args.sessions} sessions inserted in {time.perf_counter() - t0:.1f} s; "
                  f"period {start} – {END} ({args.days} days)")
            towns = {town.pk}
            base = measure(lambda: revenue_rows(towns, start, END), args.runs)
            hourly = measure(lambda: occupancy.hourly_rows(towns, start, END), args.runs)
            report = measure(lambda: occupancy.zone_report(towns, zone.pk, start, END),
                             args.runs)
            print(f"{'':32}{'wall ms':>10}{'CPU ms':>10}{'wall ×':>9}")
            for name, (wall, cpu_ms) in (("daily revenue_rows (baseline)", base),
                                         ("hourly_rows", hourly), ("zone_report (JSON)", report)):
                print(f"{name:32}{wall:10.1f}{cpu_ms:10.1f}{wall / base[0]:9.2f}")
            wz, wlo, whi = occupancy.paid_windows(
                [zone], occupancy.Period(start, END), {zone.pk: [tariff]})
            with connection.cursor() as cur:
                cur.execute("SET LOCAL jit = off")  # as hourly_rows runs it
                cur.execute("SET LOCAL work_mem = '64MB'")
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + occupancy.HOURLY_SQL, {
                    "tz": "Europe/Warsaw", "zones": [zone.pk], "start": start,
                    "stop": END + timedelta(days=1), "wzones": wz, "wlo": wlo, "whi": whi})
                plan = cur.fetchone()[0][0]
                if os.environ.get("BENCH_PLAN"):
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + occupancy.HOURLY_SQL, {
                        "tz": "Europe/Warsaw", "zones": [zone.pk], "start": start,
                        "stop": END + timedelta(days=1), "wzones": wz, "wlo": wlo,
                        "whi": whi})
                    print("\n".join(r[0] for r in cur.fetchall()))
            print(f"hourly query on the server: {plan['Execution Time']:.1f} ms "
                  f"(shared buffers hit {plan['Plan'].get('Shared Hit Blocks', 0)})")
            print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
