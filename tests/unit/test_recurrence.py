"""The recurrence rule expanded in the pure core: frequencies, ends, month edges, public holidays,
daylight saving and the upper bound."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from innocell.allocation.hours import public_holidays
from innocell.allocation.recurrence import (
    HOLIDAY,
    MAX_OCCURRENCES,
    RecurrenceError,
    Rule,
    describe,
    expand,
)

HK = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")


def local(tz, y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=tz).astimezone(timezone.utc)


def days(expansion, tz=HK):
    return [s.astimezone(tz).date() for s, _ in expansion.occurrences]


def test_daily_count():
    got = expand(Rule("daily", count=3), local(HK, 2027, 1, 4), local(HK, 2027, 1, 4, 11), HK)
    assert days(got) == [date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6)]
    assert got.skipped == []


def test_every_two_weeks_until_inclusive():
    got = expand(Rule("weekly", interval=2, until=date(2027, 2, 1)), local(HK, 2027, 1, 4),
                 local(HK, 2027, 1, 4, 11), HK)
    assert days(got) == [date(2027, 1, 4), date(2027, 1, 18), date(2027, 2, 1)]


def test_monthly_by_date_skips_and_reports_months_without_the_date():
    got = expand(Rule("monthly", count=4), local(HK, 2027, 1, 31), local(HK, 2027, 1, 31, 11), HK)
    assert days(got) == [date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31), date(2027, 7, 31)]
    assert [(s.day, s.reason) for s in got.skipped] == [
        (date(2027, 2, 1), "February 2027 has no day 31"), (date(2027, 4, 1), "April 2027 has no day 31"),
        (date(2027, 6, 1), "June 2027 has no day 31")]
    assert all(s.start is None for s in got.skipped)


def test_monthly_second_tuesday_across_months():
    # 12 Jan 2027 is the second Tuesday of January.
    got = expand(Rule("monthly", by="weekday", count=4), local(HK, 2027, 1, 12), local(HK, 2027, 1, 12, 11), HK)
    assert days(got) == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13)]
    assert describe(Rule("monthly", by="weekday", count=4), date(2027, 1, 12)).startswith(
        "monthly on the second Tuesday")


def test_monthly_last_friday():
    # 29 Jan 2027 is the last Friday (and the fifth): the rule follows the last Friday.
    got = expand(Rule("monthly", by="weekday", count=3), local(HK, 2027, 1, 29), local(HK, 2027, 1, 29, 11), HK)
    assert days(got) == [date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26)]
    # 26 Feb 2027 is the fourth and last Friday: "last" follows the last one (30 Apr is a fifth).
    got = expand(Rule("monthly", by="last_weekday", count=3), local(HK, 2027, 2, 26),
                 local(HK, 2027, 2, 26, 11), HK)
    assert days(got) == [date(2027, 2, 26), date(2027, 3, 26), date(2027, 4, 30)]
    plain = expand(Rule("monthly", by="weekday", count=3), local(HK, 2027, 2, 26), local(HK, 2027, 2, 26, 11), HK)
    assert days(plain) == [date(2027, 2, 26), date(2027, 3, 26), date(2027, 4, 23)]
    # 22 Jan 2027 is not the last Friday of January: "last" from it is refused, not moved.
    with pytest.raises(RecurrenceError):
        expand(Rule("monthly", by="last_weekday", count=2), local(HK, 2027, 1, 22), local(HK, 2027, 1, 22, 11), HK)


def test_public_holidays_are_skipped_and_reported():
    names = public_holidays([2026, 2027])
    rule = Rule("daily", count=3, skip_holidays=True)
    got = expand(rule, local(HK, 2026, 12, 24), local(HK, 2026, 12, 24, 11), HK, holidays=names.get)
    # 25 and 26 Dec are Hong Kong public holidays; the count counts the days booked.
    assert days(got) == [date(2026, 12, 24), date(2026, 12, 27), date(2026, 12, 28)]
    assert [(s.day, s.reason) for s in got.skipped] == [(date(2026, 12, 25), HOLIDAY), (date(2026, 12, 26), HOLIDAY)]
    assert got.skipped[0].start == local(HK, 2026, 12, 25)
    kept = expand(Rule("daily", count=3), local(HK, 2026, 12, 24), local(HK, 2026, 12, 24, 11), HK,
                  holidays=names.get)
    assert days(kept) == [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)]


def test_local_wall_time_kept_across_daylight_saving():
    # London moves to summer time on 28 Mar 2027: 10:00 stays 10:00 local, so 09:00 UTC after.
    got = expand(Rule("weekly", count=3), local(LONDON, 2027, 3, 21), local(LONDON, 2027, 3, 21, 11), LONDON)
    assert [s.hour for s, _ in got.occurrences] == [10, 9, 9]
    assert all(s.astimezone(LONDON).hour == 10 and e - s == timedelta(hours=1) for s, e in got.occurrences)


@pytest.mark.parametrize("rule, message", [
    (Rule("yearly", count=2), "frequency"),
    (Rule("weekly", interval=0, count=2), "interval"),
    (Rule("weekly", interval=True, count=2), "interval"),
    (Rule("weekly"), "either"),
    (Rule("weekly", count=2, until=date(2027, 3, 1)), "not both"),
    (Rule("weekly", count=10**9), "from 1 to 104"),
    (Rule("weekly", count=True), "from 1 to 104"),
    (Rule("weekly", until=date(9999, 1, 1)), "2000 and 2199"),
    (Rule("weekly", until=date(2026, 1, 1)), "before"),
    (Rule("daily", until=date(2030, 1, 1)), "more than 104"),
    (Rule("monthly", by="fortnight", count=2), "monthly"),
])
def test_bad_rules_are_refused_with_a_message(rule, message):
    with pytest.raises(RecurrenceError) as err:
        expand(rule, local(HK, 2027, 1, 4), local(HK, 2027, 1, 4, 11), HK)
    assert message in str(err.value)


def test_a_rule_whose_every_date_is_skipped_ends():
    with pytest.raises(RecurrenceError):
        expand(Rule("daily", count=2, skip_holidays=True), local(HK, 2027, 1, 4), local(HK, 2027, 1, 4, 11), HK,
               holidays=lambda day: "every day")


ZONES = st.sampled_from([HK, LONDON, ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney")])


@settings(max_examples=150, deadline=None)
@given(zone=ZONES, freq=st.sampled_from(["daily", "weekly", "monthly"]), by=st.sampled_from(["date", "weekday"]),
       interval=st.integers(1, 6), count=st.integers(1, MAX_OCCURRENCES),
       day=st.dates(date(2026, 1, 1), date(2030, 12, 31)), hour=st.integers(6, 20), minutes=st.sampled_from([0, 30]),
       length=st.integers(1, 6))
def test_count_increasing_and_wall_time(zone, freq, by, interval, count, day, hour, minutes, length):
    start = local(zone, day.year, day.month, day.day, hour, minutes)
    end = start.astimezone(zone).replace(tzinfo=None) + timedelta(minutes=30 * length)
    end = end.replace(tzinfo=zone).astimezone(timezone.utc)
    got = expand(Rule(freq, interval=interval, count=count, by=by), start, end, zone)
    assert len(got.occurrences) == count
    assert got.occurrences[0] == (start, end)
    starts = [s for s, _ in got.occurrences]
    assert all(a < b for a, b in zip(starts, starts[1:]))
    for s, e in got.occurrences:
        ls, le = s.astimezone(zone), e.astimezone(zone)
        assert (ls.hour, ls.minute) == (hour, minutes)
        assert le.replace(tzinfo=None) - ls.replace(tzinfo=None) == timedelta(minutes=30 * length)
        if freq == "monthly" and by == "weekday":
            assert ls.weekday() == day.weekday()
        if freq == "monthly" and by == "date":
            assert ls.day == day.day
    assert len({s.day for s in got.skipped}) == len(got.skipped)


@settings(max_examples=80, deadline=None)
@given(freq=st.sampled_from(["daily", "weekly", "monthly"]), interval=st.integers(1, 4),
       span=st.integers(0, 700))
def test_until_is_inclusive_and_never_passed(freq, interval, span):
    first = date(2027, 1, 4)
    until = first + timedelta(days=span)
    try:
        got = expand(Rule(freq, interval=interval, until=until), local(HK, 2027, 1, 4), local(HK, 2027, 1, 4, 11), HK)
    except RecurrenceError as exc:
        assert "more than 104" in str(exc)
        return
    assert days(got)[0] == first and days(got)[-1] <= until
    step = {"daily": timedelta(days=interval), "weekly": timedelta(weeks=interval)}.get(freq)
    if step is not None:
        assert days(got)[-1] + step > until
