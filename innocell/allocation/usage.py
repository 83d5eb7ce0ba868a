"""Report figures, computed exactly from plain data (CONTRACT.md "Reports").

No Flask, no database: units, leases, spaces, blackouts and bookings come in as small
dataclasses; figures go out exact (ints, `Fraction`s), so nothing is rounded before the
report is shown or exported (see `to_decimal`).

Definitions, to the letter of the contract:

- A period is `[start, end)` of local dates; a *night* is a date (the night of 3 March is the
  unit-night from 3 to 4 March). For hours the period runs from local midnight of `start` to
  local midnight of `end`, in the time zone given.
- **available unit-nights**: nights of the period, less the nights a unit is out of service
  (an outage covers `[start_date, end_date)`; a unit whose status is `out_of_service` is out on
  every night).
- **occupied unit-nights**: nights of the period covered by a lease that occupies
  (`active`, `ending`, `ended`, and `terminated` over its stored dates, which a termination
  shortens to the nights really used). A unit-night counts once even if records overlapped.
  Like the home page's "occupancy tonight", a leased night counts even when the unit was
  also marked out of service that night (the rent is still due).
- **rent due**: for each lease, for each calendar month, monthly rent × nights of the lease in
  that month and the period ÷ days in that month.
- **open hours**: the opening hours in the period (a public holiday closes a space marked
  `closed_on_holidays`), less one-off blackouts that were not lifted and weekly recurring
  blackouts, times the capacity; counted only while the space existed and was active (its
  active periods, from creation or activation to deactivation).
- **booked hours**: each confirmed booking, clipped to the opening hours and the period;
  bookings at a capacity-N space add up. **pending hours**: the same for pending bookings
  (they hold capacity but are not yet approved, so they are neither booked nor billed).
- **fees**: booked (confirmed) hours × the space's hourly rate.
- **totals**: the rows' figures summed, rates recomputed from the sums (never averaged).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from .hours import WeeklyWindow, open_windows, weekly_windows
from .intervals import merge, subtract

UTC = timezone.utc
OCCUPYING_LEASE_STATUSES = ("active", "ending", "ended", "terminated")
ACTIVE_BOOKING_STATUSES = ("pending", "confirmed")
MICROS_PER_HOUR = 3_600_000_000
OCCUPANCY_GROUPS = ("unit_type", "unit", "floor")
UTILISATION_GROUPS = ("space", "kind")


# --------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    unit_type: str
    floor: int
    out_of_service: bool = False  # Unit.status == 'out_of_service': every night out


@dataclass(frozen=True)
class LeaseInfo:
    unit_id: int
    start: date
    end: date
    monthly_rent: Decimal
    status: str = "active"
    nightly_rate: Decimal | None = None  # a short stay: charged by the night, not the month


@dataclass(frozen=True)
class SpaceInfo:
    id: int
    code: str
    kind: str
    capacity: int
    opening_hours: dict = field(hash=False, compare=False)
    hourly_rate: Decimal = Decimal("0")
    closed_on_holidays: bool = False
    # (start, end or None while active): when the space was open for booking; None: always.
    active_periods: tuple | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True)
class BookingInfo:
    space_id: int
    start: datetime
    end: datetime
    status: str = "confirmed"


# --------------------------------------------------------------------------- small helpers


def days_in_month(day: date) -> int:
    first = day.replace(day=1)
    return (next_month(first) - first).days


def next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_starts(start: date, end: date) -> list[date]:
    """First days of the calendar months that meet [start, end)."""
    out = []
    month = start.replace(day=1)
    while month < end:
        out.append(month)
        month = next_month(month)
    return out


def month_pieces(start: date, end: date) -> list[tuple[date, date, date]]:
    """(month, piece_start, piece_end): the period cut at month ends."""
    return [(m, max(start, m), min(end, next_month(m))) for m in month_starts(start, end)]


def period_instants(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight of `start` and of `end`, in UTC."""
    return (datetime.combine(start, time(0), tz).astimezone(UTC),
            datetime.combine(end, time(0), tz).astimezone(UTC))


def micros(delta: timedelta) -> int:
    """A duration in whole microseconds (integer arithmetic: called for every interval of a year)."""
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def hours(us: int | Fraction) -> Fraction:
    return Fraction(us) / MICROS_PER_HOUR


def ratio(part, whole) -> float | None:
    """part / whole as a float; None when there is nothing to divide by."""
    if not whole:
        return None
    return float(Fraction(part) / Fraction(whole))


