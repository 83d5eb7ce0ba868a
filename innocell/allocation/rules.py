"""Booking rules: every violation of a requested interval at once, each with the contract's
rule name and a sentence a resident understands; and the conflicts (capacity taken by other
holds, blackouts) reported separately.

Plain data in, plain data out: the caller (the service layer) loads the space's settings
into a `SpaceSpec`, the overlapping holds and blackouts as (start, end) UTC pairs, and the
user's quota position into a `UserContext`.

Buffer semantics: a booking holds [start, end + buffer). A new booking's hold must not push
the peak number of concurrent holds over the space's capacity. Blackouts and opening hours
apply to the booking itself, [start, end).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from math import ceil
from typing import Iterable
from zoneinfo import ZoneInfo

from .hours import WEEKDAYS, open_windows
from .intervals import merge, overlaps
from .phrasing import ENGLISH, Phrasing

UTC = timezone.utc

RULES = ("past", "too_far_ahead", "outside_opening_hours", "off_grid", "too_short", "too_long", "quota",
         "simultaneous", "inactive_space", "not_authorised")
# Violations no other start time or space of the same length can cure.
LENGTH_RULES = frozenset({"off_grid", "too_short", "too_long"})

DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def _default_hours() -> dict:
    return {day: [["08:00", "22:00"]] for day in WEEKDAYS}


@dataclass(frozen=True)
class SpaceSpec:
    """The settings of a space that the rules read."""

    id: int = 0
    code: str = ""
    name: str = "This space"
    kind: str = ""
    capacity: int = 1
    opening_hours: dict = field(default_factory=_default_hours, hash=False, compare=False)
    slot_minutes: int = 30
    min_minutes: int = 30
    max_minutes: int = 480
    buffer_minutes: int = 0
    max_days_ahead: int = 60
    active: bool = True
    requires_authorisation: bool = False
    closed_on_holidays: bool = False

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)

    @property
    def grid_length(self) -> timedelta:
        """The shortest bookable length: the smallest whole number of slots >= min_minutes."""
        return timedelta(minutes=self.slot_minutes * max(1, ceil(self.min_minutes / self.slot_minutes)))


@dataclass(frozen=True)
class UserContext:
    """What the rules need to know about the person booking.

    `used_minutes` maps a local ISO week (year, week) to the minutes this user already has
    booked (non-cancelled) in spaces of this kind; only weeks the request touches matter.
    `own_bookings` are the user's other live bookings of this kind, [start, end) pairs, around
    the request (and the earlier occurrences of the same request); `simultaneous_limit` is how
    many the kind lets one person hold at the same instant (None: no limit, e.g. staff)."""

    quota_minutes: int | None = None  # None: no quota applies (staff)
    used_minutes: dict = field(default_factory=dict, hash=False, compare=False)
    authorised: bool = True
    simultaneous_limit: int | None = None
    own_bookings: list = field(default_factory=list, hash=False, compare=False)


@dataclass
class SpaceState:
    """A space with the claims on it around some window (UTC pairs)."""

    spec: SpaceSpec
    holds: list = field(default_factory=list)  # (start, hold_end) of other non-cancelled bookings
    blackouts: list = field(default_factory=list)  # (start, end), one-off and recurring expanded
    holidays: dict = field(default_factory=dict)  # local date -> name; closed dates when closed_on_holidays


# ---------------------------------------------------------------------------- formatting


def fmt_minutes(minutes: float) -> str:
    return ENGLISH.duration(minutes)


def fmt_local(dt: datetime, tz: ZoneInfo) -> str:
    return ENGLISH.moment(dt.astimezone(tz))


# ---------------------------------------------------------------------------- the grid


def minute_of_day(dt: datetime, tz: ZoneInfo) -> int:
    local = dt.astimezone(tz)
    return local.hour * 60 + local.minute


def on_grid(dt: datetime, slot_minutes: int, tz: ZoneInfo) -> bool:
    """True when the local wall-clock time is a whole number of slots after local midnight."""
    local = dt.astimezone(tz)
    return local.second == 0 and local.microsecond == 0 and minute_of_day(dt, tz) % slot_minutes == 0


def grid_points(window_start: datetime, window_end: datetime, slot_minutes: int, tz: ZoneInfo) -> list[datetime]:
    """Every instant in [window_start, window_end] on the local slot grid, sorted, in UTC.
    Built from local wall-clock times day by day so DST days are right: skipped wall times do
    not exist, repeated ones occur twice (fold 0 and 1)."""
    points = set()
    day = window_start.astimezone(tz).date() - timedelta(days=1)
    last = window_end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        for minute in range(0, 24 * 60, slot_minutes):
            wall = datetime.combine(day, time(minute // 60, minute % 60))
            for fold in (0, 1):
                local = wall.replace(tzinfo=tz, fold=fold)
                instant = local.astimezone(UTC)
                back = instant.astimezone(tz)
                if back.replace(tzinfo=None) != wall:
                    continue  # a wall time skipped by a DST change
                if window_start <= instant <= window_end:
                    points.add(instant)
        day += timedelta(days=1)
    return sorted(points)


# ---------------------------------------------------------------------------- quota weeks


def iso_week(dt: datetime, tz: ZoneInfo) -> tuple[int, int]:
    year, week, _ = dt.astimezone(tz).isocalendar()
    return year, week


def week_start_of(dt: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of local Monday 00:00 of dt's local ISO week."""
    local_day = dt.astimezone(tz).date()
    monday = local_day - timedelta(days=local_day.weekday())
    return datetime.combine(monday, time(0, 0), tz).astimezone(UTC)


