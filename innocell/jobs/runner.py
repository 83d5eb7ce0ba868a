"""The scheduled jobs and the runner that makes each job's tick happen once.

Job functions take (session, now, config) and call services one item at a time; each service
step is its own transaction (services.tx), so a crash mid-run keeps the finished items and a
re-run does the rest: every step re-checks the state under a lock or a conditional UPDATE
(idempotent by state). Nothing here commits or rolls back: the services own that.

`run_job` first claims the tick: it inserts JobRun(job, tick) where tick is `now` truncated
to JOB_INTERVAL_SECONDS; the unique (job, tick) key lets exactly one process win, the others
skip with "already ran this tick". A run that failed (error recorded) may be claimed again
at the same tick (conditional UPDATE on the failed row), so `run-jobs --at T` after a crash
finishes the work. A process killed mid-run leaves its claim unfinished; the next tick picks
the remaining work up because the jobs work from the state, not from the tick.
"""
from __future__ import annotations

import json
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..services import ServiceError
from ..services.tx import discard, transaction

log = logging.getLogger("innocell.jobs")
UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _tz(config) -> ZoneInfo:
    return ZoneInfo(config["INNOCELL_TIMEZONE"])


def _each(session: Session, ids, step: Callable[[int], object], counts: dict, key_for: Callable[[object], str | None],
          errors_key: str = "refused") -> None:
    """Run `step` (a @transaction service call) per item; a refused item (ServiceError) was
    rolled back by its own transaction and is counted; anything else propagates (the run
    records the error)."""
    for item_id in ids:
        try:
            outcome = step(item_id)
        except ServiceError:
            counts[errors_key] = counts.get(errors_key, 0) + 1
            continue
        key = key_for(outcome)
        if key:
            counts[key] = counts.get(key, 0) + 1


# ----------------------------------------------------------------------------- job functions


def job_lease_end(session: Session, now: datetime, config) -> dict:
    from ..services import lease_end

    today = now.astimezone(_tz(config)).date()
    counts = {"ended": 0}
    _each(session, lease_end.due_lease_ids(session, today),
          lambda i: lease_end.end_lease(session, i, today=today, now=now), counts, lambda ok: "ended" if ok else None)
    return counts


def job_offer_expiry(session: Session, now: datetime, config) -> dict:
    """Open offers past their deadline expire (housing.offers.expire_offers, one transaction): a
    renewal's lease becomes 'ending'; an allocation offer's application lapses; a waitlist
    offer's entry leaves the queue, so the unit passes to the next entry."""
    from ..services.housing.offers import expire_offers

    counts = {"renewal": 0, "allocation": 0, "waitlist": 0}
    for offer in expire_offers(session, now=now):
        counts[offer.kind] = counts.get(offer.kind, 0) + 1
    return {f"{kind} offers expired": n for kind, n in counts.items()}


def job_renewals(session: Session, now: datetime, config) -> dict:
    from ..services import renewals

    tz = _tz(config)
    counts = {"offered": 0, "notices": 0}
    today = now.astimezone(tz).date()
    _each(session, renewals.due_lease_ids(session, today, int(config["RENEWAL_NOTICE_DAYS"])),
          lambda i: renewals.offer_renewal(session, i, now=now, tz=tz, config=config), counts,
          lambda outcome: {"offered": "offered", "notice": "notices"}.get(outcome))
    return counts


def job_waitlist(session: Session, now: datetime, config) -> dict:
    from ..services import waitlist_promotion as wp

    tz = _tz(config)
    counts = {"offered": 0}
    _each(session, wp.orphaned_entry_ids(session), lambda i: wp.release_orphaned_entry(session, i), counts,
          lambda ok: "entries put back in line" if ok else None)
    _each(session, wp.candidate_unit_ids(session, now.astimezone(tz).date()),
          lambda i: wp.promote_unit(session, i, now=now, tz=tz, config=config), counts,
          lambda offer: "offered" if offer is not None else None)
    return counts


