"""Suggestions when a request cannot be had: the nearest intervals of the same length, on the
same space (before and after) and on other spaces of the same kind, each passing every rule
for that user and free of conflicts, ordered by closeness to the requested start (then the
requested space first, then space id)."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .availability import Occupancy
from .hours import open_windows
from .rules import SpaceState, UserContext, grid_points, rule_violations


@dataclass(frozen=True)
class Suggestion:
    space_id: int
    start: datetime
    end: datetime


def _outward(points: list[datetime], start: datetime) -> Iterator[datetime]:
    """Sorted points in the order of (distance from start, time): a walk out from the start,
    the earlier of two equally near first (no sort of the whole window)."""
    after = bisect_left(points, start)
    before = after - 1
    while before >= 0 or after < len(points):
        if after >= len(points) or (before >= 0 and start - points[before] <= points[after] - start):
            yield points[before]
            before -= 1
        else:
            yield points[after]
            after += 1


def _nearest_on(state: SpaceState, start: datetime, duration: timedelta, now: datetime, tz: ZoneInfo,
                user: UserContext, limit: int, search: timedelta, skip: datetime | None,
                grids: dict, farthest: timedelta | None = None) -> list[tuple[timedelta, datetime]]:
    """Up to `limit` free starts on one space, nearest first; none farther than `farthest`
    (the other spaces already found `limit` nearer ones)."""
    spec = state.spec
    if not spec.active or duration > timedelta(minutes=spec.max_minutes):
        return []
    lo = max(start - search, now)
    hi = min(start + search, now + timedelta(days=spec.max_days_ahead))
    if lo > hi:
        return []
    closed = list(state.holidays) if spec.closed_on_holidays else []
    opens = open_windows(spec.opening_hours, lo, hi + duration, tz, closed_dates=closed)
    occupancy = Occupancy(state.holds)
    blocks = state.blackouts
    # The slot grid over the whole search window is built once (and shared by the spaces with
    # the same grid and window); each opening takes its slice of it.
    key = (lo, hi, spec.slot_minutes)
    if key not in grids:
        grids[key] = grid_points(lo, hi, spec.slot_minutes, tz)
    grid = grids[key]
    candidates = []
    for o_start, o_end in opens:
        a, b = max(o_start, lo), min(o_end - duration, hi)
        if a <= b:
            candidates.extend(grid[bisect_left(grid, a):bisect_right(grid, b)])
    found = []
    for t in _outward(candidates, start):
        if farthest is not None and abs(t - start) > farthest:
            break
        if skip is not None and t == skip:
            continue
        end = t + duration
        if occupancy.peak(t, end + spec.buffer) + 1 > spec.capacity:
            continue
        if any(b_start < end and t < b_end for b_start, b_end in blocks):
            continue
        if rule_violations(spec, t, end, now, tz, user=user, holidays=state.holidays):
            continue
        found.append((abs(t - start), t))
        if len(found) >= limit:
            break
    return found


def suggest(states: list[SpaceState], requested_space_id: int, start: datetime, end: datetime, now: datetime,
            tz: ZoneInfo, *, users: dict[int, UserContext] | UserContext | None = None, limit: int = 5,
            search: timedelta = timedelta(days=7)) -> list[Suggestion]:
    """The `limit` nearest alternatives of length end - start. `users` gives the user's rule
    context per space id (authorisation differs by space) or one for all."""
    duration = end - start
    ranked = []
    grids: dict = {}
    for state in states:
        if isinstance(users, dict):
            user = users.get(state.spec.id, UserContext())
        else:
            user = users or UserContext()
        same = state.spec.id == requested_space_id
        farthest = ranked[limit - 1][0] if len(ranked) >= limit else None
        for distance, t in _nearest_on(state, start, duration, now, tz, user, limit, search,
                                       skip=start if same else None, grids=grids, farthest=farthest):
            ranked.append((distance, 0 if same else 1, state.spec.id, t))
        ranked.sort()
    return [Suggestion(space_id, t, t + duration) for _, _, space_id, t in ranked[:limit]]