def week_minutes(intervals: Iterable[tuple[datetime, datetime]], tz: ZoneInfo) -> dict[tuple[int, int], float]:
    """Minutes of the intervals in each local ISO week (split at local Monday 00:00)."""
    totals: dict[tuple[int, int], float] = {}
    for start, end in intervals:
        cursor = start
        while cursor < end:
            monday = week_start_of(cursor, tz)
            next_monday = datetime.combine(monday.astimezone(tz).date() + timedelta(days=7), time(0, 0), tz)
            piece_end = min(end, next_monday.astimezone(UTC))
            key = iso_week(cursor, tz)
            totals[key] = totals.get(key, 0.0) + (piece_end - cursor).total_seconds() / 60
            cursor = piece_end
    return totals


# ---------------------------------------------------------------------------- the person's holdings


def simultaneous_peak(intervals: Iterable[tuple[datetime, datetime]], start: datetime,
                      end: datetime) -> tuple[int, datetime]:
    """(the most of `intervals` in use at one instant of [start, end), the first such instant)."""
    events = []
    for s, e in intervals:
        a, b = max(s, start), min(e, end)
        if a < b:
            events += [(a, 1), (b, -1)]
    events.sort(key=lambda ev: (ev[0], ev[1]))  # ends before starts at the same instant
    level = peak = 0
    at = start
    for instant, delta in events:
        level += delta
        if level > peak:
            peak, at = level, instant
    return peak, at


def end_early_at(start: datetime, end: datetime, now: datetime, slot_minutes: int, tz: ZoneInfo) -> datetime | None:
    """Where a booking under way ends when it is ended now: the first point of the space's grid
    at or after `now`, never later than its end. None when it has not begun (nothing was used:
    it can be cancelled whole) or is already over."""
    if not start < now < end:
        return None
    points = grid_points(now, now + timedelta(minutes=slot_minutes), slot_minutes, tz)
    return min(points[0], end) if points else end


# ---------------------------------------------------------------------------- rules


