"""What one cadastre import carries from the service down to its steps."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from django.db import connection

from importers.models import ImportRun


@dataclass
class ImportResult:
    run: ImportRun
    counts: dict = field(default_factory=dict)
    issues: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.run.status != ImportRun.Status.FAILED


@dataclass
class Progress:
    """Where a long import is: ``on_batch(n)`` as staged features arrive, ``on_phase(name)``
    when the work moves on (the merge and the commit take most of a big file's time, and a bar
    frozen at the last staged feature looked hung). The phase is also written to the run's
    ``phase`` for the admin, through a connection of its own committing at once: the import's
    own transaction shows nothing until it ends."""

    on_batch: Callable[[int], None] | None = None
    on_phase: Callable[[str], None] | None = None
    run_id: int | None = None
    _conn: Any = None

    def phase(self, name: str) -> None:
        self._publish(name)
        if self.on_phase:
            self.on_phase(name)

    def _publish(self, name: str) -> None:
        if self.run_id is None:
            return
        try:
            if self._conn is None:
                self._conn = psycopg2.connect(**connection.get_connection_params())
                self._conn.autocommit = True
            with self._conn.cursor() as cur:
                cur.execute("UPDATE importers_importrun SET phase = %s WHERE id = %s",
                            (name[:80], self.run_id))
        except psycopg2.Error:
            self.close()
            self.run_id = None  # a courtesy to the admin: never a reason to fail an import

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()
            self._conn = None


@dataclass
class ImportJob:
    """One import of one file: what the caller asked for, the run that records it and the
    result it builds, carried down through the steps instead of a row of parameters.

    ``teryt``: the municipality the caller named (checked), else None: told by the file.
    ``complete``: the file is a complete extract of its precincts (absent objects retire).
    ``tolerance_m``: how far outside the municipality's stored boundary an object may lie."""

    path: Path
    run: ImportRun
    progress: Progress
    teryt: str | None = None
    dry_run: bool = False
    complete: bool = False
    tolerance_m: float = 0.0
    result: ImportResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = ImportResult(run=self.run)