def to_decimal(value: Fraction | Decimal | int, places: int | None = None) -> Decimal:
    """An exact figure as a Decimal; `places` rounds (half up) for display and export only."""
    if isinstance(value, Fraction) and places is not None and places > 0:
        # Rounded from the exact value in integers (exports format a million of these).
        n, d = value.numerator, value.denominator
        scale = 10 ** places
        q, r = divmod(abs(n) * scale, d)
        if 2 * r >= d:
            q += 1
        return Decimal(f"{'-' if n < 0 else ''}{q // scale}.{q % scale:0{places}d}")
    if isinstance(value, Fraction):
        with localcontext() as ctx:
            ctx.prec = 40
            number = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        number = Decimal(value)
    if places is None:
        return number
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _clip(a: date, b: date, start: date, end: date) -> tuple[date, date] | None:
    s, e = max(a, start), min(b, end)
    return (s, e) if s < e else None


# --------------------------------------------------------------------------- housing


def available_nights(unit: UnitInfo, outages: Iterable[tuple[date, date]], start: date, end: date) -> int:
    if end <= start or unit.out_of_service:
        return 0
    pieces = [p for a, b in outages if (p := _clip(a, b, start, end))]
    out = sum((b - a).days for a, b in merge(pieces))
    return (end - start).days - out


def occupying(leases: Iterable[LeaseInfo]) -> list[LeaseInfo]:
    return [lease for lease in leases if lease.status in OCCUPYING_LEASE_STATUSES]


def occupied_nights(leases: Iterable[LeaseInfo], start: date, end: date) -> int:
    """Nights of [start, end) covered by an occupying lease of one unit (counted once)."""
    pieces = [p for lease in occupying(leases) if (p := _clip(lease.start, lease.end, start, end))]
    return sum((b - a).days for a, b in merge(pieces))


def lease_rent_due(lease: LeaseInfo, start: date, end: date) -> Fraction:
    """Monthly rent prorated by nights in each calendar month, over the lease ∩ period; a short
    stay's nightly rate times its nights in the period (so its months add up to its price)."""
    if lease.status not in OCCUPYING_LEASE_STATUSES:
        return Fraction(0)
    clipped = _clip(lease.start, lease.end, start, end)
    if clipped is None:
        return Fraction(0)
    if lease.nightly_rate is not None:
        return _fraction(lease.nightly_rate) * (clipped[1] - clipped[0]).days
    rent = _fraction(lease.monthly_rent)
    a, b = clipped
    if a.day == 1 and b == next_month(a):  # a whole calendar month: the rent itself, exactly
        return rent
    total = Fraction(0)
    for month, a, b in month_pieces(*clipped):
        total += rent * (b - a).days / days_in_month(month)
    return total


@lru_cache(maxsize=256)
def _fraction(value) -> Fraction:
    """Fraction(value), remembered: a park has a few rents, charged over thousands of leases."""
    return Fraction(value)


@dataclass
class OccupancyFigures:
    available_unit_nights: int = 0
    occupied_unit_nights: int = 0
    rent_due: Fraction = Fraction(0)

    def add(self, other: "OccupancyFigures") -> None:
        self.available_unit_nights += other.available_unit_nights
        self.occupied_unit_nights += other.occupied_unit_nights
        self.rent_due += other.rent_due

    @property
    def occupancy_rate(self) -> float | None:
        return ratio(self.occupied_unit_nights, self.available_unit_nights)


def occupancy_group_key(unit: UnitInfo, group: str) -> tuple:
    """(sort key, label) of a unit's group."""
    if group == "unit":
        return (unit.code,), unit.code
    if group == "floor":
        return (unit.floor,), str(unit.floor)
    if group == "unit_type":
        return (unit.unit_type,), unit.unit_type
    raise ValueError(f"group must be one of {', '.join(OCCUPANCY_GROUPS)}")


# --------------------------------------------------------------------------- spaces


def opening_intervals(space: SpaceInfo, window_start: datetime, window_end: datetime, tz: ZoneInfo,
                      holidays: Iterable[date] = ()) -> list[tuple[datetime, datetime]]:
    """The space's opening hours in the window, closed public holidays removed."""
    closed = holidays if space.closed_on_holidays else ()
    return open_windows(space.opening_hours or {}, window_start, window_end, tz, closed_dates=closed)


