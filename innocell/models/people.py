"""Companies of the park, the single-use links an account is sent (password reset, invitation,
email confirmation), and the park's settings that an admin changes at run time."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

# A company's standing at the park; `park` is the park's own organisation (its staff).
COMPANY_STATUSES = ("incubatee", "tenant", "alumnus", "partner", "park", "other")
# What an emailed link lets its holder do, once, before it expires.
LINK_PURPOSES = ("password_reset", "invitation", "email_verification", "contact_email")


class Company(db.Model):
    """A company as a record: people belong to one; its default tier is the priority tier of
    people who join it later (invited, registered by its email domain, or moved to it)."""

    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint("status IN ('incubatee','tenant','alumnus','partner','park','other')",
                        name="ck_companies_status"),
        CheckConstraint("default_priority_tier >= 1", name="ck_companies_default_tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name folded (lower case, single spaces): "Acme Bio" and "acme  bio" are one company.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="tenant")
    default_priority_tier: Mapped[int] = mapped_column(Integer, default=3)
    # Lower case, without '@'; at most one company per domain.
    email_domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    billing_contact_name: Mapped[str | None] = mapped_column(String(200))
    billing_contact_email: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountLink(db.Model):
    """An emailed link: only the SHA-256 of its secret is kept (like API tokens); it works
    once (`used_at`) and until `expires_at`. `email` is the address it confirms (a new
    contact email) or was sent to."""

    __tablename__ = "account_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('password_reset','invitation','email_verification','contact_email')",
                        name="ck_account_links_purpose"),
        Index("ix_account_links_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class SiteSetting(db.Model):
    """A setting the admin changes at run time (the registration policy); JSON value."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
