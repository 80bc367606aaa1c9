"""Backup and restore of the whole database with pg_dump/pg_restore (custom format).

A backup is one file holding schema, data, PostGIS objects and the tile SQL functions; restoring
it into an empty database gives every table back row for row (tests/db/test_backup.py).
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from gis_app.dbctl import pg_bin


def _conn_args(db: dict[str, Any], name: str | None = None) -> tuple[list[str], dict[str, str]]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return [*args, "-d", name or str(db["NAME"])], env


def backup(db: dict[str, Any], target_dir: Path, name: str | None = None) -> Path:
    """Dump the database to ``target_dir/geogmina-<db>-<timestamp>.dump``.

    The dump holds owners, tax data and the encrypted PESELs: the file is created 0600 (and a
    new folder 0700) before a byte is written, whatever the umask; a failed dump is removed.
    """
    target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    dbname = name or str(db["NAME"])
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = target_dir / f"geogmina-{dbname}-{stamp}.dump"
    args, env = _conn_args(db, dbname)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode is masked by the umask; 0600 needs nothing masked
        with os.fdopen(fd, "wb") as out:
            subprocess.run([pg_bin("pg_dump"), "--format=custom", "--no-owner", *args],
                           check=True, env=env, stdout=out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def restore(db: dict[str, Any], dump: Path, name: str | None = None) -> None:
    """Restore ``dump`` into the database ``name`` (which must exist and be empty)."""
    if not dump.is_file():
        raise FileNotFoundError(f"no backup file at {dump}")
    args, env = _conn_args(db, name)
    subprocess.run([pg_bin("pg_restore"), "--no-owner", "--exit-on-error",
                    "--single-transaction", *args, str(dump)], check=True, env=env)
