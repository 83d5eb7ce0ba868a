"""Operational records: the notification outbox, job runs, audit trail, report snapshots."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime


class Notification(db.Model):
    """Outbox row: written in the same transaction as the event it reports, shown in the
    inbox, emailed after commit when SMTP is configured. `dedupe_key` makes a notice once-only."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    # Sent to this address instead of the person's (an emailed link goes where it must).
    to_email: Mapped[str | None] = mapped_column(String(255))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sent|skipped|failed
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The booking the notice is about: its email carries that booking's .ics invite, built
    # from the booking row when the mail is sent (services/booking_invites.py).
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))

    user: Mapped[User] = relationship()


class JobRun(db.Model):
    """One tick of one job. The unique (job, tick) row is the claim that makes a tick run
    once across processes."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "tick", name="uq_job_runs_job_tick"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    tick: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(String(20), default="scheduler")  # scheduler|cli|manual


class AuditEvent(db.Model):
    """The audit trail, written once (services.audit_trail): a row per change of an audited
    row (kind created/changed/cancelled/deleted..., `before`/`after` the changed fields), and a
    row per explicit action (kind 'action', `details`), in the transaction of the change.
    `job` names the scheduled job that made it; `request_id` the request (X-Request-Id)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id"),
                      Index("ix_audit_events_actor", "actor_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_audit_events_on_behalf_of_id"))
    action: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="action", server_default="action", index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    job: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class ReportSnapshot(db.Model):
    """A month frozen by finance: its rows as they stood then."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("report", "month", "grouping", name="uq_report_snapshots"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(40))
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    grouping: Mapped[str] = mapped_column(String(40))
    rows: Mapped[list] = mapped_column(JSON, default=list)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(db.Model):
    """A caller's `Idempotency-Key` on an API write: the request it named (a hash of method,
    path, query and body) and, once answered, the answer to replay. Kept for a day."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CalendarFeed(db.Model):
    """A person's private calendar URL: /calendar/<user_id>/<token>.ics where the token is an
    HMAC of the app's secret and this salt. Rotating the salt retires every old URL; nothing
    that could be replayed is stored."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LongTask(db.Model):
    """Long work run off the request (an allocation round, a large export): who started it,
    the stage it reached as the worker writes it (an English message with its arguments,
    translated where it is shown), how far (done of total), and its outcome: a result (JSON),
    a file, or the error. Any app instance reads it to show the progress page."""

    __tablename__ = "long_tasks"
    __table_args__ = (Index("ix_long_tasks_owner_created", "owner_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # round_preview | round_commit | export
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued|running|done|failed
    stage: Mapped[str] = mapped_column(String(200), default="")
    stage_args: Mapped[dict] = mapped_column(JSON, default=dict)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    output: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    output_name: Mapped[str | None] = mapped_column(String(200))
    output_mime: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
