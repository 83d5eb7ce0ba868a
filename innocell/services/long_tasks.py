"""Long work run off the request (issue 17): the long_tasks row that an allocation round or a
large export writes its progress to, and that any app instance reads for the progress page.

- The request creates the row (`create_task`) and hands the work to a worker thread
  (innocell/jobs/background.py); the worker reports stages through a `Progress`, and ends
  with `finish` or `fail`. Each write is its own short guarded transaction on a session of
  its own, so progress is visible while the work's own transaction is still open.
- On SQLite one writer holds the file at a time: while the work itself holds a guarded write
  (a round's commit), a progress write would wait for it. Then the stage is kept in this
  process only (`_LIVE`) and the row catches up at the next write outside it; this process's
  status answers read it. PostgreSQL writes every stage.
- Stages are English messages with %(name)s arguments, marked with N_ and translated where
  they are shown (web/tasks.py).
- Who may see a task: the person who started it; a round's task also every manager and
  admin (the round is the housing office's, and a colleague may take over the page).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..models import LongTask, User
from . import NotFound
from .tx import in_transaction, transaction

KINDS = ("round_preview", "round_commit", "export")
ROUND_KINDS = ("round_preview", "round_commit")
FINISHED = ("done", "failed")
log = logging.getLogger("innocell.tasks")
KEEP_FILES = timedelta(days=1)
KEEP_FINISHED = timedelta(days=30)
# Progress rows are written when the stage changes and about this many times in between.
STEPS = 50


def N_(message: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return message


STARTING = N_("Waiting for a worker")
UNEXPECTED = N_("The work stopped on an unexpected error and changed nothing. The error is logged; "
                "try again, and tell an administrator if it happens again.")

_LIVE: dict[int, dict] = {}
_LIVE_LOCK = threading.Lock()


@transaction
def create_task(session: Session, *, kind: str, owner: User, params: dict, now: datetime) -> LongTask:
    """A new piece of work, queued. Finished work is forgotten on the way: an export's stored
    file a day after it was made (KEEP_FILES), anything else after KEEP_FINISHED."""
    if kind not in KINDS:
        raise ValueError(kind)
    session.execute(delete(LongTask).where(LongTask.finished_at.is_not(None), or_(
        LongTask.finished_at < now - KEEP_FINISHED,
        and_(LongTask.kind == "export", LongTask.finished_at < now - KEEP_FILES))))
    task = LongTask(kind=kind, owner_id=owner.id, status="queued", stage=STARTING, stage_args={}, done=0,
                    params=dict(params), created_at=now, updated_at=now)
    session.add(task)
    session.flush()
    _forget(task.id)  # a stage kept from an earlier database's task of the same id (tests)
    return task


def may_see(task: LongTask, viewer: User | None) -> bool:
    if viewer is None:
        return False
    if task.owner_id == viewer.id:
        return True
    return task.kind in ROUND_KINDS and viewer.role in ("manager", "admin")


def visible_task(session: Session, task_id: int, viewer: User | None) -> LongTask:
    """The task if this person may see it; anyone else's (or none) is NotFound, not forbidden:
    an id says nothing about work that is not yours."""
    task = session.get(LongTask, task_id) if 0 < task_id < 2**31 else None
    if task is None or not may_see(task, viewer):
        raise NotFound("No such piece of work, or it is not yours to see.")
    return task


def live_state(task: LongTask) -> dict:
    """stage, stage_args, done, total, status as they stand now: the row, or this process's
    newer stage while the work holds SQLite's write lock."""
    state = {"status": task.status, "stage": task.stage, "stage_args": dict(task.stage_args or {}),
             "done": task.done, "total": task.total}
    if task.status not in FINISHED:
        with _LIVE_LOCK:
            live = _LIVE.get(task.id)
        if live is not None:
            state.update(live)
    return state


def fraction(state: dict) -> float | None:
    """How far, 0 to 1 (None: a step whose length is not known)."""
    if state.get("status") == "done":
        return 1.0
    total = state.get("total")
    if not total:
        return None
    return max(0.0, min(1.0, state.get("done", 0) / total))


@transaction
def save_progress(session: Session, task_id: int, *, stage: str, args: dict, done: int, total: int | None,
                  now: datetime) -> None:
    task = session.get(LongTask, task_id)
    if task is None or task.status in FINISHED:
        return
    task.status, task.stage, task.stage_args = "running", stage, dict(args)
    task.done, task.total, task.updated_at = done, total, now


@transaction
def finish(session: Session, task_id: int, *, result: dict, now: datetime, output: bytes | None = None,
           output_name: str | None = None, output_mime: str | None = None) -> None:
    task = session.get(LongTask, task_id)
    task.status, task.result, task.error = "done", dict(result), None
    task.stage, task.stage_args = N_("Done"), {}
    if task.total:
        task.done = task.total
    task.output, task.output_name, task.output_mime = output, output_name, output_mime
    task.updated_at = task.finished_at = now
    _forget(task_id)


@transaction
def fail(session: Session, task_id: int, *, message: str, now: datetime) -> None:
    task = session.get(LongTask, task_id)
    task.status, task.error = "failed", message
    task.updated_at = task.finished_at = now
    _forget(task_id)


def _forget(task_id: int) -> None:
    with _LIVE_LOCK:
        _LIVE.pop(task_id, None)


class Progress:
    """What a worker calls as it goes: `progress(N_("Writing offers %(done)s of %(total)s"),
    done=i, total=n)`. Writes the row when the stage changes and every total/STEPS items
    (counted, not timed, so the same run writes the same stages); `hook(task_id, stage)`
    runs after each write (tests hold the worker there)."""

    def __init__(self, task_id: int, *, session_factory: Callable[[], Session], clock: Callable[[], datetime],
                 work_session: Session | None = None, sqlite: bool = False,
                 hook: Callable[[int, str], None] | None = None):
        self.task_id = task_id
        self._factory, self._clock, self._work, self._sqlite, self._hook = (
            session_factory, clock, work_session, sqlite, hook)
        self._stage: str | None = None
        self._next_done = 0
        self.writes: list[str] = []

    def __call__(self, stage: str, *, done: int = 0, total: int | None = None, **args) -> None:
        if stage == self._stage and done < self._next_done and done != total:
            return
        self._stage = stage
        self._next_done = done + max(1, (total or 0) // STEPS)
        values = {"status": "running", "stage": stage, "stage_args": {**args, "done": done, "total": total},
                  "done": done, "total": total}
        with _LIVE_LOCK:
            _LIVE[self.task_id] = values
        if not (self._sqlite and self._work is not None and in_transaction(self._work)):
            try:
                with self._factory() as session:
                    save_progress(session, self.task_id, stage=stage, args=values["stage_args"], done=done,
                                  total=total, now=self._clock())
            except DBAPIError:  # progress is news, not the work: a busy database does not stop it
                log.warning("Progress of long task %s not written", self.task_id, exc_info=True)
        self.writes.append(stage)
        if self._hook is not None:
            self._hook(self.task_id, stage)
