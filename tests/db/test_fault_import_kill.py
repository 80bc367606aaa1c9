"""An import killed with SIGKILL half-way leaves the database exactly as before; the next import
of the same file succeeds.

"Exactly as before" here means: every ``layers_*`` table and every ``importers_*`` table other
than ``importers_importrun`` hold the same rows (count, and md5 of all rows sorted by their text
form).
``importers_importrun`` may gain exactly ONE row: the run record is committed before the import's
transaction opens (so a failure can be reported even when the import itself rolls back), so a
killed import leaves its run behind with status "running" and no end time, and nothing else. No
advisory lock, no open transaction and no backend of the killed process survive it. The next
import notices the orphaned run (its per-run session lock died with the process) and marks it
failed as interrupted, so no run claims to be running forever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from importers.demo.generator import DemoTown
from importers.merge import STAGED
from importers.models import ImportRun
from importers.services import LOCK_CLASS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REPO = Path(__file__).resolve().parents[2]
APP_NAME = "geogmina-killed-import"


def _tables() -> list[str]:
    with connection.cursor() as cur:
        cur.execute("""SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                       AND (tablename LIKE 'layers\\_%' OR tablename LIKE 'importers\\_%')
                       ORDER BY tablename""")
        return [r[0] for r in cur.fetchall()]


def snapshot(skip: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Row count and md5 of every row (text form, primary-key order) of each table."""
    out: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cur:
        for table in _tables():
            if table in skip:
                continue
            cur.execute("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY "
                        f"t::text), '')) FROM \"{table}\" t")
            out[table] = cur.fetchone()
    return out


def _env() -> dict[str, str]:
    db = settings.DATABASES["default"]  # pytest-django has renamed NAME to the test database
    env = dict(os.environ)
    env["DATABASE_URL"] = (f"postgis://{db['USER']}:{db.get('PASSWORD') or ''}@/{db['NAME']}"
                           f"?host={db['HOST']}&port={db['PORT']}")
    env["PGAPPNAME"] = APP_NAME  # libpq: lets the test find the importer's backend
    env.setdefault("GEOGMINA_DEBUG", "1")
    return env


def _import(path: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_cadastre", "--no-progress", str(path)],
        cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def _importer_backends() -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute("""SELECT pid, state, xact_start IS NOT NULL, left(query, 60)
                       FROM pg_stat_activity WHERE application_name = %s""", [APP_NAME])
        return cur.fetchall()


def _advisory_locks() -> int:
    with connection.cursor() as cur:
        cur.execute("""SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                       WHERE l.locktype = 'advisory' AND l.classid::bigint = %s
                       AND d.datname = current_database()""", [LOCK_CLASS])
        return cur.fetchone()[0]


def test_sigkill_mid_import_changes_nothing_and_next_import_succeeds(tmp_path):
    # A town already in the database, so "as before" is not just "empty".
    small = DemoTown(parcels=150, seed=3).write_gml(tmp_path / "small.gml")
    first = _import(small)
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 0, out
    assert ImportRun.objects.filter(status=ImportRun.Status.OK).count() == 1
    runs_before = set(ImportRun.objects.values_list("id", flat=True))
    before = snapshot(skip=("importers_importrun",))
    runs_snapshot = snapshot()["importers_importrun"]
    assert before["layers_parcel"][0] > 100

    big = DemoTown(parcels=1500, seed=7).write_gml(tmp_path / "big.gml")
    proc = _import(big)
    try:
        # Provably mid-way: the importer's backend is inside its transaction AND holds the
        # import's advisory lock, i.e. the file is staged and the merge into layers_* runs.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the import finished before it could be killed: " \
                "make the file bigger"
            if _advisory_locks() and any(in_tx for _, _, in_tx, _ in _importer_backends()):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the import never reached its merge")
        time.sleep(0.3)  # into the merge statements
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    # PostgreSQL notices the vanished client when the running statement next talks to it, then
    # rolls back; allow it that time, but it must happen.
    deadline = time.monotonic() + 60
    while (_importer_backends() or _advisory_locks()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _importer_backends() == [], "the killed importer's backend outlived it"
    assert _advisory_locks() == 0, "an advisory lock outlived the killed import"
    with connection.cursor() as cur:
        cur.execute("""SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                       AND state LIKE 'idle in transaction%%'""")
        assert cur.fetchone()[0] == 0

    assert snapshot(skip=("importers_importrun",)) == before
    killed = ImportRun.objects.exclude(id__in=runs_before)
    assert [(r.status, r.finished_at) for r in killed] == [(ImportRun.Status.RUNNING, None)]
    # where it stopped (staged and locked: past "reading"), as the admin showed it running
    stopped_at = killed[0].phase
    assert stopped_at == "checking" or stopped_at.startswith("merging "), stopped_at
    # Apart from that one new run record, the run table is untouched.
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    "FROM importers_importrun t WHERE id <> %s", [killed[0].id])
        assert cur.fetchone() == runs_snapshot

    again = _import(big)
    out, _ = again.communicate(timeout=180)
    assert again.returncode == 0, out
    last = ImportRun.objects.latest("id")
    assert last.status == ImportRun.Status.OK, last.message
    killed = ImportRun.objects.get(pk=killed[0].pk)
    assert killed.status == ImportRun.Status.FAILED and "interrupted" in killed.message
    assert killed.phase == stopped_at
    assert snapshot()["layers_parcel"][0] > before["layers_parcel"][0]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has finished; only its parent's reaping is left


def test_sigkill_while_parser_processes_run_leaves_nothing_behind(tmp_path):
    """A file big enough to be parsed by worker processes, killed while they feed the COPY:
    the workers stop (broken pipe), the backend rolls back, the database is as before."""
    from importers import parallel
    from tests.conftest import cadastre_benchmark

    bench = cadastre_benchmark()

    path = bench.generate(tmp_path / "big.gml", 40_000)
    assert path.stat().st_size > parallel.MIN_BYTES  # the production threshold applies
    before = snapshot(skip=("importers_importrun",))
    proc = _import(path)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not workers:
            assert proc.poll() is None, "the import finished before it could be killed"
            if any(q.startswith(f"COPY {STAGED}") for *_, q in _importer_backends()):
                workers = _children(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "no parser processes seen during the COPY"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    deadline = time.monotonic() + 60
    while (any(map(_alive, workers)) or _importer_backends() or _advisory_locks()) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(_alive, workers)), "a parser process outlived the killed import"
    assert _importer_backends() == [], "the killed importer's backend outlived it"
    assert snapshot(skip=("importers_importrun",)) == before
