"""Report figures checked against a second, independent computation: brute force night by
night and minute by minute, on random data (hypothesis) and on the edge cases finance meets
(month ends, leap days, midnight, opening-hour edges, blackouts, capacity, cancellations)."""
from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innocell.allocation import listings, month_grid, usage
from innocell.allocation.hours import WEEKDAYS, WeeklyWindow

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
MINUTE = timedelta(minutes=1)
US_PER_MINUTE = 60_000_000


# --------------------------------------------------------------------------- brute force


def nights(start: date, end: date):
    d = start
    while d < end:
        yield d
        d += timedelta(days=1)


def brute_occupancy(unit, outages, leases, start, end):
    available = occupied = 0
    rent = Fraction(0)
    for night in nights(start, end):
        out = unit.out_of_service or any(a <= night < b for a, b in outages)
        available += 0 if out else 1
        covering = [lease for lease in leases if lease.start <= night < lease.end]
        occupied += 1 if covering else 0
        dim = calendar.monthrange(night.year, night.month)[1]
        for lease in covering:
            rent += Fraction(lease.monthly_rent) / dim
    return available, occupied, rent


def minutes(start: datetime, end: datetime):
    m = start
    while m < end:
        yield m
        m += MINUTE


def _hhmm(value: str) -> int:
    return int(value[:2]) * 60 + int(value[3:])


def in_opening(space, m: datetime, holidays) -> bool:
    local = m.astimezone(HK)
    if space.closed_on_holidays and local.date() in holidays:
        return False
    minute_of_day = local.hour * 60 + local.minute
    windows = space.opening_hours.get(WEEKDAYS[local.weekday()], [])
    return any(_hhmm(a) <= minute_of_day < _hhmm(b) for a, b in windows)


def in_recurring(rules, m: datetime) -> bool:
    local = m.astimezone(HK)
    minute_of_day = local.hour * 60 + local.minute
    for rule in rules:
        if rule.weekday != local.weekday():
            continue
        if rule.valid_from and local.date() < rule.valid_from:
            continue
        if rule.valid_until and local.date() >= rule.valid_until:
            continue
        if _hhmm(rule.start) <= minute_of_day < _hhmm(rule.end):
            return True
    return False


def is_active(space, m: datetime) -> bool:
    periods = space.active_periods
    return periods is None or any(a <= m and (b is None or m < b) for a, b in periods)


def brute_space(space, bookings, ws, we, holidays, blackouts, recurring):
    """(open minutes × capacity, confirmed minutes, pending minutes) counted one minute at a time."""
    open_min = 0
    for m in minutes(ws, we):
        if not in_opening(space, m, holidays) or not is_active(space, m):
            continue
        if any(s <= m < e for s, e in blackouts) or in_recurring(recurring, m):
            continue
        open_min += 1
    used = {"confirmed": 0, "pending": 0}
    for b in bookings:
        if b.space_id != space.id or b.status == "cancelled":
            continue
        for m in minutes(b.start, b.end):
            if ws <= m < we and in_opening(space, m, holidays):
                used[b.status] += 1
    return open_min * space.capacity, used["confirmed"], used["pending"]


# --------------------------------------------------------------------------- strategies

BASE = date(2027, 12, 1)  # so random periods cross the leap day of February 2028


@st.composite
def date_ranges(draw, lo=0, hi=150, max_len=120):
    a = draw(st.integers(lo, hi))
    b = draw(st.integers(a + 1, min(a + max_len, hi + max_len)))
    return BASE + timedelta(days=a), BASE + timedelta(days=b)


