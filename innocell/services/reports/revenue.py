"""The revenue report: rent due, lab fees (confirmed booked hours × rate) and late-cancellation
fees (bookings their holder cancelled inside the space's late-cancellation window, billed in
the month the booking was for) per month."""
from __future__ import annotations

from datetime import date
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation import usage
from ...models import Booking
from .common import check_group, check_period
from .records import load_housing, load_spaces, stream_bookings, usages


def revenue(session: Session, *, start: date, end: date, group: str = "month", tz: ZoneInfo) -> list[dict]:
    """One row per calendar month of the period: {"group": "YYYY-MM", "month", "rent_due",
    "lab_fees", "late_cancellation_fees", "total"}; a month cut by the period counts only its
    part inside."""
    check_period(start, end)
    check_group("revenue", group)
    pieces = usage.month_pieces(start, end)
    housing = load_housing(session, start, end)
    rent = {m: Fraction(0) for m, _, _ in pieces}
    for unit_leases in housing.leases.values():
        for lease in unit_leases:
            for month, a, b in pieces:
                rent[month] += usage.lease_rent_due(lease, a, b)
    ws, we = usage.period_instants(start, end, tz)
    data = load_spaces(session, ws, we, tz)
    monthly = []
    for month, a, b in pieces:
        ma, mb = usage.period_instants(a, b, tz)
        monthly.append((month, ma, mb, usages(data, ma, mb, tz)))
    for booking in stream_bookings(session, ws, we):
        for month, ma, mb, per in monthly:
            if booking.start < mb and booking.end > ma and booking.space_id in per:
                per[booking.space_id].add_booking(booking)
    late = {month: Fraction(0) for month, _, _ in pieces}
    for start_at, fee in session.execute(
            select(Booking.start_at, Booking.late_cancel_fee).where(
                Booking.late_cancel.is_(True), Booking.late_cancel_fee.is_not(None),
                Booking.start_at >= ws, Booking.start_at < we)):
        for month, ma, mb, _ in monthly:
            if ma <= start_at < mb:
                late[month] += Fraction(fee)
    rows = []
    for month, _, _, per in monthly:
        fees = sum((u.figures().fees for u in per.values()), Fraction(0))
        rows.append({"group": month.strftime("%Y-%m"), "month": month, "rent_due": rent[month],
                     "lab_fees": fees, "late_cancellation_fees": late[month],
                     "total": rent[month] + fees + late[month]})
    return rows
