"""Read models for finding and seeing free time: availability of a space over a window, the
spaces free for exactly one interval, and a space's week calendar on its slot grid (each cell
judged by the same check a booking meets)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..phrasing import current, gettext
from ...allocation import conflict_reasons
from ...allocation.availability import availability as core_availability
from ...allocation.hours import WEEKDAYS, open_windows, parse_hhmm
from ...allocation.rules import SpaceState, capacity_conflicts
from ...models import Booking, Space, User
from .. import BadRequest
from ..settings import zone
from ..space_attributes import matches
from ..spaces import get_space
from .check import evaluate, judge, user_context
from .common import UTC, scan_bound, validate_times
from .reads import blackout_windows, holds, holidays_for, space_state, spec_of
from ..phrasing import gettext


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
        raise BadRequest(gettext("Ask for availability over at most 62 days at a time."))
    tz = zone()
    space = get_space(session, space_id)
    spec = spec_of(space)
    taken, blackouts, holidays = _claims(session, space, start, end, tz)
    return [{"start": s, "end": e, "capacity_left": left}
            for s, e, left in core_availability(spec, taken, blackouts, start, end, now, tz, holidays=holidays)]


def free_spaces(session: Session, *, kind: str, start: datetime, end: datetime, user: User,
                now: datetime, equipment: list[str] | None = None, min_seats: int | None = None) -> list[Space]:
    """Every active space of the kind where exactly [start, end) would be accepted for this user;
    with `equipment` / `min_seats` only those that have every listed piece and enough seats
    (space_attributes.matches, the spaces list's filter)."""
    validate_times(start, end)
    tz = zone()
    out = []
    for space in session.execute(select(Space).where(Space.kind == kind, Space.active.is_(True))
                                 .order_by(Space.name, Space.id)).scalars():
        if not matches(space, equipment=equipment, min_seats=min_seats):
            continue  # judged only when it has what was asked
        violations, found = evaluate(session, user, space, start, end, now, tz)
        if not violations and not found:
            out.append(space)
    return out


def _local_grid_day(day: date, minute: int, tz: ZoneInfo) -> datetime:
    if minute >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    return datetime.combine(day, time(minute // 60, minute % 60), tz).astimezone(UTC)


def _cell_state(cell: tuple[datetime, datetime], verdict, state: SpaceState, tz: ZoneInfo) -> tuple[str, str]:
    """(state, why) of an open cell whose booking of the grid length was refused."""
    s, e = cell
    violations, found = verdict
    full = bool(capacity_conflicts(state.holds, state.spec.capacity, s, e))
    if violations:
        return ("busy" if full else "unavailable"), violations[0]["message"]
    reasons = conflict_reasons.explain(state.spec, s, s + state.spec.grid_length, state.holds, state.blackouts, tz,
                                       current())
    why = reasons[0]["message"] if reasons else gettext("it is taken")
    return ("busy" if full else "unavailable"), why[0].upper() + why[1:] + "."


def week_view(session: Session, space_id: int, *, week_start: date, user: User, now: datetime,
              tz: ZoneInfo | None = None) -> dict:
    """A week calendar on the space's slot grid over the union of that week's opening hours.

    A cell is `free` exactly when a booking of the grid length (the shortest bookable) starting
    there passes the check the booking will meet (check.judge: every rule, conflicts with
    buffers counted, this person's quota and authorisation); its `book_end` is that booking's
    end. Other open cells say why not (`reason`): `busy` when the capacity is used up in the
    cell, else `unavailable` (the gap is too short, a buffer runs into the next booking, ...)."""
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
    slot, length = spec.slot_minutes, spec.grid_length
    first -= first % slot
    state = space_state(session, space, span_start, span_end + length, tz)
    ctx = user_context(session, user, space, span_start, span_end + length, now, tz)
    closed_dates = list(state.holidays) if space.closed_on_holidays else []
    opens = open_windows(space.opening_hours or {}, span_start, span_end, tz, closed_dates=closed_dates)
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
            cell = {"state": "closed", "start": s, "end": max(s, e), "booking_id": None, "book_end": None,
                    "reason": ""}
            booking_id = next((bid for bid, bs, be in mine if bs < e and s < be), None)
            if not s < e or not inside(opens, s, e):
                pass
            elif touches(state.blackouts, s, e):
                cell["state"] = "blackout"
            elif booking_id is not None:
                cell.update(state="mine", booking_id=booking_id)
            elif s < now:
                cell["state"] = "past"
            else:
                verdict = judge(state, ctx, s, s + length, now, tz)
                if not verdict[0] and not verdict[1]:
                    cell.update(state="free", book_end=s + length)
                else:
                    cell["state"], cell["reason"] = _cell_state((s, e), verdict, state, tz)
            cells.append(cell)
        rows.append({"time": f"{minute // 60:02d}:{minute % 60:02d}", "cells": cells})
    return {"days": days, "rows": rows, "space": space}
