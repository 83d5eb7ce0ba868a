"""A person's bookings and lease dates as a private iCalendar feed (RFC 5545), for the
calendar app on their phone. The URL carries an HMAC of the app's secret and a per-person salt,
so it works without other credentials, can be rotated (a new salt: the old URL answers 404),
and the database holds nothing that could be replayed.

A booking's event (`booking_event`) is the same here and in the .ics invite its emails carry
(services/booking_invites.py): the same UID (`booking_uid`, on the host of PUBLIC_URL, never a
request's Host), the booking's SEQUENCE, and its times in the park's zone with a VTIMEZONE."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Booking, CalendarFeed, Lease, User
from .settings import zone
from .tx import transaction

PAST = timedelta(days=90)  # how far back the feed reaches (calendar apps poll it often)


def _token(secret: str, user_id: int, salt: str) -> str:
    return hmac.new(secret.encode(), f"{user_id}:{salt}".encode(), hashlib.sha256).hexdigest()[:40]


@transaction
def feed_token(session: Session, user: User, *, secret: str, now: datetime, rotate: bool = False) -> str:
    """The person's current feed token (made on first use; a new one when rotating)."""
    feed = session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, salt=secrets.token_hex(16), created_at=now)
        session.add(feed)
    elif rotate:
        feed.salt, feed.created_at = secrets.token_hex(16), now
    return _token(secret, user.id, feed.salt)


def owner_of(session: Session, user_id: int, token: str, *, secret: str) -> User | None:
    """The active person whose feed this is, or None (a wrong, rotated or unknown token)."""
    feed = session.get(CalendarFeed, user_id)
    if feed is None or not hmac.compare_digest(_token(secret, user_id, feed.salt), token):
        return None
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def uid_site(public_url: str) -> str:
    """The domain of every UID: PUBLIC_URL's host, so a UID never depends on how a request came."""
    return urlsplit(public_url or "").hostname or "innocell.local"


def booking_uid(booking_id: int, site: str) -> str:
    return f"booking-{booking_id}@{site}"


def booking_event(booking: Booking, *, now: datetime, site: str, tz: ZoneInfo) -> Event:
    """The booking as a VEVENT: stable UID, SEQUENCE, local times (TZID), status."""
    event = Event()
    event.add("uid", booking_uid(booking.id, site))
    event.add("dtstamp", now)
    event.add("sequence", booking.ics_sequence or 0)
    event.add("dtstart", booking.start_at.astimezone(tz))
    event.add("dtend", booking.end_at.astimezone(tz))
    event.add("summary", f"{booking.space.name}" + (f": {booking.title}" if booking.title else ""))
    event.add("location", booking.space.name)
    event.add("status", {"confirmed": "CONFIRMED", "pending": "TENTATIVE"}.get(booking.status, "CANCELLED"))
    return event


def new_calendar() -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//InnoCell//Bookings and leases//EN")
    cal.add("version", "2.0")
    return cal


def ics(session: Session, user: User, *, now: datetime, site: str) -> bytes:
    """The feed: the person's bookings from 90 days back, and their leases' move-in and move-out."""
    cal = new_calendar()
    cal.add("x-wr-calname", "InnoCell")
    tz = zone()
    rows = session.execute(
        select(Booking).where(Booking.user_id == user.id, Booking.end_at >= now - PAST).order_by(Booking.start_at)
    ).scalars()
    for booking in rows:
        cal.add_component(booking_event(booking, now=now, site=site, tz=tz))
    leases = session.execute(select(Lease).where(Lease.user_id == user.id).order_by(Lease.start_date)).scalars()
    for lease in leases:
        for label, day in (("Move in", lease.start_date), ("Move out", lease.end_date)):
            event = Event()
            event.add("uid", f"lease-{lease.id}-{label.replace(' ', '-').lower()}@{site}")
            event.add("dtstamp", now)
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("summary", f"{label}: unit {lease.unit.code}")
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
