"""Opening hours, weekly recurring windows and public holidays, expanded into concrete
UTC intervals. Local wall-clock times are turned into instants with zoneinfo, so a day
with a DST change has the right length."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterable
from zoneinfo import ZoneInfo

from .intervals import merge

UTC = timezone.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hhmm(value: str, *, allow_24: bool = False) -> tuple[int, int]:
    """'HH:MM' to (hour, minute); '24:00' only where allowed (as an end). Raises ValueError."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError(f"'{value}' is not a time of day (HH:MM)")
    try:
        hour, minute = int(value[:2]), int(value[3:])
    except ValueError:
        raise ValueError(f"'{value}' is not a time of day (HH:MM)") from None
    if allow_24 and (hour, minute) == (24, 0):
        return 24, 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"'{value}' is not a time of day (HH:MM)")
    return hour, minute


def _local_instant(day: date, hhmm: tuple[int, int], tz: ZoneInfo) -> datetime:
    hour, minute = hhmm
    if hour == 24:
        return datetime.combine(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    wall = datetime.combine(day, time(hour, minute))
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    # A wall time the clocks skip (spring forward): the edge is the moment they jump, i.e.
    # the first instant whose wall time is at or after `wall`. Bisect between the two folds.
    lo, hi = wall.replace(tzinfo=tz, fold=1).astimezone(UTC), instant
    if hi < lo:
        lo, hi = hi, lo
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(second=0, microsecond=0)
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def validate_opening_hours(hours: object) -> list[str]:
    """Every problem with an opening_hours value, as sentences (empty when valid)."""
    problems = []
    if not isinstance(hours, dict):
        return ["Opening hours must map mon..sun to lists of [\"HH:MM\", \"HH:MM\"] pairs."]
    for day, windows in hours.items():
        if day not in WEEKDAYS:
            problems.append(f"'{day}' is not a weekday (use mon, tue, wed, thu, fri, sat, sun).")
            continue
        if not isinstance(windows, list):
            problems.append(f"Opening hours for {day} must be a list of [start, end] pairs.")
            continue
        spans = []
        for window in windows:
            if not isinstance(window, (list, tuple)) or len(window) != 2:
                problems.append(f"Each opening window on {day} must be a [start, end] pair.")
                continue
            try:
                start = parse_hhmm(window[0])
                end = parse_hhmm(window[1], allow_24=True)
            except ValueError as exc:
                problems.append(f"{day}: {exc}.")
                continue
            if end <= start:
                problems.append(f"{day}: a window must end after it starts ({window[0]}-{window[1]}).")
                continue
            spans.append((start, end))
        spans.sort()
        for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
            if s2 < e1:
                problems.append(f"{day}: opening windows overlap.")
    return problems


def _local_days(window_start: datetime, window_end: datetime, tz: ZoneInfo) -> Iterable[date]:
    first = window_start.astimezone(tz).date() - timedelta(days=1)
    last = window_end.astimezone(tz).date()
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def open_windows(opening_hours: dict, window_start: datetime, window_end: datetime, tz: ZoneInfo,
                 closed_dates: Iterable[date] = ()) -> list[tuple[datetime, datetime]]:
    """The open intervals (UTC, merged, clipped to the window). A local date in
    `closed_dates` (e.g. a public holiday) has no opening. Spaces mostly share their hours, so
    a report over every space reuses one answer per distinct week of hours and window."""
    hours_key = tuple(sorted((day, tuple(tuple(p) for p in (pieces or []))) for day, pieces in opening_hours.items()))
    return list(_open_windows(hours_key, window_start, window_end, tz, frozenset(closed_dates)))


@lru_cache(maxsize=256)
def _open_windows(hours_key: tuple, window_start: datetime, window_end: datetime, tz: ZoneInfo,
                  closed: frozenset) -> tuple[tuple[datetime, datetime], ...]:
    opening_hours = dict(hours_key)
    pieces = []
    for day in _local_days(window_start, window_end, tz):
        if day in closed:
            continue
        for start, end in opening_hours.get(WEEKDAYS[day.weekday()], ()) or ():
            s = _local_instant(day, parse_hhmm(start), tz)
            e = _local_instant(day, parse_hhmm(end, allow_24=True), tz)
            s, e = max(s, window_start), min(e, window_end)
            if s < e:
                pieces.append((s, e))
    return tuple(merge(pieces))


@dataclass(frozen=True)
class WeeklyWindow:
    """A weekly local-time window, e.g. every Monday 08:00-10:00, valid over [valid_from, valid_until)."""

    weekday: int  # 0 = Monday
    start: str
    end: str
    valid_from: date | None = None
    valid_until: date | None = None


def weekly_windows(rules: Iterable[WeeklyWindow], window_start: datetime, window_end: datetime,
                   tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Concrete UTC intervals of weekly rules inside the window (merged)."""
    rules = list(rules)
    pieces = []
    for day in _local_days(window_start, window_end, tz):
        for rule in rules:
            if rule.weekday != day.weekday():
                continue
            if rule.valid_from and day < rule.valid_from:
                continue
            if rule.valid_until and day >= rule.valid_until:
                continue
            s = _local_instant(day, parse_hhmm(rule.start), tz)
            e = _local_instant(day, parse_hhmm(rule.end, allow_24=True), tz)
            s, e = max(s, window_start), min(e, window_end)
            if s < e:
                pieces.append((s, e))
    return merge(pieces)


def public_holidays(years: Iterable[int], country: str = "HK") -> dict[date, str]:
    """Public holidays from the `holidays` package (not a hand-typed list)."""
    import holidays

    return dict(holidays.country_holidays(country, years=sorted(set(years))))
