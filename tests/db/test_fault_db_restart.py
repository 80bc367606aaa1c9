"""The database restarting under a running server: clean 503s while it is down, then recovery
without restarting the app.

Uses its OWN PostgreSQL cluster in a temporary directory on a free port (the shared cluster under
var/pg is never touched), migrated and holding a tiny imported town, and a real gunicorn with
production settings on loopback. The cluster is stopped (fast shutdown: every server connection
is cut, as in a restart or failover) and started again while gunicorn keeps running.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest

from gis_app import dbctl

REPO = Path(__file__).resolve().parents[2]
APP_NAME = "geogmina-restart-test"
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, url: str, timeout: float = 10) -> tuple[int, str, str, float]:
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", url, headers={"Host": "127.0.0.1"})
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
        return resp.status, resp.getheader("Content-Type", ""), body, time.monotonic() - t0
    finally:
        conn.close()


def _pg_ctl_stop(mode: str) -> None:
    subprocess.run(dbctl._as_server_user([dbctl.pg_bin("pg_ctl"), "stop", "-w", "-m", mode,
                                          "-D", str(dbctl.data_dir())]),
                   check=True, stdout=subprocess.DEVNULL)


@pytest.fixture
def own_cluster(monkeypatch):
    """A private cluster: GEOGMINA_VAR_DIR/GEOGMINA_DB_PORT point dbctl at it."""
    var = Path(tempfile.mkdtemp(prefix="geogmina-restart-"))
    var.chmod(0o755)  # the postgres user must traverse it
    monkeypatch.setenv("GEOGMINA_VAR_DIR", str(var))
    monkeypatch.setenv("GEOGMINA_DB_PORT", str(_free_port()))
    try:
        dbctl.start()
        yield var, dbctl.url()
    finally:
        if dbctl.is_running():
            _pg_ctl_stop("immediate")
        shutil.rmtree(var, ignore_errors=True)


def _server_backends(db_url_env: dict[str, str]) -> int:
    conn = psycopg2.connect(host=str(dbctl.socket_dir()), port=dbctl.port(), user=dbctl.DB_USER,
                            dbname=dbctl.DB_NAME)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                        [APP_NAME])
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_db_restart_gives_503_then_recovers_without_app_restart(own_cluster, tmp_path):
    var, url = own_cluster
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOGMINA_TEST")}
    env.update({"DATABASE_URL": url, "GEOGMINA_DEBUG": "1"})
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO,
                   env=env, check=True)
    from importers.demo.generator import DemoTown

    gml = DemoTown(parcels=40, seed=5).write_gml(tmp_path / "tiny.gml")
    subprocess.run([sys.executable, "manage.py", "import_cadastre", "--no-progress", str(gml)],
                   cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    conn = psycopg2.connect(host=str(dbctl.socket_dir()), port=dbctl.port(),
                            user=dbctl.DB_USER, dbname=dbctl.DB_NAME)
    with conn, conn.cursor() as cur:
        cur.execute("""SELECT id, ST_X(ST_Transform(ST_PointOnSurface(geom), 4326)),
                              ST_Y(ST_Transform(ST_PointOnSurface(geom), 4326))
                       FROM layers_parcel WHERE retired_at IS NULL ORDER BY id LIMIT 1""")
        pid, lon, lat = cur.fetchone()
    conn.close()
    import math

    n = 2 ** 16
    tx = int((lon + 180) / 360 * n)
    ty = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    urls = {"health": "/health/", "card": f"/parcels/{pid}/card",
            "tile": f"/tiles/parcels/16/{tx}/{ty}.pbf", "api": f"/api/parcels/{pid}"}

    port = _free_port()
    env.update({"GEOGMINA_DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
                "GEOGMINA_PII_KEY": secrets.token_urlsafe(32), "ALLOWED_HOSTS": "127.0.0.1",
                "GEOGMINA_SSL_REDIRECT": "0", "GEOGMINA_SECURE_COOKIES": "0",
                "GEOGMINA_HSTS_SECONDS": "0", "PGAPPNAME": APP_NAME,
                "STATIC_ROOT": str(var / "static")})
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "gis_app.wsgi", "-b",
         f"127.0.0.1:{port}", "-w", str(WORKERS), "--timeout", "30"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                if _get(port, "/health/", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not come up")

        def all_ok(rounds: int = 3) -> None:
            for _ in range(rounds):  # several rounds: every worker answers
                for name, u in urls.items():
                    status, _ctype, body, _t = _get(port, u)
                    assert status == 200, (name, status, body[:300])

        all_ok()
        assert _server_backends(env) <= WORKERS  # persistent connections, one per worker

        _pg_ctl_stop("fast")
        assert not dbctl.is_running()
        for _ in range(2):
            for name, u in urls.items():
                status, ctype, body, took = _get(port, u)
                assert status == 503, (name, status, body[:300])
                assert took < 5, (name, took)  # a clean error, not a hang
                assert "Traceback" not in body and "OperationalError" not in body
                if name in ("health", "tile", "api"):
                    data = json.loads(body)
                    assert data["status"] == "error"
                    assert data.get("database")
                else:
                    assert ctype.startswith("text/html") and "<h1>" in body

        dbctl.start()
        all_ok()
        # Connections are persistent again, not one per request.
        assert _server_backends(env) <= WORKERS
        assert server.poll() is None, "gunicorn must not have restarted or died"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    text = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in text, text[-3000:]


@pytest.mark.django_db
def test_middleware_only_turns_a_dead_connection_into_503(rf):
    """A lock timeout on a healthy connection is the view's business (not "database down");
    an unusable connection is a 503 with a message, and the broken connection is closed."""
    from django.db import InterfaceError, OperationalError, connection

    from gis_app.middleware import DatabaseUnavailableMiddleware

    mw = DatabaseUnavailableMiddleware(lambda r: None)
    connection.ensure_connection()
    assert mw.process_exception(rf.get("/parcels/1/card"),
                                OperationalError("canceling statement due to lock timeout")) is None
    assert mw.process_exception(rf.get("/x"), ValueError("not a database error")) is None

    # A closed server connection, as after a restart (Django has not noticed yet).
    connection.connection.close()
    resp = mw.process_exception(rf.get("/api/search?q=1"),
                                InterfaceError("connection already closed"))
    assert resp.status_code == 503 and resp["Retry-After"]
    assert json.loads(resp.content)["database"] == "unavailable"
    # Closed, so the next request reconnects (inside the test's transaction Django only flags it).
    assert connection.connection is None or connection.closed_in_transaction
    page = mw.process_exception(rf.get("/leases/"), OperationalError("server closed the "
                                                                     "connection unexpectedly"))
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html")