def active_intervals(space: SpaceInfo, window_start: datetime,
                     window_end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of the window in which the space existed and was active."""
    if space.active_periods is None:
        return [(window_start, window_end)]
    return merge((max(s, window_start), min(e or window_end, window_end)) for s, e in space.active_periods)


def open_intervals(space: SpaceInfo, window_start: datetime, window_end: datetime, tz: ZoneInfo, *,
                   holidays: Iterable[date] = (), blackouts: Iterable[tuple[datetime, datetime]] = (),
                   recurring: Iterable[WeeklyWindow] = (),
                   opening: list[tuple[datetime, datetime]] | None = None) -> list[tuple[datetime, datetime]]:
    """Opening hours less one-off and recurring blackouts (pass only blackouts not lifted),
    inside the space's active periods. `opening`: the space's opening_intervals over the same
    window, when the caller has them already."""
    if opening is None:
        opening = opening_intervals(space, window_start, window_end, tz, holidays)
    inactive = subtract([(window_start, window_end)], active_intervals(space, window_start, window_end))
    closed = list(blackouts) + weekly_windows(recurring, window_start, window_end, tz) + inactive
    return subtract(opening, closed)


def total_micros(intervals: Iterable[tuple[datetime, datetime]]) -> int:
    return sum(micros(e - s) for s, e in intervals)


class IntervalIndex:
    """Sorted disjoint intervals; the length of their overlap with any [s, e) in log time."""

    def __init__(self, intervals: Sequence[tuple[datetime, datetime]]):
        self.intervals = merge(intervals)
        self.starts = [s for s, _ in self.intervals]
        self.prefix = [0]
        for s, e in self.intervals:
            self.prefix.append(self.prefix[-1] + micros(e - s))

    def _covered_until(self, t: datetime) -> int:
        """Microseconds of the intervals before instant t."""
        i = bisect_right(self.starts, t)  # intervals starting at or before t
        if i == 0:
            return 0
        s, e = self.intervals[i - 1]
        return self.prefix[i - 1] + micros(min(e, t) - s)

    def overlap_micros(self, start: datetime, end: datetime) -> int:
        if end <= start:
            return 0
        return self._covered_until(end) - self._covered_until(start)


@dataclass
class UtilisationFigures:
    open_micros: int = 0  # capacity-weighted
    booked_micros: int = 0  # confirmed bookings
    fees: Fraction = Fraction(0)
    pending_micros: int = 0  # pending bookings: neither booked nor billed yet

    def add(self, other: "UtilisationFigures") -> None:
        self.open_micros += other.open_micros
        self.booked_micros += other.booked_micros
        self.fees += other.fees
        self.pending_micros += other.pending_micros

    @property
    def open_hours(self) -> Fraction:
        return hours(self.open_micros)

    @property
    def booked_hours(self) -> Fraction:
        return hours(self.booked_micros)

    @property
    def pending_hours(self) -> Fraction:
        return hours(self.pending_micros)

    @property
    def utilisation_rate(self) -> float | None:
        return ratio(self.booked_micros, self.open_micros)


class SpaceUsage:
    """Accumulates one space's figures over a period; bookings are fed one at a time so a
    report never holds a period's bookings in memory."""

    def __init__(self, space: SpaceInfo, window_start: datetime, window_end: datetime, tz: ZoneInfo, *,
                 holidays: Iterable[date] = (), blackouts: Iterable[tuple[datetime, datetime]] = (),
                 recurring: Iterable[WeeklyWindow] = ()):
        self.space = space
        opening = opening_intervals(space, window_start, window_end, tz, holidays)
        self.opening = IntervalIndex(opening)
        self.opened = open_intervals(space, window_start, window_end, tz, holidays=holidays, blackouts=blackouts,
                                     recurring=recurring, opening=opening)
        self.open_micros = total_micros(self.opened) * space.capacity
        self.booked_micros = 0
        self.pending_micros = 0

    def add_booking(self, booking: BookingInfo) -> int:
        """Count a booking's time inside opening hours: confirmed as booked, pending apart."""
        if booking.status not in ACTIVE_BOOKING_STATUSES:
            return 0
        used = self.opening.overlap_micros(booking.start, booking.end)
        if booking.status == "confirmed":
            self.booked_micros += used
        else:
            self.pending_micros += used
        return used

    @property
    def used(self) -> bool:
        """Booked (confirmed or pending) at all in the period."""
        return bool(self.booked_micros or self.pending_micros)

    def figures(self) -> UtilisationFigures:
        return UtilisationFigures(self.open_micros, self.booked_micros,
                                  hours(self.booked_micros) * Fraction(self.space.hourly_rate), self.pending_micros)


def space_figures(space: SpaceInfo, bookings: Iterable[BookingInfo], window_start: datetime,
                  window_end: datetime, tz: ZoneInfo, **closures) -> UtilisationFigures:
    usage = SpaceUsage(space, window_start, window_end, tz, **closures)
    for booking in bookings:
        if booking.space_id == space.id:
            usage.add_booking(booking)
    return usage.figures()


def utilisation_group_key(space: SpaceInfo, group: str) -> tuple:
    if group == "space":
        return (space.code,), space.code
    if group == "kind":
        return (space.kind,), space.kind
    raise ValueError(f"group must be one of {', '.join(UTILISATION_GROUPS)}")


def group_utilisation(per_space: Iterable[tuple[SpaceInfo, UtilisationFigures]],
                      group: str) -> list[tuple[str, UtilisationFigures]]:
    groups: dict[tuple, tuple[str, UtilisationFigures]] = {}
    for space, figures in per_space:
        key, label = utilisation_group_key(space, group)
        groups.setdefault(key, (label, UtilisationFigures()))[1].add(figures)
    return [groups[key] for key in sorted(groups)]


# --------------------------------------------------------------------------- heat map


def hour_cells(start: datetime, end: datetime, tz: ZoneInfo) -> Iterable[tuple[int, int, int]]:
    """(weekday, local hour, microseconds) pieces of [start, end) cut at local hour marks."""
    if end <= start:
        return ()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if end - start <= timedelta(days=1) and local_start.utcoffset() == local_end.utcoffset():
        # One UTC offset over a piece of at most a day (a zone's changes are months apart): the
        # cells depend only on the local weekday, start time and length, which repeat every week.
        return _wall_cells(local_start.weekday(), local_start.time(), end - start)
    return list(_hour_cells_stepped(start, end, tz))


@lru_cache(maxsize=8192)
def _wall_cells(weekday: int, start: time, length: timedelta) -> tuple[tuple[int, int, int], ...]:
    cursor = datetime.combine(date(2024, 1, 1) + timedelta(days=weekday), start)  # 1 Jan 2024: a Monday
    stop_at = cursor + length
    out = []
    while cursor < stop_at:
        stop = min(cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1), stop_at)
        out.append((cursor.weekday(), cursor.hour, micros(stop - cursor)))
        cursor = stop
    return tuple(out)


