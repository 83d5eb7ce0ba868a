"""The staff timeline: every space (or every space of one kind) over a day or a week, one row per
space, with each booking's holder and title, pending requests and blackouts. For staff only: the
pages that residents see keep showing "booked".

Bounded reads whatever the number of spaces: one query for the spaces, one for the bookings of
the window across them (with the holders' names), one for one-off blackouts and one for weekly
ones. Nothing is loaded lazily per row."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation.hours import WeeklyWindow, parse_hhmm, weekly_windows
from ...models import Blackout, Booking, RecurringBlackout, Space, User
from .common import UTC, scan_bound

DEFAULT_HOURS = (8, 22)  # shown when no space of the view opens that day


@dataclass(frozen=True)
class Bar:
    """One booking or blackout inside one day's cell, placed in percent of the cell's width."""
    left: float
    width: float
    start: datetime
    end: datetime
    kind: str  # "booking" or "blackout"
    booking_id: int | None = None
    status: str = ""
    title: str = ""
    holder: str = ""
    holder_company: str = ""
    reason: str = ""
    lane: int = 0  # overlapping bookings (a space of capacity > 1) stack in lanes
    lanes: int = 1


def _stacked(bars: list[Bar]) -> list[Bar]:
    """Give overlapping bars of one cell their own lanes (greedy, in start order)."""
    ends: list[datetime] = []
    placed = []
    for bar in sorted(bars, key=lambda b: (b.start, b.end)):
        lane = next((i for i, end in enumerate(ends) if end <= bar.start), len(ends))
        if lane == len(ends):
            ends.append(bar.end)
        else:
            ends[lane] = bar.end
        placed.append(replace(bar, lane=lane))
    return [replace(bar, lanes=len(ends)) for bar in placed]


@dataclass
class Row:
    space: Space
    cells: list[list[Bar]] = field(default_factory=list)  # one list of bars per day


@dataclass
class Timeline:
    days: list[date]
    first_hour: int
    last_hour: int
    rows: list[Row]
    pending: int

    @property
    def hours(self) -> list[int]:
        return list(range(self.first_hour, self.last_hour))


def _hour_range(spaces: list[Space], days: list[date]) -> tuple[int, int]:
    """The earliest opening and latest closing hour of the spaces on those days (whole hours)."""
    keys = {("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d.weekday()] for d in days}
    lows, highs = [], []
    for space in spaces:
        for key in keys:
            for window in (space.opening_hours or {}).get(key) or []:
                try:
                    lo, (hi_h, hi_m) = parse_hhmm(window[0]), parse_hhmm(window[1], allow_24=True)
                except (ValueError, TypeError, IndexError, KeyError):
                    continue
                lows.append(lo[0])
                highs.append(hi_h + (1 if hi_m else 0))
    if not lows:
        return DEFAULT_HOURS
    return max(0, min(lows)), min(24, max(max(highs), min(lows) + 1))


def _place(start: datetime, end: datetime, days: list[date], first: int, last: int,
           tz: ZoneInfo) -> list[tuple[int, float, float]]:
    """(day index, left %, width %) for each day cell the interval shows in."""
    placed = []
    for index, day in enumerate(days):
        lo = datetime.combine(day, time(0), tz) + timedelta(hours=first)
        hi = datetime.combine(day, time(0), tz) + timedelta(hours=last)
        s, e = max(start, lo), min(end, hi)
        if e <= s:
            continue
        span = (hi - lo).total_seconds()
        left = (s - lo).total_seconds() / span * 100
        placed.append((index, round(left, 3), round(max((e - s).total_seconds() / span * 100, 0.5), 3)))
    return placed


def timeline(session: Session, *, first_day: date, days: int, tz: ZoneInfo, kind: str | None = None,
             include_inactive: bool = False) -> Timeline:
    """The timeline of `days` days from `first_day` (local dates) for every space, or those of
    `kind`: live bookings (pending and confirmed) with their holders, and live blackouts."""
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    start = datetime.combine(first_day, time(0), tz).astimezone(UTC)
    end = datetime.combine(first_day + timedelta(days=days), time(0), tz).astimezone(UTC)
    stmt = select(Space).order_by(Space.kind, Space.name, Space.id)
    if kind:
        stmt = stmt.where(Space.kind == kind)
    if not include_inactive:
        stmt = stmt.where(Space.active.is_(True))
    spaces = list(session.execute(stmt).scalars())
    first, last = _hour_range(spaces, day_list)
    rows = {s.id: Row(space=s, cells=[[] for _ in day_list]) for s in spaces}
    if not spaces:
        return Timeline(day_list, first, last, [], 0)
    ids = list(rows)
    bookings = session.execute(
        select(Booking.id, Booking.space_id, Booking.start_at, Booking.end_at, Booking.status, Booking.title,
               User.name, User.company)
        .join(User, User.id == Booking.user_id)
        .where(Booking.space_id.in_(ids), Booking.status != "cancelled", Booking.start_at < end, Booking.end_at > start,
               Booking.start_at >= start - scan_bound())
        .order_by(Booking.start_at, Booking.id)).all()
    pending = 0
    for bid, space_id, b_start, b_end, status, title, name, company in bookings:
        row = rows.get(space_id)
        if row is None:
            continue
        pending += status == "pending"
        for index, left, width in _place(b_start, b_end, day_list, first, last, tz):
            row.cells[index].append(Bar(left, width, b_start, b_end, "booking", bid, status, title or "", name or "",
                                        company or ""))
    one_off = session.execute(
        select(Blackout.space_id, Blackout.start_at, Blackout.end_at, Blackout.reason)
        .where(Blackout.space_id.in_(ids), Blackout.lifted_at.is_(None), Blackout.start_at < end,
               Blackout.end_at > start)).all()
    windows = [(space_id, s, e, reason or "") for space_id, s, e, reason in one_off]
    first_local = first_day - timedelta(days=1)
    rules = session.execute(
        select(RecurringBlackout).where(
            RecurringBlackout.space_id.in_(ids), RecurringBlackout.lifted_at.is_(None),
            (RecurringBlackout.valid_until.is_(None)) | (RecurringBlackout.valid_until > first_local))).scalars().all()
    for rule in rules:
        for s, e in weekly_windows([WeeklyWindow(rule.weekday, rule.start_time, rule.end_time, rule.valid_from,
                                                 rule.valid_until)], start, end, tz):
            windows.append((rule.space_id, s, e, rule.reason or "weekly closure"))
    for row in rows.values():
        row.cells = [_stacked(cell) for cell in row.cells]
    for space_id, s, e, reason in windows:
        for index, left, width in _place(s, e, day_list, first, last, tz):
            rows[space_id].cells[index].append(Bar(left, width, s, e, "blackout", reason=reason))
    return Timeline(day_list, first, last, list(rows.values()), pending)
