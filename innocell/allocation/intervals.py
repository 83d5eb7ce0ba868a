"""Half-open intervals [start, end) over any ordered values (datetimes, dates, numbers),
and the capacity sweep that both bookings and leases are checked with."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True, order=True)
class Interval:
    start: Any
    end: Any

    def __post_init__(self):
        if not self.start < self.end:
            raise ValueError(f"interval end {self.end!r} must be after start {self.start!r}")

    def overlaps(self, other: "Interval") -> bool:
        return overlaps(self.start, self.end, other.start, other.end)

    def contains(self, other: "Interval") -> bool:
        return self.start <= other.start and other.end <= self.end


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """The one overlap predicate: half-open, so back-to-back intervals do not overlap."""
    return a_start < b_end and b_start < a_end


def peak_usage(intervals: Iterable[tuple[Any, Any]], window_start, window_end) -> int:
    """The most intervals in use at any one instant of [window_start, window_end)."""
    events = []
    for start, end in intervals:
        s, e = max(start, window_start), min(end, window_end)
        if s < e:
            events.append((s, 1))
            events.append((e, -1))
    events.sort(key=lambda ev: (ev[0], ev[1]))  # ends (-1) before starts at the same instant
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def merge(intervals: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Union of intervals as sorted, disjoint, non-touching pieces."""
    out: list[list[Any]] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def subtract(base: Iterable[tuple[Any, Any]], holes: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Pieces of `base` not covered by any of `holes`."""
    holes = merge(holes)
    result = []
    for start, end in merge(base):
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                result.append((cursor, h_start))
            cursor = max(cursor, h_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result
