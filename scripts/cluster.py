"""``make cluster`` / ``make cluster-stop``: the multi-node layout of issue #20 on loopback.

* the primary: the embedded PostgreSQL + PostGIS cluster of ``gis_app/dbctl.py`` (var/pg);
* one streaming replica made with ``pg_basebackup -R`` (var/cluster/replica, unix socket only);
* two gunicorn app nodes on 127.0.0.1 (ports BASE+1, BASE+2), reading through the replica
  (``GEOGMINA_REPLICA_URL``, gis_app/db_router.py);
* nginx (Debian's package) on 127.0.0.1:BASE, with its own configuration, logs, temp and cache
  folders under var/cluster/nginx (started with ``-p``/``-c``; /etc/nginx is only read for
  mime.types). It caches versioned public tiles and static files (docs/decisions.md).

Usage: python scripts/cluster.py start|stop|status|replica-stop|replica-start|node-stop N|
node-start N|primary-restart.  BASE is GEOGMINA_CLUSTER_PORT (8100).
"""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from gis_app import dbctl  # noqa: E402  (dbctl imports nothing of Django)

HTTP_PORT = int(os.environ.get("GEOGMINA_CLUSTER_PORT", "8100"))
APP_PORTS = (HTTP_PORT + 1, HTTP_PORT + 2)
REPLICA_PORT = int(os.environ.get("GEOGMINA_REPLICA_PORT", "54330"))
MAX_LAG_SECONDS = int(os.environ.get("GEOGMINA_REPLICA_MAX_LAG_SECONDS", "3"))
SLOT = "geogmina_replica"
GUNICORN_WORKERS = int(os.environ.get("GEOGMINA_CLUSTER_WORKERS", "2"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def cluster_dir() -> Path:
    return dbctl.var_dir() / "cluster"


def replica_dir() -> Path:
    return cluster_dir() / "replica"


def replica_data() -> Path:
    return replica_dir() / "data"


def replica_run() -> Path:
    return replica_dir() / "run"


def nginx_dir() -> Path:
    return cluster_dir() / "nginx"


def replica_url() -> str:
    return f"postgis://{dbctl.DB_USER}@/{dbctl.DB_NAME}?host={replica_run()}&port={REPLICA_PORT}"


def _log(msg: str) -> None:
    print(f"cluster: {msg}", flush=True)


def _chown_postgres(*paths: Path) -> None:
    if os.geteuid() != 0:
        return
    pg = pwd.getpwnam("postgres")
    for p in paths:
        os.chown(p, pg.pw_uid, pg.pw_gid)


# --- the replica ------------------------------------------------------------------------------

def replica_running() -> bool:
    if not (replica_data() / "postmaster.pid").exists():
        return False
    result = subprocess.run(dbctl._as_server_user(
        [dbctl.pg_bin("pg_ctl"), "status", "-D", str(replica_data())]), capture_output=True)
    return result.returncode == 0


def make_replica() -> None:
    if (replica_data() / "PG_VERSION").exists():
        return
    replica_run().mkdir(parents=True, exist_ok=True)
    _chown_postgres(replica_dir(), replica_run())
    _log(f"pg_basebackup of the primary into {replica_data()}")
    # A replication slot keeps the WAL a stopped replica still needs (make cluster-stop, then
    # make cluster a day later), capped so a forgotten replica cannot fill the disk.
    dbctl._psql(f"SELECT pg_drop_replication_slot('{SLOT}') FROM pg_replication_slots "
                f"WHERE slot_name = '{SLOT}'")
    dbctl._psql("ALTER SYSTEM SET max_slot_wal_keep_size = '2GB'")
    dbctl._psql("SELECT pg_reload_conf()")
    dbctl._run([dbctl.pg_bin("pg_basebackup"), "-h", str(dbctl.socket_dir()),
                "-p", str(dbctl.port()), "-U", dbctl.DB_USER, "-D", str(replica_data()),
                "-R", "-X", "stream", "-c", "fast", "-C", "-S", SLOT])


def start_replica() -> None:
    make_replica()
    if replica_running():
        return
    dbctl._run([dbctl.pg_bin("pg_ctl"), "start", "-w", "-t", "60", "-D", str(replica_data()),
                "-l", str(replica_dir() / "server.log"),
                "-o", f"-p {REPLICA_PORT} -k {replica_run()} -c shared_buffers=128MB "
                      "-c hot_standby=on -c max_standby_streaming_delay=5s"],
               stdout=subprocess.DEVNULL)
    _log(f"replica streaming from the primary, socket {replica_run()} port {REPLICA_PORT}")


def stop_replica() -> None:
    if replica_running():
        dbctl._run([dbctl.pg_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D",
                    str(replica_data())], stdout=subprocess.DEVNULL)
        _log("replica stopped")


# --- the app nodes ----------------------------------------------------------------------------

def _secret(name: str) -> str:
    path = dbctl.var_dir() / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def app_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "gis_app.settings",
        "GEOGMINA_DEBUG": "0",
        "SECRET_KEY": env.get("SECRET_KEY") or _secret("dev-secret-key"),
        "GEOGMINA_PII_KEY": env.get("GEOGMINA_PII_KEY") or _secret("dev-pii-key"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GEOGMINA_SECURE_COOKIES": "0",
        "GEOGMINA_SSL_REDIRECT": "0",
        "GEOGMINA_HSTS_SECONDS": "0",
        "GEOGMINA_REPLICA_URL": replica_url(),
        "GEOGMINA_DB_ROUTE_HEADER": "1",
        "GEOGMINA_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
    })
    return env


def _pidfile(node: int) -> Path:
    return cluster_dir() / f"app{node}.pid"


def _pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback)
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"cluster: {url} did not answer within {seconds:.0f} s")


