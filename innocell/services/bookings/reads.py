"""Bounded reads of what occupies a space over a window: the holds of live bookings, the
blackouts (one-off and weekly) and public holidays, gathered into the pure core's SpaceState.

Every query reads only rows that overlap the window (see common.scan_bound), so a check
costs the same in the park's first week and its tenth year."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation.hours import WeeklyWindow, public_holidays, weekly_windows
from ...allocation.intervals import merge
from ...allocation.rules import SpaceSpec, SpaceState
from ...models import Blackout, Booking, RecurringBlackout, Space
from .common import scan_bound


def spec_of(space: Space) -> SpaceSpec:
    return SpaceSpec(
        id=space.id, code=space.code, name=space.name, kind=space.kind, capacity=space.capacity,
        opening_hours=space.opening_hours or {}, slot_minutes=space.slot_minutes, min_minutes=space.min_minutes,
        max_minutes=space.max_minutes, buffer_minutes=space.buffer_minutes, max_days_ahead=space.max_days_ahead,
        active=bool(space.active), requires_authorisation=bool(space.requires_authorisation),
        closed_on_holidays=bool(space.closed_on_holidays),
    )


def holds(session: Session, space_id: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Holds [start_at, hold_end_at) of non-cancelled bookings overlapping [start, end)."""
    stmt = select(Booking.start_at, Booking.hold_end_at).where(
        Booking.space_id == space_id,
        Booking.start_at >= start - scan_bound(),
        Booking.start_at < end,
        Booking.hold_end_at > start,
        Booking.status != "cancelled",
    )
    return [(s, e) for s, e in session.execute(stmt).all()]


def blackout_windows(session: Session, space_id: int, start: datetime, end: datetime,
                     tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The space's live one-off and weekly blackouts over [start, end), merged."""
    one_off = session.execute(
        select(Blackout.start_at, Blackout.end_at).where(
            Blackout.space_id == space_id, Blackout.lifted_at.is_(None), Blackout.start_at < end,
            Blackout.end_at > start)
    ).all()
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    rules = session.execute(
        select(RecurringBlackout).where(
            RecurringBlackout.space_id == space_id, RecurringBlackout.lifted_at.is_(None),
            (RecurringBlackout.valid_until.is_(None)) | (RecurringBlackout.valid_until > first_day))
    ).scalars().all()
    weekly = weekly_windows([WeeklyWindow(r.weekday, r.start_time, r.end_time, r.valid_from, r.valid_until)
                             for r in rules], start, end, tz) if rules else []
    return merge([(s, e) for s, e in one_off] + weekly)


def holidays_for(space: Space, start: datetime, end: datetime, tz: ZoneInfo) -> dict:
    """Public holidays over the window, when the space closes on them (else none)."""
    if not space.closed_on_holidays:
        return {}
    local_start = start.astimezone(tz)
    first = local_start.year - 1 if local_start.month == 1 else local_start.year
    last = end.astimezone(tz).year
    return public_holidays(range(first, last + 1))


def space_state(session: Session, space: Space, start: datetime, end: datetime, tz: ZoneInfo) -> SpaceState:
    """Everything the pure core needs about the space to judge a request inside [start, end)."""
    return space_states(session, [space], start, end, tz)[0]


def space_states(session: Session, spaces: list[Space], start: datetime, end: datetime,
                 tz: ZoneInfo) -> list[SpaceState]:
    """`space_state` of each space, read in three queries whatever the number of spaces (the
    suggestions search every space of a kind: one query per space each made a refused booking
    cost hundreds of round trips). Each space keeps exactly its own window, buffer included."""
    if not spaces:
        return []
    specs = {space.id: spec_of(space) for space in spaces}
    ids = list(specs)
    far = end + max(spec.buffer for spec in specs.values())
    ends = {space_id: end + spec.buffer for space_id, spec in specs.items()}
    held: dict[int, list[tuple[datetime, datetime]]] = {space_id: [] for space_id in ids}
    for space_id, s, e in session.execute(select(Booking.space_id, Booking.start_at, Booking.hold_end_at).where(
            Booking.space_id.in_(ids), Booking.start_at >= start - scan_bound(), Booking.start_at < far,
            Booking.hold_end_at > start, Booking.status != "cancelled")):
        if s < ends[space_id]:
            held[space_id].append((s, e))
    one_off: dict[int, list[tuple[datetime, datetime]]] = {space_id: [] for space_id in ids}
    for space_id, s, e in session.execute(select(Blackout.space_id, Blackout.start_at, Blackout.end_at).where(
            Blackout.space_id.in_(ids), Blackout.lifted_at.is_(None), Blackout.start_at < far, Blackout.end_at > start)):
        if s < ends[space_id]:
            one_off[space_id].append((s, e))
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    rules: dict[int, list[WeeklyWindow]] = {space_id: [] for space_id in ids}
    for r in session.execute(select(RecurringBlackout).where(
            RecurringBlackout.space_id.in_(ids), RecurringBlackout.lifted_at.is_(None),
            (RecurringBlackout.valid_until.is_(None)) | (RecurringBlackout.valid_until > first_day))).scalars():
        rules[r.space_id].append(WeeklyWindow(r.weekday, r.start_time, r.end_time, r.valid_from, r.valid_until))
    states = []
    for space in spaces:
        weekly = weekly_windows(rules[space.id], start, ends[space.id], tz) if rules[space.id] else []
        states.append(SpaceState(spec=specs[space.id], holds=held[space.id], blackouts=merge(one_off[space.id] + weekly),
                                 holidays=holidays_for(space, start, end, tz)))
    return states
