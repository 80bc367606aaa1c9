"""Run actions at the same moment from several threads, as two officers pressing save at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def at_once(actions: Sequence[Callable[[], T]], timeout: float = 30) -> list[T]:
    """Each action in its own thread, all released together by a barrier; their results in
    order. An action's exception is raised here (after all threads ended): a test must see it,
    not a missing result. Each thread closes its own database connection (a thread's connection
    left open would block the test database's teardown)."""
    barrier = threading.Barrier(len(actions))
    results: list[T | None] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = actions[i]()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]