@st.composite
def housing(draw):
    n_units = draw(st.integers(1, 4))
    units, outages, leases = [], {}, {}
    for i in range(n_units):
        unit = usage.UnitInfo(id=i + 1, code=f"U{i + 1:02d}", unit_type=draw(st.sampled_from(["solo", "twin"])),
                              floor=draw(st.integers(1, 3)), out_of_service=draw(st.booleans()) and draw(st.booleans()))
        units.append(unit)
        outages[unit.id] = draw(st.lists(date_ranges(max_len=40), max_size=2))
        # leases of a unit do not overlap in real data; allow it anyway (terminated ones may)
        unit_leases = []
        for a, b in draw(st.lists(date_ranges(), max_size=3)):
            rent = Decimal(draw(st.integers(100_00, 40_000_00))) / 100
            status = draw(st.sampled_from(usage.OCCUPYING_LEASE_STATUSES))
            unit_leases.append(usage.LeaseInfo(unit.id, a, b, rent, status))
        leases[unit.id] = unit_leases
    return units, outages, leases


# --------------------------------------------------------------------------- occupancy


@settings(max_examples=150, deadline=None)
@given(housing(), date_ranges(), st.sampled_from(usage.OCCUPANCY_GROUPS))
def test_occupancy_equals_night_by_night_count(data, period, group):
    units, outages, leases = data
    start, end = period
    expected: dict[str, list] = {}
    for unit in units:
        label = {"unit": unit.code, "unit_type": unit.unit_type, "floor": str(unit.floor)}[group]
        a, o, r = brute_occupancy(unit, outages[unit.id], leases[unit.id], start, end)
        acc = expected.setdefault(label, [0, 0, Fraction(0)])
        acc[0] += a
        acc[1] += o
        acc[2] += r
    got = {label: [f.available_unit_nights, f.occupied_unit_nights, f.rent_due]
           for label, f in month_grid.occupancy_over_period(units, outages, leases, start, end, group)}
    assert got == expected
    for label, f in month_grid.occupancy_over_period(units, outages, leases, start, end, group):
        a, o, _ = expected[label]
        assert f.occupancy_rate == (o / a if a else None)


@settings(max_examples=100, deadline=None)
@given(housing(), date_ranges(max_len=200))
def test_months_add_up_to_the_period(data, period):
    """Cutting a period at month ends changes nothing: rent and nights reconcile."""
    units, outages, leases = data
    start, end = period
    whole = month_grid.occupancy_over_period(units, outages, leases, start, end, "unit")
    parts = defaultdict(lambda: [0, 0, Fraction(0)])
    for _, a, b in usage.month_pieces(start, end):
        for label, f in month_grid.occupancy_over_period(units, outages, leases, a, b, "unit"):
            parts[label][0] += f.available_unit_nights
            parts[label][1] += f.occupied_unit_nights
            parts[label][2] += f.rent_due
    assert {label: [f.available_unit_nights, f.occupied_unit_nights, f.rent_due] for label, f in whole} == dict(parts)


def test_lease_across_february_of_a_leap_year_is_prorated_by_each_month():
    lease = usage.LeaseInfo(1, date(2028, 1, 20), date(2028, 3, 10), Decimal("2900.00"))
    # January: 12 nights of 31; February 2028: all 29 nights; March: 9 nights of 31
    assert usage.lease_rent_due(lease, date(2028, 1, 1), date(2028, 4, 1)) == (
        Fraction(2900) * 12 / 31 + Fraction(2900) + Fraction(2900) * 9 / 31)
    assert usage.lease_rent_due(lease, date(2028, 2, 1), date(2028, 3, 1)) == Fraction(2900)
    assert usage.lease_rent_due(lease, date(2028, 2, 29), date(2028, 3, 1)) == Fraction(2900, 29)
    # one night in February 2027 (28 days) costs more than in February 2028
    short = usage.LeaseInfo(1, date(2027, 2, 14), date(2027, 2, 15), Decimal("2800"))
    assert usage.lease_rent_due(short, date(2027, 2, 1), date(2027, 3, 1)) == 100


def test_rent_is_rounded_only_when_shown():
    # three leases of one night each in a 31-day month: 1000/31 each
    leases = {1: [usage.LeaseInfo(1, date(2026, 1, d), date(2026, 1, d + 1), Decimal("1000")) for d in (1, 2, 3)]}
    unit = usage.UnitInfo(1, "A", "solo", 1)
    [(_, f)] = month_grid.occupancy_over_period([unit], {}, leases, date(2026, 1, 1), date(2026, 2, 1), "unit")
    assert f.rent_due == Fraction(3000, 31)
    assert usage.to_decimal(f.rent_due, 2) == Decimal("96.77")  # not 3 × 32.26 = 96.78


