"""Which bookings a change of a space's rules breaks (allocation.space_change): the earlier
booking keeps its time, a started one is never broken, every reason is named, and what is
kept fits the new rules."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innocell.allocation.rules import SpaceSpec, capacity_conflicts, covered_by_opening, on_grid
from innocell.allocation.space_change import Held, broken_by_change

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def at(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


def spec(**fields):
    return SpaceSpec(id=1, name="Wet Lab 3", **fields)


def test_a_longer_buffer_breaks_the_booking_made_later_and_says_why():
    a, b = Held(1, at(8, 10), at(8, 11)), Held(2, at(8, 11), at(8, 12))
    assert broken_by_change(spec(buffer_minutes=0), [a, b], HK) == {}
    broken = broken_by_change(spec(buffer_minutes=30), [a, b], HK)
    assert list(broken) == [2]
    assert broken[2] == [{"rule": "buffer", "message": "The 30-minute buffer after the booking before it would last "
                                                       "until 11:30."}]
    # made the other way round, the later-made booking is the one before: its own buffer is the problem
    broken = broken_by_change(spec(buffer_minutes=30), [Held(1, b.start, b.end), Held(2, a.start, a.end)], HK)
    assert broken == {2: [{"rule": "buffer", "message": "The 30-minute buffer after it would run into the booking "
                                                        "at 11:00."}]}


def test_a_lower_capacity_breaks_the_bookings_made_last():
    bookings = [Held(i, at(8, 10), at(8, 12)) for i in (3, 1, 2)]
    broken = broken_by_change(spec(capacity=2), bookings, HK)
    assert list(broken) == [3] and broken[3][0]["rule"] == "capacity"
    assert "capacity of 2" in broken[3][0]["message"] and "10:00" in broken[3][0]["message"]
    assert broken_by_change(spec(capacity=3), bookings, HK) == {}


def test_grid_and_opening_hours_each_give_their_reason():
    off = Held(1, at(8, 10, 30), at(8, 11, 30))
    late = Held(2, at(8, 19), at(8, 20))
    new = spec(slot_minutes=60, opening_hours={"tue": [["08:00", "18:00"]]})
    broken = broken_by_change(new, [off, late], HK)
    assert broken[1] == [{"rule": "off_grid", "message": "It does not start and end on the new 60-minute grid."}]
    assert broken[2] == [{"rule": "outside_opening_hours",
                          "message": "It would be outside the opening hours: on Tuesdays it would be open "
                                     "08:00-18:00."}]
    assert broken_by_change(spec(opening_hours={}), [late], HK)[2][0]["message"].endswith(
        "it would be closed on Tuesdays.")


def test_closing_on_public_holidays_breaks_bookings_on_them():
    christmas = Held(1, at(25, 10), at(25, 11))
    assert broken_by_change(spec(), [christmas], HK, holidays=[date(2026, 12, 25)]) == {}
    broken = broken_by_change(spec(closed_on_holidays=True), [christmas], HK, holidays=[date(2026, 12, 25)])
    assert "public holiday" in broken[1][0]["message"]


def test_a_started_booking_is_kept_and_counts_first():
    started = Held(5, at(8, 9), at(8, 11), begun=True)
    later = Held(1, at(8, 11), at(8, 12))
    broken = broken_by_change(spec(buffer_minutes=30, opening_hours={"tue": [["10:00", "18:00"]]}),
                              [started, later], HK)
    assert list(broken) == [1]  # the started booking is outside the new hours but kept; its buffer wins


Q = timedelta(minutes=15)
BASE = at(8, 8)


@given(capacity=st.integers(1, 3), buffer=st.sampled_from([0, 15, 30, 60]), slot=st.sampled_from([15, 30, 60]),
       close=st.sampled_from([12, 16, 20, 22]),
       bookings=st.lists(st.tuples(st.integers(0, 50), st.integers(1, 10), st.booleans()), max_size=10))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_what_is_kept_fits_the_new_rules_and_every_break_is_real(capacity, buffer, slot, close, bookings):
    new = spec(capacity=capacity, buffer_minutes=buffer, slot_minutes=slot,
               opening_hours={"tue": [["08:00", f"{close:02d}:00"]], "wed": [["08:00", "22:00"]]})
    held = [Held(i + 1, BASE + s * Q, BASE + (s + n) * Q, begun and s < 4) for i, (s, n, begun) in
            enumerate(bookings)]
    broken = broken_by_change(new, held, HK)
    assert not any(h.begun for h in held if h.id in broken)
    kept = [h for h in held if h.id not in broken]
    holds = [(h.start, h.end + new.buffer) for h in kept]
    for i, h in enumerate(kept):
        others = holds[:i] + holds[i + 1:]
        if not h.begun:
            assert on_grid(h.start, slot, HK) and on_grid(h.end, slot, HK)
            assert covered_by_opening(new, h.start, h.end, HK)
            assert not capacity_conflicts(others, capacity, h.start, h.end + new.buffer), h
    for h in held:
        if h.id not in broken:
            continue
        rules = {r["rule"] for r in broken[h.id]}
        assert rules and rules <= {"off_grid", "outside_opening_hours", "buffer", "capacity"}
        if "off_grid" in rules:
            assert not (on_grid(h.start, slot, HK) and on_grid(h.end, slot, HK))
        if "outside_opening_hours" in rules:
            assert not covered_by_opening(new, h.start, h.end, HK)
        if rules & {"buffer", "capacity"}:  # it really collides with what was kept before it
            before = [(x.start, x.end + new.buffer) for x in kept if x.begun or x.id < h.id]
            assert capacity_conflicts(before, capacity, h.start, h.end + new.buffer)
