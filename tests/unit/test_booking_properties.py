"""Property tests of the allocation core against a brute-force oracle that looks at every
minute: capacity with buffers, conflicts, availability and suggestions, in Hong Kong and in
a zone with DST (Europe/London on both change days)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innocell.allocation.availability import availability
from innocell.allocation.hours import WEEKDAYS
from innocell.allocation.rules import SpaceSpec, SpaceState, conflicts, rule_violations
from innocell.allocation.suggestions import suggest

UTC = timezone.utc
HK = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")
DOMAIN_MINUTES = 3 * 24 * 60  # three local days from the base midnight
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (zone, first local day): an ordinary HK week, London's 23-hour day and its 25-hour day.
PLACES = [(HK, date(2026, 12, 7)), (LONDON, date(2026, 3, 28)), (LONDON, date(2026, 10, 24))]


@st.composite
def worlds(draw):
    tz, first_day = draw(st.sampled_from(PLACES))
    base = datetime.combine(first_day, time(0, 0), tz).astimezone(UTC)
    slot = draw(st.sampled_from([15, 30, 60]))
    min_minutes = slot * draw(st.integers(1, 3))
    max_minutes = min_minutes + slot * draw(st.integers(0, 6))
    # Window boundaries avoid the wall-clock hour 01:00-02:00, which London skips or repeats.
    bounds = [0] + list(range(120, 24 * 60 + 1, 60))
    hours = {}
    for i in range(3):
        day = first_day + timedelta(days=i)
        if draw(st.booleans()) or i == 1:
            a, b = sorted(draw(st.lists(st.sampled_from(bounds), min_size=2, max_size=2, unique=True)))
            hours[WEEKDAYS[day.weekday()]] = [[f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"]]
    spec = SpaceSpec(id=1, capacity=draw(st.integers(1, 3)), opening_hours=hours, slot_minutes=slot,
                     min_minutes=min_minutes, max_minutes=max_minutes,
                     buffer_minutes=draw(st.sampled_from([0, 15, 30, 45])),
                     max_days_ahead=draw(st.sampled_from([0, 1, 2, 3, 3])))
    minute = st.integers(0, DOMAIN_MINUTES - 1)
    holds = []
    for s, length in draw(st.lists(st.tuples(minute, st.integers(1, 300)), max_size=8)):
        e = min(s + length, DOMAIN_MINUTES)
        if s < e:
            holds.append((s, e))
    blackouts = []
    for s, length in draw(st.lists(st.tuples(minute, st.integers(1, 240)), max_size=2)):
        e = min(s + length, DOMAIN_MINUTES)
        if s < e:
            blackouts.append((s, e))
    now = draw(st.integers(-600, DOMAIN_MINUTES // 2))
    return tz, base, spec, holds, blackouts, now


def at(base, minute):
    return base + timedelta(minutes=minute)


class Oracle:
    """Per-minute facts over the domain, computed from wall-clock times one minute at a time."""

    def __init__(self, tz, base, spec, holds, blackouts, now):
        self.tz, self.base, self.spec, self.now = tz, base, spec, now
        self.count = [0] * DOMAIN_MINUTES
        for s, e in holds:
            for m in range(s, e):
                self.count[m] += 1
        self.blocked = [False] * DOMAIN_MINUTES
        for s, e in blackouts:
            for m in range(s, e):
                self.blocked[m] = True
        self.open = [self._open_at(m) for m in range(DOMAIN_MINUTES)]

    def _open_at(self, m):
        local = at(self.base, m).astimezone(self.tz)
        wall = local.hour * 60 + local.minute
        for a, b in self.spec.opening_hours.get(WEEKDAYS[local.weekday()], []):
            lo = int(a[:2]) * 60 + int(a[3:])
            hi = int(b[:2]) * 60 + int(b[3:])
            if lo <= wall < hi:
                return True
        return False

    def on_grid(self, m):
        local = at(self.base, m).astimezone(self.tz)
        return (local.hour * 60 + local.minute) % self.spec.slot_minutes == 0

    def capacity_ok(self, s, e_hold):
        return all(self.count[m] + 1 <= self.spec.capacity for m in range(s, min(e_hold, DOMAIN_MINUTES)))

    def feasible(self, s, length):
        """Would a booking [s, s+length) be accepted (rules of this world + conflicts)?"""
        e = s + length
        if e + self.spec.buffer_minutes > DOMAIN_MINUTES or s < 0:
            return False
        if s < self.now or s > self.now + self.spec.max_days_ahead * 24 * 60:
            return False
        if not (self.on_grid(s) and self.on_grid(e)):
            return False
        if not (self.spec.min_minutes <= length <= self.spec.max_minutes):
            return False
        if not all(self.open[m] and not self.blocked[m] for m in range(s, e)):
            return False
        return self.capacity_ok(s, e + self.spec.buffer_minutes)


def minutes_of(pieces, base):
    out = set()
    for piece in pieces:
        s, e = piece[0], piece[1]
        a = int((s - base).total_seconds() // 60)
        b = int((e - base).total_seconds() // 60)
        out.update(range(a, b))
    return out


@SETTINGS
@given(worlds(), st.integers(0, DOMAIN_MINUTES - 400), st.integers(1, 300))
def test_conflicts_are_exactly_the_minutes_over_capacity_or_blacked_out(world, s, length):
    tz, base, spec, holds, blackouts, now = world
    oracle = Oracle(*world)
    e = s + length
    found = conflicts(spec, at(base, s), at(base, e), [(at(base, a), at(base, b)) for a, b in holds],
                      [(at(base, a), at(base, b)) for a, b in blackouts])
    expected = {m for m in range(s, e + spec.buffer_minutes) if oracle.count[m] >= spec.capacity}
    expected |= {m for m in range(s, e) if oracle.blocked[m]}
    assert minutes_of(found, base) == expected
    # Pieces are sorted and disjoint.
    assert all(a[1] < b[0] for a, b in zip(found, found[1:]))


@SETTINGS
@given(worlds(), st.lists(st.tuples(st.integers(0, DOMAIN_MINUTES - 400), st.integers(1, 300)), max_size=25))
def test_accepting_only_conflict_free_requests_never_exceeds_capacity(world, requests):
    tz, base, spec, _, _, now = world
    accepted = []
    for s, length in requests:
        start, end = at(base, s), at(base, s + length)
        if not conflicts(spec, start, end, accepted, []):
            accepted.append((start, end + spec.buffer))
    usage = [0] * (DOMAIN_MINUTES + 60)
    for a, b in accepted:
        for m in sorted(minutes_of([(a, b)], base)):
            usage[m] += 1
    assert max(usage) <= spec.capacity


@SETTINGS
@given(worlds(), st.integers(0, DOMAIN_MINUTES // 2), st.integers(60, DOMAIN_MINUTES // 2 - 360))
def test_availability_matches_the_minute_by_minute_oracle(world, window_start, window_length):
    tz, base, spec, holds, blackouts, now = world
    window_start += 300  # keep every candidate that overlaps the window inside the domain
    window_end = window_start + window_length
    oracle = Oracle(*world)
    free = availability(spec, [(at(base, a), at(base, b)) for a, b in holds],
                        [(at(base, a), at(base, b)) for a, b in blackouts], at(base, window_start),
                        at(base, window_end), at(base, now), tz)
    # The grid length: the fewest whole slots reaching min_minutes.
    length = spec.slot_minutes * -(-spec.min_minutes // spec.slot_minutes)
    expected = set()
    for s in range(window_start - length + 1, window_end):
        if oracle.feasible(s, length):
            expected.update(m for m in range(s, s + length) if window_start <= m < window_end)
    got = {}
    for s, e, left in free:
        for m in minutes_of([(s, e)], base):
            got[m] = left
    assert set(got) == expected
    assert all(left == spec.capacity - oracle.count[m] and left >= 1 for m, left in got.items())
    # Maximal pieces: sorted, and touching pieces differ in capacity_left.
    for (s1, e1, l1), (s2, e2, l2) in zip(free, free[1:]):
        assert e1 <= s2 and (e1 < s2 or l1 != l2)


@SETTINGS
@given(worlds(), worlds(), st.integers(300, DOMAIN_MINUTES - 700), st.integers(1, 8), st.integers(1, 6))
def test_suggestions_are_the_nearest_feasible_intervals(world, other_world, request_start, slots, limit):
    tz, base, spec, holds, blackouts, now = world
    # A second space of the same kind, in the same zone and place in time.
    _, _, other_spec, other_holds, other_blackouts, _ = other_world
    other_spec = SpaceSpec(id=2, capacity=other_spec.capacity, opening_hours=other_spec.opening_hours,
                           slot_minutes=spec.slot_minutes, min_minutes=spec.min_minutes,
                           max_minutes=other_spec.max_minutes, buffer_minutes=other_spec.buffer_minutes,
                           max_days_ahead=other_spec.max_days_ahead)
    other_world = (tz, base, other_spec, other_holds, other_blackouts, now)
    length = spec.slot_minutes * slots
    search = 240
    states = [SpaceState(s, holds=[(at(base, a), at(base, b)) for a, b in h],
                         blackouts=[(at(base, a), at(base, b)) for a, b in bl])
              for s, h, bl in ((spec, holds, blackouts), (other_spec, other_holds, other_blackouts))]
    found = suggest(states, 1, at(base, request_start), at(base, request_start + length), at(base, now), tz,
                    limit=limit, search=timedelta(minutes=search))
    ranked = []
    for space_id, w in ((1, world), (2, other_world)):
        oracle = Oracle(*w)
        for s in range(request_start - search, request_start + search + 1):
            if space_id == 1 and s == request_start:
                continue
            if oracle.feasible(s, length):
                ranked.append((abs(s - request_start), 0 if space_id == 1 else 1, space_id, s))
    ranked.sort()
    assert [(x.space_id, int((x.start - base).total_seconds() // 60)) for x in found] == \
        [(space_id, s) for _, _, space_id, s in ranked[:limit]]
    assert all(x.end - x.start == timedelta(minutes=length) for x in found)
    # And each suggestion passes the full rule check and has no conflict.
    for x in found:
        state = states[x.space_id - 1]
        assert rule_violations(state.spec, x.start, x.end, at(base, now), tz) == []
        assert conflicts(state.spec, x.start, x.end, state.holds, state.blackouts) == []