def _hours_sentence(spec: SpaceSpec, day: date, _: Phrasing = ENGLISH) -> str:
    windows = spec.opening_hours.get(WEEKDAYS[day.weekday()]) or []
    if not windows:
        return _("it is closed on %(days)s", days=_.weekdays(day.weekday()))
    spans = ", ".join(f"{s}-{e}" for s, e in windows)
    return _("on %(days)s it is open %(hours)s", days=_.weekdays(day.weekday()), hours=spans)


def covered_by_opening(spec: SpaceSpec, start: datetime, end: datetime, tz: ZoneInfo,
                       holidays: Iterable[date] = ()) -> bool:
    closed = holidays if spec.closed_on_holidays else ()
    windows = open_windows(spec.opening_hours, start, end, tz, closed_dates=closed)
    return windows == [(start, end)]


def rule_violations(spec: SpaceSpec, start: datetime, end: datetime, now: datetime, tz: ZoneInfo, *,
                    user: UserContext | None = None, holidays: dict | None = None,
                    phrasing: Phrasing = ENGLISH) -> list[dict]:
    """Every rule the request [start, end) breaks, in the contract's order, as
    {"rule", "message"}. `holidays` maps local dates to names (used when the space closes on
    public holidays). Messages are worded by `phrasing` (English unless the caller passes the
    reader's language)."""
    if not start < end:
        raise ValueError("end must be after start")
    _ = phrasing
    user = user or UserContext()
    holidays = holidays or {}
    out: list[dict] = []
    name = spec.name or _("This space")
    length = (end - start).total_seconds() / 60

    if start < now:
        out.append({"rule": "past", "message": _("This time has already started or passed; choose a start in the "
                                                 "future.")})
    horizon = now + timedelta(days=spec.max_days_ahead)
    if start > horizon:
        out.append({"rule": "too_far_ahead",
                    "message": _("%(name)s can be booked at most %(days)s days ahead, so no later than %(latest)s.",
                                 name=name, days=spec.max_days_ahead, latest=_.moment(horizon.astimezone(tz)))})
    if length <= 60 * 24 * 31 and not covered_by_opening(spec, start, end, tz, holidays.keys()):
        local_start = start.astimezone(tz).date()
        local_end = (end - timedelta(microseconds=1)).astimezone(tz).date()
        closed_days = [d for d in holidays if local_start <= d <= local_end] if spec.closed_on_holidays else []
        if closed_days:
            day = min(closed_days)
            message = _("%(name)s is closed on public holidays, and %(day)s is %(holiday)s.",
                        name=name, day=_.day(day), holiday=holidays[day])
        else:
            message = _("%(name)s is closed for part of this time: %(hours)s.",
                        name=name, hours=_hours_sentence(spec, local_start, _))
        out.append({"rule": "outside_opening_hours", "message": message})
    elif length > 60 * 24 * 31:
        out.append({"rule": "outside_opening_hours", "message": _("%(name)s is not open for such a long stretch.",
                                                                  name=name)})
    bad = [label for label, instant in (("start", start), ("end", end)) if not on_grid(instant, spec.slot_minutes, tz)]
    if bad:
        times = {b: _.clock(instant.astimezone(tz)) for b, instant in (("start", start), ("end", end)) if b in bad}
        if len(bad) == 2:
            off = _("the start (%(start)s) and the end (%(end)s) are not on it", **times)
        elif "start" in times:
            off = _("the start (%(start)s) is not on it", **times)
        else:
            off = _("the end (%(end)s) is not on it", **times)
        out.append({"rule": "off_grid",
                    "message": _("Bookings of %(name)s start and end on a %(slot)s-minute grid from midnight; "
                                 "%(off)s.", name=name, slot=spec.slot_minutes, off=off)})
    if length < spec.min_minutes:
        out.append({"rule": "too_short", "message": _("The shortest booking of %(name)s is %(limit)s; this one is "
                                                      "%(length)s.", name=name, limit=_.duration(spec.min_minutes),
                                                      length=_.duration(length))})
    if length > spec.max_minutes:
        out.append({"rule": "too_long", "message": _("The longest booking of %(name)s is %(limit)s; this one is "
                                                     "%(length)s.", name=name, limit=_.duration(spec.max_minutes),
                                                     length=_.duration(length))})
    if user.quota_minutes is not None:
        for week, minutes in sorted(week_minutes([(start, end)], tz).items()):
            used = user.used_minutes.get(week, 0)
            if used + minutes > user.quota_minutes:
                monday = date.fromisocalendar(week[0], week[1], 1)
                left = max(0, user.quota_minutes - used)
                kind = (spec.kind or "space").replace("_", " ")
                out.append({"rule": "quota",
                            "message": _("You may book %(quota)s of %(kind)s time a week. In the week of %(week)s "
                                         "you already have %(used)s booked, so %(left)s is left and this booking "
                                         "needs %(needed)s.", quota=_("%(hours)s h", hours=format(user.quota_minutes / 60, "g")),
                                         kind=kind, week=_.plain_day(monday), used=_.duration(used),
                                         left=_.duration(left), needed=_.duration(minutes))})
                break
    if user.simultaneous_limit is not None:
        busiest = simultaneous_peak(user.own_bookings, start, end)
        if busiest[0] + 1 > user.simultaneous_limit:
            kind = (spec.kind or "space").replace("_", " ")
            out.append({"rule": "simultaneous",
                        "message": _.ngettext(
                            "You may hold %(num)s %(kind)s booking at the same time. At %(at)s you already hold "
                            "%(held)s, so this booking would make %(would)s.",
                            "You may hold %(num)s %(kind)s bookings at the same time. At %(at)s you already hold "
                            "%(held)s, so this booking would make %(would)s.", user.simultaneous_limit,
                            kind=kind, at=_.moment(busiest[1].astimezone(tz)), held=busiest[0],
                            would=busiest[0] + 1)})
    if not spec.active:
        out.append({"rule": "inactive_space", "message": _("%(name)s is not open for booking at the moment.",
                                                           name=name)})
    if spec.requires_authorisation and not user.authorised:
        out.append({"rule": "not_authorised",
                    "message": _("%(name)s needs training first: ask a facility manager to authorise you before "
                                 "booking it.", name=name)})
    return out


