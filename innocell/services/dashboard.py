"""Read models for the home pages of each role."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Booking, HousingApplication, Lease, Offer, Unit, UnitOutage, WaitlistEntry

OCCUPYING = ("active", "ending", "ended", "terminated")


def occupied_unit_ids(session: Session, day: date) -> set[int]:
    """Units with a lease covering the night of `day`."""
    rows = session.execute(
        select(Lease.unit_id).where(Lease.start_date <= day, Lease.end_date > day, Lease.status.in_(OCCUPYING))
    ).scalars()
    return set(rows)


def out_of_service_unit_ids(session: Session, day: date) -> set[int]:
    rows = session.execute(
        select(UnitOutage.unit_id).where(UnitOutage.start_date <= day, UnitOutage.end_date > day)
    ).scalars()
    return set(rows) | set(session.execute(select(Unit.id).where(Unit.status == "out_of_service")).scalars())


def resident_home(session: Session, user_id: int, now: datetime) -> dict:
    upcoming = session.execute(
        select(Booking).where(Booking.user_id == user_id, Booking.status != "cancelled", Booking.end_at > now)
        .order_by(Booking.start_at).limit(5)
    ).scalars().all()
    leases = session.execute(
        select(Lease).where(Lease.user_id == user_id, Lease.status.in_(("active", "ending")))
        .order_by(Lease.start_date)
    ).scalars().all()
    offers = session.execute(
        select(Offer).where(Offer.user_id == user_id, Offer.status == "open").order_by(Offer.expires_at)
    ).scalars().all()
    applications = session.execute(
        select(HousingApplication).where(HousingApplication.user_id == user_id,
                                         HousingApplication.status.in_(("submitted", "offered", "waitlisted")))
        .order_by(HousingApplication.created_at)
    ).scalars().all()
    return {"upcoming": upcoming, "leases": leases, "offers": offers, "applications": applications}


def manager_home(session: Session, today: date, day_start: datetime, day_end: datetime) -> dict:
    total_units = session.execute(select(func.count(Unit.id))).scalar_one()
    occupied = len(occupied_unit_ids(session, today))
    out = len(out_of_service_unit_ids(session, today))
    available = max(total_units - out, 0)
    pending = session.execute(select(func.count(Booking.id)).where(Booking.status == "pending")).scalar_one()
    bookings_today = session.execute(
        select(func.count(Booking.id)).where(Booking.status != "cancelled", Booking.start_at < day_end,
                                             Booking.end_at > day_start)
    ).scalar_one()
    open_applications = session.execute(
        select(func.count(HousingApplication.id)).where(HousingApplication.status == "submitted")
    ).scalar_one()
    waitlisted = session.execute(
        select(func.count(WaitlistEntry.id)).where(WaitlistEntry.status == "waiting")
    ).scalar_one()
    open_offers = session.execute(select(func.count(Offer.id)).where(Offer.status == "open")).scalar_one()
    return {
        "total_units": total_units, "occupied": occupied, "out_of_service": out,
        "occupancy_rate": (occupied / available) if available else 0.0,
        "pending_bookings": pending, "bookings_today": bookings_today,
        "open_applications": open_applications, "waitlisted": waitlisted, "open_offers": open_offers,
    }


def month_bounds(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt
