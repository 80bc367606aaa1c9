"""The controller's check at 1,000,000 stored sessions, and session writes, against baselines.

    .venv/bin/python benchmarks/parking_sessions.py [--sessions 1000000] [--plates 200000]
                                                    [--checks 500] [--writes 2000]

Inside a transaction that is rolled back at the end (nothing stays in the database): a town with
one paid zone under the Radom demo tariff, an operator and a controller; ``--sessions`` sessions
loaded with COPY (``--plates`` distinct plates, one-hour stays spread over January–March 2026,
the check index maintained during the load), then ANALYZE. Measured in the same run:

* check baseline: the bare indexed query (plate, zone, end >= now, start <= now) in SQL;
* the check of before issue #19's rework (``old_check`` below: five queries, the zone, the
  tariff, the session, the permit, each its own round trip, and the audit row);
* ``enforcement.check``: what the controller's page calls (plate and point parsing, the zone at
  the point in the controller's towns, the tariff in force, the session query, the audit row);
* write baseline: a plain SQL ``INSERT`` of one session row per statement;
* ``operators.session_start``: what the operator API calls per start (parsing, the zone, the fee
  from the tariff, the amount check, the idempotency lookup, the insert), per session.

Prints p50/p95 in ms and the ratios to the baselines.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday, 11:00 in Warsaw: a paid hour
CHECK_SQL = """
SELECT id FROM parking_parkingsession
WHERE plate = %s AND zone_id = %s AND end_time >= %s AND start_time <= %s
ORDER BY end_time DESC LIMIT 1
"""
INSERT_SQL = """
INSERT INTO parking_parkingsession (operator_id, external_id, municipality_id, zone_id,
    tariff_id, plate, start_time, end_time, amount, fee, status, start_digest, created_at,
    updated_at, version)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 3.60, 3.60, 'active', '-', now(), now(), 1)