# ---------------------------------------------------------------------------- conflicts


def capacity_conflicts(holds: Iterable[tuple[datetime, datetime]], capacity: int, start: datetime,
                       hold_end: datetime) -> list[tuple[datetime, datetime]]:
    """The maximal pieces of [start, hold_end) where other holds already use the whole capacity."""
    events: list[tuple[datetime, int]] = []
    for s, e in holds:
        s, e = max(s, start), min(e, hold_end)
        if s < e:
            events.append((s, 1))
            events.append((e, -1))
    if not events:
        return []
    events.sort(key=lambda ev: (ev[0], ev[1]))
    pieces = []
    level = 0
    full_since = None
    i = 0
    while i < len(events):
        instant = events[i][0]
        while i < len(events) and events[i][0] == instant:
            level += events[i][1]
            i += 1
        if level >= capacity and full_since is None:
            full_since = instant
        elif level < capacity and full_since is not None:
            pieces.append((full_since, instant))
            full_since = None
    return merge(pieces)


def conflicts(spec: SpaceSpec, start: datetime, end: datetime, holds: Iterable[tuple[datetime, datetime]],
              blackouts: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Where the request cannot have the space: capacity used up by other holds over the new
    hold [start, end + buffer), and blackouts over [start, end). Merged, sorted."""
    hold_end = end + spec.buffer
    pieces = capacity_conflicts(holds, spec.capacity, start, hold_end)
    for b_start, b_end in blackouts:
        if overlaps(b_start, b_end, start, end):
            pieces.append((max(b_start, start), min(b_end, end)))
    return merge(pieces)

