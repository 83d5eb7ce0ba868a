"""Lists of bookings as people may see them: a resident only their own, staff every one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Booking, User
from .. import NotFound
from ..roles import STAFF_ROLES
from .common import scan_bound
from ..phrasing import gettext


def get_booking(session: Session, booking_id, *, viewer: User) -> Booking:
    """The booking, or NotFound when there is none or it is another resident's."""
    valid_id = isinstance(booking_id, int) and not isinstance(booking_id, bool)
    booking = session.get(Booking, booking_id) if valid_id else None
    if booking is None or (viewer.role not in STAFF_ROLES and booking.user_id != viewer.id):
        raise NotFound(gettext("There is no such booking."))
    return booking


def _filtered(stmt, *, viewer: User, space_id=None, start=None, end=None, status=None, user_id=None):
    if viewer.role not in STAFF_ROLES:
        stmt = stmt.where(Booking.user_id == viewer.id)
    if user_id is not None:
        stmt = stmt.where(Booking.user_id == user_id)
    if space_id is not None:
        stmt = stmt.where(Booking.space_id == space_id)
    if start is not None:
        stmt = stmt.where(Booking.end_at > start)
    if end is not None:
        stmt = stmt.where(Booking.start_at < end)
    if start is not None and end is not None:
        stmt = stmt.where(Booking.start_at >= start - scan_bound())
    if status is not None:
        if isinstance(status, (list, tuple, set)):
            stmt = stmt.where(Booking.status.in_(list(status)))
        else:
            stmt = stmt.where(Booking.status == status)
    return stmt


def list_bookings(session: Session, *, viewer: User, space_id=None, start=None, end=None, status=None,
                  user_id=None, limit=None, offset=None, newest_first: bool = False) -> list[Booking]:
    """Bookings the viewer may see (a resident: only their own), optionally of one user."""
    stmt = _filtered(select(Booking), viewer=viewer, space_id=space_id, start=start, end=end, status=status,
                     user_id=user_id)
    stmt = stmt.order_by(Booking.start_at.desc(), Booking.id.desc()) if newest_first else \
        stmt.order_by(Booking.start_at, Booking.id)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())


def count_bookings(session: Session, *, viewer: User, space_id=None, start=None, end=None, status=None,
                   user_id=None) -> int:
    stmt = _filtered(select(func.count(Booking.id)), viewer=viewer, space_id=space_id, start=start, end=end,
                     status=status, user_id=user_id)
    return session.execute(stmt).scalar_one()


def pending_bookings(session: Session) -> list[Booking]:
    """The approval queue, soonest first."""
    return list(session.execute(
        select(Booking).where(Booking.status == "pending").order_by(Booking.start_at, Booking.id)).scalars())


def live_bookings_within(session: Session, space_id: int, start: datetime, end: datetime,
                         now: datetime) -> list[Booking]:
    """Bookings of the space not cancelled and not yet over that overlap [start, end): what a
    blackout over that window cancels (and what the manager is shown before confirming it)."""
    return list(session.execute(
        select(Booking).where(Booking.space_id == space_id, Booking.status != "cancelled",
                              Booking.start_at >= start - scan_bound(), Booking.start_at < end, Booking.end_at > start,
                              Booking.end_at > now)
        .order_by(Booking.start_at, Booking.id)).scalars())


def upcoming_bookings(session: Session, space_id: int, now: datetime) -> list[Booking]:
    """Bookings of the space not cancelled and not yet over (a weekly blackout may cover any)."""
    return list(session.execute(
        select(Booking).where(Booking.space_id == space_id, Booking.status != "cancelled", Booking.end_at > now)
        .order_by(Booking.start_at)).scalars())
