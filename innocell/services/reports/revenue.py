"""The revenue report: rent due, lab fees (confirmed booked hours × rate) and late-cancellation
fees (bookings their holder cancelled inside the space's late-cancellation window, billed in
the month the booking was for) per month."""
from __future__ import annotations

from datetime import date
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation import month_grid, usage
from ...models import Booking
from .common import check_group, check_period
from .records import load_housing, load_spaces, stream_bookings


def revenue(session: Session, *, start: date, end: date, group: str = "month", tz: ZoneInfo) -> list[dict]:
    """One row per calendar month of the period: {"group": "YYYY-MM", "month", "rent_due",
    "lab_fees", "late_cancellation_fees", "total"}; a month cut by the period counts only its
    part inside."""
    check_period(start, end)
    check_group("revenue", group)
    pieces = usage.month_pieces(start, end)
    housing = load_housing(session, start, end)
    grid = month_grid.occupancy_by_month(housing.units, housing.outages, housing.leases, start, end, "unit_type")
    rent = {month: sum((f.rent_due for _, f in rows), Fraction(0)) for month, rows in grid.items()}
    ws, we = usage.period_instants(start, end, tz)
    data = load_spaces(session, ws, we, tz)
    bounds = [usage.period_instants(a, b, tz)[0] for _, a, b in pieces] + [we]
    fees = dict(zip((month for month, _, _ in pieces), month_grid.lab_fees_by_month(
        data.spaces, stream_bookings(session, ws, we), bounds, tz, data.holidays)))
    monthly = [(month, bounds[i], bounds[i + 1]) for i, (month, _, _) in enumerate(pieces)]
    late = {month: Fraction(0) for month, _, _ in pieces}
    for start_at, fee in session.execute(
            select(Booking.start_at, Booking.late_cancel_fee).where(
                Booking.late_cancel.is_(True), Booking.late_cancel_fee.is_not(None),
                Booking.start_at >= ws, Booking.start_at < we)):
        for month, ma, mb in monthly:
            if ma <= start_at < mb:
                late[month] += Fraction(fee)
    rows = []
    for month, _, _ in monthly:
        rows.append({"group": month.strftime("%Y-%m"), "month": month, "rent_due": rent[month],
                     "lab_fees": fees[month], "late_cancellation_fees": late[month],
                     "total": rent[month] + fees[month] + late[month]})
    return rows
