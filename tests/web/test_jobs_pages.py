"""The managers' job page: every run in a paginated, filterable history, and "Run now"."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from innocell.extensions import db
from innocell.jobs.runner import JOBS
from innocell.models import AuditEvent, JobRun

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def _runs(n, job="reminders", error=None):
    for i in range(n):
        db.session.add(JobRun(job=job, tick=NOW - timedelta(minutes=i), started_at=NOW - timedelta(minutes=i),
                              finished_at=NOW - timedelta(minutes=i) + timedelta(seconds=2),
                              counts={"reminded": i}, message=f"{i} reminded", error=error, trigger="scheduler"))
    db.session.commit()


def test_only_managers_and_admins_see_the_page(client, login, make_user):
    assert client.get("/manage/jobs").status_code == 302  # to sign in
    for role, status in (("resident", 403), ("finance", 403), ("manager", 200), ("admin", 200)):
        login(make_user(role))
        assert client.get("/manage/jobs").status_code == status, role
        assert client.post("/manage/jobs/reminders/run").status_code == (302 if status == 200 else 403)
        client.post("/logout")


def test_lists_every_job_and_an_empty_history(client, login, make_user):
    login(make_user("manager"))
    page = client.get("/manage/jobs").get_data(as_text=True)
    for name in JOBS:
        assert f'data-testid="run-{name}"' in page
    assert 'data-testid="no-history"' in page


def test_run_now_records_a_manual_run_and_an_audit_row(client, login, make_user):
    manager = make_user("manager")
    login(manager)
    response = client.post("/manage/jobs/lease_end/run", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "lease_end ran: nothing to do." in page
    db.session.rollback()
    run = db.session.execute(select(JobRun)).scalar_one()
    assert (run.job, run.trigger, run.error, run.counts) == ("lease_end", "manual", None, {"ended": 0})
    audit = db.session.execute(select(AuditEvent).where(AuditEvent.action == "job.run")).scalar_one()
    assert audit.actor_id == manager.id and audit.details["job"] == "lease_end"
    assert "<code>lease_end</code>" in page and "manual" in page
    assert client.post("/manage/jobs/no-such-job/run").status_code == 404


def test_history_is_paginated_and_filtered_by_job(client, login, make_user, app):
    app.config["PAGE_SIZE"] = 10
    _runs(25, "reminders")
    _runs(3, "renewals", error="Traceback...\nRuntimeError: boom")
    login(make_user("manager"))
    page = client.get("/manage/jobs").get_data(as_text=True)
    assert "Page 1 of 3" in page
    only = client.get("/manage/jobs?job=renewals").get_data(as_text=True)
    history = only.split('data-testid="job-history"')[1]
    assert history.count("<code>renewals</code>") == 3 and "<code>reminders</code>" not in history
    assert "RuntimeError: boom" in only and "status-failed" in only
    last = client.get("/manage/jobs?job=reminders&page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last and "24 reminded" in last
    assert client.get("/manage/jobs?job=bogus&page=x").status_code == 200
