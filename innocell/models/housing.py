"""The residential tower: units, leases (claims over dates), applications, rounds,
offers and waitlists. Leases share the allocator mechanism with bookings (see spaces.py)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
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

UNIT_TYPES = ("solo", "twin", "suite", "powerhub")
LEASE_STATUSES = ("active", "ending", "ended", "terminated")
OFFER_KINDS = ("allocation", "waitlist", "renewal")
OFFER_STATUSES = ("open", "accepted", "declined", "expired")
APPLICATION_STATUSES = ("submitted", "offered", "waitlisted", "housed", "withdrawn")


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("occupancy >= 1", name="ck_units_occupancy"),
        CheckConstraint("status IN ('available','out_of_service')", name="ck_units_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    unit_type: Mapped[str] = mapped_column(String(20), index=True)
    floor: Mapped[int] = mapped_column(Integer, index=True)
    monthly_rent: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    occupancy: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="available")
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The park lets this unit for short stays booked directly by the night (not in rounds).
    short_stay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class UnitTypeInfo(db.Model):
    """What a unit type offers, as residents browse it: size, furnishings, a photo and a floor
    plan (links the park adds when it has them). Managers edit it; one row per type."""

    __tablename__ = "unit_type_info"

    unit_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    # The type's name for Chinese readers (pages and the label columns of exports); NULL: the
    # English name.
    name_zh: Mapped[str | None] = mapped_column(String(100))
    size_sqm: Mapped[int | None] = mapped_column(Integer)
    furnishings: Mapped[str | None] = mapped_column(String(1000))
    photo_url: Mapped[str | None] = mapped_column(String(500))
    plan_url: Mapped[str | None] = mapped_column(String(500))
    # Short stays in units of this type marked short_stay: the rate a night and the limits
    # (NULL: the defaults in config.py, SHORT_STAY_*).
    nightly_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    stay_max_nights: Mapped[int | None] = mapped_column(Integer)
    stay_days_ahead: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UnitOutage(db.Model):
    """A unit out of service over [start_date, end_date) with a reason; not available then."""

    __tablename__ = "unit_outages"
    __table_args__ = (CheckConstraint("end_date > start_date", name="ck_unit_outages_interval"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()


class Lease(db.Model):
    """A claim on a unit over [start_date, end_date). A terminated lease keeps the nights it
    really occupied (end_date moves to the termination date; to start_date, zero nights,
    when it is called off before move-in). PostgreSQL's exclusion
    constraints forbid two occupying leases of a unit to overlap, and two leases of one person
    (one home a night) unless a manager recorded the overlap as allowed (`overlap_allowed`,
    e.g. a handover night when moving units, with `overlap_reason`, audited)."""

    __tablename__ = "leases"
    __table_args__ = (
        # A lease terminated before move-in keeps no night: end_date == start_date.
        CheckConstraint("end_date > start_date OR (status = 'terminated' AND end_date = start_date)",
                        name="ck_leases_interval"),
        CheckConstraint("status IN ('active','ending','ended','terminated')", name="ck_leases_status"),
        CheckConstraint("kind IN ('home','short_stay')", name="ck_leases_kind"),
        Index("ix_leases_unit_start", "unit_id", "start_date"),
        # Two leases of one unit never overlap, except the two of one joint application (a twin
        # unit let to a pair): leases of another (or no) joint application always clash.
        ExcludeConstraint(
            (text("unit_id"), "="),
            (func.daterange(text("start_date"), text("end_date"), text("'[)'")), "&&"),
            (text("coalesce(joint_application_id, -id)"), "<>"),
            where=text("status IN ('active','ending','ended')"),
            using="gist",
            name="ex_leases_no_overlap",
        ).ddl_if(dialect="postgresql"),
        ExcludeConstraint(
            (text("user_id"), "="),
            (func.daterange(text("start_date"), text("end_date"), text("'[)'")), "&&"),
            where=text("status IN ('active','ending','ended','terminated') AND NOT overlap_allowed"),
            using="gist",
            name="ex_leases_person_no_overlap",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    monthly_rent: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(20), default="active")
    previous_lease_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    termination_reason: Mapped[str | None] = mapped_column(String(300))
    overlap_allowed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    overlap_reason: Mapped[str | None] = mapped_column(String(300))
    # 'short_stay': booked directly for nights at `nightly_rate` (monthly_rent 0); 'home' otherwise.
    kind: Mapped[str] = mapped_column(String(20), default="home", server_default="home")
    nightly_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # The joint application (a twin unit offered to a pair) this lease was accepted from: the
    # pair's two leases of the unit may overlap each other, and nothing else. (No foreign key:
    # applications already point at leases, and a cycle of keys would need deferred DDL.)
    joint_application_id: Mapped[int | None] = mapped_column(Integer)

    unit: Mapped[Unit] = relationship()
    user: Mapped[User] = relationship()


class HousingApplication(db.Model):
    __tablename__ = "housing_applications"
    __table_args__ = (
        CheckConstraint("term_months >= 0 AND (term_months > 0 OR term_nights > 0)", name="ck_applications_term"),
        CheckConstraint(
            "status IN ('submitted','offered','waitlisted','housed','withdrawn')", name="ck_applications_status"
        ),
        CheckConstraint("kind IN ('new','room_change')", name="ck_applications_kind"),
        CheckConstraint("partner_status IS NULL OR partner_status IN ('pending','confirmed','declined')",
                        name="ck_applications_partner_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_type: Mapped[str] = mapped_column(String(20))
    move_in: Mapped[date] = mapped_column(Date)
    term_months: Mapped[int] = mapped_column(Integer, default=12)
    term_nights: Mapped[int] = mapped_column(Integer, default=0)  # short stays: nights, term_months 0
    occupants: Mapped[int] = mapped_column(Integer, default=1)
    preferred_unit_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    reason: Mapped[str | None] = mapped_column(String(500))  # why unassigned, last round
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A transfer request: the dates overlap this lease of the applicant, which an accepted offer ends.
    transfer_from_lease_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"))
    # "Any unit of the type on floor N" (a preference by floor instead of by unit).
    preferred_floor: Mapped[int | None] = mapped_column(Integer)
    # A resident with a lease asking to move within the building (room_change), with the reason.
    kind: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    change_reason: Mapped[str | None] = mapped_column(String(500))
    # A joint application: a twin unit for the applicant and a partner together. The partner
    # confirms (or declines); only a confirmed one enters rounds, and a round offers the unit to
    # both at once.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    partner_status: Mapped[str | None] = mapped_column(String(20))  # pending | confirmed | declined
    partner_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    partner: Mapped[User | None] = relationship(foreign_keys=[partner_id])
    transfer_from: Mapped[Lease | None] = relationship(foreign_keys=[transfer_from_lease_id])


class AllocationRound(db.Model):
    __tablename__ = "allocation_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    committed: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict] = mapped_column(JSON, default=dict)


class WaitlistEntry(db.Model):
    """A place in the queue for a unit type: tier first, then time joined; a manager's
    reorder sets `manual_rank` (audited)."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("status IN ('waiting','offered','housed','removed')", name="ck_waitlist_status"),
        Index("ix_waitlist_type_status", "unit_type", "status"),
        # The queue in order (services/waitlist_promotion.queue_ids pages through it).
        Index("ix_waitlist_queue", "unit_type", "status", "priority_tier", "joined_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("housing_applications.id"))
    unit_type: Mapped[str] = mapped_column(String(20))
    priority_tier: Mapped[int] = mapped_column(Integer, default=3)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    manual_rank: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    reason: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User] = relationship()
    application: Mapped[HousingApplication | None] = relationship()


class Offer(db.Model):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("kind IN ('allocation','waitlist','renewal')", name="ck_offers_kind"),
        CheckConstraint("status IN ('open','accepted','declined','expired')", name="ck_offers_status"),
        CheckConstraint("end_date > start_date", name="ck_offers_interval"),
        Index("ix_offers_status_expires", "status", "expires_at"),
        # The jobs' checks of a lease's renewal offer and of a waitlist entry's offers.
        Index("ix_offers_lease_id", "lease_id"),
        Index("ix_offers_waitlist_entry_id", "waitlist_entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    lease_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"))  # renewal: lease to extend; else lease made
    application_id: Mapped[int | None] = mapped_column(ForeignKey("housing_applications.id"))
    waitlist_entry_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist_entries.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_rounds.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    monthly_rent: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the resident agreed to the terms (unit, dates, rent, deposit, house rules) shown on accepting.
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    unit: Mapped[Unit] = relationship()
