"""Once per tick across processes, and convergence after a crash, on SQLite and PostgreSQL.

- Two `flask run-jobs --at T` processes against one database at the same instant: every job's
  tick is claimed by exactly one of them and every effect happens exactly once.
- Two processes at different ticks (both claim, both run, at once): the jobs are idempotent by
  state, so the effects still happen once.
- A job that fails half-way (an error raised after some items were done) and is run again at
  the same instant finishes the rest without repeating what was done.
"""
from __future__ import annotations

import os
import subprocess
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.jobs.runner import JOBS, run_job
from innocell.models import Booking, JobRun, Lease, Notification, Offer, Space, Unit, WaitlistEntry
from innocell.services import reminders as reminders_svc
from innocell.services import waitlist_promotion as promotion_svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tue 1 Dec 2026 10:00 in Hong Kong


def hk(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


def count(session, model, *where):
    return session.execute(select(func.count(model.id)).where(*where)).scalar_one()


@pytest.fixture
def world(session, make_user):
    """Work for every job: 4 leases to renew, 2 to end, 2 free units and 3 waiting entries,
    4 bookings to remind, 1 no-show."""
    people = [make_user("resident") for _ in range(8)]
    units = []
    for i in range(8):
        unit = Unit(code=f"02-{i:02d}", unit_type="solo", floor=2, monthly_rent=Decimal("8000"), occupancy=1,
                    status="available", created_at=NOW)
        session.add(unit)
        units.append(unit)
    session.flush()
    for i in range(4):  # inside the renewal window
        session.add(Lease(unit_id=units[i].id, user_id=people[i].id, start_date=date(2026, 1, 10 + i),
                          end_date=date(2027, 1, 10 + i), monthly_rent=Decimal("8000"), status="active", created_at=NOW))
    for i in (4, 5):  # ended yesterday
        session.add(Lease(unit_id=units[i].id, user_id=people[i].id, start_date=date(2025, 11, 30),
                          end_date=date(2026, 11, 30), monthly_rent=Decimal("8000"), status="active", created_at=NOW))
    for i in range(3):
        session.add(WaitlistEntry(user_id=people[5 + i].id, unit_type="solo", priority_tier=3,
                                  joined_at=NOW - timedelta(days=10 - i), status="waiting"))
    # units[6] and units[7] are free; units[4] and [5] become free once their leases end.
    lab = Space(code="WL1", name="Wet Lab 1", kind="wet_lab", capacity=4, requires_checkin=True, created_at=NOW)
    session.add(lab)
    session.flush()
    for i in range(4):
        session.add(Booking(space_id=lab.id, user_id=people[i].id, start_at=hk(1, 14 + i), end_at=hk(1, 15 + i),
                            hold_end_at=hk(1, 15 + i), status="confirmed", created_at=NOW - timedelta(days=1)))
    session.add(Booking(space_id=lab.id, user_id=people[7].id, start_at=hk(1, 9, 30), end_at=hk(1, 11),
                        hold_end_at=hk(1, 11), status="confirmed", created_at=NOW - timedelta(days=1)))
    session.commit()
    return people


def _run_jobs(database_url, project_root, at):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "INNOCELL_SCHEDULER": "0",
           "SMTP_URL": ""}
    return subprocess.Popen([str(project_root / ".venv/bin/flask"), "--app", "innocell", "run-jobs", "--at", at],
                            cwd=project_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _assert_each_effect_once(session, people):
    session.rollback()
    assert count(session, Offer, Offer.kind == "renewal") == 4
    assert count(session, Offer, Offer.kind == "renewal", Offer.status == "open") == 4
    assert len(set(session.execute(select(Offer.lease_id).where(Offer.kind == "renewal")).scalars())) == 4
    assert count(session, Lease, Lease.status == "ended") == 2
    waitlist_offers = list(session.execute(select(Offer).where(Offer.kind == "waitlist")).scalars())
    assert len(waitlist_offers) == 3  # four free units, three people waiting: one offer each
    assert len({o.user_id for o in waitlist_offers}) == 3 and len({o.unit_id for o in waitlist_offers}) == 3
    assert count(session, Notification, Notification.kind == "reminder") == 4
    assert count(session, Booking, Booking.reminder_sent_at.is_not(None)) == 4
    assert count(session, Booking, Booking.end_reason == "no-show") == 1  # released: ended early, not erased
    assert count(session, Notification, Notification.kind == "no_show") == 1
    assert count(session, Notification, Notification.kind == "offer_renewal") == 4
    assert count(session, Notification, Notification.kind == "offer_waitlist") == 3
    assert count(session, Notification, Notification.kind == "lease_ended") == 2


def test_two_processes_at_the_same_tick_run_each_effect_once(session, world, database_url, project_root):
    at = NOW.isoformat()
    procs = [_run_jobs(database_url, project_root, at) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert len(out.strip().splitlines()) == len(JOBS)
    for name in JOBS:
        lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith(f"{name}: ")]
        assert len(lines) == 2
        assert sum("already ran this tick" in line for line in lines) == 1, lines
    session.rollback()
    runs = list(session.execute(select(JobRun)).scalars())
    assert sorted(r.job for r in runs) == sorted(JOBS) and all(r.error is None and r.finished_at for r in runs)
    _assert_each_effect_once(session, world)


def test_two_processes_at_different_ticks_still_change_the_state_once(session, world, database_url, project_root):
    procs = [_run_jobs(database_url, project_root, NOW.isoformat()),
             _run_jobs(database_url, project_root, (NOW + timedelta(seconds=90)).isoformat())]
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "already ran" not in out
    session.rollback()
    assert count(session, JobRun) == 2 * len(JOBS)
    _assert_each_effect_once(session, world)


def test_a_job_that_fails_half_way_converges_when_run_again(app, session, world, monkeypatch):
    real_notify = reminders_svc.notify
    calls = {"n": 0}

    def flaky_notify(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("mail relay exploded")
        return real_notify(*args, **kwargs)

    monkeypatch.setattr(reminders_svc, "notify", flaky_notify)
    failed = run_job(app, "reminders", NOW, "cli")
    assert failed.status == "failed" and "mail relay exploded" in failed.error
    session.rollback()
    assert count(session, Notification, Notification.kind == "reminder") == 2
    assert count(session, Booking, Booking.reminder_sent_at.is_not(None)) == 2  # the third rolled back whole
    row = session.execute(select(JobRun).where(JobRun.job == "reminders")).scalar_one()
    assert row.error and "mail relay exploded" in row.error

    monkeypatch.setattr(reminders_svc, "notify", real_notify)
    again = run_job(app, "reminders", NOW, "cli")  # the failed tick may be claimed again
    assert again.status == "ran" and again.counts == {"reminded": 2}
    assert run_job(app, "reminders", NOW, "cli").status == "skipped"
    assert run_job(app, "reminders", NOW + timedelta(minutes=5), "cli").counts == {"reminded": 0}
    session.rollback()
    reminded = list(session.execute(select(Notification.link, Notification.user_id)
                                    .where(Notification.kind == "reminder")).all())
    assert len(reminded) == 4
    assert count(session, Booking, Booking.reminder_sent_at.is_not(None)) == 4
    row = session.execute(select(JobRun).where(JobRun.job == "reminders", JobRun.tick == NOW)).scalar_one()
    assert row.error is None and row.counts == {"reminded": 2}


def test_an_offer_that_fails_after_the_entry_was_claimed_puts_the_entry_back(app, session, world, monkeypatch):
    real_make_offer = promotion_svc.make_offer
    calls = {"n": 0}

    def crashing_make_offer(session_, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real_make_offer(session_, **kwargs)

    monkeypatch.setattr(promotion_svc, "make_offer", crashing_make_offer)
    assert run_job(app, "waitlist", NOW, "cli").status == "failed"
    session.rollback()
    assert count(session, Offer, Offer.kind == "waitlist") == 1
    assert count(session, WaitlistEntry, WaitlistEntry.status == "offered") == 1
    assert count(session, WaitlistEntry, WaitlistEntry.status == "waiting") == 2

    monkeypatch.setattr(promotion_svc, "make_offer", real_make_offer)
    assert run_job(app, "waitlist", NOW + timedelta(minutes=1), "cli").counts["offered"] == 2
    session.rollback()
    assert count(session, WaitlistEntry, WaitlistEntry.status == "offered") == 3
    assert count(session, Offer, Offer.kind == "waitlist") == 3


def test_an_entry_left_claimed_by_a_killed_process_is_put_back_in_line(app, session, world):
    entry = session.execute(select(WaitlistEntry).order_by(WaitlistEntry.joined_at)).scalars().first()
    entry.status = "offered"  # claimed, then the process died before the offer was made
    session.commit()
    result = run_job(app, "waitlist", NOW, "cli")
    assert result.counts["entries put back in line"] == 1 and result.counts["offered"] == 3
    session.rollback()
    offer = session.execute(select(Offer).where(Offer.waitlist_entry_id == entry.id)).scalar_one()
    assert offer.status == "open"
