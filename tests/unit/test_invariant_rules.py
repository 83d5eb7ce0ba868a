"""The person's rules of the pure core, by example: bookings held at the same instant
(`simultaneous`), where a booking under way ends when it is ended early, and one home a night."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from innocell.allocation import homes
from innocell.allocation.rules import (
    RULES,
    SpaceSpec,
    SpaceState,
    UserContext,
    end_early_at,
    rule_violations,
    simultaneous_peak,
)
from innocell.allocation.suggestions import suggest

HK = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=HK).astimezone(UTC)
LAB = SpaceSpec(id=1, code="WL1", name="Wet Lab 1", kind="wet_lab")


def hk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


def rules_of(start, end, user):
    return [v["rule"] for v in rule_violations(LAB, start, end, NOW, HK, user=user)]


# ---------------------------------------------------------------------------- simultaneous


def test_simultaneous_is_a_rule_of_the_contract_after_quota():
    assert RULES.index("simultaneous") == RULES.index("quota") + 1


def test_one_lab_at_a_time_refuses_a_second_overlapping_booking_with_the_instant():
    user = UserContext(simultaneous_limit=1, own_bookings=[(hk(8, 10), hk(8, 12))])
    violations = rule_violations(LAB, hk(8, 11), hk(8, 13), NOW, HK, user=user)
    assert [v["rule"] for v in violations] == ["simultaneous"]
    message = violations[0]["message"]
    assert "1 wet lab booking at the same time" in message and "Tue 08 Dec 2026 11:00" in message


def test_back_to_back_and_elsewhere_in_time_is_fine():
    user = UserContext(simultaneous_limit=1, own_bookings=[(hk(8, 10), hk(8, 12)), (hk(8, 14), hk(8, 15))])
    assert rules_of(hk(8, 12), hk(8, 14), user) == []


def test_a_limit_of_two_counts_the_peak_not_the_number_overlapping():
    # Two own bookings overlap the request but never each other: the peak is 1, plus this one 2.
    user = UserContext(simultaneous_limit=2, own_bookings=[(hk(8, 9), hk(8, 11)), (hk(8, 12), hk(8, 14))])
    assert rules_of(hk(8, 10), hk(8, 13), user) == []
    # Where they do overlap each other, a third at that instant is one too many.
    user = UserContext(simultaneous_limit=2, own_bookings=[(hk(8, 9), hk(8, 12)), (hk(8, 11), hk(8, 14))])
    assert rules_of(hk(8, 10), hk(8, 13), user) == ["simultaneous"]


def test_no_limit_means_no_rule():
    user = UserContext(simultaneous_limit=None, own_bookings=[(hk(8, 10), hk(8, 12))] * 5)
    assert rules_of(hk(8, 10), hk(8, 12), user) == []


def test_earlier_occurrences_of_the_same_request_count():
    """A series passes its earlier occurrences as own bookings: they count like any other."""
    first = (hk(8, 10), hk(8, 12))
    assert rules_of(hk(8, 11), hk(8, 12), UserContext(simultaneous_limit=1, own_bookings=[first])) == \
        ["simultaneous"]


def test_simultaneous_peak_finds_the_first_busiest_instant():
    intervals = [(hk(8, 9), hk(8, 11)), (hk(8, 10), hk(8, 12)), (hk(8, 13), hk(8, 14))]
    assert simultaneous_peak(intervals, hk(8, 8), hk(8, 15)) == (2, hk(8, 10))
    assert simultaneous_peak(intervals, hk(8, 11), hk(8, 13)) == (1, hk(8, 11))
    assert simultaneous_peak([], hk(8, 8), hk(8, 9)) == (0, hk(8, 8))


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), max_size=8), st.integers(0, 40),
       st.integers(1, 8), st.integers(1, 3))
def test_the_rule_agrees_with_counting_every_half_hour(raw, start_slot, length, limit):
    """Property: refused exactly when at some half hour of the request the person would hold
    more than the limit (the peak always begins at a half hour here)."""
    base = hk(8, 8)
    step = timedelta(minutes=30)
    own = [(base + s * step, base + (s + n) * step) for s, n in raw]
    start, end = base + start_slot * step, base + (start_slot + length) * step
    user = UserContext(simultaneous_limit=limit, own_bookings=own)
    refused = "simultaneous" in [v["rule"] for v in rule_violations(
        SpaceSpec(name="Lab", kind="wet_lab", opening_hours={d: [["00:00", "24:00"]] for d in
                                                              ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                  max_minutes=24 * 60), start, end, NOW, HK, user=user)]
    busiest = max(sum(1 for s, e in own if s <= t < e) for t in
                  (start + k * step for k in range(length)))
    assert refused == (busiest + 1 > limit)


def test_suggestions_skip_times_the_person_already_holds_a_lab():
    """The nearest free time on another lab is not offered while the person holds one then."""
    other = SpaceState(spec=SpaceSpec(id=2, code="WL2", name="Wet Lab 2", kind="wet_lab"))
    taken = SpaceState(spec=LAB, holds=[(hk(8, 10), hk(8, 12))])
    mine = (hk(8, 10), hk(8, 12))  # the person holds a third wet lab then
    user = UserContext(simultaneous_limit=1, own_bookings=[mine])
    found = suggest([taken, other], LAB.id, hk(8, 10), hk(8, 12), NOW, HK, users=user, limit=3)
    assert found and all(not (s.start < mine[1] and mine[0] < s.end) for s in found)


# ---------------------------------------------------------------------------- ending early


def test_end_early_moves_the_end_to_the_next_grid_point():
    assert end_early_at(hk(1, 9), hk(1, 12), hk(1, 10, 10), 30, HK) == hk(1, 10, 30)
    assert end_early_at(hk(1, 9), hk(1, 12), hk(1, 10, 30), 30, HK) == hk(1, 10, 30)  # on the grid: now
    assert end_early_at(hk(1, 9), hk(1, 12), hk(1, 10, 1), 60, HK) == hk(1, 11)


def test_end_early_never_later_than_the_end_and_none_when_not_begun_or_over():
    assert end_early_at(hk(1, 9), hk(1, 10, 15), hk(1, 10, 10), 30, HK) == hk(1, 10, 15)
    assert end_early_at(hk(1, 11), hk(1, 12), hk(1, 10), 30, HK) is None  # not begun: cancel whole
    assert end_early_at(hk(1, 10), hk(1, 12), hk(1, 10), 30, HK) is None  # starts this instant: nothing used
    assert end_early_at(hk(1, 8), hk(1, 9), hk(1, 10), 30, HK) is None  # over


def test_end_early_on_a_dst_day_follows_local_wall_clock():
    """London, 29 Mar 2026: 01:00-02:00 does not exist. The grid is local wall-clock time."""
    start = datetime(2026, 3, 29, 0, 0, tzinfo=LONDON).astimezone(UTC)
    end = datetime(2026, 3, 29, 4, 0, tzinfo=LONDON).astimezone(UTC)
    now = datetime(2026, 3, 29, 0, 40, tzinfo=LONDON).astimezone(UTC)
    assert end_early_at(start, end, now, 60, LONDON) == datetime(2026, 3, 29, 2, 0, tzinfo=LONDON).astimezone(UTC)


@given(st.integers(0, 24 * 60 - 1), st.sampled_from([15, 30, 60]))
def test_the_early_end_is_on_the_grid_and_at_most_one_slot_after_now(minute, slot):
    start, end = hk(1, 0), hk(2, 0)
    now = start + timedelta(minutes=minute, seconds=7)
    cut = end_early_at(start, end, now, slot, HK)
    assert now <= cut <= min(end, now + timedelta(minutes=slot))
    local = cut.astimezone(HK)
    assert (local.hour * 60 + local.minute) % slot == 0 and local.second == 0


# ---------------------------------------------------------------------------- one home a night


def home(lease_id, start, end, code="01-01", unit_id=1):
    return homes.Home(lease_id=lease_id, unit_code=code, start=start, end=end, unit_id=unit_id)


def test_a_second_overlapping_lease_clashes_back_to_back_does_not():
    current = home(1, date(2026, 3, 1), date(2027, 3, 1))
    assert homes.clashes([current], date(2027, 1, 1), date(2028, 1, 1)) == [current]
    assert homes.clashes([current], date(2027, 3, 1), date(2028, 3, 1)) == []  # the renewal, back to back
    assert homes.clashes([current], date(2026, 1, 1), date(2026, 3, 1)) == []


def test_a_lease_that_keeps_no_night_clashes_with_nothing():
    called_off = home(2, date(2027, 1, 1), date(2027, 1, 1))
    assert homes.clashes([called_off], date(2026, 12, 1), date(2027, 6, 1)) == []


def test_clash_message_names_the_lease_the_person_holds():
    current = home(7, date(2026, 3, 1), date(2027, 3, 1), code="07-12")
    message = homes.clash_message([current], date(2027, 1, 1), date(2028, 1, 1))
    assert "unit 07-12 from 1 Mar 2026 to 1 Mar 2027 (lease 7)" in message and "You already hold" in message
    assert homes.clash_message([current], date(2027, 1, 1), date(2028, 1, 1), whose="Rita").startswith(
        "Rita already holds")


def test_a_transfer_ends_the_current_lease_the_day_the_new_one_starts_and_calls_off_a_later_one():
    current = home(1, date(2026, 3, 1), date(2027, 3, 1))
    renewal = home(2, date(2027, 3, 1), date(2028, 3, 1))
    ends = homes.transfer_ends([current, renewal], date(2027, 1, 1), date(2028, 1, 1))
    assert ends == [(current, date(2027, 1, 1)), (renewal, date(2027, 3, 1))]  # the renewal keeps no night
    after = [home(1, date(2026, 3, 1), on) if h.lease_id == 1 else home(2, h.start, on) for h, on in ends]
    assert homes.clashes(after, date(2027, 1, 1), date(2028, 1, 1)) == []
