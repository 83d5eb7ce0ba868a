"""Reminders for bookings starting soon, once per booking.

The booking row is claimed with a conditional UPDATE (reminder_sent_at IS NULL -> now) in the
same transaction that writes the notice, so two runners, or a re-run after a crash, never
remind twice; a crash before commit leaves the booking unclaimed for the next run."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Booking
from .notifications import notify
from .tx import transaction
from .wording import When, _, sentences


def due_booking_ids(session: Session, now: datetime, hours: int) -> list[int]:
    return list(session.execute(
        select(Booking.id)
        .where(Booking.status == "confirmed", Booking.reminder_sent_at.is_(None),
               Booking.start_at > now, Booking.start_at <= now + timedelta(hours=hours))
        .order_by(Booking.start_at, Booking.id)
    ).scalars())


@transaction
def remind(session: Session, booking_id: int, *, now: datetime, hours: int, tz: ZoneInfo) -> bool:
    """Claim the booking's reminder and queue the notice; True when this call sent it."""
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == "confirmed", Booking.reminder_sent_at.is_(None),
               Booking.start_at > now, Booking.start_at <= now + timedelta(hours=hours))
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    booking = session.get(Booking, booking_id, populate_existing=True)
    what = _("%(space)s on %(start)s-%(end)s", space=booking.space.name,
             start=When(booking.start_at, "%a %d %b %H:%M", tz), end=When(booking.end_at, "%H:%M", tz))
    body = (_("Reminder: you have booked %(what)s (%(title)s).", what=what, title=booking.title) if booking.title
            else _("Reminder: you have booked %(what)s.", what=what))
    if booking.space.requires_checkin:
        body = sentences(body, _("This space needs a check-in: check in from your booking within the grace period "
                                 "after the start, or the booking is released for others."))
    notify(session, user_id=booking.user_id, kind="reminder", now=now, subject=_("Reminder: %(what)s", what=what),
           body=body, link="/inbox", dedupe_key=f"reminder:{booking.id}")
    return True
