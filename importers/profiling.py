"""Statement timings of an import, for benchmarks: off unless ``TIMINGS`` is set to a dict.

    from importers import profiling
    profiling.TIMINGS = {}
    import_cadastre(path)
    for sql, seconds in sorted(profiling.TIMINGS.items(), key=lambda kv: -kv[1])[:10]: ...
"""

from __future__ import annotations

import time
from typing import Any

TIMINGS: dict[str, float] | None = None  # statement (first 80 characters) → seconds


class _TimedCursor:
    def __init__(self, cur: Any, timings: dict[str, float]) -> None:
        self._cur = cur
        self._timings = timings

    def execute(self, sql: str, params: Any = None) -> Any:
        started = time.perf_counter()
        try:
            return self._cur.execute(sql, params)
        finally:
            key = " ".join(sql.split())[:80]
            self._timings[key] = self._timings.get(key, 0.0) + time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


def cursor(cur: Any) -> Any:
    """``cur`` itself, or a cursor adding each statement's time to ``TIMINGS`` when it is set."""
    return _TimedCursor(cur, TIMINGS) if TIMINGS is not None else cur