def _hour_cells_stepped(start: datetime, end: datetime, tz: ZoneInfo) -> Iterable[tuple[int, int, int]]:
    """hour_cells across a change of UTC offset: each local hour found from the instant."""
    cursor = start
    while cursor < end:
        local = cursor.astimezone(tz)
        mark = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(UTC)
        if mark <= cursor:  # a zone whose offset is not whole hours, or a fold: step a minute at a time
            mark = cursor + timedelta(minutes=1)
        stop = min(mark, end)
        yield local.weekday(), local.hour, micros(stop - cursor)
        cursor = stop


def add_heat(cells: dict, intervals: Iterable[tuple[datetime, datetime]], tz: ZoneInfo, weight: int = 1) -> None:
    for s, e in intervals:
        for weekday, hour, us in hour_cells(s, e, tz):
            cells[(weekday, hour)] += us * weight


class HeatMap:
    """Open and booked time per local (weekday, hour), summed over spaces and the period."""

    def __init__(self):
        self.open: dict[tuple[int, int], int] = defaultdict(int)
        self.booked: dict[tuple[int, int], int] = defaultdict(int)
        self._open_cells: dict[tuple, dict] = {}  # spaces with the same open time share its cells

    def add_open(self, intervals, tz: ZoneInfo, capacity: int) -> None:
        key = (tuple(intervals), tz)
        if key not in self._open_cells:
            cells: dict[tuple[int, int], int] = defaultdict(int)
            add_heat(cells, key[0], tz)
            self._open_cells[key] = cells
        for cell, us in self._open_cells[key].items():
            self.open[cell] += us * capacity

    def add_booked(self, opening: IntervalIndex, booking: BookingInfo, tz: ZoneInfo) -> None:
        if booking.status != "confirmed":  # booked hours are confirmed ones, as in the utilisation report
            return
        # Only the opening intervals that can meet the booking (sorted and disjoint: found by bisection).
        first = max(bisect_right(opening.starts, booking.start) - 1, 0)
        last = bisect_left(opening.starts, booking.end)
        inside = [(max(s, booking.start), min(e, booking.end)) for s, e in opening.intervals[first:last]
                  if s < booking.end and booking.start < e]
        add_heat(self.booked, inside, tz)

    def rate(self, weekday: int, hour: int) -> float | None:
        return ratio(self.booked.get((weekday, hour), 0), self.open.get((weekday, hour), 0))