def test_out_of_service_unit_and_outages_reduce_available_nights_only():
    start, end = date(2026, 11, 1), date(2026, 12, 1)
    broken = usage.UnitInfo(1, "A", "solo", 1, out_of_service=True)
    assert usage.available_nights(broken, [], start, end) == 0
    unit = usage.UnitInfo(2, "B", "solo", 1)
    outages = [(date(2026, 10, 28), date(2026, 11, 3)), (date(2026, 11, 2), date(2026, 11, 5)),
               (date(2026, 11, 30), date(2026, 12, 9))]
    assert usage.available_nights(unit, outages, start, end) == 30 - 4 - 1
    lease = usage.LeaseInfo(2, date(2026, 11, 1), date(2026, 11, 4), Decimal("3000"), "terminated")
    assert usage.occupied_nights([lease], start, end) == 3  # terminated keeps the nights it used


# --------------------------------------------------------------------------- utilisation

HOURS_GRID = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)] + ["24:00"]


@st.composite
def opening_hours(draw):
    hours = {}
    for day in WEEKDAYS:
        cuts = sorted(set(draw(st.lists(st.integers(0, 48), max_size=4))))
        if len(cuts) % 2:
            cuts = cuts[:-1]
        windows = [[HOURS_GRID[a], HOURS_GRID[b]] for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
        if windows:
            hours[day] = windows
    return hours


START_INSTANT = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # Mon 30 Nov 2026 00:00 in Hong Kong


@st.composite
def instants(draw, span_hours=80):
    return START_INSTANT + timedelta(minutes=15 * draw(st.integers(-8, span_hours * 4)))


@st.composite
def intervals(draw, max_hours=30):
    s = draw(instants())
    return s, s + timedelta(minutes=15 * draw(st.integers(1, max_hours * 4)))


@st.composite
def spaces_case(draw):
    periods = None
    if draw(st.booleans()):  # created, deactivated and reactivated at some quarter hours (or never active)
        cuts = sorted(set(draw(st.lists(instants(), max_size=4))))
        ends = cuts[1::2] + ([None] if len(cuts) % 2 else [])
        periods = tuple(zip(cuts[::2], ends))
    space = usage.SpaceInfo(id=1, code="LAB", kind="wet_lab", capacity=draw(st.integers(1, 3)),
                            opening_hours=draw(opening_hours()),
                            hourly_rate=Decimal(draw(st.integers(0, 50000))) / 100,
                            closed_on_holidays=draw(st.booleans()), active_periods=periods)
    bookings = [usage.BookingInfo(draw(st.sampled_from([1, 2])), s, e,
                                  draw(st.sampled_from(["pending", "confirmed", "cancelled"])))
                for s, e in draw(st.lists(intervals(), max_size=6))]
    blackouts = draw(st.lists(intervals(max_hours=10), max_size=2))
    recurring = [WeeklyWindow(draw(st.integers(0, 6)), HOURS_GRID[a], HOURS_GRID[a + draw(st.integers(1, 48 - a))],
                              draw(st.sampled_from([None, date(2026, 12, 1)])),
                              draw(st.sampled_from([None, date(2026, 12, 2)])))
                 for a in draw(st.lists(st.integers(0, 47), max_size=2))]
    holidays = set(draw(st.lists(st.sampled_from([date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]),
                                 max_size=2)))
    first = draw(st.integers(0, 2))
    period = (date(2026, 11, 30) + timedelta(days=first),
              date(2026, 11, 30) + timedelta(days=first + draw(st.integers(1, 2))))
    return space, bookings, blackouts, recurring, holidays, period


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spaces_case())
def test_utilisation_equals_minute_by_minute_count(case):
    space, bookings, blackouts, recurring, holidays, (start, end) = case
    ws, we = usage.period_instants(start, end, HK)
    figures = usage.space_figures(space, bookings, ws, we, HK, holidays=holidays, blackouts=blackouts,
                                  recurring=recurring)
    open_min, booked_min, pending_min = brute_space(space, bookings, ws, we, holidays, blackouts, recurring)
    assert figures.open_micros == open_min * US_PER_MINUTE
    assert figures.booked_micros == booked_min * US_PER_MINUTE
    assert figures.open_hours == Fraction(open_min, 60)
    assert figures.booked_hours == Fraction(booked_min, 60)
    assert figures.pending_hours == Fraction(pending_min, 60)
    assert figures.fees == Fraction(booked_min, 60) * Fraction(space.hourly_rate)  # confirmed time only
    assert figures.utilisation_rate == (booked_min / open_min if open_min else None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spaces_case())
