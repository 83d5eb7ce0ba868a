"""Opening hours, weekly windows and public holidays as concrete instants: the edges a
resident notices (midnight, the clock changes, the first and last valid day of a rule)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from innocell.allocation.hours import (
    WeeklyWindow,
    open_windows,
    parse_hhmm,
    public_holidays,
    validate_opening_hours,
    weekly_windows,
)

UTC = timezone.utc
HK = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # its clocks move by half an hour


def local(tz, year, month, day, hour=0, minute=0, fold=0):
    return datetime(year, month, day, hour, minute, tzinfo=tz, fold=fold).astimezone(UTC)


def hk(day, hour=0, minute=0):
    return local(HK, 2026, 12, day, hour, minute)


# ---------------------------------------------------------------------------- HH:MM


def test_times_of_day_parse_to_hour_and_minute():
    assert parse_hhmm("00:00") == (0, 0)
    assert parse_hhmm("09:05") == (9, 5)
    assert parse_hhmm("23:59") == (23, 59)
    assert parse_hhmm("24:00", allow_24=True) == (24, 0)


@pytest.mark.parametrize("value", ["24:00", "8:00", "08:0", "008:00", "08.00", "ab:cd", "-1:00", "00:60", "24:30",
                                   "", None, 800])
def test_anything_else_is_not_a_time_of_day(value):
    with pytest.raises(ValueError) as err:
        parse_hhmm(value)
    assert str(err.value) == f"'{value}' is not a time of day (HH:MM)"


def test_midnight_at_the_end_is_the_only_24():
    for value in ("24:01", "25:00"):
        with pytest.raises(ValueError):
            parse_hhmm(value, allow_24=True)


def test_opening_hours_problems_are_each_named():
    assert validate_opening_hours({"mon": [["08:00", "12:00"], ["13:00", "24:00"]], "sun": []}) == []
    assert validate_opening_hours(["mon"]) == [
        'Opening hours must map mon..sun to lists of ["HH:MM", "HH:MM"] pairs.']
    assert validate_opening_hours({
        "monday": [["08:00", "09:00"]],
        "tue": "08:00-09:00",
        "wed": [["08:00"], "08:00-09:00", ["8:00", "09:00"], ["10:00", "10:00"], ["12:00", "11:00"]],
        "thu": [["08:00", "12:00"], ["11:00", "13:00"]],
        "fri": [["13:00", "14:00"], ["08:00", "13:00"]],
    }) == [
        "'monday' is not a weekday (use mon, tue, wed, thu, fri, sat, sun).",
        "Opening hours for tue must be a list of [start, end] pairs.",
        "Each opening window on wed must be a [start, end] pair.",
        "Each opening window on wed must be a [start, end] pair.",
        "wed: '8:00' is not a time of day (HH:MM).",
        "wed: a window must end after it starts (10:00-10:00).",
        "wed: a window must end after it starts (12:00-11:00).",
        "thu: opening windows overlap.",
    ]
    # Windows given as tuples are pairs too; touching windows do not overlap.
    assert validate_opening_hours({"sat": [("08:00", "12:00"), ("12:00", "24:00")]}) == []
    assert validate_opening_hours({"sat": [["08:00", "24:01"]]}) == ["sat: '24:01' is not a time of day (HH:MM)."]


# ---------------------------------------------------------------------------- opening hours


def test_opening_hours_become_instants_clipped_to_the_window():
    hours = {"mon": [["08:00", "12:00"], ["13:00", "18:00"]], "tue": [["09:00", "10:00"]]}
    assert open_windows(hours, hk(7, 10), hk(8, 9, 30), HK) == [(hk(7, 10), hk(7, 12)), (hk(7, 13), hk(7, 18)),
                                                                (hk(8, 9), hk(8, 9, 30))]
    assert open_windows(hours, hk(7, 12), hk(7, 13), HK) == []  # the lunch hour, exactly
    assert open_windows(hours, hk(9), hk(14), HK) == []  # Wednesday to Sunday: closed
    assert open_windows({}, hk(7), hk(14), HK) == []
    assert open_windows({"mon": None}, hk(7), hk(8), HK) == []


def test_a_window_to_midnight_joins_the_next_mornings():
    hours = {"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"], ["02:00", "03:00"]]}
    assert open_windows(hours, hk(7), hk(9), HK) == [(hk(7, 20), hk(8, 3))]
    # A window ending at 01:00 in Hong Kong (17:00 UTC the day before) still reaches into that morning.
    assert open_windows(hours, hk(7), hk(8, 1), HK) == [(hk(7, 20), hk(8, 1))]


def test_closed_dates_are_local_days_and_only_those():
    every_day = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    found = open_windows(every_day, hk(24), hk(28), HK, closed_dates=[date(2026, 12, 25), date(2026, 12, 26)])
    assert found == [(hk(24, 8), hk(24, 20)), (hk(27, 8), hk(27, 20))]


def test_opening_hours_on_the_days_the_clocks_change():
    all_day = {"sun": [["00:00", "24:00"]]}
    spring = open_windows(all_day, local(LONDON, 2026, 3, 28), local(LONDON, 2026, 3, 31), LONDON)
    assert spring == [(local(LONDON, 2026, 3, 29), local(LONDON, 2026, 3, 30))]
    assert spring[0][1] - spring[0][0] == timedelta(hours=23)
    autumn = open_windows(all_day, local(LONDON, 2026, 10, 24), local(LONDON, 2026, 10, 27), LONDON)
    assert autumn[0][1] - autumn[0][0] == timedelta(hours=25)
    # 01:30 does not exist on 29 March in London: a window from 01:30 opens when the clocks jump.
    late = open_windows({"sun": [["01:30", "03:00"]]}, local(LONDON, 2026, 3, 29), local(LONDON, 2026, 3, 30),
                        LONDON)
    assert late == [(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC))]
    # 01:30 happens twice on 25 October: the window starts at the first.
    twice = open_windows({"sun": [["01:30", "03:00"]]}, local(LONDON, 2026, 10, 25), local(LONDON, 2026, 10, 26),
                         LONDON)
    assert twice == [(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC))]


def test_a_half_hour_clock_change_opens_at_the_jump_to_the_minute():
    # Lord Howe Island jumps from 02:00 to 02:30 on 4 October 2026.
    day_start, day_end = local(LORD_HOWE, 2026, 10, 4), local(LORD_HOWE, 2026, 10, 5)
    jump = datetime(2026, 10, 3, 15, 30, tzinfo=UTC)  # 02:30 daylight time
    for start in ("02:00", "02:01", "02:15", "02:29"):
        assert open_windows({"sun": [[start, "04:00"]]}, day_start, day_end, LORD_HOWE)[0][0] == jump, start
    assert open_windows({"sun": [["01:59", "04:00"]]}, day_start, day_end, LORD_HOWE)[0][0] == \
        jump - timedelta(minutes=1)
    assert open_windows({"sun": [["02:30", "04:00"]]}, day_start, day_end, LORD_HOWE)[0][0] == jump
    assert open_windows({"sun": [["01:00", "02:10"]]}, day_start, day_end, LORD_HOWE) == [
        (datetime(2026, 10, 3, 14, 30, tzinfo=UTC), jump)]


# ---------------------------------------------------------------------------- weekly windows


def test_weekly_windows_run_from_their_first_valid_day_until_before_the_last():
    rule = WeeklyWindow(weekday=1, start="12:00", end="13:00", valid_from=date(2026, 12, 8),
                        valid_until=date(2026, 12, 22))
    found = weekly_windows([rule], hk(1), hk(31), HK)
    assert found == [(hk(8, 12), hk(8, 13)), (hk(15, 12), hk(15, 13))]
    open_ended = WeeklyWindow(weekday=1, start="12:00", end="24:00")
    assert weekly_windows([open_ended], hk(1, 12, 30), hk(9, 1), HK) == [(hk(1, 12, 30), hk(2)),
                                                                         (hk(8, 12), hk(9))]


def test_weekly_windows_are_local_days_even_when_utc_is_still_the_day_before():
    # Wednesday 00:00-07:00 in Hong Kong is Tuesday 16:00-23:00 in UTC.
    rule = WeeklyWindow(weekday=2, start="00:00", end="07:00")
    assert weekly_windows([rule], hk(8, 12), hk(9, 7), HK) == [(hk(9, 0), hk(9, 7))]


def test_a_rule_not_yet_or_no_longer_valid_leaves_the_other_rules_of_that_day():
    later = WeeklyWindow(weekday=1, start="08:00", end="09:00", valid_from=date(2026, 12, 15))
    ended = WeeklyWindow(weekday=1, start="10:00", end="11:00", valid_until=date(2026, 12, 2))
    always = WeeklyWindow(weekday=1, start="12:00", end="13:00")
    assert weekly_windows([later, ended, always], hk(8), hk(9), HK) == [(hk(8, 12), hk(8, 13))]
    assert weekly_windows([ended, later, always], hk(8), hk(9), HK) == [(hk(8, 12), hk(8, 13))]


def test_weekly_windows_of_several_rules_merge():
    rules = [WeeklyWindow(0, "08:00", "10:00"), WeeklyWindow(0, "09:00", "11:00"), WeeklyWindow(2, "08:00", "09:00")]
    assert weekly_windows(rules, hk(7), hk(10), HK) == [(hk(7, 8), hk(7, 11)), (hk(9, 8), hk(9, 9))]
    assert weekly_windows([], hk(7), hk(10), HK) == []


# ---------------------------------------------------------------------------- public holidays


def test_public_holidays_come_from_the_holidays_package_for_hong_kong():
    found = public_holidays([2026, 2027, 2026])
    assert found[date(2026, 12, 25)] == "Christmas Day"
    assert date(2027, 1, 1) in found and date(2025, 12, 25) not in found
    assert date(2026, 12, 24) not in found
    assert public_holidays([2026], "GB")[date(2026, 12, 25)] == "Christmas Day"
    assert date(2026, 7, 1) in public_holidays([2026]) and date(2026, 7, 1) not in public_holidays([2026], "GB")
