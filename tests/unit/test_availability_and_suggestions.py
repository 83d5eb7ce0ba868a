"""Availability and suggestions at their edges: capacity above one with back-to-back holds,
holidays, the horizon, the search window, and what is offered after a refused request
(a start in the past above all). Hong Kong time; now is Tue 1 Dec 2026 10:00."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from innocell.allocation.availability import Occupancy, availability, feasible_starts
from innocell.allocation.rules import SpaceSpec, SpaceState, UserContext
from innocell.allocation.suggestions import Suggestion, suggest

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=HK).astimezone(UTC)
TUESDAY = {"tue": [["08:00", "12:00"]]}
CHRISTMAS = {date(2026, 12, 25): "Christmas Day"}


def hk(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


def starts(found):
    return [(s.space_id, s.start) for s in found]


# ---------------------------------------------------------------------------- availability


def test_back_to_back_holds_leave_one_place_on_a_space_for_two():
    spec = SpaceSpec(capacity=2, opening_hours=TUESDAY)
    holds = [(hk(8, 9), hk(8, 10)), (hk(8, 10), hk(8, 11))]
    assert availability(spec, holds, [], hk(8, 0), hk(9, 0), NOW, HK) == [
        (hk(8, 8), hk(8, 9), 2), (hk(8, 9), hk(8, 11), 1), (hk(8, 11), hk(8, 12), 2)]
    # A third hold over both leaves no place from 9 to 11.
    holds.append((hk(8, 9), hk(8, 11)))
    assert availability(spec, holds, [], hk(8, 0), hk(9, 0), NOW, HK) == [
        (hk(8, 8), hk(8, 9), 2), (hk(8, 11), hk(8, 12), 2)]


def test_capacity_left_steps_with_each_hold_on_a_space_for_three():
    spec = SpaceSpec(capacity=3, opening_hours=TUESDAY)
    holds = [(hk(8, 8), hk(8, 10)), (hk(8, 9), hk(8, 10)), (hk(8, 9, 30), hk(8, 11))]
    # Three overlap from 9:30 to 10:00: no place then; one place from 9:00, two or three elsewhere.
    assert availability(spec, holds, [], hk(8, 0), hk(9, 0), NOW, HK) == [
        (hk(8, 8), hk(8, 9), 2), (hk(8, 9), hk(8, 9, 30), 1), (hk(8, 10), hk(8, 11), 2), (hk(8, 11), hk(8, 12), 3)]
    assert availability(SpaceSpec(capacity=4, opening_hours=TUESDAY), holds, [], hk(8, 0), hk(9, 0), NOW, HK) == [
        (hk(8, 8), hk(8, 9), 3), (hk(8, 9), hk(8, 9, 30), 2), (hk(8, 9, 30), hk(8, 10), 1),
        (hk(8, 10), hk(8, 11), 3), (hk(8, 11), hk(8, 12), 4)]


def test_the_occupancy_steps_count_every_hold_once():
    occupancy = Occupancy([(hk(8, 10), hk(8, 11)), (hk(8, 11), hk(8, 12)), (hk(8, 10, 30), hk(8, 11, 30)),
                           (hk(8, 10), hk(8, 11))])
    assert [occupancy.at(t) for t in (hk(8, 9), hk(8, 10), hk(8, 10, 30), hk(8, 11), hk(8, 11, 30), hk(8, 12))] == [
        0, 2, 3, 2, 1, 0]
    assert occupancy.peak(hk(8, 9), hk(8, 10)) == 0
    assert occupancy.peak(hk(8, 9), hk(8, 10, 1)) == 2
    assert occupancy.peak(hk(8, 11), hk(8, 13)) == 2
    assert occupancy.peak(hk(8, 11, 30), hk(8, 13)) == 1
    assert occupancy.peak(hk(8, 10, 45), hk(8, 10, 50)) == 3
    assert Occupancy([]).peak(hk(8, 9), hk(8, 10)) == 0 and Occupancy([]).at(hk(8, 9)) == 0
    assert occupancy.peak(hk(8, 10, 45), hk(8, 10, 45)) == 0  # an empty stretch has no instant


def test_a_booking_of_the_grid_length_must_fit_whole():
    spec = SpaceSpec(opening_hours=TUESDAY, min_minutes=45)  # the grid length is one hour
    assert feasible_starts(spec, [(hk(8, 10), hk(8, 10, 30))], [], hk(8, 0), hk(9, 0), NOW, HK) == [
        hk(8, 8), hk(8, 8, 30), hk(8, 9), hk(8, 10, 30), hk(8, 11)]
    assert feasible_starts(spec, [], [(hk(8, 9), hk(8, 11, 30))], hk(8, 0), hk(9, 0), NOW, HK) == [hk(8, 8)]
    # A shorter length may be asked for; a longer one than the space allows finds nothing.
    assert feasible_starts(spec, [], [], hk(8, 11), hk(8, 12), NOW, HK, length=timedelta(minutes=30)) == [
        hk(8, 11), hk(8, 11, 30)]
    assert feasible_starts(SpaceSpec(max_minutes=60), [], [], hk(8, 0), hk(9, 0), NOW, HK,
                           length=timedelta(minutes=90)) == []
    assert feasible_starts(SpaceSpec(active=False), [], [], hk(8, 0), hk(9, 0), NOW, HK) == []


def test_feasible_starts_are_those_whose_booking_overlaps_the_window():
    spec = SpaceSpec(opening_hours=TUESDAY, min_minutes=60)
    # 8:00-9:00 ends as the window opens and 10:00-11:00 starts as it closes: neither overlaps it.
    assert feasible_starts(spec, [], [], hk(8, 9), hk(8, 10), NOW, HK) == [hk(8, 8, 30), hk(8, 9), hk(8, 9, 30)]
    # To the microsecond: one microsecond of overlap is enough.
    just_before = hk(8, 9) - timedelta(microseconds=1)
    assert feasible_starts(spec, [], [], just_before, hk(8, 9, 30), NOW, HK) == [hk(8, 8), hk(8, 8, 30), hk(8, 9)]
    just_after = hk(8, 9) + timedelta(microseconds=1)
    assert feasible_starts(spec, [], [], hk(8, 8, 30), just_after, NOW, HK) == [hk(8, 8), hk(8, 8, 30), hk(8, 9)]
    assert availability(spec, [], [], just_before, hk(8, 9, 30), NOW, HK) == [(just_before, hk(8, 9, 30), 1)]


def test_a_space_open_exactly_one_booking_long_has_that_one_start():
    spec = SpaceSpec(opening_hours={"tue": [["08:00", "09:00"]]}, min_minutes=60)
    assert feasible_starts(spec, [], [], hk(8, 0), hk(9, 0), NOW, HK) == [hk(8, 8)]
    assert availability(spec, [], [], hk(8, 0), hk(9, 0), NOW, HK) == [(hk(8, 8), hk(8, 9), 1)]


def test_back_to_back_holds_at_the_window_start_and_after_other_pieces():
    spec = SpaceSpec(capacity=2, opening_hours=TUESDAY)
    holds = [(hk(8, 9), hk(8, 10)), (hk(8, 10), hk(8, 11))]
    assert availability(spec, holds, [], hk(8, 9), hk(8, 11), NOW, HK) == [(hk(8, 9), hk(8, 11), 1)]
    holds = [(hk(8, 8), hk(8, 9)), (hk(8, 9, 30), hk(8, 10)), (hk(8, 10), hk(8, 10, 30))]
    assert availability(spec, holds, [], hk(8, 0), hk(9, 0), NOW, HK) == [
        (hk(8, 8), hk(8, 9), 1), (hk(8, 9), hk(8, 9, 30), 2), (hk(8, 9, 30), hk(8, 10, 30), 1),
        (hk(8, 10, 30), hk(8, 12), 2)]


def test_availability_with_a_buffer_on_a_space_for_two():
    spec = SpaceSpec(capacity=2, opening_hours=TUESDAY, buffer_minutes=30)
    holds = [(hk(8, 9), hk(8, 10, 30)), (hk(8, 10, 30), hk(8, 11, 30))]  # 9-10 and 10:30-11, each with its buffer
    # Both leave one place; a hold of 10:00-10:30 + buffer meets each of them only one at a time.
    assert availability(spec, holds, [], hk(8, 0), hk(9, 0), NOW, HK) == [
        (hk(8, 8), hk(8, 9), 2), (hk(8, 9), hk(8, 11, 30), 1), (hk(8, 11, 30), hk(8, 12), 2)]
    # With a third hold 10:00-11:00 two overlap from 10:00 to 11:00: a hold of 9:30-10:00 plus its
    # buffer would make three, one of 11:00-11:30 plus its buffer only two.
    full = holds + [(hk(8, 10), hk(8, 11))]
    assert availability(spec, full, [], hk(8, 0), hk(9, 0), NOW, HK) == [
        (hk(8, 8), hk(8, 9), 2), (hk(8, 9), hk(8, 9, 30), 1), (hk(8, 11), hk(8, 11, 30), 1),
        (hk(8, 11, 30), hk(8, 12), 2)]


def test_availability_closes_holidays_only_for_spaces_that_close():
    every_day = {d: [["08:00", "12:00"]] for d in ("thu", "fri", "sat")}
    closing = SpaceSpec(opening_hours=every_day, closed_on_holidays=True)
    assert availability(closing, [], [], hk(24, 0), hk(27, 0), NOW, HK, holidays=CHRISTMAS) == [
        (hk(24, 8), hk(24, 12), 1), (hk(26, 8), hk(26, 12), 1)]
    staying = SpaceSpec(opening_hours=every_day)
    assert len(availability(staying, [], [], hk(24, 0), hk(27, 0), NOW, HK, holidays=CHRISTMAS)) == 3


def test_availability_ends_at_the_horizon_and_starts_now():
    spec = SpaceSpec(max_days_ahead=7)
    assert availability(spec, [], [], hk(8, 0), hk(9, 0), NOW, HK) == [(hk(8, 8), hk(8, 10, 30), 1)]
    assert availability(spec, [], [], hk(1, 0), hk(2, 0), hk(1, 10, 10), HK) == [(hk(1, 10, 30), hk(1, 22), 1)]
    # A booking that starts before the window and runs into it is free time inside the window.
    assert availability(SpaceSpec(min_minutes=60), [], [], hk(8, 8, 30), hk(8, 9), NOW, HK) == [
        (hk(8, 8, 30), hk(8, 9), 1)]


# ---------------------------------------------------------------------------- suggestions


def test_after_a_past_request_suggestions_start_now_nearest_first():
    lab, other = SpaceState(SpaceSpec(id=1)), SpaceState(SpaceSpec(id=2))
    found = suggest([lab, other], 1, hk(1, 8), hk(1, 9), NOW, HK, limit=5)
    assert starts(found) == [(1, hk(1, 10)), (2, hk(1, 10)), (1, hk(1, 10, 30)), (2, hk(1, 10, 30)), (1, hk(1, 11))]
    assert found[0] == Suggestion(1, hk(1, 10), hk(1, 11))
    # A start just before now: the 10:00 start is the nearest, though the request was 9:30.
    assert starts(suggest([lab], 1, hk(1, 9, 30), hk(1, 10, 30), NOW, HK, limit=2)) == [(1, hk(1, 10)),
                                                                                       (1, hk(1, 10, 30))]


def test_the_refused_start_itself_is_offered_only_on_other_spaces():
    lab = SpaceState(SpaceSpec(id=1), holds=[(hk(8, 11), hk(8, 12))])
    other = SpaceState(SpaceSpec(id=7))
    found = suggest([other, lab], 1, hk(8, 10), hk(8, 11), NOW, HK, limit=4)
    # 10:00 on the lab was refused (by some rule of the caller's); 10:00 on the other lab is fine.
    assert starts(found) == [(7, hk(8, 10)), (1, hk(8, 9, 30)), (7, hk(8, 9, 30)), (7, hk(8, 10, 30))]


def test_equal_distances_go_by_space_id_then_earlier_first():
    a, b = SpaceState(SpaceSpec(id=5)), SpaceState(SpaceSpec(id=3))
    found = suggest([a, b], 9, hk(8, 12), hk(8, 13), NOW, HK, limit=6)
    assert starts(found) == [(3, hk(8, 12)), (5, hk(8, 12)), (3, hk(8, 11, 30)), (3, hk(8, 12, 30)),
                             (5, hk(8, 11, 30)), (5, hk(8, 12, 30))]


def test_suggestions_stay_inside_the_search_window_and_the_horizon():
    lab = SpaceState(SpaceSpec(id=1, max_days_ahead=7), holds=[(hk(8, 8), hk(8, 22))])
    found = suggest([lab], 1, hk(8, 12), hk(8, 13), NOW, HK, limit=3, search=timedelta(hours=15))
    assert starts(found) == [(1, hk(7, 21))]  # 9 Dec is past the horizon; 7 Dec before 21:00 is too far back
    assert suggest([lab], 1, hk(8, 12), hk(8, 13), NOW, HK, search=timedelta(hours=1)) == []
    assert suggest([SpaceState(SpaceSpec(id=1))], 1, hk(1, 8), hk(1, 9), NOW, HK,
                   search=timedelta(hours=1)) == []  # the whole window is before now


def test_suggestions_keep_clear_of_holds_buffers_and_blackouts():
    spec = SpaceSpec(id=1, capacity=2, buffer_minutes=30, opening_hours=TUESDAY)
    lab = SpaceState(spec, holds=[(hk(8, 8), hk(8, 10, 30)), (hk(8, 10), hk(8, 12))],
                     blackouts=[(hk(8, 8), hk(8, 9))])
    # 9:00 was refused; 8:00 and 8:30 lie in the blackout; a hold from 9:30 or 10:00 (with its buffer)
    # would make three from 10:00 to 10:30.
    assert starts(suggest([lab], 1, hk(8, 9), hk(8, 9, 30), NOW, HK, limit=3)) == [
        (1, hk(8, 10, 30)), (1, hk(8, 11)), (1, hk(8, 11, 30))]


def test_no_suggestions_where_the_space_or_the_length_cannot_be_had():
    inactive = SpaceState(SpaceSpec(id=1, active=False))
    short = SpaceState(SpaceSpec(id=2, max_minutes=60))
    assert suggest([inactive, short], 1, hk(8, 10), hk(8, 12), NOW, HK) == []
    assert starts(suggest([inactive, short], 1, hk(8, 10), hk(8, 11), NOW, HK, limit=1)) == [(2, hk(8, 10))]


def test_suggestions_skip_closed_holidays_and_use_each_spaces_user_context():
    hall = SpaceState(SpaceSpec(id=1, closed_on_holidays=True), holidays=CHRISTMAS)
    found = suggest([hall], 1, hk(25, 10), hk(25, 11), NOW, HK, limit=40)
    assert starts(found)[:3] == [(1, hk(24, 21)), (1, hk(24, 20, 30)), (1, hk(24, 20))]
    assert hk(26, 8) in [s.start for s in found] and not [s for s in found if hk(25, 0) <= s.start < hk(26, 0)]
    gated = SpaceState(SpaceSpec(id=2, requires_authorisation=True))
    users = {2: UserContext(authorised=False)}
    assert starts(suggest([gated], 1, hk(8, 10), hk(8, 11), NOW, HK, users=users)) == []
    assert starts(suggest([gated], 1, hk(8, 10), hk(8, 11), NOW, HK, users={}, limit=1)) == [(2, hk(8, 10))]
    assert starts(suggest([gated], 1, hk(8, 10), hk(8, 11), NOW, HK, users=UserContext(authorised=False))) == []
    over_quota = UserContext(quota_minutes=60, used_minutes={(2026, 50): 60})
    found = suggest([SpaceState(SpaceSpec(id=1))], 1, hk(8, 10), hk(8, 11), NOW, HK, users=over_quota, limit=1)
    assert starts(found) == [(1, hk(6, 21))]  # the last hour of the week before


def test_a_45_minute_grid_counts_from_local_midnight_in_availability_and_suggestions():
    # Hong Kong midnight is 16:00 UTC, which is not on a 45-minute grid from UTC midnight.
    spec = SpaceSpec(id=1, slot_minutes=45, min_minutes=45, opening_hours={"tue": [["09:00", "12:00"]]})
    assert feasible_starts(spec, [], [], hk(8, 0), hk(9, 0), NOW, HK) == [hk(8, 9), hk(8, 9, 45), hk(8, 10, 30),
                                                                          hk(8, 11, 15)]
    assert availability(spec, [(hk(8, 9, 45), hk(8, 10, 30))], [], hk(8, 0), hk(9, 0), NOW, HK) == [
        (hk(8, 9), hk(8, 9, 45), 1), (hk(8, 10, 30), hk(8, 12), 1)]
    found = suggest([SpaceState(spec, holds=[(hk(8, 9, 45), hk(8, 10, 30))])], 1, hk(8, 9, 45), hk(8, 10, 30), NOW,
                    HK, limit=2)
    assert starts(found) == [(1, hk(8, 9)), (1, hk(8, 10, 30))]


def test_a_space_that_stays_open_on_holidays_is_offered_on_them():
    lab = SpaceState(SpaceSpec(id=2), holidays=CHRISTMAS)
    assert starts(suggest([lab], 1, hk(25, 10), hk(25, 11), NOW, HK, limit=1)) == [(2, hk(25, 10))]


def test_a_space_bookable_only_now_offers_now():
    today_only = SpaceState(SpaceSpec(id=1, max_days_ahead=0))
    assert starts(suggest([today_only], 1, hk(1, 11), hk(1, 12), NOW, HK, limit=3)) == [(1, hk(1, 10))]


def test_suggestions_may_touch_blackouts_but_not_overlap_them():
    lab = SpaceState(SpaceSpec(id=1), blackouts=[(hk(8, 9), hk(8, 9, 30)), (hk(8, 11, 30), hk(8, 12))])
    found = suggest([lab], 1, hk(8, 10), hk(8, 11), NOW, HK, limit=4)
    assert starts(found) == [(1, hk(8, 9, 30)), (1, hk(8, 10, 30)), (1, hk(8, 8)), (1, hk(8, 12))]


def test_five_suggestions_unless_asked_otherwise():
    assert len(suggest([SpaceState(SpaceSpec(id=1))], 1, hk(8, 10), hk(8, 11), NOW, HK)) == 5