def job_reminders(session: Session, now: datetime, config) -> dict:
    from ..services import reminders

    hours = int(config["REMINDER_HOURS"])
    tz = _tz(config)
    counts = {"reminded": 0}
    _each(session, reminders.due_booking_ids(session, now, hours),
          lambda i: reminders.remind(session, i, now=now, hours=hours, tz=tz), counts,
          lambda ok: "reminded" if ok else None)
    return counts


def job_no_show(session: Session, now: datetime, config) -> dict:
    from ..services import no_show

    grace = int(config["NO_SHOW_GRACE_MINUTES"])
    tz = _tz(config)
    counts = {"released": 0}
    _each(session, no_show.due_booking_ids(session, now, grace),
          lambda i: no_show.release(session, i, now=now, grace_minutes=grace, tz=tz), counts,
          lambda ok: "released" if ok else None)
    return counts


def job_slot_waitlist(session: Session, now: datetime, config) -> dict:
    from ..services import slot_waitlist

    tz = _tz(config)
    counts = {"expired": 0, "booked": 0}
    _each(session, slot_waitlist.expired_request_ids(session, now),
          lambda i: slot_waitlist.expire_request(session, i, now=now, tz=tz), counts,
          lambda ok: "expired" if ok else None)
    _each(session, slot_waitlist.waiting_request_ids(session, now),
          lambda i: slot_waitlist.try_book(session, i, now=now, tz=tz), counts,
          lambda booking: "booked" if booking is not None else None)
    return counts


def job_prune_logins(session: Session, now: datetime, config) -> dict:
    """Sign-in attempts older than any throttle reads are deleted (one transaction)."""
    from ..services import login_throttle

    policy = login_throttle.ThrottlePolicy.from_config(config)
    return {"old sign-in attempts removed": login_throttle.prune(session, now=now, policy=policy)}


def job_prune_keys(session: Session, now: datetime, config) -> dict:
    from ..services import idempotency

    return {"idempotency keys removed": idempotency.prune(session, now=now)}


def job_retention(session: Session, now: datetime, config) -> dict:
    from ..services import retention

    months = int(config["RETENTION_MONTHS"])
    counts = {"people anonymised": 0}
    _each(session, retention.due_ids(session, now=now, months=months),
          lambda i: retention.anonymise(session, i, now=now, months=months), counts,
          lambda done: "people anonymised" if done else None)
    return counts


def job_backup(session: Session, now: datetime, config) -> dict:
    """A daily SQLite backup into BACKUP_DIR, keeping the newest BACKUP_KEEP (off when unset)."""
    from pathlib import Path

    from ..services import backup

    if not config.get("BACKUP_DIR"):
        return {}
    made = backup.daily_backup(session.get_bind(), Path(config["BACKUP_DIR"]), today=now.astimezone(_tz(config)).date(),
                               keep=int(config["BACKUP_KEEP"]))
    return {"backups made": 1 if made else 0}


def job_webhooks(session: Session, now: datetime, config) -> dict:
    from ..services import webhooks

    return webhooks.deliver_due(session, now, timeout=float(config.get("WEBHOOK_TIMEOUT_SECONDS", 5)),
                                max_attempts=int(config.get("WEBHOOK_MAX_ATTEMPTS", webhooks.MAX_ATTEMPTS)))


def job_mail(session: Session, now: datetime, config) -> dict:
    from ..services import mailer

    return mailer.send_pending(session, now, config)


