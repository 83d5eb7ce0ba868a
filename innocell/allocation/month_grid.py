"""Occupancy and rent per calendar month in one pass over the units (issue 16: the finance
page's twelve months by unit, its thirteen-month trend and the revenue's rent were thirteen
passes over every lease, in Fractions).

The figures are those defined in `usage` (available and occupied unit-nights, rent due by
`usage.lease_rent_due`) to the letter; only the arithmetic differs. Each unit's leases and
outages are merged once and cut at month ends by day ordinals, and rent is summed as integer
numerators per denominator (monthly rent p/q times k nights of a D-day month is p*k / (q*D)),
so a sum over thousands of leases is integer additions and one Fraction at the end.
tests/unit/test_usage.py checks it night by night against a brute-force count, and
tests/unit/test_month_grid.py against `usage.lease_rent_due` month by month.
"""
from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime
from fractions import Fraction
from functools import lru_cache
from math import lcm
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from .intervals import merge
from .usage import (
    MICROS_PER_HOUR,
    OCCUPYING_LEASE_STATUSES,
    BookingInfo,
    IntervalIndex,
    LeaseInfo,
    OccupancyFigures,
    SpaceInfo,
    UnitInfo,
    month_starts,
    next_month,
    occupancy_group_key,
    opening_intervals,
)


