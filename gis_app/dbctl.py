"""Control the embedded PostgreSQL + PostGIS cluster under ``var/pg``.

Used by the Makefile before Django is configured, so it imports nothing of Django and nothing
of the project. The cluster listens only on a unix socket inside ``var/`` (no TCP), on its own
port number so it never collides with a system server on 5432.

PostgreSQL refuses to run as root; when we are root (CI, these machines) every server command
runs as the ``postgres`` OS user created by Debian's package, and ``var/pg`` belongs to it.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 54329
DB_USER = "geogmina"
DB_NAME = "geogmina"
EXTENSIONS = ("postgis", "pg_trgm", "unaccent")


def var_dir() -> Path:
    return Path(os.environ.get("GEOGMINA_VAR_DIR", BASE_DIR / "var")).resolve()


def pg_dir() -> Path:
    return var_dir() / "pg"


def data_dir() -> Path:
    return pg_dir() / "data"


def socket_dir() -> Path:
    return pg_dir() / "run"


def port() -> int:
    return int(os.environ.get("GEOGMINA_DB_PORT", DEFAULT_PORT))


def pg_bin(name: str) -> str:
    """Find a PostgreSQL server binary: Debian keeps them off PATH under /usr/lib/postgresql."""
    for version in ("15", "16", "17"):
        candidate = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"dbctl: {name} not found; install postgresql-15-postgis-3 (make deps)")
    return found


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _make_traversable(path: Path) -> None:
    """As root, let the ``postgres`` user reach ``path``: clones may sit under 0700 folders."""
    pg = pwd.getpwnam("postgres")
    for parent in [path, *path.parents]:
        st = parent.stat()
        if not st.st_mode & 0o001 and st.st_uid != pg.pw_uid:
            os.chmod(parent, st.st_mode | 0o001)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(_as_server_user(cmd), check=True, **kw)


def is_running() -> bool:
    pid_file = data_dir() / "postmaster.pid"
    if not pid_file.exists():
        return False
    result = subprocess.run(
        _as_server_user([pg_bin("pg_ctl"), "status", "-D", str(data_dir())]),
        capture_output=True,
    )
    return result.returncode == 0


def init() -> None:
    if (data_dir() / "PG_VERSION").exists():
        return
    pg_dir().mkdir(parents=True, exist_ok=True)
    socket_dir().mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        _make_traversable(var_dir())
        pg = pwd.getpwnam("postgres")
        for p in (pg_dir(), socket_dir()):
            os.chown(p, pg.pw_uid, pg.pw_gid)
    print(f"dbctl: creating the embedded cluster in {data_dir()}")
    _run(
        [
            pg_bin("initdb"),
            "-D", str(data_dir()),
            "--username", DB_USER,
            "--auth", "trust",
            "--encoding", "UTF8",
            "--locale", "C.UTF-8",
        ],
        stdout=subprocess.DEVNULL,
    )
    conf = data_dir() / "postgresql.conf"
    with conf.open("a") as fh:
        fh.write(
            "\n# geogmina embedded cluster\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{socket_dir()}'\n"
            "max_connections = 100\n"
            "shared_buffers = 512MB\n"
            "work_mem = 32MB\n"
            "maintenance_work_mem = 256MB\n"
            "fsync = on\n"
            "synchronous_commit = off\n"
            "max_wal_size = 2GB\n"
            "log_min_messages = warning\n"
        )


def start() -> None:
    init()
    if os.geteuid() == 0:
        _make_traversable(var_dir())
    if is_running():
        print(f"dbctl: already running on {socket_dir()} port {port()}")
        return
    _run(
        [
            pg_bin("pg_ctl"), "start", "-w", "-t", "60",
            "-D", str(data_dir()),
            "-l", str(pg_dir() / "server.log"),
            "-o", f"-p {port()} -k {socket_dir()}",
        ],
        stdout=subprocess.DEVNULL,
    )
    _ensure_database()
    print(f"dbctl: running on {socket_dir()} port {port()}")


def _psql(sql: str, db: str = "postgres") -> str:
    result = subprocess.run(
        [pg_bin("psql"), "-h", str(socket_dir()), "-p", str(port()), "-U", DB_USER,
         "-d", db, "-tAc", sql],
        check=True, capture_output=True, text=True,
    )
    return result.stdout.strip()


def _ensure_database() -> None:
    for _ in range(50):
        try:
            exists = _psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'")
            break
        except subprocess.CalledProcessError:
            time.sleep(0.2)
    else:
        raise SystemExit("dbctl: the server started but does not accept connections")
    if not exists:
        _psql(f"CREATE DATABASE {DB_NAME}")
    for ext in EXTENSIONS:
        _psql(f"CREATE EXTENSION IF NOT EXISTS {ext}", db=DB_NAME)


def stop() -> None:
    if not is_running():
        print("dbctl: not running")
        return
    _run([pg_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(data_dir())],
         stdout=subprocess.DEVNULL)
    print("dbctl: stopped")


def url() -> str:
    return f"postgis://{DB_USER}@/{DB_NAME}?host={socket_dir()}&port={port()}"


def use_bench_database(name: str) -> None:
    """Point ``DATABASE_URL`` at database ``name`` of the embedded cluster, created if missing.

    Benchmarks call it before Django is set up, so that their rows never land in the
    developer's own database; a ``DATABASE_URL`` already set is left as it is."""
    if "DATABASE_URL" in os.environ:
        return
    import psycopg2

    os.environ["DATABASE_URL"] = url().replace(f"/{DB_NAME}?", f"/{name}?")
    conn = psycopg2.connect(dbname=DB_NAME, user=DB_USER, host=str(socket_dir()), port=port())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "status", "url", "restart"])
    args = parser.parse_args(argv)
    if args.command == "start":
        start()
    elif args.command == "stop":
        stop()
    elif args.command == "restart":
        stop()
        start()
    elif args.command == "status":
        running = is_running()
        print("running" if running else "stopped")
        return 0 if running else 3
    elif args.command == "url":
        print(url())
    return 0


if __name__ == "__main__":
    sys.exit(main())