def job_charges(session: Session, now: datetime, config) -> dict:
    """The last finished month is charged; it and CHARGES_ADJUST_MONTHS months before it get
    adjustment lines for changes since (services.ledger.charges, one transaction a month)."""
    from ..models import JobRun
    from ..services.ledger import charges

    tz = _tz(config)
    every = timedelta(minutes=int(config["CHARGES_EVERY_MINUTES"]))
    throttled = "checked within the last minutes"
    recent = session.execute(select(JobRun.counts).where(
        JobRun.job == "charges", JobRun.finished_at.is_not(None), JobRun.error.is_(None),
        JobRun.tick > now - every, JobRun.tick <= now)).scalars()
    if any(throttled not in (c or {}) for c in recent):  # a month is recomputed whole: not every minute
        return {throttled: int(config["CHARGES_EVERY_MINUTES"])}
    counts = {"charge lines": 0, "adjustments": 0}
    for month in charges.months_to_check(session, now, tz, int(config["CHARGES_ADJUST_MONTHS"])):
        try:
            outcome = charges.charge_month(session, month, now=now, tz=tz)
        except ServiceError:
            counts["refused"] = counts.get("refused", 0) + 1
            continue
        counts["charge lines"] += outcome.charged
        counts["adjustments"] += outcome.adjusted
    return counts


def N_(message: str) -> str:
    """Marks a job's description for the catalogue; the jobs page shows it translated."""
    return message


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[Session, datetime, dict], dict]
    description: str


# In run order: ends before promotions, releases before the slot waitlist, mail last (after
# every other job's transactions have committed).
JOBS: dict[str, Job] = {job.name: job for job in (
    Job("lease_end", job_lease_end, N_("Leases whose end has passed become 'ended'; their unit is free.")),
    Job("offer_expiry", job_offer_expiry, N_("Open offers past their deadline expire: a renewal's lease becomes "
                                             "'ending', a waitlist offer passes to the next entry, an allocation "
                                             "offer's application lapses.")),
    Job("renewals", job_renewals, N_("Renewal offers (or max-tenure notices) for leases inside the notice window.")),
    Job("waitlist", job_waitlist, N_("Free units are offered to the first waitlist entry of their type.")),
    Job("no_show", job_no_show, N_("Bookings not checked in within the grace period are released.")),
    Job("slot_waitlist", job_slot_waitlist, N_("Waiting slot requests are booked when their slot frees; requests "
                                               "expire at the slot's start.")),
    Job("reminders", job_reminders, N_("One reminder per booking starting within the reminder window.")),
    Job("prune_logins", job_prune_logins, N_("Sign-in attempts older than the throttling window are deleted.")),
    Job("prune_keys", job_prune_keys, N_("Idempotency keys older than a day are deleted.")),
    Job("retention", job_retention, N_("People who left the park RETENTION_MONTHS ago, holding nothing live, are "
                                       "anonymised; their records stay.")),
    Job("charges", job_charges, N_("The last finished month is charged (rent per lease-month, fees per booking); "
                                   "recent months get adjustment lines for changes since.")),
    Job("backup", job_backup, N_("A daily copy of an SQLite database into BACKUP_DIR (when set), keeping BACKUP_KEEP.")),
    Job("webhooks", job_webhooks, N_("Outbox events are posted, signed, to the registered webhook endpoints; "
                                     "failures are retried with back-off.")),
    Job("mail", job_mail, N_("Outbox notices are emailed (or logged without SMTP_URL).")),
)}


# ----------------------------------------------------------------------------- running a tick


@dataclass
class RunResult:
    job: str
    tick: datetime
    status: str  # ran | skipped | failed
    counts: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def summary(self) -> str:
        if self.status == "skipped":
            return f"already ran this tick ({self.tick.isoformat()}); nothing done"
        if self.status == "failed":
            return f"failed: {self.error.strip().splitlines()[-1] if self.error else 'unknown error'}"
        return describe(self.counts)


def describe(counts: dict) -> str:
    if not counts or not any(counts.values()):
        return "nothing to do"
    return ", ".join(f"{value} {key}" for key, value in counts.items() if value)


