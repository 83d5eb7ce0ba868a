"""Spaces booked by the hour, and the claims on them.

Claims design: lab bookings and housing leases live in two tables (`bookings`,
`leases`) that share one mechanism rather than one polymorphic claim table. A booking is
an instant interval (timestamptz) on a space of capacity N with a buffer; a lease is a
date interval on a unit of capacity one. Keeping each in its natural type lets PostgreSQL
guard each with its own exclusion constraint (`tstzrange` vs `daterange`) and keeps
reports simple, while the check itself is written once: both go through the pure
`innocell.allocation` core and the same guarded write (`innocell.services.guard`).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime

BOOKING_STATUSES = ("pending", "confirmed", "cancelled")

DEFAULT_OPENING_HOURS = {day: [["08:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


class SpaceKind(db.Model):
    """A kind of space (wet lab, meeting room...): a managed list, so a space's `kind` is one of
    these keys, and the person's limits per kind (weekly quota, simultaneous bookings) live here."""

    __tablename__ = "space_kinds"
    __table_args__ = (
        CheckConstraint("quota_hours >= 0", name="ck_space_kinds_quota"),
        CheckConstraint("simultaneous >= 1", name="ck_space_kinds_simultaneous"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    label_zh: Mapped[str | None] = mapped_column(String(100))  # for Chinese readers; NULL: the label
    quota_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))  # a resident's hours a week in spaces of the kind
    simultaneous: Mapped[int] = mapped_column(Integer)  # bookings one resident may hold at the same instant
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Space(db.Model):
    __tablename__ = "spaces"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="ck_spaces_capacity"),
        CheckConstraint("slot_minutes >= 1", name="ck_spaces_slot"),
        CheckConstraint("min_minutes >= 1 AND max_minutes >= min_minutes", name="ck_spaces_lengths"),
        CheckConstraint("buffer_minutes >= 0", name="ck_spaces_buffer"),
        CheckConstraint("max_days_ahead >= 0", name="ck_spaces_horizon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    opening_hours: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_OPENING_HOURS))
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    min_minutes: Mapped[int] = mapped_column(Integer, default=30)
    max_minutes: Mapped[int] = mapped_column(Integer, default=480)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_days_ahead: Mapped[int] = mapped_column(Integer, default=60)
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_authorisation: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_checkin: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_on_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A holder's cancellation less than this many hours before the start is a late cancellation
    # (recorded on the booking with the fee below); 0: no late-cancellation window.
    late_cancel_hours: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    late_cancel_fee: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"), server_default="0")
    # What a resident searches by (services/space_attributes.py): equipment tags, seats, floor, a photo.
    equipment: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    seats: Mapped[int | None] = mapped_column(Integer)
    floor: Mapped[str | None] = mapped_column(String(20))
    photo_url: Mapped[str | None] = mapped_column(String(500))


class Blackout(db.Model):
    """A one-off period a space cannot be booked (maintenance, events)."""

    __tablename__ = "blackouts"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_blackouts_interval"),
        Index("ix_blackouts_space_start", "space_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    space: Mapped[Space] = relationship()


class RecurringBlackout(db.Model):
    """A weekly closed window in local time, e.g. every Monday 08:00-10:00 cleaning."""

    __tablename__ = "recurring_blackouts"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_recurring_blackouts_weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_time: Mapped[str] = mapped_column(String(5))  # "HH:MM" local
    end_time: Mapped[str] = mapped_column(String(5))  # "HH:MM" local, "24:00" allowed
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # exclusive
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    space: Mapped[Space] = relationship()


class Booking(db.Model):
    """A claim on a space over [start_at, end_at). `hold_end_at` is end_at plus the space's
    buffer when booked: two holds overlap exactly when the buffer between the bookings is
    too short, so PostgreSQL's exclusion constraint over [start_at, hold_end_at) backs up
    the allocator for capacity-one spaces (`exclusive`)."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_bookings_interval"),
        CheckConstraint("hold_end_at >= end_at", name="ck_bookings_hold"),
        CheckConstraint("status IN ('pending','confirmed','cancelled')", name="ck_bookings_status"),
        Index("ix_bookings_space_start", "space_id", "start_at"),
        Index("ix_bookings_user_start", "user_id", "start_at"),
        ExcludeConstraint(
            (text("space_id"), "="),
            (func.tstzrange(text("start_at"), text("hold_end_at"), text("'[)'")), "&&"),
            where=text("status <> 'cancelled' AND exclusive"),
            using="gist",
            name="ex_bookings_no_overlap",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hold_end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="confirmed")
    title: Mapped[str] = mapped_column(String(200), default="")
    series_id: Mapped[str | None] = mapped_column(String(36), index=True)  # repeat_weeks group
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Ended early while under way (by its holder, a manager, a blackout or a no-show release):
    # the used part [start_at, end_at) stays booked and billed; booked_end_at keeps the end as booked.
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booked_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(300))
    # Cancelled by its holder inside the space's late-cancellation window, and the fee then.
    late_cancel: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    late_cancel_fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # Made by a manager on behalf of the holder (user_id): who booked it; None when self-booked.
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The iCalendar SEQUENCE of its event (feed and emailed invites): raised by every change,
    # approval, rejection and cancellation, so a calendar app keeps the newest version.
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    space: Mapped[Space] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])


class Authorisation(db.Model):
    """A training gate passed: the user may book the space until expires_at."""

    __tablename__ = "authorisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    space: Mapped[Space] = relationship()


class SlotRequest(db.Model):
    """A resident's wish for a slot that was taken; booked automatically when it frees."""

    __tablename__ = "slot_requests"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ck_slot_requests_interval"),
        CheckConstraint("status IN ('waiting','booked','expired','cancelled')", name="ck_slot_requests_status"),
        Index("ix_slot_requests_space_start", "space_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    reason: Mapped[str | None] = mapped_column(String(300))

    space: Mapped[Space] = relationship()
    user: Mapped[User] = relationship()


class SpaceActivePeriod(db.Model):
    """A stretch of time a space was open for booking: from its creation or reactivation
    (`start_at`) to its deactivation (`end_at`, None while still active). Reports count a
    space's open hours only inside these periods."""

    __tablename__ = "space_active_periods"
    __table_args__ = (
        CheckConstraint("end_at IS NULL OR end_at >= start_at", name="ck_space_active_periods_interval"),
        Index("ix_space_active_periods_space_start", "space_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
