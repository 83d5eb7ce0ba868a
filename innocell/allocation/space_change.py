"""Which existing bookings a change of a space's rules would break. Plain data in and out.

A change of the buffer, the capacity, the slot grid or the opening hours (public holidays
included) applies to the bookings still to come. Given the space's *new* settings and its
live bookings, this says which of them the new rules refuse, each with every reason:

- `off_grid`: it does not start and end on the new grid;
- `outside_opening_hours`: it is no longer inside the opening hours;
- `buffer`: the new buffer after it, or after a booking kept before it, runs into the other;
- `capacity`: more bookings would overlap than the new capacity allows.

Bookings that have begun are kept whatever the change (a started booking cannot be
cancelled whole) and count first; then the others in the order they were made (by id), so
the earlier booking keeps its time and the later one is broken. A broken booking holds
nothing for the ones after it (it will be cancelled).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable
from zoneinfo import ZoneInfo

from . import conflict_reasons
from .hours import WEEKDAYS
from .phrasing import ENGLISH, Phrasing
from .rules import SpaceSpec, capacity_conflicts, covered_by_opening, on_grid

BREAK_RULES = ("off_grid", "outside_opening_hours", "buffer", "capacity")


@dataclass(frozen=True)
class Held:
    """A live (pending or confirmed) booking of the space."""

    id: int
    start: datetime
    end: datetime
    begun: bool = False


def _hhmm(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


def _hours_now(spec: SpaceSpec, day: date, _: Phrasing = ENGLISH) -> str:
    windows = spec.opening_hours.get(WEEKDAYS[day.weekday()]) or []
    if not windows:
        return _("it would be closed on %(days)s", days=_.weekdays(day.weekday()))
    return _("on %(days)s it would be open %(hours)s", days=_.weekdays(day.weekday()),
             hours=", ".join(f"{s}-{e}" for s, e in windows))


def _capacity_reason(spec: SpaceSpec, booking: Held, kept: list[tuple[datetime, datetime]],
                     tz: ZoneInfo, _: Phrasing = ENGLISH) -> dict | None:
    hold_end = booking.end + spec.buffer
    if not capacity_conflicts(kept, spec.capacity, booking.start, hold_end):
        return None
    reasons = conflict_reasons.explain(spec, booking.start, booking.end, kept, [], tz)
    kinds = {r["reason"] for r in reasons}
    if conflict_reasons.BOOKED not in kinds:
        if conflict_reasons.BUFFER in kinds:
            at = min(r["start"] for r in reasons if r["reason"] == conflict_reasons.BUFFER)
            message = _("The %(buffer)s-minute buffer after it would run into the booking at %(at)s.",
                        buffer=spec.buffer_minutes, at=_hhmm(at, tz))
        else:
            until = max(r["end"] for r in reasons)
            message = _("The %(buffer)s-minute buffer after the booking before it would last until %(until)s.",
                        buffer=spec.buffer_minutes, until=_hhmm(until, tz))
        return {"rule": "buffer", "message": message}
    at = min(r["start"] for r in reasons if r["reason"] == conflict_reasons.BOOKED)
    return {"rule": "capacity",
            "message": _("From %(at)s more bookings would overlap it than the capacity of %(capacity)s allows.",
                         at=_hhmm(at, tz), capacity=spec.capacity)}


def broken_by_change(spec: SpaceSpec, bookings: Iterable[Held], tz: ZoneInfo, *,
                     holidays: Iterable[date] = (), phrasing: Phrasing = ENGLISH) -> dict[int, list[dict]]:
    """{booking id: [{"rule","message"}, ...]} for every booking the new settings `spec` break
    (worded by `phrasing`: English unless the caller passes the reader's language)."""
    _ = phrasing
    bookings = list(bookings)
    holidays = list(holidays)
    kept = [(b.start, b.end + spec.buffer) for b in bookings if b.begun]
    broken: dict[int, list[dict]] = {}
    for booking in sorted((b for b in bookings if not b.begun), key=lambda b: b.id):
        reasons = []
        if not (on_grid(booking.start, spec.slot_minutes, tz) and on_grid(booking.end, spec.slot_minutes, tz)):
            reasons.append({"rule": "off_grid", "message": _("It does not start and end on the new %(slot)s-minute "
                                                             "grid.", slot=spec.slot_minutes)})
        if not covered_by_opening(spec, booking.start, booking.end, tz, holidays):
            day = booking.start.astimezone(tz).date()
            closed = spec.closed_on_holidays and any(
                booking.start.astimezone(tz).date() <= h <= booking.end.astimezone(tz).date() for h in holidays)
            why = _("the space would be closed on the public holiday") if closed else _hours_now(spec, day, _)
            reasons.append({"rule": "outside_opening_hours",
                            "message": _("It would be outside the opening hours: %(why)s.", why=why)})
        capacity = _capacity_reason(spec, booking, kept, tz, _)
        if capacity:
            reasons.append(capacity)
        if reasons:
            broken[booking.id] = reasons
        else:
            kept.append((booking.start, booking.end + spec.buffer))
    return broken
