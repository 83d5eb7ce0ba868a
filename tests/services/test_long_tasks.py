"""The long_tasks row as a worker reports to it (services/long_tasks.py), on both databases:
a stage reaches the row in its own transaction, so another session reads it while the work
runs; a long loop writes a bounded number of rows, counted not timed; inside the work's own
guarded write on SQLite the stage stays in this process until the lock is released."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from innocell.extensions import db
from innocell.models import LongTask
from innocell.services import long_tasks
from innocell.services.tx import transaction
from tests.conftest import FIXED_NOW


def _progress(task_id: int, hook=None) -> long_tasks.Progress:
    return long_tasks.Progress(task_id, session_factory=lambda: Session(db.engine), clock=lambda: FIXED_NOW,
                               work_session=db.session(), sqlite=db.engine.dialect.name == "sqlite", hook=hook)


def _row(task_id: int) -> LongTask:
    with Session(db.engine) as other:  # what any other app instance reads
        task = other.get(LongTask, task_id)
        other.expunge(task)
        return task


def test_each_stage_reaches_the_row_and_a_long_loop_writes_about_fifty_times(session, manager):
    task = long_tasks.create_task(session, kind="export", owner=manager, params={}, now=FIXED_NOW)
    seen = []
    progress = _progress(task.id, hook=lambda task_id, stage: seen.append(_row(task_id).done))
    progress("Counting")
    assert _row(task.id).stage == "Counting" and _row(task.id).status == "running"
    for done in range(10_001):
        progress("Writing rows %(done)s of %(total)s", done=done, total=10_000)
    assert 50 <= len(seen) <= 53  # the first "Counting", then every 200 rows and the last
    row = _row(task.id)
    assert (row.done, row.total, row.stage_args["done"]) == (10_000, 10_000, 10_000)
    assert long_tasks.fraction(long_tasks.live_state(row)) == 1.0

    long_tasks.finish(session, task.id, result={"rows": 10_000}, output=b"file", output_name="x.csv",
                      output_mime="text/csv", now=FIXED_NOW)
    row = _row(task.id)
    assert (row.status, row.finished_at, row.result) == ("done", FIXED_NOW, {"rows": 10_000})


def test_inside_the_works_own_write_the_stage_is_kept_on_sqlite_and_written_on_postgresql(session, manager,
                                                                                          backend):
    task = long_tasks.create_task(session, kind="round_commit", owner=manager, params={}, now=FIXED_NOW)
    progress = _progress(task.id)
    progress("Locking")

    @transaction
    def work(s):
        progress("Solving")
        return _row(task.id).stage

    in_row = work(db.session)
    assert in_row == ("Solving" if backend == "postgresql" else "Locking")
    state = long_tasks.live_state(_row(task.id))  # this process's answer
    assert state["stage"] == "Solving" and state["status"] == "running"
    long_tasks.fail(session, task.id, message="No.", now=FIXED_NOW + timedelta(seconds=5))
    row = _row(task.id)
    assert (row.status, row.error) == ("failed", "No.")
    assert long_tasks.live_state(row)["stage"] == in_row  # what the process kept is gone with the end
