"""Thread races for the service tests: every task on its own thread, started together (each
task waits on its own barrier, so they are released at one instant), joined with a bound so a
deadlock fails the test instead of hanging it."""
from __future__ import annotations

import threading
from typing import Callable


def on_threads(tasks: list[Callable[[], object]], timeout: float = 300) -> list:
    """Each task's return value, in the order of `tasks` (None for a thread still running at the
    timeout, which the calling test's assertions then refuse)."""
    results: list = [None] * len(tasks)

    def run(i: int) -> None:
        results[i] = tasks[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results