def tick_for(now: datetime, interval_seconds: int) -> datetime:
    """`now` truncated to the job interval (aligned to the Unix epoch, in UTC)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    seconds = int((now.astimezone(UTC) - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=seconds - seconds % max(int(interval_seconds), 1))


@transaction
def _insert_claim(session: Session, job: str, tick: datetime, trigger: str, started: datetime) -> int:
    from ..models import JobRun

    run = JobRun(job=job, tick=tick, started_at=started, trigger=trigger, counts={})
    session.add(run)
    session.flush()
    return run.id


@transaction
def _retake_failed(session: Session, job: str, tick: datetime, trigger: str, started: datetime) -> int | None:
    from ..models import JobRun

    taken = session.execute(
        update(JobRun).where(JobRun.job == job, JobRun.tick == tick, JobRun.error.is_not(None))
        .values(error=None, finished_at=None, started_at=started, trigger=trigger, counts={},
                message="retry of a failed run")
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not taken:
        return None
    return session.execute(select(JobRun.id).where(JobRun.job == job, JobRun.tick == tick)).scalar_one()


def _claim(session: Session, job: str, tick: datetime, trigger: str, started: datetime):
    """Insert the (job, tick) row; on a duplicate, take over a failed run. Returns the JobRun
    id or None when another run owns the tick."""
    try:
        return _insert_claim(session, job, tick, trigger, started)
    except IntegrityError:
        return _retake_failed(session, job, tick, trigger, started)


@transaction
def _finish(session: Session, run_id: int, *, finished: datetime, counts: dict, error: str | None) -> None:
    from ..models import JobRun

    session.execute(
        update(JobRun).where(JobRun.id == run_id)
        .values(finished_at=finished, counts=counts, error=error,
                message=(describe(counts) if error is None else "failed")[:500])
        .execution_options(synchronize_session=False)
    )


def run_job(app, name: str, now: datetime, trigger: str = "scheduler", clock: Callable[[], datetime] | None = None,
            interval_seconds: int | None = None) -> RunResult:
    """Run one job as of `now`, once per tick across processes; record it in job_runs.
    `interval_seconds` overrides JOB_INTERVAL_SECONDS for the tick (a manager's "Run now" uses
    1 s, so it runs even when the scheduler has just done this minute's tick)."""
    from ..extensions import db, strict_writes
    from ..services.audit_trail import acting

    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(JOBS)}")
    clock = clock or app.config.get("CLOCK") or (lambda: datetime.now(UTC))
    with app.app_context():
        session = db.session()  # the context's real Session (the scoped proxy lacks some methods)
        config = app.config
        tick = tick_for(now, int(interval_seconds or config["JOB_INTERVAL_SECONDS"]))
        # A fresh app context has its own session (Flask-SQLAlchemy scopes sessions by app
        # context), closed when the context ends.
        strict = strict_writes.set(bool(config.get("STRICT_WRITES")))
        started = time.perf_counter()
        audit_token = acting(job=name, at=now)
        audit_token.__enter__()  # the job is the actor of its changes (and who ran it by hand, if anyone)
        try:
            run_id = _claim(session, name, tick, trigger, clock())
            if run_id is None:
                return RunResult(name, tick, "skipped")
            try:
                counts = JOBS[name].func(session, now, config)
                error = None
            except Exception:  # noqa: BLE001 - recorded on the run, shown to managers
                discard(session)
                counts, error = {}, traceback.format_exc()[-4000:]
                log.exception("Job %s failed at tick %s", name, tick.isoformat())
            _finish(session, run_id, finished=clock(), counts=counts, error=error)
            result = RunResult(name, tick, "ran" if error is None else "failed", counts, error)
            log.info("job name=%s tick=%s trigger=%s status=%s ms=%.1f counts=%s", name, tick.isoformat(), trigger,
                     result.status, (time.perf_counter() - started) * 1000, json.dumps(counts, sort_keys=True))
            return result
        finally:
            audit_token.__exit__(None, None, None)
            strict_writes.reset(strict)


def run_all(app, now: datetime, trigger: str = "cli") -> list[RunResult]:
    return [run_job(app, name, now, trigger) for name in JOBS]
