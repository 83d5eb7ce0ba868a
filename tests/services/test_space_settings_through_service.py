"""A space's own settings as the booking service applies them on a real database (SQLite and
PostgreSQL): opening hours and their edges, the grid, lengths, the horizon, what counts as a
time, availability windows, and a park in a zone with daylight saving time.

Times are Hong Kong wall-clock unless a test moves the park to London; "now" is the suite's
FIXED_NOW, Tue 1 Dec 2026 10:00 HK."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from innocell.services import BadRequest, RuleViolation
from innocell.services import authorisations as authorisation_svc
from innocell.services import blackouts as blackout_svc
from innocell.services import bookings as svc

HK = ZoneInfo("Asia/Hong_Kong")
LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def hk(day, hour, minute=0, month=12, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


def london(day, hour, minute=0, month=3, year=2027, fold=0):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON, fold=fold).astimezone(UTC)


def refused(session, **request):
    with pytest.raises(RuleViolation) as err:
        svc.book(session, **request)
    return err.value.extra["violations"]


# ---------------------------------------------------------------------------- the space's settings


def test_every_setting_of_the_space_is_the_one_checked(session, alice, new_space, now):
    lab = new_space(name="Dry Lab 2", opening_hours={"tue": [["09:00", "12:00"], ["13:00", "18:00"]]},
                    slot_minutes=15, min_minutes=45, max_minutes=90, max_days_ahead=7)
    ok = [(hk(1, 11), hk(1, 12, 0)), (hk(1, 13), hk(1, 13, 45)), (hk(1, 17, 15), hk(1, 18)),
          (hk(8, 9), hk(8, 10, 30)), (hk(8, 10), hk(8, 11))]  # exactly 7 days ahead
    for start, end in ok:
        assert svc.check(session, user=alice, space_id=lab.id, start=start, end=end, now=now).ok, (start, end)
    cases = [
        ((hk(1, 9), hk(1, 10)), ["past"]),
        ((hk(1, 11, 30), hk(1, 12, 30)), ["outside_opening_hours"]),
        ((hk(1, 17, 30), hk(1, 18, 30)), ["outside_opening_hours"]),
        ((hk(1, 13, 10), hk(1, 14)), ["off_grid"]),
        ((hk(1, 13), hk(1, 13, 30)), ["too_short"]),
        ((hk(1, 13), hk(1, 14, 45)), ["too_long"]),
        ((hk(8, 10, 15), hk(8, 11)), ["too_far_ahead"]),  # 7 days and 15 minutes ahead
        ((hk(9, 10), hk(9, 11)), ["too_far_ahead", "outside_opening_hours"]),
    ]
    for (start, end), rules in cases:
        result = svc.check(session, user=alice, space_id=lab.id, start=start, end=end, now=now)
        assert [v["rule"] for v in result.violations] == rules, (start, end)
    message = svc.check(session, user=alice, space_id=lab.id, start=hk(1, 11, 30), end=hk(1, 12, 30),
                        now=now).violations[0]["message"]
    assert message == "Dry Lab 2 is closed for part of this time: on Tuesdays it is open 09:00-12:00, 13:00-18:00."


def test_an_inactive_space_refuses_and_gated_space_needs_training(session, alice, manager, new_space, now):
    old = new_space(name="Old Lab", active=False)
    assert [v["rule"] for v in refused(session, user=alice, space_id=old.id, start=hk(8, 10), end=hk(8, 11),
                                       now=now)] == ["inactive_space"]
    gated = new_space(requires_authorisation=True)
    assert [v["rule"] for v in refused(session, user=alice, space_id=gated.id, start=hk(8, 10), end=hk(8, 11),
                                       now=now)] == ["not_authorised"]
    svc.book(session, user=manager, space_id=gated.id, start=hk(8, 10), end=hk(8, 11), now=now)  # staff need none
    authorisation_svc.grant_authorisation(session, user_id=alice.id, space_id=gated.id, expires_at=None, actor=manager,
                                  now=now)
    svc.book(session, user=alice, space_id=gated.id, start=hk(8, 11), end=hk(8, 12), now=now)


def test_opening_hours_to_midnight_run_on_into_the_next_day(session, alice, new_space, now):
    lab = new_space(opening_hours={"tue": [["20:00", "24:00"]], "wed": [["00:00", "02:00"]]})
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 23), end=hk(9, 1), now=now)
    assert svc.availability(session, lab.id, start=hk(8, 0), end=hk(10, 0), now=now) == [
        {"start": hk(8, 20), "end": hk(8, 23), "capacity_left": 1},
        {"start": hk(9, 1), "end": hk(9, 2), "capacity_left": 1},
    ]
    assert [v["rule"] for v in refused(session, user=alice, space_id=lab.id, start=hk(9, 1), end=hk(9, 3),
                                       now=now)] == ["outside_opening_hours"]


def test_times_must_be_real_instants(session, alice, new_space, now):
    lab = new_space()
    naive = datetime(2026, 12, 8, 10, 0)
    refusals = [
        ((naive, hk(8, 11)), "Times must carry a time zone."),
        ((hk(8, 10), naive), "Times must carry a time zone."),
        ((hk(8, 11), hk(8, 11)), "The end must be after the start."),
        ((hk(8, 11), hk(8, 10)), "The end must be after the start."),
        (("10:00", hk(8, 11)), "Give the start and the end as dates with times."),
        ((hk(8, 10), None), "Give the start and the end as dates with times."),
        ((datetime(1999, 12, 31, 23, tzinfo=UTC), hk(8, 11)), "Dates must lie between the years 2000 and 2199."),
        ((hk(8, 10), datetime(2200, 1, 1, 0, 1, tzinfo=UTC)), "Dates must lie between the years 2000 and 2199."),
    ]
    for (start, end), message in refusals:
        with pytest.raises(BadRequest) as err:
            svc.check(session, user=alice, space_id=lab.id, start=start, end=end, now=now)
        assert err.value.message == message, (start, end)
    last = svc.check(session, user=alice, space_id=lab.id, start=datetime(2199, 12, 31, 23, tzinfo=UTC),
                     end=datetime(2200, 1, 1, tzinfo=UTC), now=now)
    assert [v["rule"] for v in last.violations] == ["too_far_ahead", "outside_opening_hours"]
    # The edges themselves are allowed (and simply far away).
    edge = svc.check(session, user=alice, space_id=lab.id, start=datetime(2000, 1, 1, tzinfo=UTC),
                     end=datetime(2000, 1, 1, 1, tzinfo=UTC), now=now)
    assert [v["rule"] for v in edge.violations] == ["past"]


def test_availability_is_asked_for_at_most_62_days(session, new_space, now):
    lab = new_space(max_days_ahead=90)
    with pytest.raises(BadRequest) as err:
        svc.availability(session, lab.id, start=hk(2, 0), end=hk(2, 0) + timedelta(days=62, minutes=30), now=now)
    assert err.value.message == "Ask for availability over at most 62 days at a time."
    free = svc.availability(session, lab.id, start=hk(2, 0), end=hk(2, 0) + timedelta(days=62), now=now)
    assert len(free) == 62 and free[-1] == {"start": hk(1, 8, month=2, year=2027), "end": hk(1, 22, month=2, year=2027),
                                             "capacity_left": 1}


# ---------------------------------------------------------------------------- a zone with DST


def test_the_park_in_london_books_across_the_spring_and_autumn_changes(app, session, alice, new_space):
    app.config["INNOCELL_TIMEZONE"] = "Europe/London"
    spring_now = london(1, 9)
    lab = new_space(opening_hours=ALL_DAY, slot_minutes=60, min_minutes=60, max_minutes=120)
    # Sun 28 March 2027: 00:00 to 03:00 on the wall clock is two real hours.
    svc.book(session, user=alice, space_id=lab.id, start=london(28, 0), end=london(28, 3), now=spring_now)
    free = svc.availability(session, lab.id, start=london(28, 0), end=london(29, 0), now=spring_now)
    assert free == [{"start": london(28, 3), "end": london(29, 0), "capacity_left": 1}]
    assert london(29, 0) - london(28, 3) == timedelta(hours=21)
    # The grid counts from local midnight: 02:30 BST is off it on an hourly grid, 04:00 is on it.
    check = svc.check(session, user=alice, space_id=lab.id, start=london(28, 4, 30), end=london(28, 5, 30),
                      now=spring_now)
    assert [v["rule"] for v in check.violations] == ["off_grid"]
    autumn_now = london(1, 9, month=10)
    # Sun 31 October 2027: 01:00 happens twice; 00:00 to 02:00 on the wall clock is three real hours.
    refusal = refused(session, user=alice, space_id=lab.id, start=london(31, 0, month=10), end=london(31, 2, month=10),
                      now=autumn_now)
    assert [v["rule"] for v in refusal] == ["too_long"]
    assert "this one is 3 h" in refusal[0]["message"]
    svc.book(session, user=alice, space_id=lab.id, start=london(31, 1, month=10),
             end=london(31, 1, month=10, fold=1), now=autumn_now)


def test_availability_windows_that_cut_through_bookings(session, alice, bob, new_space, now):
    lab = new_space(min_minutes=60, buffer_minutes=15)
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 9), end=hk(8, 10), now=now)  # holds to 10:15
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 12, 30), end=hk(8, 14), now=now)
    # From 9:30 the morning booking still holds the lab; the afternoon one starts inside the window.
    assert svc.availability(session, lab.id, start=hk(8, 9, 30), end=hk(8, 13), now=now) == [
        {"start": hk(8, 10, 30), "end": hk(8, 12), "capacity_left": 1}]
    assert svc.availability(session, lab.id, start=hk(8, 11), end=hk(8, 12, 45), now=now) == [
        {"start": hk(8, 11), "end": hk(8, 12), "capacity_left": 1}]


def test_availability_keeps_clear_of_weekly_blackouts_in_local_time(session, manager, new_space, now):
    lab = new_space(opening_hours=ALL_DAY)
    blackout_svc.add_recurring_blackout(session, lab.id, weekday=2, start_time="00:00", end_time="07:00",
                                     valid_from=None, valid_until=None, reason="Night cleaning", actor=manager, now=now)
    # Wednesday 00:00-07:00 in Hong Kong is Tuesday 16:00-23:00 in UTC.
    assert svc.availability(session, lab.id, start=hk(8, 20), end=hk(9, 9), now=now) == [
        {"start": hk(8, 20), "end": hk(9, 0), "capacity_left": 1},
        {"start": hk(9, 7), "end": hk(9, 9), "capacity_left": 1},
    ]


def test_availability_sees_a_booking_just_after_the_window_that_a_buffer_reaches(session, alice, bob, new_space, now):
    lab = new_space(min_minutes=60, buffer_minutes=30)
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)  # holds to 11:30
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 12, 30), end=hk(8, 13, 30), now=now)
    # 11:00 runs into alice's buffer, and 11:30-12:30 plus its buffer into bob's booking.
    assert svc.availability(session, lab.id, start=hk(8, 11), end=hk(8, 12), now=now) == []
    assert svc.availability(session, lab.id, start=hk(8, 11), end=hk(8, 15, 30), now=now) == [
        {"start": hk(8, 14), "end": hk(8, 15, 30), "capacity_left": 1}]

