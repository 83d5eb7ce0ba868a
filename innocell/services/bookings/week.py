"""Read models for finding and seeing free time: availability of a space over a window, the
spaces free for exactly one interval, and a space's week calendar on its slot grid."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation.availability import availability as core_availability
from ...allocation.hours import WEEKDAYS, open_windows, parse_hhmm
from ...allocation.intervals import merge
from ...models import Booking, Space, User
from .. import BadRequest
from ..settings import zone
from ..spaces import get_space
from .check import evaluate
from .common import UTC, scan_bound, validate_times
from .reads import blackout_windows, holds, holidays_for, spec_of


def _claims(session: Session, space: Space, start: datetime, end: datetime, tz: ZoneInfo) -> tuple[list, list, dict]:
    """(holds, blackouts, holidays) that can touch a grid slot inside [start, end): one booking
    length either side, plus the buffer."""
    spec = spec_of(space)
    lo, hi = start - spec.grid_length, end + spec.grid_length + spec.buffer
    return (holds(session, space.id, lo, hi), blackout_windows(session, space.id, lo, hi, tz),
            holidays_for(space, lo, hi, tz))


def availability(session: Session, space_id: int, *, start: datetime, end: datetime,
                 now: datetime) -> list[dict]:
    """Free intervals of the space over [start, end) with the capacity left in each."""
    validate_times(start, end)
    if end - start > timedelta(days=62):
        raise BadRequest("Ask for availability over at most 62 days at a time.")
    tz = zone()
    space = get_space(session, space_id)
    spec = spec_of(space)
    taken, blackouts, holidays = _claims(session, space, start, end, tz)
    return [{"start": s, "end": e, "capacity_left": left}
            for s, e, left in core_availability(spec, taken, blackouts, start, end, now, tz, holidays=holidays)]


def free_spaces(session: Session, *, kind: str, start: datetime, end: datetime, user: User,
                now: datetime) -> list[Space]:
    """Every active space of the kind where exactly [start, end) would be accepted for this user."""
    validate_times(start, end)
    tz = zone()
    out = []
    for space in session.execute(select(Space).where(Space.kind == kind, Space.active.is_(True))
                                 .order_by(Space.name, Space.id)).scalars():
        violations, found = evaluate(session, user, space, start, end, now, tz)
        if not violations and not found:
            out.append(space)
    return out


def _local_grid_day(day: date, minute: int, tz: ZoneInfo) -> datetime:
    if minute >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    return datetime.combine(day, time(minute // 60, minute % 60), tz).astimezone(UTC)


def week_view(session: Session, space_id: int, *, week_start: date, user: User, now: datetime,
              tz: ZoneInfo | None = None) -> dict:
    """A week calendar on the space's slot grid over the union of that week's opening hours."""
    tz = tz or zone()
    space = get_space(session, space_id)
    spec = spec_of(space)
    days = [week_start + timedelta(days=i) for i in range(7)]
    span_start = datetime.combine(days[0], time(0, 0), tz).astimezone(UTC)
    span_end = datetime.combine(days[-1] + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    first, last = None, None
    for day in days:
        for s, e in (space.opening_hours or {}).get(WEEKDAYS[day.weekday()], []) or []:
            sh, sm = parse_hhmm(s)
            eh, em = parse_hhmm(e, allow_24=True)
            first = sh * 60 + sm if first is None else min(first, sh * 60 + sm)
            last = eh * 60 + em if last is None else max(last, eh * 60 + em)
    if first is None:
        return {"days": days, "rows": [], "space": space}
    slot = spec.slot_minutes
    first -= first % slot
    taken, blackouts, holidays = _claims(session, space, span_start, span_end, tz)
    closed_dates = list(holidays) if space.closed_on_holidays else []
    opens = open_windows(space.opening_hours or {}, span_start, span_end, tz, closed_dates=closed_dates)
    free = merge((s, e) for s, e, _ in core_availability(spec, taken, blackouts, span_start, span_end, now, tz,
                                                          holidays=holidays))
    mine = list(session.execute(
        select(Booking.id, Booking.start_at, Booking.end_at).where(
            Booking.space_id == space.id, Booking.user_id == user.id, Booking.status != "cancelled",
            Booking.start_at >= span_start - scan_bound(), Booking.start_at < span_end, Booking.end_at > span_start)
    ).all())

    def inside(pieces, s, e):
        return any(a <= s and e <= b for a, b in pieces)

    def touches(pieces, s, e):
        return any(a < e and s < b for a, b in pieces)

    rows = []
    for minute in range(first, last, slot):
        cells = []
        for day in days:
            s = _local_grid_day(day, minute, tz)
            e = _local_grid_day(day, minute + slot, tz)
            if not s < e:
                cells.append({"state": "closed", "start": s, "end": s, "booking_id": None})
                continue
            booking_id = next((bid for bid, bs, be in mine if bs < e and s < be), None)
            if not inside(opens, s, e):
                state = "closed"
            elif touches(blackouts, s, e):
                state = "blackout"
            elif booking_id is not None:
                state = "mine"
            elif s < now:
                state = "past"
            elif inside(free, s, e):
                state = "free"
            elif touches(taken, s, e):
                state = "busy"
            else:
                state = "unavailable"  # open, but no booking of the minimum length fits here
            cells.append({"state": state, "start": s, "end": e, "booking_id": booking_id if state == "mine" else None})
        rows.append({"time": f"{minute // 60:02d}:{minute % 60:02d}", "cells": cells})
    return {"days": days, "rows": rows, "space": space}