"""


class Rollback(Exception):
    pass


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def plate_of(i: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"R{letters[i % 23]}{i:06d}"[:8]


def old_check(user, plate, lon, lat, now):
    """The check as it was before the rework (kept here as the same-run comparison)."""
    from django.utils import timezone

    from gis_app.audit.log import audit
    from gis_app.audit.models import AuditAction
    from registers.parking import enforcement as e
    from registers.parking import rules

    reg = e.parse_plate(plate)
    at = e.parse_point(lon, lat)
    zone = e.zone_here(user, at)
    local = timezone.localtime(now)
    tariff = e._tariff_at(zone, local.date())
    schedule = rules.Schedule(weekdays=rules.parse_weekdays(tariff.paid_weekdays),
                              start=tariff.paid_from, end=tariff.paid_to)
    window = schedule.window(local.date())
    naive = timezone.make_naive(now)
    charged = window is not None and window[0] <= naive < window[1]
    session = e.valid_session(reg, zone, now) if charged else None
    permit = e.valid_permit(reg, zone, local.date()) if charged and session is None else None
    audit(user, AuditAction.READ_OWNERS, "parking.check", session.pk if session else "",
          municipality_id=zone.municipality_id, detail=f"{reg} in zone {zone.code}")
    return session is not None or permit is not None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--plates", type=int, default=200_000)
    parser.add_argument("--checks", type=int, default=500)
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import connection, transaction

    from gis_app.accounts.access import grant
    from gis_app.accounts.roles import Role
    from layers.models import Municipality, ParkingZone
    from registers.parking import demo, enforcement, operators, services
    from registers.parking.models import Tariff

    rnd = random.Random(19)
    try:
        with transaction.atomic():
            town = Municipality.objects.create(teryt="999919_1", name="Benchmarkowo")
            x, y, size = 677_000, 211_000, 800
            zone = ParkingZone.objects.create(
                municipality=town, code="BENCH", name="Strefa benchmark", kind="ordinary",
                geom=MultiPolygon(Polygon(((x, y), (x + size, y), (x + size, y + size),
                                           (x, y + size), (x, y))), srid=2180),
                source_namespace="bench", local_id="bench-zone")
            tariff = services.tariff_save(None, Tariff(zone=zone, **demo.RADOM),
                                          demo.SUBSCRIPTIONS)
            op, _token = operators.operator_create("bench-operator", [town])
            user = get_user_model().objects.create_user("bench-controller", password="x")
            grant(user, town, [Role.PARKING_CONTROLLER])
            centre = zone.geom.centroid.transform(4326, clone=True)

            # --- load: COPY of the sessions ------------------------------------------------
            span = int((datetime(2026, 3, 31, tzinfo=UTC)
                        - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds())
            t0 = time.perf_counter()
            buf = io.StringIO()
            base = datetime(2026, 1, 1, tzinfo=UTC)
            for i in range(args.sessions):
                start = base + timedelta(seconds=rnd.randrange(span))
                end = start + timedelta(hours=1)
                buf.write(f"{op.pk}\tb{i}\t{town.pk}\t{zone.pk}\t{tariff.pk}\t"
                          f"{plate_of(rnd.randrange(args.plates))}\t{start.isoformat()}\t"
                          f"{end.isoformat()}\t3.60\t3.60\tactive\t-\t{NOW.isoformat()}\t"
                          f"{NOW.isoformat()}\t1\n")
            buf.seek(0)
            built = time.perf_counter() - t0
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                cur.cursor.copy_expert(
                    "COPY parking_parkingsession (operator_id, external_id, municipality_id, "
                    "zone_id, tariff_id, plate, start_time, end_time, amount, fee, status, "
                    "start_digest, created_at, updated_at, version) FROM STDIN", buf)
                copied = time.perf_counter() - t0
                cur.execute("ANALYZE parking_parkingsession")
                cur.execute("SELECT count(*) FROM parking_parkingsession WHERE zone_id = %s",
                            [zone.pk])
                stored = cur.fetchone()[0]
            print(f"sessions stored: {stored:,} (rows built {built:.1f} s, COPY {copied:.1f} s "
                  f"= {stored / copied:,.0f} rows/s)")

            # --- the check ------------------------------------------------------------------
            plates = [plate_of(rnd.randrange(args.plates)) for _ in range(args.checks)]
            base_ms, svc_ms, valid = [], [], 0
            with connection.cursor() as cur:
                for p in plates:
                    t0 = time.perf_counter()
                    cur.execute(CHECK_SQL, [p, zone.pk, NOW, NOW])
                    cur.fetchall()
                    base_ms.append((time.perf_counter() - t0) * 1000)
                cur.execute("EXPLAIN " + CHECK_SQL, [plates[0], zone.pk, NOW, NOW])
                plan = " / ".join(r[0].strip() for r in cur.fetchall())
            # half the checks of a car with a session now (the other half: none), old and new
            # shape interleaved so that the host's load falls on both alike
            for i, p in enumerate(plates[: len(plates) // 2]):
                s = NOW - timedelta(minutes=10)
                with connection.cursor() as cur:
                    cur.execute(INSERT_SQL, [op.pk, f"c{i}", town.pk, zone.pk, tariff.pk, p, s,
                                             s + timedelta(hours=1)])
            old_ms = []
            old_cpu = new_cpu = 0.0  # process CPU seconds: far less sensitive to the load
            load_before = os.getloadavg()
            for p in plates:
                t0, c0 = time.perf_counter(), time.process_time()
                old_check(user, p, centre.x, centre.y, NOW)
                old_ms.append((time.perf_counter() - t0) * 1000)
                old_cpu += time.process_time() - c0
                t0, c0 = time.perf_counter(), time.process_time()
                result = enforcement.check(user, p, centre.x, centre.y, NOW)
                svc_ms.append((time.perf_counter() - t0) * 1000)
                new_cpu += time.process_time() - c0
                valid += result.valid
            print(f"plan: {plan}")
            print(f"check baseline (bare SQL): p50 {pct(base_ms, 50):.2f} ms, "
                  f"p95 {pct(base_ms, 95):.2f} ms")
            print(f"check before the rework:   p50 {pct(old_ms, 50):.2f} ms, "
                  f"p95 {pct(old_ms, 95):.2f} ms  (ratio p95 "
                  f"{pct(old_ms, 95) / pct(base_ms, 95):.1f}x)")
            print(f"enforcement.check:         p50 {pct(svc_ms, 50):.2f} ms, "
                  f"p95 {pct(svc_ms, 95):.2f} ms  ({valid}/{len(plates)} valid; ratio p95 "
                  f"{pct(svc_ms, 95) / pct(base_ms, 95):.1f}x)")
            print(f"process CPU per check: before the rework {old_cpu * 1000 / len(plates):.2f} "
                  f"ms, enforcement.check {new_cpu * 1000 / len(plates):.2f} ms; load average "
                  f"{load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}")

            # --- writes ---------------------------------------------------------------------
            ins_ms, start_ms = [], []
            with connection.cursor() as cur:
                for i in range(args.writes):
                    s = NOW + timedelta(days=1, minutes=i)
                    t0 = time.perf_counter()
                    cur.execute(INSERT_SQL, [op.pk, f"w{i}", town.pk, zone.pk, tariff.pk,
                                             plate_of(i), s, s + timedelta(hours=1)])
                    ins_ms.append((time.perf_counter() - t0) * 1000)
            write_cpu = 0.0
            for i in range(args.writes):
                s = NOW + timedelta(days=1, minutes=i)
                fee = services.fee_for(zone, s, s + timedelta(hours=1)).fee.total  # untimed
                body = {"session_id": f"api{i}", "registration_number": plate_of(i),
                        "zone": zone.pk, "start_time": s.isoformat(),
                        "end_time": (s + timedelta(hours=1)).isoformat(), "amount": str(fee)}
                t0, c0 = time.perf_counter(), time.process_time()
                answer = operators.session_start(op, body)
                start_ms.append((time.perf_counter() - t0) * 1000)
                write_cpu += time.process_time() - c0
                assert answer.status == 201, answer.body
            print(f"write baseline (SQL INSERT): p50 {pct(ins_ms, 50):.2f} ms, "
                  f"p95 {pct(ins_ms, 95):.2f} ms, {len(ins_ms) / sum(ins_ms) * 1000:,.0f}/s")
            print(f"operators.session_start:    p50 {pct(start_ms, 50):.2f} ms, "
                  f"p95 {pct(start_ms, 95):.2f} ms, {len(start_ms) / sum(start_ms) * 1000:,.0f}"
                  f"/s (one process; ratio p95 {pct(start_ms, 95) / pct(ins_ms, 95):.1f}x; "
                  f"process CPU {write_cpu * 1000 / len(start_ms):.2f} ms per start)")
            raise Rollback
    except Rollback:
        print("rolled back: nothing stays in the database")


if __name__ == "__main__":
    main()