def collectstatic() -> None:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=BASE_DIR, env=app_env(), check=True)


def start_node(node: int, wait: bool = True) -> None:
    if _pid(_pidfile(node)):
        return
    port = APP_PORTS[node - 1]
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    subprocess.run([gunicorn, "gis_app.wsgi:application", "--bind", f"127.0.0.1:{port}",
                    "--workers", str(GUNICORN_WORKERS), "--daemon",
                    "--pid", str(_pidfile(node)), "--name", f"geogmina-app{node}",
                    "--timeout", "30", "--graceful-timeout", "5",
                    "--error-logfile", str(cluster_dir() / f"app{node}.log")],
                   cwd=BASE_DIR, env=app_env(), check=True)
    if wait:
        wait_node(node)


def wait_node(node: int) -> None:
    port = APP_PORTS[node - 1]
    _wait_http(f"http://127.0.0.1:{port}/health/")
    _log(f"app node {node} (gunicorn) on 127.0.0.1:{port}")


def stop_node(node: int, sig: int = signal.SIGTERM) -> None:
    pid = _pid(_pidfile(node))
    if pid is None:
        return
    if sig == signal.SIGKILL:
        os.killpg(os.getpgid(pid), sig)  # the master and its workers at once (a crash)
    else:
        os.kill(pid, sig)
    for _ in range(100):
        if _pid(_pidfile(node)) is None:
            break
        time.sleep(0.1)
    _pidfile(node).unlink(missing_ok=True)
    _log(f"app node {node} stopped")


# --- nginx ------------------------------------------------------------------------------------

NGINX_CONF = """\
# Generated by scripts/cluster.py: do not edit (issue #20; the choices: docs/decisions.md).
{user}worker_processes 2;
pid {nd}/nginx.pid;
error_log {nd}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    log_format timed '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                     '$request_time $upstream_addr $upstream_status cache=$upstream_cache_status';
    access_log {nd}/access.log timed;
    client_body_temp_path {nd}/tmp/body;
    proxy_temp_path {nd}/tmp/proxy;
    fastcgi_temp_path {nd}/tmp/fastcgi;
    uwsgi_temp_path {nd}/tmp/uwsgi;
    scgi_temp_path {nd}/tmp/scgi;
    client_max_body_size 20m;

    # Tiles: only what Django marks public and cacheable is kept, i.e. an anonymous request for
    # a public layer whose ?v= is the layer's current data version. Django marks every other
    # answer private/no-cache/no-store, which nginx does not store.
    proxy_cache_path {nd}/cache/tiles levels=1:2 keys_zone=tiles:20m max_size=2g inactive=1d
                     use_temp_path=off;
    proxy_cache_path {nd}/cache/static levels=1:2 keys_zone=static:5m max_size=512m inactive=1d
                     use_temp_path=off;

    upstream geogmina_app {{
        server 127.0.0.1:{app1} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:{app2} max_fails=1 fail_timeout=5s;
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{port};
        server_name localhost 127.0.0.1;

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 2s;
        proxy_read_timeout 60s;
        # A node that is down or refuses: the other one gets the request. nginx never retries
        # a POST (non-idempotent) this way, so a write is never sent twice.
        proxy_next_upstream error timeout http_502;
        proxy_next_upstream_tries 2;

        location ~ ^/(tiles|rasters)/ {{
            proxy_pass http://geogmina_app;
            proxy_cache tiles;
            proxy_cache_key $scheme$host$request_uri;
            # A logged-in viewer (session) or an HTTP Basic client is never answered from the
            # shared cache, nor stored in it: his tiles depend on his grants.
            proxy_cache_bypass $cookie_sessionid $http_authorization;
            proxy_no_cache $cookie_sessionid $http_authorization;
            # Django says Vary: Cookie; anonymous answers do not depend on cookies (above)
            proxy_ignore_headers Vary;
            proxy_cache_lock on;
            proxy_cache_use_stale error timeout updating http_502 http_503;
            add_header X-Cache-Status $upstream_cache_status always;
        }}

        location /static/ {{
            proxy_pass http://geogmina_app;
            proxy_cache static;
            proxy_cache_key $scheme$host$request_uri;
            proxy_cache_valid 200 10m;
            proxy_cache_use_stale error timeout updating http_502 http_503;
            add_header X-Cache-Status $upstream_cache_status always;
        }}

        location / {{
            proxy_pass http://geogmina_app;
        }}
    }}
}}
"""


