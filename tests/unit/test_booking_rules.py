"""Every booking rule of the pure core, by example (Hong Kong time unless said otherwise)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from innocell.allocation.availability import availability
from innocell.allocation.rules import (
    SpaceSpec,
    SpaceState,
    UserContext,
    conflicts,
    grid_points,
    on_grid,
    rule_violations,
    week_minutes,
)
from innocell.allocation.suggestions import suggest

HK = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=HK).astimezone(UTC)  # Tue 1 Dec 2026 10:00 HK


def hk(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


def rules_of(spec, start, end, now=NOW, tz=HK, **kw):
    return [v["rule"] for v in rule_violations(spec, start, end, now, tz, **kw)]


LAB = SpaceSpec(id=1, code="WL1", name="Wet Lab 1", kind="wet_lab")


def test_a_good_request_breaks_no_rule():
    assert rule_violations(LAB, hk(8, 14), hk(8, 16), NOW, HK) == []


def test_past_start_is_refused_with_a_sentence():
    violations = rule_violations(LAB, hk(1, 9), hk(1, 11), NOW, HK)
    assert [v["rule"] for v in violations] == ["past"]
    assert "future" in violations[0]["message"]


def test_start_exactly_now_is_allowed():
    assert "past" not in rules_of(LAB, hk(1, 10), hk(1, 11))


def test_too_far_ahead_uses_the_space_horizon():
    spec = SpaceSpec(name="Wet Lab 1", max_days_ahead=7)
    assert rules_of(spec, hk(8, 10), hk(8, 11)) == []  # exactly 7 days ahead
    violations = rule_violations(spec, hk(8, 10, 30), hk(8, 11, 30), NOW, HK)
    assert [v["rule"] for v in violations] == ["too_far_ahead"]
    assert "7 days ahead" in violations[0]["message"]


def test_outside_opening_hours_names_the_days_hours():
    spec = SpaceSpec(name="Meeting Room", opening_hours={"tue": [["09:00", "12:00"], ["13:00", "18:00"]]})
    assert rules_of(spec, hk(8, 9), hk(8, 12)) == []
    violations = rule_violations(spec, hk(8, 11), hk(8, 14), NOW, HK)  # across the lunch closure
    assert [v["rule"] for v in violations] == ["outside_opening_hours"]
    assert "09:00-12:00, 13:00-18:00" in violations[0]["message"]
    assert rules_of(spec, hk(9, 10), hk(9, 11)) == ["outside_opening_hours"]  # closed on Wednesdays


def test_opening_hours_to_midnight_join_the_next_day():
    spec = SpaceSpec(opening_hours={"tue": [["20:00", "24:00"]], "wed": [["00:00", "02:00"]]})
    assert rules_of(spec, hk(8, 23), hk(9, 1)) == []
    assert rules_of(spec, hk(8, 23), hk(9, 3)) == ["outside_opening_hours"]


def test_public_holiday_closes_a_space_marked_closed_on_holidays():
    holidays = {date(2026, 12, 25): "Christmas Day"}
    spec = SpaceSpec(name="Event Hall", closed_on_holidays=True)
    violations = rule_violations(spec, hk(25, 10), hk(25, 12), NOW, HK, holidays=holidays)
    assert [v["rule"] for v in violations] == ["outside_opening_hours"]
    assert "Christmas Day" in violations[0]["message"]
    # A space not marked so stays open on the holiday.
    assert rules_of(SpaceSpec(), hk(25, 10), hk(25, 12), holidays=holidays) == []


def test_off_grid_start_and_end():
    violations = rule_violations(LAB, hk(8, 10, 15), hk(8, 11, 45), NOW, HK)
    assert [v["rule"] for v in violations] == ["off_grid"]
    assert "10:15" in violations[0]["message"] and "11:45" in violations[0]["message"]
    assert rules_of(LAB, hk(8, 10), hk(8, 10, 45)) == ["off_grid"]
    hourly = SpaceSpec(slot_minutes=60, min_minutes=60)
    assert rules_of(hourly, hk(8, 10, 30), hk(8, 11, 30)) == ["off_grid"]


def test_seconds_are_off_grid():
    assert rules_of(LAB, hk(8, 10) + timedelta(seconds=5), hk(8, 11)) == ["off_grid"]


def test_too_short_and_too_long():
    spec = SpaceSpec(min_minutes=60, max_minutes=120, name="Dry Lab")
    short = rule_violations(spec, hk(8, 10), hk(8, 10, 30), NOW, HK)
    assert [v["rule"] for v in short] == ["too_short"]
    assert "1 h" in short[0]["message"] and "30 min" in short[0]["message"]
    assert rules_of(spec, hk(8, 10), hk(8, 13)) == ["too_long"]
    assert rules_of(spec, hk(8, 10), hk(8, 12)) == []


def test_quota_counts_the_local_iso_week():
    user = UserContext(quota_minutes=4 * 60, used_minutes={(2026, 50): 3 * 60})
    # Mon 7 Dec to Sun 13 Dec 2026 is ISO week 50.
    violations = rule_violations(LAB, hk(8, 10), hk(8, 12), NOW, HK, user=user)
    assert [v["rule"] for v in violations] == ["quota"]
    assert "1 h is left" in violations[0]["message"]
    assert rules_of(LAB, hk(8, 10), hk(8, 11), user=user) == []  # exactly reaches the quota
    assert rules_of(LAB, hk(14, 10), hk(14, 12), user=user) == []  # next week is fresh


def test_quota_splits_a_booking_over_two_weeks():
    spec = SpaceSpec(opening_hours={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    user = UserContext(quota_minutes=60, used_minutes={})
    # Sun 13 Dec 23:00 to Mon 14 Dec 01:00: one hour in each week, fits a 1 h quota.
    assert rules_of(spec, hk(13, 23), hk(14, 1), user=user) == []
    assert week_minutes([(hk(13, 23), hk(14, 1))], HK) == {(2026, 50): 60, (2026, 51): 60}


def test_no_quota_for_staff_context():
    assert rules_of(LAB, hk(8, 8), hk(8, 16), user=UserContext(quota_minutes=None)) == []


def test_inactive_space():
    violations = rule_violations(SpaceSpec(active=False, name="Old Lab"), hk(8, 10), hk(8, 11), NOW, HK)
    assert [v["rule"] for v in violations] == ["inactive_space"]
    assert "Old Lab" in violations[0]["message"]


def test_not_authorised_only_where_training_is_required():
    gated = SpaceSpec(requires_authorisation=True, name="BSL-2 Lab")
    violations = rule_violations(gated, hk(8, 10), hk(8, 11), NOW, HK, user=UserContext(authorised=False))
    assert [v["rule"] for v in violations] == ["not_authorised"]
    assert "authorise" in violations[0]["message"]
    assert rules_of(gated, hk(8, 10), hk(8, 11), user=UserContext(authorised=True)) == []
    assert rules_of(LAB, hk(8, 10), hk(8, 11), user=UserContext(authorised=False)) == []


def test_every_violation_is_returned_at_once():
    spec = SpaceSpec(active=False, requires_authorisation=True, max_minutes=60, max_days_ahead=1,
                     opening_hours={"mon": [["08:00", "10:00"]]})
    found = rules_of(spec, hk(20, 9, 10), hk(20, 11, 20),
                     user=UserContext(quota_minutes=60, used_minutes={}, authorised=False))
    assert found == ["too_far_ahead", "outside_opening_hours", "off_grid", "too_long", "quota", "inactive_space",
                     "not_authorised"]
    past_short = rules_of(SpaceSpec(min_minutes=60), hk(1, 8), hk(1, 8, 30))
    assert past_short == ["past", "too_short"]


def test_end_before_start_is_not_a_request():
    with pytest.raises(ValueError):
        rule_violations(LAB, hk(8, 11), hk(8, 10), NOW, HK)


# ---------------------------------------------------------------------------- conflicts


def test_back_to_back_bookings_do_not_conflict():
    holds = [(hk(8, 10), hk(8, 12))]
    assert conflicts(LAB, hk(8, 12), hk(8, 13), holds, []) == []
    assert conflicts(LAB, hk(8, 9), hk(8, 10), holds, []) == []
    assert conflicts(LAB, hk(8, 11), hk(8, 13), holds, []) == [(hk(8, 11), hk(8, 12))]


def test_buffers_of_existing_and_new_bookings():
    spec = SpaceSpec(buffer_minutes=30)
    holds = [(hk(8, 10), hk(8, 12, 30))]  # booked 10-12, holds to 12:30 for cleaning
    assert conflicts(spec, hk(8, 12), hk(8, 13), holds, []) == [(hk(8, 12), hk(8, 12, 30))]
    assert conflicts(spec, hk(8, 12, 30), hk(8, 13), holds, []) == []
    # The new booking's own buffer must not run into the next booking.
    assert conflicts(spec, hk(8, 9), hk(8, 9, 30), holds, []) == []
    assert conflicts(spec, hk(8, 9), hk(8, 10), holds, []) == [(hk(8, 10), hk(8, 10, 30))]


def test_capacity_n_allows_n_overlapping_holds():
    spec = SpaceSpec(capacity=3)
    holds = [(hk(8, 10), hk(8, 12)), (hk(8, 11), hk(8, 13))]
    assert conflicts(spec, hk(8, 10), hk(8, 13), holds, []) == []
    holds.append((hk(8, 11, 30), hk(8, 12, 30)))
    assert conflicts(spec, hk(8, 10), hk(8, 13), holds, []) == [(hk(8, 11, 30), hk(8, 12))]


def test_blackouts_conflict_with_the_booking_itself():
    blackouts = [(hk(8, 12), hk(8, 14))]
    assert conflicts(LAB, hk(8, 13), hk(8, 15), [], blackouts) == [(hk(8, 13), hk(8, 14))]
    assert conflicts(LAB, hk(8, 10), hk(8, 12), [], blackouts) == []


# ---------------------------------------------------------------------------- grid, availability, suggestions


def test_grid_counts_from_local_midnight_in_a_dst_zone():
    # 29 March 2026: London clocks go from 01:00 GMT to 02:00 BST.
    day_start = datetime(2026, 3, 29, 0, 0, tzinfo=LONDON).astimezone(UTC)
    day_end = datetime(2026, 3, 30, 0, 0, tzinfo=LONDON).astimezone(UTC)
    points = grid_points(day_start, day_end - timedelta(seconds=1), 60, LONDON)
    assert len(points) == 23  # a 23-hour day
    assert all(on_grid(p, 60, LONDON) for p in points)
    assert not on_grid(datetime(2026, 3, 29, 10, 30, tzinfo=LONDON), 60, LONDON)
    # The October day has 25 hours, with 01:00 twice.
    oct_start = datetime(2026, 10, 25, 0, 0, tzinfo=LONDON).astimezone(UTC)
    oct_end = datetime(2026, 10, 26, 0, 0, tzinfo=LONDON).astimezone(UTC)
    assert len(grid_points(oct_start, oct_end - timedelta(seconds=1), 60, LONDON)) == 25


def test_a_booking_over_the_spring_change_is_one_real_hour_short():
    spec = SpaceSpec(opening_hours={"sun": [["00:00", "24:00"]]}, min_minutes=60, max_minutes=120)
    start = datetime(2026, 3, 29, 0, 0, tzinfo=LONDON).astimezone(UTC)
    end = datetime(2026, 3, 29, 3, 0, tzinfo=LONDON).astimezone(UTC)  # three wall hours, two real ones
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert rule_violations(spec, start, end, now, LONDON) == []


def test_availability_of_a_day_with_one_booking():
    spec = SpaceSpec(opening_hours={"tue": [["08:00", "18:00"]]}, buffer_minutes=30)
    holds = [(hk(8, 10), hk(8, 12, 30))]
    free = availability(spec, holds, [(hk(8, 15), hk(8, 16))], hk(8, 0), hk(9, 0), NOW, HK)
    # A 30-minute booking from 09:30 would hold to 10:30, so it does not fit; 09:00-09:30 holds to 10:00.
    assert free == [(hk(8, 8), hk(8, 9, 30), 1), (hk(8, 12, 30), hk(8, 15), 1), (hk(8, 16), hk(8, 18), 1)]


def test_availability_reports_capacity_left():
    spec = SpaceSpec(capacity=2, opening_hours={"tue": [["08:00", "12:00"]]})
    free = availability(spec, [(hk(8, 9), hk(8, 10))], [], hk(8, 0), hk(9, 0), NOW, HK)
    assert free == [(hk(8, 8), hk(8, 9), 2), (hk(8, 9), hk(8, 10), 1), (hk(8, 10), hk(8, 12), 2)]


def test_availability_hides_the_past_and_clips_to_the_window():
    free = availability(LAB, [], [], hk(1, 9), hk(1, 12), NOW, HK)
    assert free == [(hk(1, 10), hk(1, 12), 1)]


def test_suggestions_are_nearest_first_on_this_and_other_spaces():
    day = {"tue": [["08:00", "18:00"]]}
    lab1 = SpaceState(SpaceSpec(id=1, opening_hours=day), holds=[(hk(8, 10), hk(8, 14))])
    lab2 = SpaceState(SpaceSpec(id=2, opening_hours=day), holds=[(hk(8, 9), hk(8, 11))])
    found = suggest([lab1, lab2], 1, hk(8, 11), hk(8, 12), NOW, HK, limit=4)
    # Lab 1 is busy 10-14 and Lab 2 9-11: the nearest hours are on Lab 2 from 11:00 on.
    assert [(s.space_id, s.start) for s in found] == [(2, hk(8, 11)), (2, hk(8, 11, 30)), (2, hk(8, 12)),
                                                      (2, hk(8, 12, 30))]
    # At equal distance the requested space comes first: 14:00 on Lab 1 (3 h) before 14:00 on Lab 2.
    more = suggest([lab1, lab2], 1, hk(8, 11), hk(8, 12), NOW, HK, limit=20)
    at_14 = [s.space_id for s in more if s.start == hk(8, 14)]
    assert at_14 == [1, 2]
    distances = [abs(s.start - hk(8, 11)) for s in more]
    assert distances == sorted(distances)
    assert all(s.end - s.start == timedelta(hours=1) for s in found)


def test_suggestions_respect_every_rule_for_the_user():
    gated = SpaceState(SpaceSpec(id=2, requires_authorisation=True))
    lab = SpaceState(SpaceSpec(id=1), holds=[(hk(8, 8), hk(8, 22))])
    found = suggest([lab, gated], 1, hk(8, 10), hk(8, 11), NOW, HK,
                    users={1: UserContext(), 2: UserContext(authorised=False)}, limit=3)
    assert found and all(s.space_id == 1 for s in found)
    assert all(s.start.astimezone(HK).date() != date(2026, 12, 8) for s in found)


def test_opening_at_a_skipped_wall_time_opens_when_the_clocks_jump():
    # 29 March 2026 in London has no 01:30; a window from 01:30 opens at 02:00 BST.
    spec = SpaceSpec(opening_hours={"sun": [["01:30", "04:00"]]}, slot_minutes=30)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    opens = datetime(2026, 3, 29, 2, 0, tzinfo=LONDON)
    assert rule_violations(spec, opens, opens + timedelta(minutes=30), now, LONDON) == []
    free = availability(spec, [], [], datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC), now,
                        LONDON)
    assert free == [(opens.astimezone(UTC), datetime(2026, 3, 29, 4, 0, tzinfo=LONDON).astimezone(UTC), 1)]
