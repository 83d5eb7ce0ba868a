"""Check-in and no-show release for spaces that require a check-in.

A confirmed booking of such a space not checked in NO_SHOW_GRACE_MINUTES after its start is
released while it is still running, so its remaining time is free for others; its holder is
notified. Time that was held is time that was used: the release ends the booking early (its
end moves to the first grid point at or after the release, the part before stays booked and
billed, status stays confirmed, `end_reason` 'no-show'). Bookings that already ended before
any run saw them are left as they are. Check-in opens CHECKIN_EARLY_MINUTES before
the start and closes at the end (or once the booking was released); pages offer it (and list
it in the inbox) from CHECKIN_EARLY_MINUTES before the start to the end of the grace period."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..allocation.rules import end_early_at
from ..models import Booking, Space
from . import Conflict, NotFound
from .guard import lock_resource
from .notifications import notify
from .roles import MANAGER_ROLES
from .settings import setting
from .tx import transaction
from .wording import When, _
from .phrasing import gettext

CHECKIN_EARLY_MINUTES = 15
NO_SHOW_REASON = "no-show"


def _grace() -> timedelta:
    return timedelta(minutes=int(setting("NO_SHOW_GRACE_MINUTES")))


def can_check_in(booking: Booking, now: datetime) -> bool:
    """Whether a page offers check-in for this booking now: a confirmed booking of a check-in
    space, not yet checked in, from CHECKIN_EARLY_MINUTES before its start to the end of the grace."""
    if (not booking.space.requires_checkin or booking.checked_in_at is not None or booking.status != "confirmed"
            or booking.ended_early_at is not None):
        return False
    early = timedelta(minutes=CHECKIN_EARLY_MINUTES)
    return booking.start_at - early <= now <= booking.start_at + _grace() and now < booking.end_at


def checkin_due(session: Session, user_id: int, now: datetime) -> list[Booking]:
    """The user's bookings that can_check_in now, soonest first (the inbox lists them)."""
    early = timedelta(minutes=CHECKIN_EARLY_MINUTES)
    return list(session.execute(
        select(Booking).join(Space, Space.id == Booking.space_id)
        .where(Booking.user_id == user_id, Booking.status == "confirmed", Booking.checked_in_at.is_(None),
               Booking.ended_early_at.is_(None), Space.requires_checkin.is_(True), Booking.start_at <= now + early,
               Booking.start_at >= now - _grace(), Booking.end_at > now)
        .order_by(Booking.start_at)
    ).scalars())


@transaction
def check_in(session: Session, booking_id: int, *, user, now: datetime,
             early_minutes: int = CHECKIN_EARLY_MINUTES) -> Booking:
    """The holder (or a manager) checks in. Checking in twice is harmless."""
    booking = session.get(Booking, booking_id, populate_existing=True)
    if booking is None or (booking.user_id != user.id and user.role not in MANAGER_ROLES):
        raise NotFound(gettext("There is no such booking of yours."))
    if booking.status == "cancelled":
        if booking.cancel_reason == NO_SHOW_REASON:
            raise Conflict(gettext("This booking was released because nobody checked in within the grace period."))
        raise Conflict(gettext("This booking is cancelled."))
    if booking.status != "confirmed":
        raise Conflict(gettext("This booking is not confirmed yet; you can check in once a manager approves it."))
    if booking.checked_in_at is not None:
        return booking
    if booking.ended_early_at is not None:
        if booking.end_reason == NO_SHOW_REASON:
            raise Conflict(gettext("This booking was released because nobody checked in within the grace period."))
        raise Conflict(gettext("This booking was ended early; check-in is closed."))
    if now < booking.start_at - timedelta(minutes=early_minutes):
        raise Conflict(gettext("Check-in opens %(early_minutes)s minutes before the booking starts.", early_minutes=early_minutes))
    if now >= booking.end_at:
        raise Conflict(gettext("This booking is over; check-in is closed."))
    # Conditional: a no-show release racing this check-in wins or loses as a whole.
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == "confirmed", Booking.checked_in_at.is_(None),
               Booking.ended_early_at.is_(None))
        .values(checked_in_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(booking)
    if result.rowcount != 1 and booking.end_reason == NO_SHOW_REASON:
        raise Conflict(gettext("This booking was released because nobody checked in within the grace period."))
    return booking


def due_booking_ids(session: Session, now: datetime, grace_minutes: int) -> list[int]:
    return list(session.execute(
        select(Booking.id)
        .join(Space, Space.id == Booking.space_id)
        .where(Space.requires_checkin.is_(True), Booking.status == "confirmed", Booking.checked_in_at.is_(None),
               Booking.ended_early_at.is_(None), Booking.start_at <= now - timedelta(minutes=grace_minutes),
               Booking.end_at > now)
        .order_by(Booking.start_at, Booking.id)
    ).scalars())


@transaction
def release(session: Session, booking_id: int, *, now: datetime, grace_minutes: int, tz: ZoneInfo) -> bool:
    """Release one no-show booking under its space's lock; True when this call released it.
    The part before the release stays booked (see the module docstring)."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        return False
    space = lock_resource(session, Space, booking.space_id)
    booking = session.get(Booking, booking_id, populate_existing=True)
    new_end = end_early_at(booking.start_at, booking.end_at, now, space.slot_minutes, tz) or booking.end_at
    buffer = booking.hold_end_at - booking.end_at
    # Conditional: a check-in racing this release wins or loses as a whole.
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == "confirmed", Booking.checked_in_at.is_(None),
               Booking.ended_early_at.is_(None), Booking.start_at <= now - timedelta(minutes=grace_minutes),
               Booking.end_at > now)
        .values(end_at=new_end, hold_end_at=new_end + buffer,
                booked_end_at=booking.end_at, ended_early_at=now, end_reason=NO_SHOW_REASON,
                ics_sequence=Booking.ics_sequence + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    booking = session.get(Booking, booking_id, populate_existing=True)
    start = When(booking.start_at, "%a %d %b %H:%M", tz)
    notify(session, user_id=booking.user_id, kind="no_show", now=now,
           subject=_("Booking released: %(space)s %(start)s", space=booking.space.name, start=start),
           body=_("Nobody checked in to your booking of %(space)s starting %(start)s within %(minutes)s minutes of "
                  "its start, so the rest of it, from %(end)s, was released for others. The time until then stays "
                  "booked to you.", space=booking.space.name, start=start, minutes=grace_minutes,
                  end=When(booking.end_at, "%H:%M", tz)),
           link="/inbox", dedupe_key=f"no-show:{booking.id}", booking_id=booking.id)
    return True
