"""Why a request conflicts (allocation.conflict_reasons): a piece caused by the request's own
buffer, or by an earlier booking's, says so, and the pieces explained are exactly the
conflicts the check finds."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innocell.allocation import conflict_reasons as cr
from innocell.allocation.intervals import merge
from innocell.allocation.rules import SpaceSpec, capacity_conflicts, conflicts

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def at(hour, minute=0):
    return datetime(2026, 12, 8, hour, minute, tzinfo=HK).astimezone(UTC)


LAB = SpaceSpec(id=1, name="Wet Lab 3", buffer_minutes=30)


def hold(start, end, spec=LAB):
    return start, end + spec.buffer


def test_own_buffer_running_into_the_next_booking_is_named_with_its_time():
    reasons = cr.explain(LAB, at(10), at(11), [hold(at(11), at(12))], [], HK)
    assert [(r["start"], r["end"], r["reason"]) for r in reasons] == [(at(11), at(11, 30), cr.BUFFER)]
    assert reasons[0]["message"] == "the 30-minute buffer after your booking would run into the next booking at 11:00"
    text = cr.sentence(LAB, "Tue 08 Dec 2026 10:00-11:00", reasons)
    assert text == ("Wet Lab 3 cannot be booked for Tue 08 Dec 2026 10:00-11:00: the 30-minute buffer after your "
                    "booking would run into the next booking at 11:00.")


def test_an_earlier_bookings_buffer_is_named_as_such():
    reasons = cr.explain(LAB, at(11), at(12), [hold(at(10), at(11))], [], HK)
    assert [(r["start"], r["end"], r["reason"]) for r in reasons] == [(at(11), at(11, 30), cr.BUFFER_BEFORE)]
    assert reasons[0]["message"] == ("the 30-minute buffer after the booking that ends at 11:00 keeps Wet Lab 3 "
                                     "until 11:30")


def test_a_plain_overlap_and_a_blackout_are_not_called_buffers():
    reasons = cr.explain(LAB, at(10), at(12), [hold(at(11), at(13))], [(at(10), at(10, 30))], HK)
    assert [(r["start"], r["end"], r["reason"]) for r in reasons] == [
        (at(10), at(10, 30), cr.BLACKOUT), (at(11), at(12), cr.BOOKED), (at(12), at(12, 30), cr.BUFFER)]
    assert reasons[1]["message"] == "Wet Lab 3 is booked from 11:00 to 12:00"


def test_capacity_left_means_no_reason():
    twin = SpaceSpec(id=2, name="Bench", capacity=2, buffer_minutes=30)
    assert cr.explain(twin, at(10), at(11), [hold(at(11), at(12), twin)], [], HK) == []


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = at(8)


@given(capacity=st.integers(1, 3), buffer=st.sampled_from([0, 15, 30, 60]),
       bookings=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 12)), max_size=8),
       blackouts=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), max_size=2),
       request=st.tuples(st.integers(0, 40), st.integers(1, 8)))
@SETTINGS
def test_the_explained_pieces_are_exactly_the_conflicts(capacity, buffer, bookings, blackouts, request):
    spec = SpaceSpec(id=1, name="Lab", capacity=capacity, buffer_minutes=buffer)
    q = timedelta(minutes=15)
    holds = [(BASE + s * q, BASE + (s + n) * q + spec.buffer) for s, n in bookings]
    closed = [(BASE + s * q, BASE + (s + n) * q) for s, n in blackouts]
    start, end = BASE + request[0] * q, BASE + (request[0] + request[1]) * q
    reasons = cr.explain(spec, start, end, holds, closed, HK)
    assert merge((r["start"], r["end"]) for r in reasons) == conflicts(spec, start, end, holds, closed)
    bare = [(s, e - spec.buffer) for s, e in holds]
    for r in reasons:
        if r["reason"] == cr.BUFFER:  # after the asked time, inside its own buffer
            assert end <= r["start"] and r["end"] <= end + spec.buffer
        elif r["reason"] == cr.BUFFER_BEFORE:  # without the buffers, the bookings would leave room
            assert start <= r["start"] and r["end"] <= end
            assert not capacity_conflicts(bare, capacity, r["start"], r["end"])
        elif r["reason"] == cr.BOOKED:
            assert start <= r["start"] and r["end"] <= end
        else:
            assert r["reason"] == cr.BLACKOUT and any(a < r["end"] and r["start"] < b for a, b in closed)
