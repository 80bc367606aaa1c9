"""``load_demo`` end to end in a fresh database: wall clock, CPU and peak RSS per phase.

    .venv/bin/python benchmarks/demo_town.py [--parcels 100000] [--no-hooks] [--keep]

Creates ``geogmina_bench_demo`` in the project's cluster from a migrated template (the
migration is timed once, apart), then runs ``manage.py load_demo --parcels N --timings`` in a
fresh process: the command's own table (wall clock, the process's CPU, the database backend's
CPU per phase: generating, each import phase, each register's demo hook), then the child's
total CPU and peak RSS (``getrusage``) and the load average before and after (``uptime``).
``BENCH_PROFILE=1``: the import's slowest statements (``importers.profiling``) as well.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BENCH_DB = "geogmina_bench_demo"
TEMPLATE = "geogmina_bench_demo_migrated"


def _conn(dbname: str):
    import psycopg2

    from gis_app import dbctl

    conn = psycopg2.connect(dbname=dbname, user=dbctl.DB_USER, host=str(dbctl.socket_dir()),
                            port=dbctl.port())
    conn.autocommit = True
    return conn


def _url(dbname: str) -> str:
    from gis_app import dbctl

    head, _, query = dbctl.url().partition("?")
    return head.rsplit("/", 1)[0] + "/" + dbname + "?" + query


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def fresh_database(name: str = BENCH_DB) -> dict[str, str]:
    """A fresh migrated database ``name``; the template is migrated once (timed), then
    copied."""
    admin = _conn("postgres")
    with admin.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datname IN (%s, %s)",
                    [name, TEMPLATE])
        have = {r[0] for r in cur.fetchall()}
        if TEMPLATE not in have:
            cur.execute(f'CREATE DATABASE "{TEMPLATE}"')
            env = dict(os.environ, DATABASE_URL=_url(TEMPLATE), GEOGMINA_DEBUG="1")
            t = time.perf_counter()
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                           cwd=REPO, env=env, check=True)
            print(f"demo_town: migrated the template in {time.perf_counter() - t:.1f} s",
                  file=sys.stderr)
        if name in have:
            cur.execute(f'DROP DATABASE "{name}"')
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    admin.close()
    return dict(os.environ, DATABASE_URL=_url(name), GEOGMINA_DEBUG="1")


CHILD = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gis_app.settings")
django.setup()
from django.core.management import call_command
from importers import profiling
if os.environ.get("BENCH_PROFILE"):
    profiling.TIMINGS = {}
call_command("load_demo", *sys.argv[1:])
if profiling.TIMINGS:
    for sql, took in sorted(profiling.TIMINGS.items(), key=lambda kv: -kv[1])[:20]:
        print(f"{took:8.2f} s  {sql}")
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--no-hooks", action="store_true")
    ap.add_argument("--db", default=BENCH_DB,
                    help="another database (and var/ directory for the files): two runs at once")
    args = ap.parse_args()
    env = fresh_database(args.db)
    if args.db != BENCH_DB:
        env["GEOGMINA_VAR_DIR"] = str(REPO / "var" / args.db)
    argv = ["--parcels", str(args.parcels), "--timings"] + (["--no-hooks"] if args.no_hooks
                                                            else [])
    print(f"demo_town: load before {_load()}", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, *argv], cwd=REPO, env=env, check=True)
    wall = time.perf_counter() - t
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = kids.ru_utime + kids.ru_stime - before.ru_utime - before.ru_stime
    print(f"demo_town: {args.parcels} plots{' (no hooks)' if args.no_hooks else ''}: "
          f"wall {wall:.1f} s, CPU of the command and its workers "
          f"{cpu:.1f} s, peak RSS {kids.ru_maxrss / 1024:.0f} MB; "
          f"load after {_load()}")


if __name__ == "__main__":
    main()
