"""Bounded load test of the production server setup on loopback.

Starts gunicorn (the production WSGI server, docs/operations.md) with production settings on
127.0.0.1, warms it, then sends a fixed number of requests per endpoint from N concurrent
keep-alive clients and reports requests per second, p50/p99 and errors. Bounded in count and
time; only loopback is ever contacted.

    .venv/bin/python benchmarks/load.py [--concurrency 8] [--requests 400] [--workers 3]

Needs a database with the demo town (make run, or make demo).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def pick_targets() -> dict[str, list[str]]:
    """Real URLs from the database: tiles over the demo town, cards, searches."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
    os.environ.setdefault("GEOGMINA_DEBUG", "1")
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            SELECT id, cadastral_id,
                   ST_X(ST_Transform(ST_PointOnSurface(geom), 4326)),
                   ST_Y(ST_Transform(ST_PointOnSurface(geom), 4326))
            FROM layers_parcel WHERE retired_at IS NULL ORDER BY id LIMIT 200""")
        rows = cur.fetchall()
    if not rows:
        raise SystemExit("load: no parcels in the database; run `make demo` first")
    import math

    def tile(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 2 ** z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        return x, y

    tiles = sorted({f"/tiles/parcels/16/{x}/{y}.pbf" for _, _, lon, lat in rows
                    for x, y in [tile(lon, lat, 16)]})
    cards = [f"/parcels/{pid}/card" for pid, *_ in rows[:50]]
    searches = [f"/api/search?q={cid}" for _, cid, *_ in rows[:50]]
    return {"tiles": tiles, "card": cards, "search": searches}


def run_load(port: int, urls: list[str], concurrency: int, total: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            url = urls[i % len(urls)]
            t0 = time.perf_counter()
            try:
                conn.request("GET", url, headers={"Host": "127.0.0.1"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status in (200, 204, 304)
            except Exception as exc:  # a dropped connection is an error, counted
                ok, resp = False, None
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                errors.append(f"{url}: {exc}")
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                if not ok and resp is not None:
                    errors.append(f"{url}: HTTP {resp.status}")
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    wall = time.perf_counter() - t0
    lat = sorted(latencies)
    return {
        "requests": len(lat),
        "errors": len(errors),
        "error_samples": errors[:5],
        "rps": round(len(lat) / wall, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 1),
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--port", type=int, default=0, help="default: a free loopback port")
    args = ap.parse_args()
    if not args.port:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            args.port = s.getsockname()[1]
    targets = pick_targets()
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update({
        "GEOGMINA_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "GEOGMINA_PII_KEY": settings.GEOGMINA_PII_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "GEOGMINA_SSL_REDIRECT": "0",
        "GEOGMINA_SECURE_COOKIES": "0",
        "GEOGMINA_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(settings.STATIC_ROOT),
    })
    if not os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = (f"postgis://{db['USER']}@/{db['NAME']}"
                               f"?host={db['HOST']}&port={db['PORT']}")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "gis_app.wsgi", "-b", f"127.0.0.1:{args.port}", "-w",
         str(args.workers), "--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=REPO, env=env)
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
                c.request("GET", "/health/")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("load: gunicorn did not come up")
        results = {"concurrency": args.concurrency, "workers": args.workers}
        for name, urls in targets.items():
            run_load(args.port, urls, args.concurrency, min(len(urls) * 2, 100))  # warm-up
            # Baseline in the same run: one client, no contention, a quarter of the requests.
            single = run_load(args.port, urls, 1, max(args.requests // 4, 20))
            results[name] = run_load(args.port, urls, args.concurrency, args.requests)
            results[name]["single_client_rps"] = single["rps"]
            results[name]["single_client_p50_ms"] = single["p50_ms"]
            results[name]["rps_ratio_vs_single"] = round(results[name]["rps"] / single["rps"], 2)
            results[name]["errors"] += single["errors"]
        print(json.dumps(results, indent=2))
        return 1 if any(results[n]["errors"] for n in targets) else 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