def test_heat_map_equals_minute_by_minute_buckets(case):
    space, bookings, blackouts, recurring, holidays, (start, end) = case
    ws, we = usage.period_instants(start, end, HK)
    su = usage.SpaceUsage(space, ws, we, HK, holidays=holidays, blackouts=blackouts, recurring=recurring)
    heat = usage.HeatMap()
    heat.add_open(su.opened, HK, space.capacity)
    for b in bookings:
        if b.space_id == space.id:
            heat.add_booked(su.opening, b, HK)
    want_open, want_booked = defaultdict(int), defaultdict(int)
    for m in minutes(ws, we):
        local = m.astimezone(HK)
        if in_opening(space, m, holidays) and is_active(space, m) and not any(s <= m < e for s, e in blackouts) \
                and not in_recurring(recurring, m):
            want_open[(local.weekday(), local.hour)] += US_PER_MINUTE * space.capacity
    for b in bookings:
        if b.space_id != space.id or b.status != "confirmed":
            continue
        for m in minutes(b.start, b.end):
            if ws <= m < we and in_opening(space, m, holidays):
                local = m.astimezone(HK)
                want_booked[(local.weekday(), local.hour)] += US_PER_MINUTE
    assert {k: v for k, v in heat.open.items() if v} == dict(want_open)
    assert {k: v for k, v in heat.booked.items() if v} == dict(want_booked)


def _hk(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=HK).astimezone(UTC)


def test_booking_crossing_midnight_and_opening_edges_is_clipped():
    space = usage.SpaceInfo(1, "R", "meeting_room", 2, {d: [["08:00", "22:00"]] for d in WEEKDAYS},
                            Decimal("100"))
    bookings = [
        usage.BookingInfo(1, _hk(2026, 11, 2, 21), _hk(2026, 11, 3, 1)),  # 1 h inside (21-22)
        usage.BookingInfo(1, _hk(2026, 11, 3, 7, 30), _hk(2026, 11, 3, 8, 30)),  # 30 min inside
        usage.BookingInfo(1, _hk(2026, 11, 3, 8), _hk(2026, 11, 3, 10), "pending"),  # pending: 2 h apart
        usage.BookingInfo(1, _hk(2026, 11, 3, 12), _hk(2026, 11, 3, 14), "cancelled"),  # not counted
        usage.BookingInfo(1, _hk(2026, 11, 30, 21), _hk(2026, 12, 1, 9)),  # 1 h in November only
    ]
    ws, we = usage.period_instants(date(2026, 11, 1), date(2026, 12, 1), HK)
    f = usage.space_figures(space, bookings, ws, we, HK)
    assert f.booked_hours == Fraction(5, 2) and f.pending_hours == 2
    assert f.open_hours == 30 * 14 * 2  # capacity two
    assert f.fees == 250  # confirmed hours only: a pending booking is not billed


