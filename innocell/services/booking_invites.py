"""The .ics invite a booking notice's email carries (RFC 5545 / iTIP): built by the mailer when
it sends the notice, from the booking rows as they are then, never stored.

- A notice about a booking (`Notification.booking_id`) gets a text/calendar attachment:
  METHOD:REQUEST for a booking made, changed or approved (the booking's event, its SEQUENCE
  raised by every change), METHOD:CANCEL with STATUS:CANCELLED for one cancelled or rejected.
- Each event is the calendar feed's (`calendar_feed.booking_event`): the same UID, so the
  calendar app that took the invite updates the same event the feed shows.
- A series is one notice: its attachment holds one VEVENT per occurrence (the live ones for a
  request, the cancelled ones for a cancellation).
"""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Booking, Notification
from .calendar_feed import booking_event, new_calendar
from .settings import zone

# Notices that withdraw the booking from the holder's calendar; every other booking notice
# (made, made for you, changed, approved, ended early) sends its current state.
CANCEL_KINDS = ("booking_cancelled", "booking_rejected")


def _rows(session: Session, booking: Booking) -> list[Booking]:
    if not booking.series_id:
        return [booking]
    return list(session.execute(select(Booking).where(Booking.series_id == booking.series_id)
                                .order_by(Booking.start_at, Booking.id)).scalars())


def invite(session: Session, note: Notification, *, now: datetime, site: str, organizer: str,
           attendee: str) -> tuple[str, bytes] | None:
    """(METHOD, the iCalendar bytes) for the notice's booking, or None when it has none."""
    booking = session.get(Booking, note.booking_id) if note.booking_id else None
    if booking is None:
        return None
    rows = _rows(session, booking)
    live = [b for b in rows if b.status != "cancelled"]
    gone = [b for b in rows if b.status == "cancelled"]
    method = "CANCEL" if note.kind in CANCEL_KINDS or not live else "REQUEST"
    events = gone if method == "CANCEL" else live
    if not events:
        return None
    cal = new_calendar()
    cal.add("method", method)
    tz = zone()
    for row in events:
        event = booking_event(row, now=now, site=site, tz=tz)
        event.add("organizer", f"mailto:{organizer}")
        event.add("attendee", f"mailto:{attendee}", parameters={
            "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED" if method == "REQUEST" else "DECLINED"})
        cal.add_component(event)
    cal.add_missing_timezones()
    return method, cal.to_ical()


def attach_invite(session: Session, msg: EmailMessage, note: Notification, *, now: datetime, site: str) -> None:
    """Add the notice's invite to its email (nothing when the notice is about no booking)."""
    built = invite(session, note, now=now, site=site, organizer=parseaddr(msg["From"])[1] or "no-reply@" + site,
                   attendee=parseaddr(msg["To"])[1])
    if built is None:
        return
    method, body = built
    msg.add_attachment(body.decode("utf-8"), subtype="calendar", filename="invite.ics",
                       params={"method": method})
