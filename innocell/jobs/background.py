"""Long work off the request (issue 17): a page starts a long_tasks row, hands the work to this
process's small thread pool and answers at once with a progress page.

Why threads and not the APScheduler: the scheduler runs only where INNOCELL_SCHEDULER is on
(one process, ticking every minute), while a manager's round must start now on whichever
instance took the request. The row in the database, not the thread, is what every instance
reads; a thread that dies with its process leaves its row running, and the status answer
calls it lost once it has not moved for TASK_STALE_SECONDS.

`work(session, progress)` runs in an app context of its own (its own scoped session), under
STRICT_WRITES like a request, and returns a `TaskOutcome`. A ServiceError is shown as its
message; anything else is logged and shown as services.long_tasks.UNEXPECTED.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session

from ..services import ServiceError
from ..services import long_tasks
from ..services.tx import discard

log = logging.getLogger("innocell.tasks")

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_futures: dict[tuple[int, int], Future] = {}


@dataclass
class TaskOutcome:
    result: dict = field(default_factory=dict)
    output: bytes | None = None
    output_name: str | None = None
    output_mime: str | None = None


def _pool(app) -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=int(app.config.get("TASK_WORKERS", 2)),
                                           thread_name_prefix="innocell-task")
        return _executor


def submit(app, task_id: int, work: Callable[[Session, long_tasks.Progress], TaskOutcome]) -> Future:
    future = _pool(app).submit(_run, app, task_id, work)
    with _lock:
        _futures[(id(app), task_id)] = future
    future.add_done_callback(lambda _f: _drop(app, task_id, _f))
    return future


def _drop(app, task_id: int, future: Future) -> None:
    with _lock:
        if _futures.get((id(app), task_id)) is future:
            del _futures[(id(app), task_id)]


def wait(app, task_id: int, timeout: float = 60) -> None:
    """Block until this process's worker for the task has finished (tests, shutdown)."""
    with _lock:
        future = _futures.get((id(app), task_id))
    if future is not None:
        future.result(timeout=timeout)


def _run(app, task_id: int, work) -> None:
    from ..extensions import db, strict_writes
    from ..timeutil import utcnow

    with app.app_context():
        strict = strict_writes.set(bool(app.config.get("STRICT_WRITES")))
        session = db.session()
        progress = long_tasks.Progress(task_id, session_factory=lambda: Session(db.engine), clock=utcnow,
                                       work_session=session, sqlite=db.engine.dialect.name == "sqlite",
                                       hook=app.config.get("TASK_PROGRESS_HOOK"))
        try:
            try:
                outcome = work(session, progress)
            except ServiceError as exc:
                discard(session)
                long_tasks.fail(session, task_id, message=exc.message, now=utcnow())
                return
            except Exception:  # noqa: BLE001 - the page shows the failure, the log the cause
                log.exception("Long task %s failed", task_id)
                discard(session)
                long_tasks.fail(session, task_id, message=long_tasks.UNEXPECTED, now=utcnow())
                return
            long_tasks.finish(session, task_id, result=outcome.result, output=outcome.output,
                              output_name=outcome.output_name, output_mime=outcome.output_mime, now=utcnow())
        except Exception:  # noqa: BLE001 - the database itself failed: nothing more to record
            log.exception("Long task %s could not record its end", task_id)
        finally:
            db.session.remove()
            strict_writes.reset(strict)
