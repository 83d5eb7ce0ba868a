"""The job history (job_runs) as managers read it, and the audit of a run by hand."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import JobRun, User
from .audit import record
from .tx import transaction


def history_query(job: str | None = None):
    stmt = select(JobRun)
    if job:
        stmt = stmt.where(JobRun.job == job)
    return stmt.order_by(JobRun.tick.desc(), JobRun.id.desc())


def last_runs(session: Session) -> dict[str, JobRun]:
    """The latest run of each job."""
    latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    rows = session.execute(select(JobRun).join(latest, latest.c.id == JobRun.id)).scalars()
    return {run.job: run for run in rows}


def last_tick(session: Session):
    """When any job last started (None before the first run): the scheduler's heartbeat."""
    return session.execute(select(func.max(JobRun.started_at))).scalar_one()


def run_state(run: JobRun) -> str:
    if run.error:
        return "failed"
    if run.finished_at is None:
        return "running"
    return "ran"


@transaction
def record_manual_run(session: Session, *, actor: User, job: str, status: str, counts: dict, now) -> None:
    """Audit a manager's "Run now" (the run itself is recorded by the job runner)."""
    record(session, actor_id=actor.id, action="job.run", target_type="job", target_id=None, now=now,
           job=job, status=status, counts=counts)
