"""The rules of the allocation core as a resident meets them: through the booking service on a
real database (SQLite and PostgreSQL), with spaces set up by the spaces service. Each test is
one rule that could break while the pure-core tests stay green (holidays read from the
`holidays` package, blackouts merged from the database, quota weeks, capacity above one...).

Times are Hong Kong wall-clock unless a test moves the park to London; "now" is the suite's
FIXED_NOW, Tue 1 Dec 2026 10:00 HK."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import holidays as holidays_package
import pytest
from sqlalchemy import func, select

from innocell.models import Booking
from innocell.services import Conflict, RuleViolation
from innocell.services import authorisations as authorisation_svc
from innocell.services import blackouts as blackout_svc
from innocell.services import bookings as svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def hk(day, hour, minute=0, month=12, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


def bookings_count(session):
    return session.execute(select(func.count(Booking.id))).scalar_one()


def refused(session, **request):
    with pytest.raises(RuleViolation) as err:
        svc.book(session, **request)
    return err.value.extra["violations"]


def offered(suggestions):
    return [(s["space_id"], s["start"], s["end"]) for s in suggestions]


# ---------------------------------------------------------------------------- public holidays


def test_a_booking_on_christmas_day_is_refused_naming_the_holiday(session, alice, new_space, now):
    hall = new_space(name="Event Hall", kind="event_space", closed_on_holidays=True)
    violations = refused(session, user=alice, space_id=hall.id, start=hk(25, 10), end=hk(25, 12), now=now)
    assert [v["rule"] for v in violations] == ["outside_opening_hours"]
    assert violations[0]["message"] == ("Event Hall is closed on public holidays, and Fri 25 Dec 2026 is "
                                        "Christmas Day.")
    # The next day is a holiday in Hong Kong too, under its own name.
    name = holidays_package.country_holidays("HK", years=[2026])[date(2026, 12, 26)]
    boxing = refused(session, user=alice, space_id=hall.id, start=hk(26, 10), end=hk(26, 12), now=now)
    assert boxing[0]["message"].endswith(f"Sat 26 Dec 2026 is {name}.")
    assert bookings_count(session) == 0
    # The days around are ordinary days.
    svc.book(session, user=alice, space_id=hall.id, start=hk(24, 10), end=hk(24, 12), now=now)
    svc.book(session, user=alice, space_id=hall.id, start=hk(27, 10), end=hk(27, 12), now=now)


def test_a_space_not_marked_closed_on_holidays_stays_open_on_them(session, alice, new_space, now):
    lab = new_space()
    svc.book(session, user=alice, space_id=lab.id, start=hk(25, 10), end=hk(25, 12), now=now)
    assert svc.availability(session, lab.id, start=hk(26, 0), end=hk(27, 0), now=now) == [
        {"start": hk(26, 8), "end": hk(26, 22), "capacity_left": 1}]


def test_new_years_day_closes_a_space_in_the_next_year(session, alice, new_space, now):
    hall = new_space(name="Event Hall", kind="event_space", closed_on_holidays=True)
    name = holidays_package.country_holidays("HK", years=[2027])[date(2027, 1, 1)]
    violations = refused(session, user=alice, space_id=hall.id, start=hk(1, 10, month=1, year=2027),
                         end=hk(1, 11, month=1, year=2027), now=now)
    assert violations == [{"rule": "outside_opening_hours",
                           "message": f"Event Hall is closed on public holidays, and Fri 01 Jan 2027 is {name}."}]
    assert svc.availability(session, hall.id, start=hk(1, 0, month=1, year=2027),
                            end=hk(2, 0, month=1, year=2027), now=now) == []
    svc.book(session, user=alice, space_id=hall.id, start=hk(2, 10, month=1, year=2027),
             end=hk(2, 11, month=1, year=2027), now=now)
    # The holiday begins at midnight in Hong Kong, while it is still 31 December in UTC.
    night_hall = new_space(name="Night Hall", kind="event_space", closed_on_holidays=True, opening_hours=ALL_DAY)
    assert svc.availability(session, night_hall.id, start=hk(31, 22), end=hk(1, 7, month=1, year=2027), now=now) == [
        {"start": hk(31, 22), "end": hk(1, 0, month=1, year=2027), "capacity_left": 1}]
    midnight = svc.check(session, user=alice, space_id=night_hall.id, start=hk(1, 0, month=1, year=2027),
                         end=hk(1, 1, month=1, year=2027), now=now)
    assert [v["rule"] for v in midnight.violations] == ["outside_opening_hours"]
    assert name in midnight.violations[0]["message"]


def test_holidays_are_closed_in_availability_and_suggestions(session, alice, new_space, now):
    hall = new_space(name="Event Hall", kind="event_space", closed_on_holidays=True)
    open_hall = new_space(name="Open Hall", kind="event_space")
    assert svc.availability(session, hall.id, start=hk(24, 0), end=hk(28, 0), now=now) == [
        {"start": hk(24, 8), "end": hk(24, 22), "capacity_left": 1},
        {"start": hk(27, 8), "end": hk(27, 22), "capacity_left": 1},
    ]
    result = svc.check(session, user=alice, space_id=hall.id, start=hk(25, 10), end=hk(25, 12), now=now)
    assert [v["rule"] for v in result.violations] == ["outside_opening_hours"] and result.conflicts == []
    # The hall that stays open on holidays is offered at the very time asked; the closed hall
    # only on the days around the holidays.
    assert offered(result.suggestions)[:2] == [(open_hall.id, hk(25, 10), hk(25, 12)),
                                               (open_hall.id, hk(25, 9, 30), hk(25, 11, 30))]
    own = [s for s in svc.suggestions_for(session, user=alice, space=hall, start=hk(25, 10), end=hk(25, 12),
                                          now=now, limit=40) if s["space_id"] == hall.id]
    assert own and all(s["start"].astimezone(HK).date() not in (date(2026, 12, 25), date(2026, 12, 26))
                       for s in own)
    assert (own[0]["start"], own[0]["end"]) == (hk(24, 20), hk(24, 22))


# ---------------------------------------------------------------------------- blackouts, capacity


def test_three_overlapping_blackouts_block_one_merged_stretch(session, alice, bob, manager, new_space, now):
    lab = new_space()
    for start, end in ((hk(8, 10), hk(8, 12)), (hk(8, 12, 30), hk(8, 14)), (hk(8, 11), hk(8, 13))):
        blackout_svc.add_blackout(session, lab.id, start=start, end=end, reason="Works", actor=manager, now=now)
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 9), end=hk(8, 15), now=now)
    assert result.violations == [] and result.conflicts == [(hk(8, 10), hk(8, 14))]
    assert svc.availability(session, lab.id, start=hk(8, 0), end=hk(9, 0), now=now) == [
        {"start": hk(8, 8), "end": hk(8, 10), "capacity_left": 1},
        {"start": hk(8, 14), "end": hk(8, 22), "capacity_left": 1},
    ]
    with pytest.raises(Conflict) as err:
        svc.book(session, user=alice, space_id=lab.id, start=hk(8, 13, 30), end=hk(8, 14, 30), now=now)
    assert err.value.extra["conflicts"] == [{"start": "2026-12-08T13:30:00+08:00", "end": "2026-12-08T14:00:00+08:00"}]
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 14), end=hk(8, 15), now=now)
    # Another lab's blackouts, one-off or weekly, are that lab's alone.
    blackout_svc.add_recurring_blackout(session, lab.id, weekday=1, start_time="16:00", end_time="17:00",
                                     valid_from=None, valid_until=None, reason="Cleaning", actor=manager, now=now)
    neighbour = new_space()  # (asked by Bob: Alice already holds a wet lab 14-15, one at a time)
    assert svc.check(session, user=bob, space_id=neighbour.id, start=hk(8, 9), end=hk(8, 17), now=now).ok


def test_weekly_and_one_off_blackouts_together(session, alice, manager, new_space, now):
    lab = new_space()
    blackout_svc.add_recurring_blackout(session, lab.id, weekday=1, start_time="12:00", end_time="13:00",
                                     valid_from=date(2026, 12, 8), valid_until=date(2026, 12, 16),
                                     reason="Cleaning", actor=manager, now=now)
    blackout_svc.add_blackout(session, lab.id, start=hk(8, 12, 30), end=hk(8, 14), reason="Works", actor=manager, now=now)
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 11), end=hk(8, 15), now=now)
    assert result.conflicts == [(hk(8, 12), hk(8, 14))]
    assert svc.check(session, user=alice, space_id=lab.id, start=hk(15, 12), end=hk(15, 13), now=now).conflicts == [
        (hk(15, 12), hk(15, 13))]
    # Outside the rule's validity the Tuesday lunch hour is free.
    assert svc.check(session, user=alice, space_id=lab.id, start=hk(1, 12), end=hk(1, 13), now=now).ok
    assert svc.check(session, user=alice, space_id=lab.id, start=hk(22, 12), end=hk(22, 13), now=now).ok
    # In a window that runs past the rule's last day, only the days it is valid are closed.
    free = svc.availability(session, lab.id, start=hk(14, 0), end=hk(23, 0), now=now)
    assert {"start": hk(15, 8), "end": hk(15, 12), "capacity_left": 1} in free
    assert {"start": hk(15, 13), "end": hk(15, 22), "capacity_left": 1} in free
    assert {"start": hk(22, 8), "end": hk(22, 22), "capacity_left": 1} in free


def test_back_to_back_holds_on_a_space_for_two(session, make_user, new_space, now):
    lab = new_space(capacity=2)
    a, b, c, d = (make_user("resident") for _ in range(4))
    svc.book(session, user=a, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    svc.book(session, user=b, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)
    # One hold at every instant of 10-12: one place left all along, shown as one piece.
    assert svc.availability(session, lab.id, start=hk(8, 9), end=hk(8, 13), now=now) == [
        {"start": hk(8, 9), "end": hk(8, 10), "capacity_left": 2},
        {"start": hk(8, 10), "end": hk(8, 12), "capacity_left": 1},
        {"start": hk(8, 12), "end": hk(8, 13), "capacity_left": 2},
    ]
    svc.book(session, user=c, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    with pytest.raises(Conflict) as err:
        svc.book(session, user=d, space_id=lab.id, start=hk(8, 10, 30), end=hk(8, 11, 30), now=now)
    assert err.value.extra["conflicts"] == [{"start": "2026-12-08T10:30:00+08:00", "end": "2026-12-08T11:30:00+08:00"}]
    assert svc.availability(session, lab.id, start=hk(8, 9), end=hk(8, 13), now=now) == [
        {"start": hk(8, 9), "end": hk(8, 10), "capacity_left": 2},
        {"start": hk(8, 12), "end": hk(8, 13), "capacity_left": 2},
    ]


def test_buffers_on_a_space_for_two(session, make_user, new_space, now):
    lab = new_space(capacity=2, buffer_minutes=30)
    a, b, c = (make_user("resident") for _ in range(3))
    svc.book(session, user=a, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)  # holds to 11:30
    svc.book(session, user=b, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)  # holds to 12:30
    result = svc.check(session, user=c, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    assert result.conflicts == [(hk(8, 11), hk(8, 11, 30))]  # c's own buffer meets both holds
    assert svc.check(session, user=c, space_id=lab.id, start=hk(8, 9), end=hk(8, 10, 30), now=now).ok
    assert svc.check(session, user=c, space_id=lab.id, start=hk(8, 11, 30), end=hk(8, 12), now=now).ok


def test_a_cancelled_booking_holds_nothing(session, alice, bob, new_space, now):
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    assert svc.check(session, user=bob, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now).conflicts
    svc.cancel(session, booking.id, actor=alice, now=now)
    assert svc.check(session, user=bob, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now).ok


# ---------------------------------------------------------------------------- suggestions


def test_suggestions_after_a_past_violation_start_now(session, alice, new_space, now):
    other, lab = new_space(), new_space()
    new_space(kind="meeting_room")  # another kind is never offered
    new_space(active=False)  # nor an inactive space
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(1, 9), end=hk(1, 10), now=now)
    assert [v["rule"] for v in result.violations] == ["past"] and result.conflicts == []
    # The nearest bookable hours are from now (10:00) on; at equal distance the asked-for space first.
    assert offered(result.suggestions) == [
        (lab.id, hk(1, 10), hk(1, 11)), (other.id, hk(1, 10), hk(1, 11)),
        (lab.id, hk(1, 10, 30), hk(1, 11, 30)), (other.id, hk(1, 10, 30), hk(1, 11, 30)),
        (lab.id, hk(1, 11), hk(1, 12)),
    ]
    assert result.suggestions[1]["space_code"] == other.code and result.suggestions[1]["space_name"] == other.name
    svc.book(session, user=alice, space_id=lab.id, start=hk(1, 10), end=hk(1, 11), now=now)


def test_no_suggestions_for_a_length_no_time_can_cure_or_a_request_that_fits(session, alice, new_space, now):
    lab = new_space(slot_minutes=60, min_minutes=60, max_minutes=120)
    new_space()
    off_grid = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10, 30), end=hk(8, 11, 30), now=now)
    assert [v["rule"] for v in off_grid.violations] == ["off_grid"] and off_grid.suggestions == []
    long = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 13), now=now)
    assert [v["rule"] for v in long.violations] == ["too_long"] and long.suggestions == []
    fits = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    assert fits.ok and fits.suggestions == []
    ahead = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10, month=2, year=2027),
                      end=hk(8, 11, month=2, year=2027), now=now)
    assert [v["rule"] for v in ahead.violations] == ["too_far_ahead"] and ahead.suggestions == []


def test_suggestion_count_and_training_per_space(app, session, alice, manager, new_space, now):
    app.config["SUGGESTION_COUNT"] = 3
    lab = new_space()
    gated = new_space(requires_authorisation=True)
    svc.book(session, user=manager, space_id=lab.id, start=hk(8, 8), end=hk(8, 16), now=now)
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    assert offered(result.suggestions) == [(lab.id, hk(8, 16), hk(8, 17)), (lab.id, hk(8, 16, 30), hk(8, 17, 30)),
                                           (lab.id, hk(8, 17), hk(8, 18))]
    authorisation_svc.grant_authorisation(session, user_id=alice.id, space_id=gated.id, expires_at=None, actor=manager,
                                  now=now)
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    assert offered(result.suggestions) == [(gated.id, hk(8, 10), hk(8, 11)), (gated.id, hk(8, 9, 30), hk(8, 10, 30)),
                                           (gated.id, hk(8, 10, 30), hk(8, 11, 30))]
    assert len(svc.suggestions_for(session, user=alice, space=lab, start=hk(8, 10), end=hk(8, 11), now=now,
                                   limit=7)) == 7


def test_suggestions_skip_a_week_whose_quota_is_used_up(app, session, alice, new_space, now, set_kind):
    set_kind("wet_lab", quota_hours=2)
    lab = new_space()
    svc.book(session, user=alice, space_id=lab.id, start=hk(7, 10), end=hk(7, 12), now=now)  # Mon 7 Dec, week 50
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    assert [v["rule"] for v in result.violations] == ["quota"]
    # The nearest hour in another week is the last one of Sunday 6 December.
    assert offered(result.suggestions)[0] == (lab.id, hk(6, 21), hk(6, 22))
    assert all(s["start"] < hk(7, 0) or s["start"] >= hk(14, 0) for s in result.suggestions)


# ---------------------------------------------------------------------------- quota weeks


def test_quota_weeks_turn_at_monday_midnight_local_time(app, session, alice, new_space, now, set_kind):
    set_kind("wet_lab", quota_hours=2)
    lab = new_space(opening_hours=ALL_DAY)
    other_lab = new_space(opening_hours=ALL_DAY)
    svc.book(session, user=alice, space_id=lab.id, start=hk(13, 20), end=hk(13, 21), now=now)  # Sun, week 50
    # Sun 23:00 to Mon 01:00: one hour in week 50 (now full), one in week 51.
    svc.book(session, user=alice, space_id=other_lab.id, start=hk(13, 23), end=hk(14, 1), now=now)
    violations = refused(session, user=alice, space_id=lab.id, start=hk(13, 22), end=hk(13, 22, 30), now=now)
    assert violations == [{"rule": "quota", "message": (
        "You may book 2 h of wet lab time a week. In the week of 07 Dec 2026 you already have 2 h booked, so "
        "0 min is left and this booking needs 30 min.")}]
    # Mon 02:00 in Hong Kong is still Sunday in UTC: it counts in the new local week.
    svc.book(session, user=alice, space_id=lab.id, start=hk(14, 2), end=hk(14, 3), now=now)
    violations = refused(session, user=alice, space_id=lab.id, start=hk(20, 23), end=hk(20, 23, 30), now=now)
    assert "In the week of 14 Dec 2026 you already have 2 h booked" in violations[0]["message"]
    svc.book(session, user=alice, space_id=lab.id, start=hk(25, 10), end=hk(25, 12), now=now)  # week 52 is fresh
    # A request in the small hours of Monday counts the bookings later in its local week.
    violations = refused(session, user=alice, space_id=lab.id, start=hk(21, 2), end=hk(21, 3), now=now)
    assert "In the week of 21 Dec 2026 you already have 2 h booked" in violations[0]["message"]


def test_quota_counts_only_this_users_live_bookings_of_the_kind(app, session, alice, bob, new_space, now, set_kind):
    set_kind("wet_lab", quota_hours=2)
    set_kind("meeting_room", quota_hours=1)
    lab = new_space()
    room = new_space(kind="meeting_room")
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 8), end=hk(8, 10), now=now)
    svc.book(session, user=alice, space_id=room.id, start=hk(8, 8), end=hk(8, 9), now=now)
    first = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    violations = refused(session, user=alice, space_id=lab.id, start=hk(9, 10), end=hk(9, 11), now=now)
    assert "you already have 2 h booked, so 0 min is left" in violations[0]["message"]
    svc.cancel(session, first.id, actor=alice, now=now)
    svc.book(session, user=alice, space_id=lab.id, start=hk(9, 10), end=hk(9, 12), now=now)
    room_violations = refused(session, user=alice, space_id=room.id, start=hk(9, 8), end=hk(9, 8, 30), now=now)
    assert "You may book 1 h of meeting room time a week." in room_violations[0]["message"]


def test_a_new_kind_takes_the_default_quota_hours(app, session, alice, manager, new_space, now):
    from innocell.services import space_kinds

    app.config["QUOTA_DEFAULT_HOURS_PER_WEEK"] = 1.5
    space_kinds.create_kind(session, {"key": "bio_bench", "label": "Wet lab benches"}, actor=manager, now=now)
    lab = new_space(kind="bio_bench")
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    violations = refused(session, user=alice, space_id=lab.id, start=hk(8, 12), end=hk(8, 13), now=now)
    assert violations[0]["message"].startswith("You may book 1.5 h of ")
    assert "30 min is left" in violations[0]["message"]


def test_lifted_blackouts_block_nothing_and_a_blackout_counts_to_the_booking_end(session, alice, manager, new_space,
                                                                                   now):
    lab = new_space(buffer_minutes=30)
    one_off, _ = blackout_svc.add_blackout(session, lab.id, start=hk(8, 10, 45), end=hk(8, 11), reason="Check", actor=manager,
                                  now=now)
    weekly, _ = blackout_svc.add_recurring_blackout(session, lab.id, weekday=1, start_time="14:00", end_time="15:00",
                                                 valid_from=None, valid_until=None, reason="Cleaning", actor=manager,
                                                 now=now)
    # The blackout covers the booking's last quarter hour; the buffer after it may run into a blackout.
    assert svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now).conflicts == [
        (hk(8, 10, 45), hk(8, 11))]
    assert svc.check(session, user=alice, space_id=lab.id, start=hk(8, 13), end=hk(8, 14), now=now).ok
    assert not svc.check(session, user=alice, space_id=lab.id, start=hk(8, 14), end=hk(8, 15), now=now).ok
    blackout_svc.lift_blackout(session, one_off.id, actor=manager, now=now)
    blackout_svc.lift_recurring_blackout(session, weekly.id, actor=manager, now=now)
    assert svc.check(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now).ok
    assert svc.check(session, user=alice, space_id=lab.id, start=hk(8, 14), end=hk(8, 15), now=now).ok


def test_suggestions_keep_clear_of_weekly_blackouts_in_local_time(session, alice, bob, manager, new_space, now):
    lab = new_space()
    blackout_svc.add_recurring_blackout(session, lab.id, weekday=1, start_time="12:00", end_time="14:00",
                                     valid_from=None, valid_until=None, reason="Cleaning", actor=manager, now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)
    assert offered(result.suggestions) == [(lab.id, hk(8, 10), hk(8, 11)), (lab.id, hk(8, 9, 30), hk(8, 10, 30)),
                                           (lab.id, hk(8, 9), hk(8, 10)), (lab.id, hk(8, 8, 30), hk(8, 9, 30)),
                                           (lab.id, hk(8, 8), hk(8, 9))]


def test_suggestions_count_quota_in_local_weeks(app, session, alice, new_space, now, set_kind):
    set_kind("wet_lab", quota_hours=2)
    lab = new_space(opening_hours=ALL_DAY)
    # Mon 14 Dec 02:00-04:00 in Hong Kong is still Sunday in UTC; it fills local week 51.
    svc.book(session, user=alice, space_id=lab.id, start=hk(14, 2), end=hk(14, 4), now=now)
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(15, 10), end=hk(15, 11), now=now)
    assert [v["rule"] for v in result.violations] == ["quota"]
    assert offered(result.suggestions)[0] == (lab.id, hk(13, 23), hk(14, 0))
    assert all(s["start"] < hk(14, 0) or s["start"] >= hk(21, 0) for s in result.suggestions)


def test_a_manager_is_offered_spaces_that_need_training(session, manager, bob, new_space, now):
    lab = new_space()
    gated = new_space(requires_authorisation=True)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    result = svc.check(session, user=manager, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    assert offered(result.suggestions)[0] == (gated.id, hk(8, 10), hk(8, 11))