class ExactSum:
    """A sum of fractions n/d kept as one integer numerator per denominator: adding is integer
    arithmetic; `value` adds the few distinct denominators once."""
    __slots__ = ("parts",)

    def __init__(self):
        self.parts: dict[int, int] = {}

    def add(self, numerator: int, denominator: int) -> None:
        self.parts[denominator] = self.parts.get(denominator, 0) + numerator

    def value(self) -> Fraction:
        common = lcm(*self.parts) if self.parts else 1
        return Fraction(sum(n * (common // d) for d, n in self.parts.items()), common)


class MonthCuts:
    """The period [start, end) cut at month ends, as day ordinals: cut i runs from bounds[i]
    to bounds[i + 1] and lies in a month of lengths[i] days."""

    def __init__(self, start: date, end: date):
        self.months = month_starts(start, end)
        self.bounds = [start.toordinal()] + [next_month(m).toordinal() for m in self.months[:-1]] + [end.toordinal()]
        self.lengths = [(next_month(m) - m).days for m in self.months]
        self.start, self.end = self.bounds[0], self.bounds[-1]

    def pieces(self, a: int, b: int) -> Iterable[tuple[int, int]]:
        """(month index, nights) of [a, b) (day ordinals) inside the period."""
        a, b = max(a, self.start), min(b, self.end)
        if a >= b:
            return
        i = bisect_right(self.bounds, a) - 1
        while a < b:
            stop = min(b, self.bounds[i + 1])
            yield i, stop - a
            a, i = stop, i + 1


def _days(intervals: Iterable[tuple[date, date]]) -> list[tuple[int, int]]:
    return [(a.toordinal(), b.toordinal()) for a, b in intervals if a < b]


def _add_rent(rent: ExactSum, lease: LeaseInfo, nights: int, month_length: int) -> None:
    if lease.nightly_rate is not None:
        rate = _ratio(lease.nightly_rate)
        rent.add(rate[0] * nights, rate[1])
    else:
        p, q = _ratio(lease.monthly_rent)
        rent.add(p * nights, q * month_length)


@lru_cache(maxsize=1024)
def _ratio(value) -> tuple[int, int]:
    """(numerator, denominator) of a Decimal rent, remembered: a park has a few rents."""
    return value.as_integer_ratio()


def _rent_over_period(rent: ExactSum, lease: LeaseInfo, cuts: MonthCuts) -> None:
    """`_add_rent` of every month piece of the lease at once: the calendar months it covers
    whole (those between its first and last month) are its monthly rent each."""
    a, b = max(lease.start.toordinal(), cuts.start), min(lease.end.toordinal(), cuts.end)
    if a >= b:
        return
    if lease.nightly_rate is not None:
        _add_rent(rent, lease, b - a, 1)
        return
    p, q = _ratio(lease.monthly_rent)
    first, last = bisect_right(cuts.bounds, a) - 1, bisect_right(cuts.bounds, b - 1) - 1
    if first == last:
        rent.add(p * (b - a), q * cuts.lengths[first])
        return
    rent.add(p * (cuts.bounds[first + 1] - a), q * cuts.lengths[first])
    rent.add(p * (b - cuts.bounds[last]), q * cuts.lengths[last])
    if last - first > 1:
        rent.add(p * (last - first - 1), q)


def _accumulate(units, outages, leases, cuts: MonthCuts, group: str, by_month: bool):
    """(labels by key, {key: per slot [available, occupied, ExactSum]}); a slot is a month of
    the cuts when `by_month`, else the one slot of the whole period."""
    n = len(cuts.months)
    nights_in = [cuts.bounds[i + 1] - cuts.bounds[i] for i in range(n)]
    slot = list(range(n)) if by_month else [0] * n
    width = n if by_month else 1
    labels: dict[tuple, str] = {}
    in_service: dict[tuple, int] = {}
    rows: dict[tuple, tuple[list[int], list[int], list[ExactSum]]] = {}
    for unit in units:
        key, label = occupancy_group_key(unit, group)
        if key not in labels:
            labels[key], in_service[key] = label, 0
            rows[key] = ([0] * width, [0] * width, [ExactSum() for _ in range(width)])
        a_row, o_row, r_row = rows[key]
        if not unit.out_of_service:
            in_service[key] += 1
            for a, b in merge(_days(outages.get(unit.id, ()))):
                for i, nights in cuts.pieces(a, b):
                    a_row[slot[i]] -= nights
        held = [lease for lease in leases.get(unit.id, ()) if lease.status in OCCUPYING_LEASE_STATUSES]
        if not by_month:
            for a, b in merge(_days((lease.start, lease.end) for lease in held)):
                o_row[0] += max(0, min(b, cuts.end) - max(a, cuts.start))
            for lease in held:
                _rent_over_period(r_row[0], lease, cuts)
            continue
        for a, b in merge(_days((lease.start, lease.end) for lease in held)):
            for i, nights in cuts.pieces(a, b):
                o_row[i] += nights
        for lease in held:
            for i, nights in cuts.pieces(lease.start.toordinal(), lease.end.toordinal()):
                _add_rent(r_row[i], lease, nights, cuts.lengths[i])
    for key, count in in_service.items():
        for i in range(n):
            rows[key][0][slot[i]] += count * nights_in[i]
    return labels, rows


def occupancy_by_month(units: Iterable[UnitInfo], outages: dict[int, Sequence[tuple[date, date]]],
                       leases: dict[int, Sequence[LeaseInfo]], start: date, end: date,
                       group: str) -> dict[date, list[tuple[str, OccupancyFigures]]]:
    """For each calendar month meeting [start, end) (its part inside the period), the figures
    per group, as `occupancy_over_period` gives them for that part alone."""
    cuts = MonthCuts(start, end)
    labels, rows = _accumulate(units, outages, leases, cuts, group, by_month=True)
    ordered = sorted(labels)
    return {month: [(labels[key], OccupancyFigures(rows[key][0][i], rows[key][1][i], rows[key][2][i].value()))
                    for key in ordered]
            for i, month in enumerate(cuts.months)}


def occupancy_over_period(units: Iterable[UnitInfo], outages: dict[int, Sequence[tuple[date, date]]],
                          leases: dict[int, Sequence[LeaseInfo]], start: date, end: date,
                          group: str) -> list[tuple[str, OccupancyFigures]]:
    """Figures per group over the whole period, every unit counted (a unit with no lease adds
    available nights), sorted by group, in one pass."""
    labels, rows = _accumulate(units, outages, leases, MonthCuts(start, end), group, by_month=False)
    return [(labels[key], OccupancyFigures(rows[key][0][0], rows[key][1][0], rows[key][2][0].value()))
            for key in sorted(labels)]


def lab_fees_by_month(spaces: Iterable[SpaceInfo], bookings: Iterable[BookingInfo], bounds: Sequence[datetime],
                      tz: ZoneInfo, holidays: Iterable[date] = ()) -> list[Fraction]:
    """Fees (confirmed booked time inside opening hours x the hourly rate, as the utilisation
    report defines them) of each month [bounds[i], bounds[i + 1]): each space's opening hours
    expanded once for the whole span, each booking met only by the months it touches."""
    holidays = tuple(holidays)
    openings = {space.id: (IntervalIndex(opening_intervals(space, bounds[0], bounds[-1], tz, holidays)),
                           _ratio(space.hourly_rate)) for space in spaces}
    sums = [ExactSum() for _ in range(len(bounds) - 1)]
    for booking in bookings:
        found = openings.get(booking.space_id)
        if found is None or booking.status != "confirmed":
            continue
        index, (p, q) = found
        i = max(bisect_right(bounds, booking.start) - 1, 0)
        while i < len(sums) and bounds[i] < booking.end:
            used = index.overlap_micros(max(booking.start, bounds[i]), min(booking.end, bounds[i + 1]))
            if used:
                sums[i].add(used * p, q * MICROS_PER_HOUR)
            i += 1
    return [s.value() for s in sums]
