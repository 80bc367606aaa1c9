"""The operator API under load: gunicorn on loopback and a simulated payment operator.

    .venv/bin/python benchmarks/parking_load.py [--rate 300] [--seconds 120] [--workers 4]
                                                [--clients 32]

Starts gunicorn with production settings (like benchmarks/load.py) against the dev database,
with a benchmark town ("Obciążeniowo", TERYT 999920_1: one paid zone under Radom's tariff,
created once and kept) and a new operator whose sessions are deleted at the end. The simulated
operator is open-loop: it schedules ``--rate`` session writes per second for ``--seconds``
(each car: start, then extend ~1 s later, then stop ~2 s later, all over HTTP with the bearer
token and JSON bodies as the OpenAPI document describes) and ``--clients`` threads with
keep-alive connections send them. Latency is measured from the moment a write was due, so a
server that falls behind shows it (no coordinated omission); any answer other than 201/200 is
an error, and so is a write still waiting to be sent 30 s after the schedule ended (the
server fell behind: the run stops instead of draining an ever longer queue).

Baseline in the same run: the plain SQL ``INSERT`` of the same session rows (one statement and
commit each, one connection, as fast as it goes).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GEOGMINA_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")

DAY = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # Tuesday 08:00 in Warsaw: paid 8:00–18:00
FEE_1H, FEE_2H = "3.60", "7.80"  # Radom: 3.60 the 1st hour, 4.20 the 2nd
LAG_SLOTS = 300  # ~1 s at 300/s between a car's start and its extension (and its stop)


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def setup() -> dict:
    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from layers.models import Municipality, ParkingZone
    from registers.parking import demo, operators, services
    from registers.parking.models import Tariff

    town, _ = Municipality.objects.get_or_create(teryt="999920_1",
                                                 defaults={"name": "Obciążeniowo"})
    zone = ParkingZone.objects.filter(municipality=town, code="LOAD").first()
    if zone is None:
        x, y, size = 690_000, 220_000, 800
        zone = ParkingZone.objects.create(
            municipality=town, code="LOAD", name="Strefa obciążeniowa", kind="ordinary",
            geom=MultiPolygon(Polygon(((x, y), (x + size, y), (x + size, y + size),
                                       (x, y + size), (x, y))), srid=2180),
            source_namespace="bench", local_id="load-zone")
    if not zone.tariffs.exists():
        services.tariff_save(None, Tariff(zone=zone, **demo.RADOM), demo.SUBSCRIPTIONS)
    op, token = operators.operator_create(f"load-{secrets.token_hex(4)}", [town])
    return {"town": town, "zone": zone, "op": op, "token": token,
            "tariff": zone.tariffs.get()}


def plan(rate: int, seconds: int, zone_id: int) -> list[tuple[float, str, str, dict]]:
    """(due second, method path, session id, body) of every write, in due order."""
    out = []
    for slot in range(rate * seconds):
        due = slot / rate
        car, phase = divmod(slot, 3)
        if phase == 1 and car >= LAG_SLOTS // 3:
            k = car - LAG_SLOTS // 3
            start = DAY + timedelta(seconds=(k * 7) % (8 * 3600))
            out.append((due, f"/sessions/L{k}/extend", f"L{k}", {
                "end_time": (start + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
                "amount": FEE_2H}))
            continue
        if phase == 2 and car >= 2 * LAG_SLOTS // 3:
            k = car - 2 * LAG_SLOTS // 3
            start = DAY + timedelta(seconds=(k * 7) % (8 * 3600))
            out.append((due, f"/sessions/L{k}/stop", f"L{k}", {
                "stop_time": (start + timedelta(minutes=90)).isoformat().replace("+00:00",
                                                                                 "Z")}))
            continue
        k = car if phase == 0 else 10_000_000 + slot  # early slots: more starts
        start = DAY + timedelta(seconds=(k * 7) % (8 * 3600))
        out.append((due, "/sessions", f"L{k}", {
            "session_id": f"L{k}", "registration_number": f"LD{k % 100000:05d}",
            "zone": zone_id, "start_time": start.isoformat().replace("+00:00", "Z"),
            "end_time": (start + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            "amount": FEE_1H}))
    return out


GRACE_SECONDS = 30  # after the schedule ends, writes still queued this much later are errors


def drive(port: int, token: str, writes: list, clients: int) -> dict:
    base = "/parking/api/operator/v1"
    jobs: queue.Queue = queue.Queue()
    lat: list[float] = []
    service: list[float] = []
    errors: list[str] = []
    unsent: list[str] = []
    lock = threading.Lock()
    cutoff = time.perf_counter() + (writes[-1][0] if writes else 0) + GRACE_SECONDS
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Connection": "keep-alive"}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            job = jobs.get()
            if job is None:
                return
            due_at, path, body = job
            t0 = time.perf_counter()
            if t0 > cutoff:
                with lock:
                    unsent.append(path)
                continue
            try:
                conn.request("POST", base + path, json.dumps(body), headers)
                r = conn.getresponse()
                data = r.read()
                ok = r.status in (200, 201)
            except OSError as exc:
                ok, data = False, str(exc).encode()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t1 = time.perf_counter()
            with lock:
                lat.append((t1 - due_at) * 1000)
                service.append((t1 - t0) * 1000)
                if not ok:
                    errors.append(f"{path}: {data[:200]!r}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    t_start = time.perf_counter()
    for due, path, _sid, body in writes:
        wait = t_start + due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        jobs.put((t_start + due, path, body))
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_start
    return {"writes": len(lat), "errors": len(errors) + len(unsent),
            "not_sent_in_time": len(unsent), "first_errors": errors[:5],
            "seconds": round(elapsed, 1), "rate": round(len(lat) / elapsed, 1),
            "p50_ms": round(pct(lat, 50), 1), "p95_ms": round(pct(lat, 95), 1),
            "p99_ms": round(pct(lat, 99), 1),
            "service_p50_ms": round(pct(service, 50), 1),
            "service_p95_ms": round(pct(service, 95), 1)}


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live children (gunicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def postmaster_pid() -> int | None:
    """The embedded cluster's postmaster (gis_app.dbctl), whose children serve only this
    checkout: their CPU is the database's share of the writes. None with DATABASE_URL."""
    if os.environ.get("DATABASE_URL"):
        return None
    from gis_app import dbctl

    try:
        return int((dbctl.data_dir() / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def own_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def baseline(world: dict, writes: list) -> dict:
    """The plain SQL insert of the same session rows, one statement and commit each."""
    from django.db import connection

    starts = [b for _d, path, _s, b in writes if path == "/sessions"]
    ms = []
    with connection.cursor() as cur:
        for b in starts:
            t0 = time.perf_counter()
            cur.execute(
                "INSERT INTO parking_parkingsession (operator_id, external_id, municipality_id,"
                " zone_id, tariff_id, plate, start_time, end_time, amount, fee, status, "
                "start_digest, created_at, updated_at, version) VALUES (%s, %s, %s, %s, %s, "
                "%s, %s, %s, %s, %s, 'active', '-', now(), now(), 1)",
                [world["op"].pk, "sql-" + b["session_id"], world["town"].pk, world["zone"].pk,
                 world["tariff"].pk, b["registration_number"], b["start_time"],
                 b["end_time"], b["amount"], b["amount"]])
            ms.append((time.perf_counter() - t0) * 1000)
    return {"rows": len(ms), "rate": round(len(ms) / (sum(ms) / 1000), 1),
            "p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=300)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1,
                    help="gunicorn threads per worker (more than 1: the gthread worker)")
    args = ap.parse_args()
    world = setup()
    from django.conf import settings

    from registers.parking.models import ParkingSession

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update({
        "GEOGMINA_DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
        "GEOGMINA_PII_KEY": settings.GEOGMINA_PII_KEY, "ALLOWED_HOSTS": "127.0.0.1",
        "GEOGMINA_SSL_REDIRECT": "0", "GEOGMINA_SECURE_COOKIES": "0",
        "GEOGMINA_HSTS_SECONDS": "0", "STATIC_ROOT": str(settings.STATIC_ROOT),
    })
    if not os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = (f"postgis://{db['USER']}@/{db['NAME']}"
                               f"?host={db['HOST']}&port={db['PORT']}")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "gis_app.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
         "--threads", str(args.threads), "--backlog", "2048", "--preload", "--timeout", "120",
         "--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=REPO, env=env)
    try:
        for _ in range(150):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/health/")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("parking_load: gunicorn did not come up")
        # warm-up: every worker imports and connects (its writes are not counted)
        warm = plan(50, 2, world["zone"].pk)
        warm = [(d, p, s, {**b, "session_id": "W" + b["session_id"]}) for d, p, s, b in warm
                if p == "/sessions"]
        drive(port, world["token"], warm, args.clients)
        writes = plan(args.rate, args.seconds, world["zone"].pk)
        load_before = os.getloadavg()
        postmaster = postmaster_pid()
        pg_cpu = tree_cpu_seconds(postmaster) if postmaster else 0.0
        server_cpu, client_cpu = tree_cpu_seconds(server.pid), own_cpu_seconds()
        load = drive(port, world["token"], writes, args.clients)
        server_cpu = tree_cpu_seconds(server.pid) - server_cpu
        client_cpu = own_cpu_seconds() - client_cpu
        pg_cpu = tree_cpu_seconds(postmaster) - pg_cpu if postmaster else None
        per = 1000 / max(load["writes"], 1)
        load["cpu_ms_per_write"] = {
            "gunicorn_workers": round(server_cpu * per, 2),
            "postgresql": None if pg_cpu is None else round(pg_cpu * per, 2),
            "client": round(client_cpu * per, 2)}
        load["load_average_after"] = os.getloadavg()
        base = baseline(world, writes)
        stored = ParkingSession.objects.filter(operator=world["op"]).count()
        result = {"target_rate": args.rate, "seconds": args.seconds,
                  "workers": args.workers, "threads": args.threads, "clients": args.clients,
                  "load_average_before": load_before, "http": load,
                  "sql_insert_baseline": base, "sessions_stored": stored,
                  "ratio_p95": round(load["p95_ms"] / base["p95_ms"], 1),
                  "ratio_rate": round(base["rate"] / load["rate"], 1),
                  "load_average": os.getloadavg()}
        print(json.dumps(result, indent=2))
        return 1 if load["errors"] else 0
    finally:
        server.terminate()
        server.wait(timeout=30)
        ParkingSession.objects.filter(operator=world["op"]).delete()
        world["op"].delete()


if __name__ == "__main__":
    sys.exit(main())
