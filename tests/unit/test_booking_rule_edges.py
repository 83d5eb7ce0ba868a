"""The edges of the booking rules in the pure core: the exact sentences a resident reads, the
boundaries of each rule (inclusive or not), quota weeks, the grid and the capacity sweep.
Hong Kong time unless said otherwise; now is Tue 1 Dec 2026 10:00."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from innocell.allocation.rules import (
    SpaceSpec,
    UserContext,
    capacity_conflicts,
    conflicts,
    fmt_minutes,
    grid_points,
    rule_violations,
    week_minutes,
    week_start_of,
)

HK = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=HK).astimezone(UTC)
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CHRISTMAS = {date(2026, 12, 25): "Christmas Day", date(2026, 12, 26): "The first weekday after Christmas Day"}


def hk(day, hour, minute=0, month=12, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


def violations(spec, start, end, now=NOW, tz=HK, **kw):
    return {v["rule"]: v["message"] for v in rule_violations(spec, start, end, now, tz, **kw)}


LAB = SpaceSpec(id=1, code="WL1", name="Wet Lab 1", kind="wet_lab")


# ---------------------------------------------------------------------------- sentences


def test_lengths_read_as_hours_and_minutes():
    assert [fmt_minutes(m) for m in (0, 1, 45, 60, 90, 120, 570, 89.6)] == [
        "0 min", "1 min", "45 min", "1 h", "1 h 30 min", "2 h", "9 h 30 min", "1 h 30 min"]


def test_each_rule_explains_itself():
    spec = SpaceSpec(name="Dry Lab", min_minutes=90, max_minutes=570, max_days_ahead=7, opening_hours=ALL_DAY)
    assert violations(spec, hk(8, 10), hk(8, 10, 30))["too_short"] == \
        "The shortest booking of Dry Lab is 1 h 30 min; this one is 30 min."
    assert violations(spec, hk(8, 0), hk(8, 10))["too_long"] == \
        "The longest booking of Dry Lab is 9 h 30 min; this one is 10 h."
    assert violations(spec, hk(8, 10, 30), hk(8, 12))["too_far_ahead"] == \
        "Dry Lab can be booked at most 7 days ahead, so no later than Tue 08 Dec 2026 10:00."
    assert violations(LAB, hk(8, 10, 15), hk(8, 11, 45))["off_grid"] == (
        "Bookings of Wet Lab 1 start and end on a 30-minute grid from midnight; the start (10:15) and the end "
        "(11:45) are not on it.")
    assert violations(LAB, hk(8, 10), hk(8, 10, 45))["off_grid"] == (
        "Bookings of Wet Lab 1 start and end on a 30-minute grid from midnight; the end (10:45) is not on it.")
    assert violations(LAB, hk(8, 10, 15), hk(8, 11))["off_grid"].endswith("; the start (10:15) is not on it.")
    assert violations(SpaceSpec(name="Old Lab", active=False), hk(8, 10), hk(8, 11))["inactive_space"] == \
        "Old Lab is not open for booking at the moment."
    assert violations(SpaceSpec(name="BSL-2 Lab", requires_authorisation=True), hk(8, 10), hk(8, 11),
                      user=UserContext(authorised=False))["not_authorised"] == (
        "BSL-2 Lab needs training first: ask a facility manager to authorise you before booking it.")
    assert violations(LAB, hk(1, 9), hk(1, 11))["past"] == \
        "This time has already started or passed; choose a start in the future."


def test_a_space_without_a_name_is_this_space():
    assert violations(SpaceSpec(name="", active=False), hk(8, 10), hk(8, 11))["inactive_space"] == \
        "This space is not open for booking at the moment."


def test_closed_hours_name_the_days_opening_or_that_it_is_closed():
    spec = SpaceSpec(name="Meeting Room", opening_hours={"tue": [["09:00", "12:00"], ["13:00", "18:00"]]})
    assert violations(spec, hk(8, 11), hk(8, 14))["outside_opening_hours"] == \
        "Meeting Room is closed for part of this time: on Tuesdays it is open 09:00-12:00, 13:00-18:00."
    assert violations(spec, hk(9, 10), hk(9, 11))["outside_opening_hours"] == \
        "Meeting Room is closed for part of this time: it is closed on Wednesdays."
    # On a holiday, a space that does not close for holidays is refused for its hours, not the holiday.
    assert violations(spec, hk(25, 10), hk(25, 11), holidays=CHRISTMAS)["outside_opening_hours"] == \
        "Meeting Room is closed for part of this time: it is closed on Fridays."
    # The day named is the local day: 02:00 on Tuesday in Hong Kong is still Monday in UTC.
    assert violations(spec, hk(8, 2), hk(8, 3))["outside_opening_hours"] == \
        "Meeting Room is closed for part of this time: on Tuesdays it is open 09:00-12:00, 13:00-18:00."


def test_a_holiday_refusal_names_the_first_holiday_in_the_request():
    hall = SpaceSpec(name="Event Hall", opening_hours=ALL_DAY, closed_on_holidays=True, max_minutes=60 * 24 * 40)
    assert violations(hall, hk(24, 20), hk(26, 20), holidays=CHRISTMAS) == {"outside_opening_hours": (
        "Event Hall is closed on public holidays, and Fri 25 Dec 2026 is Christmas Day.")}
    assert violations(hall, hk(26, 10), hk(27, 10), holidays=CHRISTMAS)["outside_opening_hours"].endswith(
        "Sat 26 Dec 2026 is The first weekday after Christmas Day.")
    # A booking that ends at midnight does not touch the next day.
    assert violations(hall, hk(24, 20), hk(25, 0), holidays=CHRISTMAS) == {}
    evenings = SpaceSpec(name="Event Hall", opening_hours={"thu": [["08:00", "20:00"]]}, closed_on_holidays=True)
    assert violations(evenings, hk(24, 19), hk(25, 0), holidays=CHRISTMAS)["outside_opening_hours"] == \
        "Event Hall is closed for part of this time: on Thursdays it is open 08:00-20:00."
    # One microsecond into the holiday is on the holiday.
    assert violations(evenings, hk(24, 19), hk(25, 0) + timedelta(microseconds=1),
                      holidays=CHRISTMAS)["outside_opening_hours"].endswith("Fri 25 Dec 2026 is Christmas Day.")


def test_a_month_at_most_is_checked_against_the_opening_hours():
    spec = SpaceSpec(opening_hours=ALL_DAY, max_minutes=60 * 24 * 60)
    assert violations(spec, hk(2, 0), hk(2, 0) + timedelta(days=31)) == {}
    longer = violations(spec, hk(2, 0), hk(2, 0) + timedelta(days=31, minutes=30))
    assert longer == {"outside_opening_hours": "This space is not open for such a long stretch."}
    # With daily hours, a month is closed for part of the time; anything longer is not open at all.
    daily = SpaceSpec(max_minutes=60 * 24 * 60)
    assert violations(daily, hk(2, 0), hk(2, 0) + timedelta(days=31))["outside_opening_hours"] == \
        "This space is closed for part of this time: on Wednesdays it is open 08:00-22:00."
    assert violations(daily, hk(2, 0), hk(2, 0) + timedelta(days=31, minutes=30))["outside_opening_hours"] == \
        "This space is not open for such a long stretch."


# ---------------------------------------------------------------------------- boundaries


def test_the_horizon_and_now_are_inclusive():
    spec = SpaceSpec(max_days_ahead=7)
    assert violations(spec, hk(1, 10), hk(1, 11)) == {}
    assert set(violations(spec, hk(1, 10) - timedelta(microseconds=1), hk(1, 11))) == {"past", "off_grid"}
    assert violations(spec, hk(8, 10), hk(8, 11)) == {}
    assert set(violations(SpaceSpec(max_days_ahead=0), hk(1, 10, 30), hk(1, 11))) == {"too_far_ahead"}


def test_the_shortest_and_longest_lengths_are_allowed():
    spec = SpaceSpec(min_minutes=60, max_minutes=120)
    assert violations(spec, hk(8, 10), hk(8, 11)) == {} and violations(spec, hk(8, 10), hk(8, 12)) == {}
    assert set(violations(spec, hk(8, 10), hk(8, 10, 30))) == {"too_short"}
    assert set(violations(spec, hk(8, 10), hk(8, 12, 30))) == {"too_long"}


def test_a_request_must_end_after_it_starts():
    for end in (hk(8, 10), hk(8, 9)):
        with pytest.raises(ValueError, match="^end must be after start$"):
            rule_violations(LAB, hk(8, 10), end, NOW, HK)


def test_the_grid_counts_whole_minutes_from_local_midnight():
    quarter = SpaceSpec(slot_minutes=15, min_minutes=15)
    assert violations(quarter, hk(8, 10, 15), hk(8, 10, 45)) == {}
    assert set(violations(quarter, hk(8, 10, 15), hk(8, 10, 50))) == {"off_grid"}
    assert set(violations(LAB, hk(8, 10) + timedelta(microseconds=1), hk(8, 11))) == {"off_grid"}
    assert set(violations(LAB, hk(8, 10), hk(8, 11) + timedelta(seconds=30))) == {"off_grid"}
    # Hong Kong is UTC+8: a 45-minute grid counts from local midnight, not from UTC midnight.
    spec = SpaceSpec(slot_minutes=45, min_minutes=45)
    assert violations(spec, hk(8, 9), hk(8, 9, 45)) == {}
    assert set(violations(spec, hk(8, 9, 30), hk(8, 10, 15))) == {"off_grid"}


def test_grid_points_include_both_ends_and_repeat_on_a_fold():
    assert grid_points(hk(8, 10), hk(8, 11), 30, HK) == [hk(8, 10), hk(8, 10, 30), hk(8, 11)]
    assert grid_points(hk(8, 10, 1), hk(8, 10, 59), 30, HK) == [hk(8, 10, 30)]
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 01:00 BST, the first 01:00 of the night
    points = grid_points(start, start + timedelta(hours=2), 60, LONDON)
    assert points == [start, start + timedelta(hours=1), start + timedelta(hours=2)]
    assert [p.astimezone(LONDON).hour for p in points] == [1, 1, 2]
    spring = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 00:30 GMT; 01:00-02:00 is skipped
    assert grid_points(spring, spring + timedelta(hours=1), 30, LONDON) == [
        spring, datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]


# ---------------------------------------------------------------------------- quota weeks


def test_quota_weeks_start_on_local_monday():
    assert week_start_of(hk(13, 23, 59), HK) == hk(7, 0)
    assert week_start_of(hk(14, 0), HK) == hk(14, 0)
    assert week_start_of(hk(14, 2), HK) == hk(14, 0)  # still Sunday in UTC
    assert week_minutes([(hk(13, 22), hk(14, 2))], HK) == {(2026, 50): 120, (2026, 51): 120}
    # Nine days run over three weeks.
    assert week_minutes([(hk(13, 12), hk(22, 12))], HK) == {(2026, 50): 720, (2026, 51): 7 * 24 * 60,
                                                           (2026, 52): 36 * 60}
    assert week_minutes([(hk(8, 10), hk(8, 11)), (hk(9, 10), hk(9, 10, 30))], HK) == {(2026, 50): 90}
    # The week of the spring clock change in London has one hour less.
    monday = datetime(2026, 3, 23, tzinfo=LONDON).astimezone(UTC)
    next_monday = datetime(2026, 3, 30, tzinfo=LONDON).astimezone(UTC)
    assert week_minutes([(monday, next_monday)], LONDON) == {(2026, 13): 7 * 24 * 60 - 60}
    assert week_start_of(next_monday - timedelta(minutes=1), LONDON) == monday


def test_quota_message_gives_the_week_what_is_used_and_what_is_left():
    user = UserContext(quota_minutes=150, used_minutes={(2026, 50): 100})
    spec = SpaceSpec(kind="wet_lab")
    assert violations(spec, hk(8, 10), hk(8, 11), user=user)["quota"] == (
        "You may book 2.5 h of wet lab time a week. In the week of 07 Dec 2026 you already have 1 h 40 min "
        "booked, so 50 min is left and this booking needs 1 h.")
    over = UserContext(quota_minutes=60, used_minutes={(2026, 50): 90})
    assert "so 0 min is left" in violations(SpaceSpec(kind=""), hk(8, 10), hk(8, 10, 30), user=over)["quota"]
    assert violations(SpaceSpec(kind=""), hk(8, 10), hk(8, 10, 30), user=over)["quota"].startswith(
        "You may book 1 h of space time a week.")
    assert "quota" not in violations(spec, hk(8, 10), hk(8, 10, 50), user=UserContext(quota_minutes=150,
                                                                                      used_minutes={(2026, 50): 100}))


def test_quota_names_only_the_first_week_over_it():
    spec = SpaceSpec(opening_hours=ALL_DAY, max_minutes=24 * 60)
    user = UserContext(quota_minutes=60, used_minutes={(2026, 50): 60, (2026, 51): 60})
    found = rule_violations(spec, hk(13, 23), hk(14, 1), NOW, HK, user=user)
    assert [v["rule"] for v in found] == ["quota"]
    assert "In the week of 07 Dec 2026 you already have 1 h booked" in found[0]["message"]
    # Only the week that goes over counts: the earlier one may be full already.
    user = UserContext(quota_minutes=60, used_minutes={(2026, 50): 0, (2026, 51): 30})
    found = rule_violations(spec, hk(13, 23), hk(14, 1), NOW, HK, user=user)
    assert "In the week of 14 Dec 2026 you already have 30 min booked, so 30 min is left and this booking " \
           "needs 1 h." in found[0]["message"]


# ---------------------------------------------------------------------------- the capacity sweep


def test_capacity_sweep_on_a_space_for_two():
    holds = [(hk(8, 10), hk(8, 11)), (hk(8, 11), hk(8, 12)), (hk(8, 10, 30), hk(8, 11, 30))]
    # Back-to-back holds are one at a time; with the third, two overlap from 10:30 to 11:30.
    assert capacity_conflicts(holds[:2], 2, hk(8, 9), hk(8, 13)) == []
    assert capacity_conflicts(holds, 2, hk(8, 9), hk(8, 13)) == [(hk(8, 10, 30), hk(8, 11, 30))]
    assert capacity_conflicts(holds, 3, hk(8, 9), hk(8, 13)) == []
    assert capacity_conflicts(holds, 1, hk(8, 9), hk(8, 13)) == [(hk(8, 10), hk(8, 12))]
    assert capacity_conflicts(holds, 2, hk(8, 11), hk(8, 11, 15)) == [(hk(8, 11), hk(8, 11, 15))]
    assert capacity_conflicts(holds, 1, hk(8, 12), hk(8, 13)) == []
    assert capacity_conflicts([], 1, hk(8, 12), hk(8, 13)) == []


def test_capacity_sweep_reports_each_full_stretch_apart():
    holds = [(hk(8, 10), hk(8, 11)), (hk(8, 10), hk(8, 11)), (hk(8, 12), hk(8, 13)), (hk(8, 12, 30), hk(8, 14))]
    assert capacity_conflicts(holds, 2, hk(8, 8), hk(8, 18)) == [(hk(8, 10), hk(8, 11)), (hk(8, 12, 30), hk(8, 13))]


def test_conflicts_add_the_buffer_to_the_hold_but_not_to_blackouts():
    spec = SpaceSpec(buffer_minutes=30)
    assert conflicts(spec, hk(8, 10), hk(8, 11), [(hk(8, 11, 15), hk(8, 12))], []) == [(hk(8, 11, 15), hk(8, 11, 30))]
    assert conflicts(spec, hk(8, 10), hk(8, 11), [], [(hk(8, 11), hk(8, 12))]) == []
    assert conflicts(spec, hk(8, 10), hk(8, 11), [], [(hk(8, 9), hk(8, 10, 15)), (hk(8, 10, 45), hk(8, 12))]) == [
        (hk(8, 10), hk(8, 10, 15)), (hk(8, 10, 45), hk(8, 11))]
    assert conflicts(spec, hk(8, 10), hk(8, 11), [(hk(8, 10), hk(8, 10, 30))], [(hk(8, 10, 15), hk(8, 10, 45))]) == [
        (hk(8, 10), hk(8, 10, 45))]