def test_blackouts_and_holidays_close_hours_but_lifted_ones_are_the_callers_to_drop():
    space = usage.SpaceInfo(1, "L", "wet_lab", 1, {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]},
                            Decimal("0"), closed_on_holidays=True)
    ws, we = usage.period_instants(date(2026, 11, 30), date(2026, 12, 2), HK)  # Mon and Tue
    plain = usage.open_intervals(space, ws, we, HK)
    assert usage.total_micros(plain) == 16 * 3_600_000_000
    holiday = usage.open_intervals(space, ws, we, HK, holidays={date(2026, 12, 1)})
    assert usage.total_micros(holiday) == 8 * 3_600_000_000
    closed = usage.open_intervals(space, ws, we, HK, blackouts=[(_hk(2026, 11, 30, 16), _hk(2026, 12, 1, 10))],
                                  recurring=[WeeklyWindow(1, "16:00", "24:00")])
    assert usage.total_micros(closed) == (7 + 6) * 3_600_000_000


# --------------------------------------------------------------------------- vacancy, waitlist


def test_vacancy_lists_units_free_tonight_with_how_long():
    today = date(2026, 12, 1)
    units = [usage.UnitInfo(1, "A", "solo", 1), usage.UnitInfo(2, "B", "solo", 1),
             usage.UnitInfo(3, "C", "twin", 2), usage.UnitInfo(4, "D", "twin", 2, out_of_service=True),
             usage.UnitInfo(5, "E", "twin", 2)]
    leases = {
        1: [usage.LeaseInfo(1, date(2026, 1, 1), date(2026, 11, 20), Decimal(1)),
            usage.LeaseInfo(1, date(2026, 12, 15), date(2027, 6, 1), Decimal(1))],
        2: [usage.LeaseInfo(2, date(2026, 11, 1), date(2026, 12, 2), Decimal(1))],  # occupied tonight
        3: [usage.LeaseInfo(3, date(2026, 1, 1), date(2026, 12, 1), Decimal(1), "terminated")],  # left today
    }
    outages = {5: [(date(2026, 11, 30), date(2026, 12, 3))]}
    got = listings.vacancies(units, outages, leases, today)
    assert [v.unit.code for v in got] == ["A", "C"]
    a, c = got
    assert (a.free_since, a.vacant_nights_so_far(today), a.next_lease_start, a.free_nights_ahead(today)) == \
        (date(2026, 11, 20), 11, date(2026, 12, 15), 14)
    assert (c.free_since, c.vacant_nights_so_far(today), c.next_lease_start) == (date(2026, 12, 1), 0, None)


def test_waitlist_length_and_median_wait_by_type():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    entries = [("suite", now - timedelta(days=d)) for d in (2, 10, 4)] + \
              [("powerhub", now - timedelta(days=1)), ("powerhub", now - timedelta(days=6))]
    stats = {s.unit_type: s for s in listings.waitlist_stats(entries, now, ("solo", "suite", "powerhub"))}
    assert (stats["suite"].waiting, stats["suite"].median_wait_days, stats["suite"].longest_wait_days) == (3, 4.0, 10.0)
    assert stats["powerhub"].median_wait_days == 3.5
    assert (stats["solo"].waiting, stats["solo"].median_wait_days) == (0, None)


@settings(max_examples=150, deadline=None)
@given(st.integers(-30 * 4, 4), st.integers(1, 40 * 4),
       st.sampled_from(["Europe/London", "Asia/Kolkata", "Asia/Hong_Kong"]))
def test_hour_cells_equal_minute_by_minute_across_clock_changes(quarter, length, zone):
    """Pieces near London's spring and autumn changes of 2027 (one hour skipped, one repeated)
    and in a half-hour zone land in the local weekday and hour each minute is in."""
    tz = ZoneInfo(zone)
    for change in (datetime(2027, 3, 28, 1, tzinfo=UTC), datetime(2027, 10, 31, 1, tzinfo=UTC)):
        start = change + timedelta(minutes=15 * quarter)
        end = start + timedelta(minutes=15 * length)
        want: dict = defaultdict(int)
        for m in minutes(start, end):
            local = m.astimezone(tz)
            want[(local.weekday(), local.hour)] += US_PER_MINUTE
        got: dict = defaultdict(int)
        for weekday, hour, us in usage.hour_cells(start, end, tz):
            got[(weekday, hour)] += us
        assert dict(got) == dict(want)