def _nginx_cmd(*extra: str) -> list[str]:
    nd = nginx_dir()
    return [NGINX, "-p", f"{nd}/", "-c", str(nd / "nginx.conf"), "-e", str(nd / "error.log"),
            *extra]


def write_nginx_conf() -> None:
    nd = nginx_dir()
    for sub in ("tmp", "cache/tiles", "cache/static"):
        (nd / sub).mkdir(parents=True, exist_ok=True)
    user = ""
    if os.geteuid() == 0:
        user = "user www-data;\n"
        www = pwd.getpwnam("www-data")
        for p in [nd / "tmp", nd / "cache", *(nd / "cache").iterdir(), *(nd / "tmp").iterdir()]:
            os.chown(p, www.pw_uid, www.pw_gid)
    (nd / "nginx.conf").write_text(NGINX_CONF.format(
        user=user, nd=nd, app1=APP_PORTS[0], app2=APP_PORTS[1], port=HTTP_PORT))


def nginx_pid() -> int | None:
    return _pid(nginx_dir() / "nginx.pid")


def start_nginx() -> None:
    if not Path(NGINX).exists():
        raise SystemExit("cluster: nginx is missing: run scripts/install-system-deps.sh")
    if nginx_pid():
        return
    write_nginx_conf()
    subprocess.run(_nginx_cmd("-t", "-q"), check=True)
    subprocess.run(_nginx_cmd(), check=True)
    _wait_http(f"http://127.0.0.1:{HTTP_PORT}/health/")
    _log(f"nginx on http://127.0.0.1:{HTTP_PORT}/ (cache under {nginx_dir() / 'cache'})")


def stop_nginx() -> None:
    pid = nginx_pid()
    if pid is None:
        return
    subprocess.run(_nginx_cmd("-s", "quit"), check=False)
    for _ in range(100):
        if nginx_pid() is None:
            break
        time.sleep(0.1)
    _log("nginx stopped")


def clear_tile_cache() -> None:
    """Empty the tile cache (tests start from a known state; nginx keeps running)."""
    cache = nginx_dir() / "cache" / "tiles"
    if cache.exists():
        for p in cache.iterdir():
            shutil.rmtree(p, ignore_errors=True)


# --- the whole -------------------------------------------------------------------------------

def start() -> None:
    cluster_dir().mkdir(parents=True, exist_ok=True)
    dbctl.start()
    start_replica()
    collectstatic()
    for node in (1, 2):  # both boot at once (importing Django takes seconds)
        start_node(node, wait=False)
    for node in (1, 2):
        wait_node(node)
    start_nginx()
    _log("up: " + status_line())


def stop() -> None:
    stop_nginx()
    for node in (1, 2):
        stop_node(node)
    stop_replica()
    _log("stopped (the primary keeps running: `make db-stop` stops it)")


def status_line() -> str:
    parts = [f"primary={'up' if dbctl.is_running() else 'down'}",
             f"replica={'up' if replica_running() else 'down'}"]
    parts += [f"app{n}={'up' if _pid(_pidfile(n)) else 'down'}" for n in (1, 2)]
    parts.append(f"nginx={'up' if nginx_pid() else 'down'}")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=[
        "start", "stop", "status", "replica-stop", "replica-start", "node-stop", "node-kill",
        "node-start", "primary-restart", "clear-tile-cache"])
    parser.add_argument("node", nargs="?", type=int, choices=(1, 2))
    args = parser.parse_args(argv)
    if args.command == "start":
        start()
    elif args.command == "stop":
        stop()
    elif args.command == "status":
        print(status_line())
    elif args.command == "replica-stop":
        stop_replica()
    elif args.command == "replica-start":
        start_replica()
    elif args.command == "node-stop":
        stop_node(args.node or 1)
    elif args.command == "node-kill":
        stop_node(args.node or 1, signal.SIGKILL)
    elif args.command == "node-start":
        start_node(args.node or 1)
    elif args.command == "primary-restart":
        dbctl.stop()
        dbctl.start()
    elif args.command == "clear-tile-cache":
        clear_tile_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
