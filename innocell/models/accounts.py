"""People and their credentials."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, false, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db
from .people import Company
from .types import UTCDateTime

ROLES = ("resident", "manager", "finance", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('resident','manager','finance','admin')", name="ck_users_role"),
        CheckConstraint("priority_tier >= 1", name="ck_users_priority_tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="resident")
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", name="fk_users_company_id"), index=True)
    # The company's name, read-only (JSON, exports and pages show it); change `company_id`.
    company: Mapped[str | None] = column_property(
        select(Company.name).where(Company.id == company_id).correlate_except(Company).scalar_subquery())
    priority_tier: Mapped[int] = mapped_column(Integer, default=3)
    # The last change of tier by an admin: shown in waitlist and allocation-round explanations.
    tier_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tier_change_reason: Mapped[str | None] = mapped_column(String(500))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on sign-out so a copied session cookie stops working (Flask-Login alternative tokens).
    session_token: Mapped[str] = mapped_column(String(64))
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where notices are emailed when set (confirmed by a link first); sign-in email otherwise.
    contact_email: Mapped[str | None] = mapped_column(String(255))
    # None until the person proves the mailbox (a link); no booking or application before.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # invited, no password chosen yet
    # Registered under the "approval" policy: inactive until a manager approves.
    pending_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    requested_company: Mapped[str | None] = mapped_column(String(200))  # as typed at registration
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the retention job replaced the person's name and contacts (services/retention.py).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language the person reads the pages in ('en', 'zh_Hant_HK'); None: the browser's choice.
    language: Mapped[str | None] = mapped_column(String(20))

    company_record: Mapped[Company | None] = relationship(Company)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    @property
    def is_staff(self) -> bool:
        return self.role in ("manager", "admin", "finance")

    @property
    def can_manage(self) -> bool:
        return self.role in ("manager", "admin")


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))  # the owner's label ("lab scheduler")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Sign-ins, failed and successful, in the database so throttling holds across processes
    (services/login_throttle.py). Bounded: the email as normalised (at most 254 characters,
    whatever was sent) and the address (at most 64); the prune_logins job deletes old rows."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "at"), Index("ix_login_attempts_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
