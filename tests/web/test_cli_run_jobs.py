"""`flask --app innocell run-jobs [--at ISO8601]` (CONTRACT.md section 3)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select

from innocell.extensions import db
from innocell.jobs.runner import JOBS
from innocell.models import JobRun, Lease, Notification, Unit

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=["run-jobs", *args])
    db.session.rollback()
    return result


def count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _lease_ending_on(make_user, day: date) -> Lease:
    user = make_user("resident")
    unit = Unit(code="07-01", unit_type="solo", floor=7, monthly_rent=Decimal("8500"), occupancy=1,
                status="available", created_at=NOW)
    db.session.add(unit)
    db.session.flush()
    lease = Lease(unit_id=unit.id, user_id=user.id, start_date=date(2026, 6, 5), end_date=day,
                  monthly_rent=Decimal("8500"), status="active", created_at=NOW)
    db.session.add(lease)
    db.session.commit()
    return lease


def test_runs_every_job_once_and_prints_a_line_each(app, make_user):
    lease = _lease_ending_on(make_user, date(2026, 12, 5))
    result = invoke(app, "--at", "2026-12-05T09:00")  # local time (Hong Kong)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == list(JOBS)
    assert "lease_end: 1 ended" in lines
    assert "mail: 1 skipped" in lines  # no SMTP_URL in tests: logged, not sent
    assert db.session.get(Lease, lease.id).status == "ended"
    runs = list(db.session.execute(select(JobRun)).scalars())
    assert len(runs) == len(JOBS) and {r.trigger for r in runs} == {"cli"}
    assert {r.tick for r in runs} == {datetime(2026, 12, 5, 1, 0, tzinfo=timezone.utc)}


def test_running_twice_at_one_instant_changes_nothing_the_second_time(app, make_user):
    _lease_ending_on(make_user, date(2026, 12, 5))
    assert invoke(app, "--at", "2026-12-05T09:00:00+08:00").exit_code == 0
    notices, runs = count(Notification), count(JobRun)
    again = invoke(app, "--at", "2026-12-05T01:00:00Z")  # the same instant written in UTC
    assert again.exit_code == 0, again.output
    lines = again.stdout.strip().splitlines()
    assert len(lines) == len(JOBS)
    assert all("already ran this tick" in line for line in lines), lines
    assert (count(Notification), count(JobRun)) == (notices, runs)


def test_a_bad_instant_exits_1_with_one_line_and_runs_nothing(app):
    result = invoke(app, "--at", "next tuesday")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "next tuesday" in result.stderr
    assert count(JobRun) == 0


def test_without_at_it_runs_as_of_now(app):
    result = invoke(app)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == len(JOBS)
    assert count(JobRun, JobRun.trigger == "cli") == len(JOBS)


def test_one_job_can_be_chosen(app):
    result = invoke(app, "--at", "2026-12-01T10:00", "--job", "reminders")
    assert result.exit_code == 0
    assert result.stdout.strip() == "reminders: nothing to do"
    assert invoke(app, "--job", "nope").exit_code == 1


def test_scheduler_wiring_once_per_process(app):
    from innocell.jobs.scheduler import start_scheduler, stop_scheduler

    assert start_scheduler(app) is None  # INNOCELL_SCHEDULER is off in tests
    app.config.update(INNOCELL_SCHEDULER=True, JOB_INTERVAL_SECONDS=60, JOB_MISFIRE_GRACE_SECONDS=300)
    scheduler = start_scheduler(app, paused=True)
    try:
        assert scheduler is not None
        assert start_scheduler(app) is None  # never a second scheduler in one process
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {f"innocell-{name}" for name in JOBS}
        for job in jobs.values():
            assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (300, True, 1)
            assert job.trigger.interval.total_seconds() == 60
        assert str(scheduler.timezone) == "Asia/Hong_Kong"
    finally:
        stop_scheduler()
