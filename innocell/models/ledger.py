"""The charges ledger and payments: finance's own records. A charge line is never edited:
a change after the fact is a new `adjustment` line for the same source."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

CHARGE_KINDS = ("rent", "booking", "late_cancellation", "no_show", "adjustment")
CHARGE_BASES = ("rent", "booking", "late_cancellation", "no_show")
PAYMENT_STATUSES = ("matched", "unmatched", "discarded")


class Charge(db.Model):
    """One line: `service_month` is the month the amount is for (what the reports count),
    `month` the month it is posted in (the statement it appears on; a frozen month's changes
    post in the open month). `source` names what it charges ("rent:lease:7:2026-11"); `key`
    (source plus the line's number) is unique, so a charge run can never write a line twice."""

    __tablename__ = "charges"
    __table_args__ = (
        CheckConstraint("kind IN ('rent','booking','late_cancellation','no_show','adjustment')",
                        name="ck_charges_kind"),
        CheckConstraint("basis IN ('rent','booking','late_cancellation','no_show')", name="ck_charges_basis"),
        Index("ix_charges_service_month", "service_month"),
        Index("ix_charges_month", "month"),
        Index("ix_charges_source", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(String(20))
    month: Mapped[date] = mapped_column(Date)
    service_month: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    lease_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    source: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Payment(db.Model):
    """Money received, from a person or a company. A bank line that matched no reference is
    kept `unmatched` (no payer) until finance assigns or discards it; `bank_key` (the file's
    line fingerprint) is unique, so importing the same file twice adds nothing."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("status IN ('matched','unmatched','discarded')", name="ck_payments_status"),
        Index("ix_payments_paid_on", "paid_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(140), default="")
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual | bank
    status: Mapped[str] = mapped_column(String(10), default="matched")
    bank_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
