"""Where ``load_demo``'s time goes: wall clock, this process's CPU and the database server's
CPU per phase.

The server's CPU is read from ``/proc/<backend pid>/stat`` of this connection's backend, which
exists only when the database runs on this host (the embedded cluster under ``var/``); elsewhere
it is reported as unknown. The parser worker processes of a big import are children of this
process: their CPU is counted once they have ended (``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field

from django.db import connection

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _own_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _backend_pid() -> int | None:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            return int(cur.fetchone()[0])
    except Exception:  # timing is a courtesy, never a reason to fail
        return None


def _server_cpu(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class Phase:
    name: str
    wall_s: float = 0.0
    cpu_s: float = 0.0
    server_cpu_s: float | None = None


@dataclass
class PhaseClock:
    """``clock.phase(name)`` closes the running phase and opens the next; ``clock.stop()``
    closes the last. Phases of the same name add up."""

    phases: dict[str, Phase] = field(default_factory=dict)
    _name: str | None = None
    _t: float = 0.0
    _cpu: float = 0.0
    _server: float | None = None
    _pid: int | None = None

    def phase(self, name: str) -> None:
        self._close()
        self._pid = _backend_pid()  # the connection may be new (Django reconnects)
        self._name, self._t, self._cpu = name, time.monotonic(), _own_cpu()
        self._server = _server_cpu(self._pid)

    def stop(self) -> None:
        self._close()
        self._name = None

    def _close(self) -> None:
        if self._name is None:
            return
        p = self.phases.setdefault(self._name, Phase(self._name))
        p.wall_s += time.monotonic() - self._t
        p.cpu_s += _own_cpu() - self._cpu
        server = _server_cpu(self._pid)
        if server is not None and self._server is not None:
            p.server_cpu_s = (p.server_cpu_s or 0.0) + server - self._server

    def table(self) -> list[str]:
        """One line per phase: wall, process CPU, server CPU (seconds)."""
        lines = [f"{'phase':<34} {'wall s':>8} {'cpu s':>8} {'server s':>9}"]
        for p in self.phases.values():
            server = "?" if p.server_cpu_s is None else f"{p.server_cpu_s:.1f}"
            lines.append(f"{p.name[:34]:<34} {p.wall_s:8.1f} {p.cpu_s:8.1f} {server:>9}")
        total = sum(p.wall_s for p in self.phases.values())
        lines.append(f"{'total':<34} {total:8.1f} "
                     f"{sum(p.cpu_s for p in self.phases.values()):8.1f}")
        return lines
