"""Half-open intervals [start, end) as (start, end) pairs over any ordered values (datetimes,
dates, numbers): the one overlap predicate, union and difference. The capacity sweep bookings
are checked with is `rules.capacity_conflicts`."""
from __future__ import annotations

from typing import Any, Iterable


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """The one overlap predicate: half-open, so back-to-back intervals do not overlap."""
    return a_start < b_end and b_start < a_end


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
