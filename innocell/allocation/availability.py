"""Availability: where one more booking of the grid's size fits, with the remaining capacity.

Definition (the property tests check it against a minute-by-minute oracle):

- A *candidate* is [t, t + L) with t on the local slot grid and L the space's grid length
  (the smallest whole number of slots >= min_minutes). It is *feasible* when it lies inside
  opening hours (public holidays closed when the space says so), overlaps no blackout,
  t >= now, t <= now + max_days_ahead, and the other holds plus its own hold
  [t, t + L + buffer) never exceed capacity.
- The free time is the union of feasible candidates overlapping the window, clipped to it.
- It is returned as maximal pieces of constant `capacity_left`, the capacity minus the
  number of holds covering that instant (at least 1 inside free time).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from .hours import open_windows
from .intervals import merge
from .rules import SpaceSpec, grid_points


class Occupancy:
    """A step function: how many holds cover each instant, with fast peak queries."""

    def __init__(self, holds: Iterable[tuple[datetime, datetime]]):
        deltas: dict[datetime, int] = {}
        for s, e in holds:
            if s < e:
                deltas[s] = deltas.get(s, 0) + 1
                deltas[e] = deltas.get(e, 0) - 1
        self.times = sorted(deltas)
        self.levels = []  # level on [times[i], times[i+1])
        level = 0
        for t in self.times:
            level += deltas[t]
            self.levels.append(level)

    def at(self, instant: datetime) -> int:
        i = bisect_right(self.times, instant) - 1
        return self.levels[i] if i >= 0 else 0

    def peak(self, start: datetime, end: datetime) -> int:
        """Most holds at any instant of [start, end)."""
        if not self.times or not start < end:
            return 0
        i = bisect_right(self.times, start) - 1
        j = bisect_left(self.times, end)
        best = self.levels[i] if i >= 0 else 0
        for k in range(max(i + 1, 0), j):
            if self.levels[k] > best:
                best = self.levels[k]
        return best

    def breakpoints(self, start: datetime, end: datetime) -> list[datetime]:
        i = bisect_right(self.times, start)
        j = bisect_left(self.times, end)
        return self.times[i:j]


def feasible_starts(spec: SpaceSpec, holds: Iterable[tuple[datetime, datetime]],
                    blackouts: Iterable[tuple[datetime, datetime]], window_start: datetime,
                    window_end: datetime, now: datetime, tz: ZoneInfo, *, holidays: Iterable = (),
                    length: timedelta | None = None, occupancy: Occupancy | None = None) -> list[datetime]:
    """Grid starts t whose booking [t, t + length) is feasible and overlaps the window."""
    length = length or spec.grid_length
    if length > timedelta(minutes=spec.max_minutes) or not spec.active:
        return []
    occupancy = occupancy or Occupancy(holds)
    closed = list(holidays) if spec.closed_on_holidays else []
    opens = open_windows(spec.opening_hours, window_start - length, window_end + length, tz, closed_dates=closed)
    blocks = merge(blackouts)
    horizon = now + timedelta(days=spec.max_days_ahead)
    buffer = spec.buffer
    out = []
    for o_start, o_end in opens:
        lo = max(o_start, window_start - length + timedelta(microseconds=1), now)
        hi = min(o_end - length, window_end - timedelta(microseconds=1), horizon)
        if lo > hi:
            continue
        for t in grid_points(lo, hi, spec.slot_minutes, tz):
            end = t + length
            if any(b_start < end and t < b_end for b_start, b_end in blocks):
                continue
            if occupancy.peak(t, end + buffer) + 1 > spec.capacity:
                continue
            out.append(t)
    return out


def availability(spec: SpaceSpec, holds: Iterable[tuple[datetime, datetime]],
                 blackouts: Iterable[tuple[datetime, datetime]], window_start: datetime, window_end: datetime,
                 now: datetime, tz: ZoneInfo, *, holidays: Iterable = ()) -> list[tuple[datetime, datetime, int]]:
    """Free pieces (start, end, capacity_left) inside [window_start, window_end), sorted."""
    holds = list(holds)
    occupancy = Occupancy(holds)
    length = spec.grid_length
    starts = feasible_starts(spec, holds, blackouts, window_start, window_end, now, tz, holidays=holidays,
                             length=length, occupancy=occupancy)
    free = merge((max(t, window_start), min(t + length, window_end)) for t in starts)
    out: list[tuple[datetime, datetime, int]] = []
    for f_start, f_end in free:
        cuts = [f_start, *occupancy.breakpoints(f_start, f_end), f_end]
        for a, b in zip(cuts, cuts[1:]):
            if not a < b:
                continue
            left = spec.capacity - occupancy.at(a)
            if out and out[-1][1] == a and out[-1][2] == left:
                out[-1] = (out[-1][0], b, left)
            else:
                out.append((a, b, left))
    return out
