"""Load and faults on the running cluster (issue #20): ``make cluster`` first, then
``.venv/bin/python benchmarks/cluster_faults.py``.

Loopback only (nginx on 127.0.0.1), bounded: every phase runs ``--seconds`` (5) with
``--clients`` (8) threads, and stops at ``--max-requests`` (20,000) per phase. Phases:

1. tiles served by Django (a ?v= that is not the data version: nginx passes them on), 2 nodes;
2. the same tiles from nginx's cache (the map page's ?v=), 2 nodes;
3. Django-served tiles with one node (node 2 stopped);
4. node 1 killed (SIGKILL, master and workers) during Django-served tile load;
5. the replica stopped, then started, during the load;
6. the primary restarted during reads and writes (logins: a session row, last_login).

Prints a table of req/s, p50/p95/p99 (ms), errors (any status >= 500 or a connection error),
503s of writes, and where reads went (X-Geogmina-Read-DB).
"""

from __future__ import annotations

import argparse
import http.client
import math
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import cluster  # noqa: E402

from gis_app import dbctl  # noqa: E402


def psql(sql: str) -> str:
    import subprocess

    return subprocess.run(["psql", "-h", str(dbctl.socket_dir()), "-p", str(dbctl.port()),
                           "-U", dbctl.DB_USER, "-d", dbctl.DB_NAME, "-tAc", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def tile_paths(version: str, z: int = 16) -> list[str]:
    """A 5 x 5 block of tiles over the demo town's first parcel."""
    lon, lat = map(float, psql("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Transform("
                               "ST_PointOnSurface(geom), 4326) c FROM layers_parcel "
                               "ORDER BY id LIMIT 1) s").split("|"))
    n = 2 ** z
    x0 = int((lon + 180.0) / 360.0 * n)
    y0 = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return [f"/tiles/parcels/{z}/{x}/{y}.pbf?v={version}"
            for x in range(x0 - 2, x0 + 3) for y in range(y0 - 2, y0 + 3)]


def current_version() -> str:
    conn = http.client.HTTPConnection("127.0.0.1", cluster.HTTP_PORT, timeout=30)
    conn.request("GET", "/")
    body = conn.getresponse().read().decode()
    return re.search(r"/tiles/parcels/\{z\}/\{x\}/\{y\}\.pbf\?v=([0-9.]+)", body).group(1)


class Phase:
    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = Counter()
        self.routes = Counter()
        self.cache = Counter()
        self.write_503 = 0
        self.writes = 0
        self.elapsed = 0.0

    def row(self) -> str:
        lat = sorted(self.latencies)
        q = (lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000) if lat else (
            lambda p: float("nan"))
        rps = len(lat) / self.elapsed if self.elapsed else 0
        errors = sum(self.errors.values())
        return (f"| {self.name} | {len(lat)} | {rps:.0f} | {q(0.50):.1f} | {q(0.95):.1f} | "
                f"{q(0.99):.1f} | {errors} {dict(self.errors) or ''} | "
                f"{self.write_503}/{self.writes} | {dict(self.routes)} | {dict(self.cache)} |")


def _get(conn_box: list, path: str, phase: Phase, headers: dict | None = None) -> None:
    t0 = time.perf_counter()
    try:
        if conn_box[0] is None:
            conn_box[0] = http.client.HTTPConnection("127.0.0.1", cluster.HTTP_PORT, timeout=30)
        conn = conn_box[0]
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        dt = time.perf_counter() - t0
        with phase.lock:
            if resp.status >= 500:
                phase.errors[resp.status] += 1
            else:
                phase.latencies.append(dt)
            phase.routes[resp.headers.get("X-Geogmina-Read-DB", "-")] += 1
            phase.cache[resp.headers.get("X-Cache-Status", "-")] += 1
    except (OSError, http.client.HTTPException) as exc:
        with phase.lock:
            phase.errors[type(exc).__name__] += 1
        if conn_box[0] is not None:
            conn_box[0].close()
        conn_box[0] = None


def _login(phase: Phase) -> None:
    """One write: a login (session row, last_login), its own connection and CSRF token."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", cluster.HTTP_PORT, timeout=30)
        conn.request("GET", "/accounts/login/")
        resp = conn.getresponse()
        body = resp.read().decode()
        cookie = resp.headers.get("Set-Cookie", "").split(";")[0]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        form = urllib.parse.urlencode({"username": "planista", "password": "demo-planista",
                                       "csrfmiddlewaretoken": token})
        conn.request("POST", "/accounts/login/", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
            "Referer": f"http://127.0.0.1:{cluster.HTTP_PORT}/"})
        resp = conn.getresponse()
        resp.read()
        with phase.lock:
            phase.writes += 1
            if resp.status == 503:
                phase.write_503 += 1
            elif resp.status != 302:
                phase.errors[f"login {resp.status}"] += 1
        conn.close()
    except (OSError, http.client.HTTPException, AttributeError) as exc:
        with phase.lock:
            phase.writes += 1
            phase.errors[f"login {type(exc).__name__}"] += 1


def run(phase: Phase, paths: list[str], seconds: float, clients: int, max_requests: int,
        fault=None, writer: bool = False) -> Phase:
    stop = threading.Event()
    count = [0]

    def worker(i: int) -> None:
        box = [None]
        k = i
        while not stop.is_set():
            with phase.lock:
                if count[0] >= max_requests:
                    return
                count[0] += 1
            _get(box, paths[k % len(paths)], phase)
            k += 1

    def write_worker() -> None:
        while not stop.is_set():
            _login(phase)
            time.sleep(0.2)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    if writer:
        threads.append(threading.Thread(target=write_worker))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    if fault:
        fault(stop)
    deadline = t0 + seconds
    while time.perf_counter() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    phase.elapsed = time.perf_counter() - t0
    print(phase.row(), flush=True)
    return phase


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=20_000)
    args = parser.parse_args()
    if cluster.nginx_pid() is None:
        print("cluster_faults: skipped, the cluster is not running (make cluster)")
        return 0
    a = (args.seconds, args.clients, args.max_requests)
    version = current_version()
    django_paths = tile_paths("0.0")  # never the data version: nginx passes them to Django
    cached_paths = tile_paths(version)
    print("| phase | requests | req/s | p50 ms | p95 ms | p99 ms | errors | writes 503 | "
          "read DB | nginx cache |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    run(Phase("tiles via Django, 2 nodes"), django_paths, *a)
    for p in cached_paths:  # warm the cache
        _get([None], p, Phase("warm"))
    run(Phase("tiles from nginx cache, 2 nodes"), cached_paths, *a)
    cluster.stop_node(2)
    try:
        run(Phase("tiles via Django, 1 node"), django_paths, *a)
    finally:
        cluster.start_node(2)

    def kill_node(stop: threading.Event) -> None:
        time.sleep(args.seconds / 3)
        cluster.stop_node(1, sig=9)

    run(Phase("node 1 killed (SIGKILL) mid-load"), django_paths, *a, fault=kill_node)
    cluster.start_node(1)

    def bounce_replica(stop: threading.Event) -> None:
        time.sleep(args.seconds / 4)
        cluster.stop_replica()
        time.sleep(args.seconds / 4)
        cluster.start_replica()

    run(Phase("replica stopped + started mid-load"), django_paths, args.seconds * 2,
        args.clients, args.max_requests, fault=bounce_replica)

    def restart_primary(stop: threading.Event) -> None:
        time.sleep(args.seconds / 4)
        dbctl.stop()
        time.sleep(1)
        dbctl.start()

    run(Phase("primary restarted mid-load (reads + logins)"), django_paths, args.seconds * 2,
        args.clients, args.max_requests, fault=restart_primary, writer=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
