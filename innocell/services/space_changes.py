"""What a change of a space's rules does to its bookings still to come, and the record of when
a space was open for booking. Steps inside the caller's transaction (spaces.update_space,
create_space, set_space_active hold the space's lock); nothing here commits.

- `broken_bookings`: the live bookings the new buffer, capacity, grid or opening hours refuse
  (allocation.space_change decides), each with its reasons;
- `cancel_broken`: cancel them and tell their holders, like a blackout does;
- `rehold`: the bookings kept take the new buffer (`hold_end_at`) and the new capacity's
  backstop (`exclusive`, PostgreSQL's exclusion constraint for capacity one);
- `open_period` / `close_period`: the space's active periods (space_active_periods), which
  reports clip open hours to.

Dependencies: models, notifications, audit, settings and the pure core; never bookings (the
booking services sit above spaces)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..allocation.hours import public_holidays
from ..allocation.rules import SpaceSpec
from ..allocation.phrasing import ENGLISH, Phrasing
from ..allocation.space_change import Held, broken_by_change
from ..models import Booking, Space, SpaceActivePeriod, User
from ..timeutil import iso_local
from .audit import record
from .notifications import notify
from .wording import FULL, When, _
from .settings import setting

# The settings whose change can break a booking already made.
RULE_FIELDS = ("capacity", "buffer_minutes", "slot_minutes", "opening_hours", "closed_on_holidays")


def spec_for(space: Space, values: dict) -> SpaceSpec:
    """The rules the space would have with `values` (validated new settings)."""
    return SpaceSpec(id=space.id, code=values["code"], name=values["name"], kind=values["kind"],
                     capacity=values["capacity"], opening_hours=values["opening_hours"] or {},
                     slot_minutes=values["slot_minutes"], min_minutes=values["min_minutes"],
                     max_minutes=values["max_minutes"], buffer_minutes=values["buffer_minutes"],
                     max_days_ahead=values["max_days_ahead"], active=bool(values["active"]),
                     requires_authorisation=bool(values["requires_authorisation"]),
                     closed_on_holidays=bool(values["closed_on_holidays"]))


def live_bookings(session: Session, space: Space, now: datetime, buffer_minutes: int) -> list[Booking]:
    """Pending and confirmed bookings of the space not yet over (their buffer counted, old or
    new), oldest first; read on the (space_id, start_at) index."""
    back = timedelta(hours=int(setting("BOOKING_MAX_SCAN_HOURS")))
    longest = timedelta(minutes=max(buffer_minutes, space.buffer_minutes))
    return list(session.execute(
        select(Booking).where(Booking.space_id == space.id, Booking.status != "cancelled",
                              Booking.start_at >= now - back,
                              or_(Booking.hold_end_at > now, Booking.end_at > now - longest))
        .order_by(Booking.id)).scalars())


def broken_bookings(session: Session, space: Space, values: dict, now: datetime,
                    tz: ZoneInfo, phrasing: Phrasing = ENGLISH) -> list[tuple[Booking, list[dict]]]:
    """(booking, reasons) for each live booking the new settings `values` would break; none
    when no rule a booking depends on changes."""
    if all(values[f] == getattr(space, f) for f in RULE_FIELDS):
        return []
    live = live_bookings(session, space, now, values["buffer_minutes"])
    if not live:
        return []
    spec = spec_for(space, values)
    holidays = ()
    if spec.closed_on_holidays:
        years = range(min(b.start_at for b in live).astimezone(tz).year,
                      max(b.end_at for b in live).astimezone(tz).year + 1)
        holidays = list(public_holidays(years))
    broken = broken_by_change(spec, [Held(b.id, b.start_at, b.end_at, b.start_at < now) for b in live], tz,
                              holidays=holidays, phrasing=phrasing)
    return [(b, broken[b.id]) for b in live if b.id in broken]


def broken_json(items: list[tuple[Booking, list[dict]]], tz: ZoneInfo) -> list[dict]:
    """The bookings a change would cancel, for a 409 answer or a confirmation page."""
    return [{"id": b.id, "space_id": b.space_id, "user_id": b.user_id, "start": iso_local(b.start_at, tz),
             "end": iso_local(b.end_at, tz), "status": b.status, "title": b.title or "",
             "series_id": b.series_id, "holder": b.user.name if b.user else None,
             "holder_email": b.user.email if b.user else None, "reasons": reasons} for b, reasons in items]


def cancel_broken(session: Session, space: Space, items: list[tuple[Booking, list[dict]]], *, actor: User,
                  now: datetime, tz: ZoneInfo) -> list[Booking]:
    """Cancel the bookings the change breaks and notify each holder why."""
    for booking, reasons in items:
        why = " ".join(r["message"] for r in reasons)
        booking.status = "cancelled"
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
        booking.cancel_reason = f"The space's rules changed: {why}"[:300]
        booking.ics_sequence = (booking.ics_sequence or 0) + 1
        notify(session, user_id=booking.user_id, kind="booking_cancelled",
               subject=_("Your booking of %(space)s was cancelled", space=space.name),
               body=_("Your booking of %(space)s on %(start)s-%(end)s was cancelled because the space's booking "
                      "rules changed: %(why)s We are sorry for the trouble; please book another time.",
                      space=space.name, start=When(booking.start_at, FULL, tz), end=When(booking.end_at, "%H:%M", tz),
                      why=why),
               now=now, link="/bookings", dedupe_key=f"booking-cancelled-{booking.id}", booking_id=booking.id)
    session.flush()  # cancelled first: kept bookings' new holds may then reach into that time
    return [b for b, _ in items]


def rehold(session: Session, space: Space, now: datetime) -> int:
    """Give the live bookings the space's current buffer and capacity backstop; how many changed.
    Safe for the exclusion constraint in any row order: the kept bookings fit the new rules."""
    buffer = timedelta(minutes=space.buffer_minutes)
    changed = 0
    for booking in live_bookings(session, space, now, space.buffer_minutes):
        hold_end, exclusive = booking.end_at + buffer, space.capacity == 1
        if (booking.hold_end_at, bool(booking.exclusive)) != (hold_end, exclusive):
            booking.hold_end_at, booking.exclusive = hold_end, exclusive
            changed += 1
    return changed


# ---------------------------------------------------------------------------- active periods


def open_period(session: Session, space: Space, now: datetime) -> None:
    """The space is open for booking from `now` (created active, or reactivated)."""
    session.add(SpaceActivePeriod(space_id=space.id, start_at=now, end_at=None))


def close_period(session: Session, space: Space, now: datetime) -> None:
    """The space stops being open for booking at `now` (deactivated)."""
    for period in session.execute(select(SpaceActivePeriod).where(
            SpaceActivePeriod.space_id == space.id, SpaceActivePeriod.end_at.is_(None))).scalars():
        period.end_at = max(now, period.start_at)


def record_change(session: Session, space: Space, cancelled: list[Booking], *, actor: User, now: datetime,
                  reholds: int) -> None:
    if cancelled or reholds:
        record(session, actor_id=actor.id, action="space.rules_applied", target_type="space", target_id=space.id,
               now=now, cancelled_bookings=[b.id for b in cancelled], reheld_bookings=reholds)
