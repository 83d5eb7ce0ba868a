"""The person's booking rules and used time, through the booking services on SQLite and
PostgreSQL: the `simultaneous` rule (per kind, from the kind's row), time that was used stays
booked when a booking under way is ended (by its holder, a manager, a blackout), late
cancellations, and the managed list of space kinds."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.models import AuditEvent, Booking, Notification, SpaceKind
from innocell.services import Conflict, Forbidden, RuleViolation
from innocell.services import blackouts as blackout_svc
from innocell.services import bookings as svc
from innocell.services import reports
from innocell.services import space_kinds as kind_svc
from innocell.services import spaces as space_svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def hk(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


@pytest.fixture
def new_space(session, manager, now):
    counter = {"n": 0}

    def _make(**fields):
        counter["n"] += 1
        data = {"code": f"S{counter['n']}", "name": f"Room {counter['n']}", "kind": "wet_lab",
                "opening_hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
        data.update(fields)
        return space_svc.create_space(session, data, actor=manager, now=now)

    return _make


def count(session, model, *where):
    return session.execute(select(func.count(model.id)).where(*where)).scalar_one()


def rules(exc) -> list[str]:
    return [v["rule"] for v in exc.value.extra["violations"]]


# --- simultaneous ----------------------------------------------------------------------------------

def test_one_lab_at_a_time_is_its_own_rule(session, alice, new_space, now):
    lab1, lab2, dry = new_space(), new_space(), new_space(kind="dry_lab")
    svc.book(session, user=alice, space_id=lab1.id, start=hk(8, 10), end=hk(8, 12), now=now)
    with pytest.raises(RuleViolation) as refused:
        svc.book(session, user=alice, space_id=lab2.id, start=hk(8, 11), end=hk(8, 13), now=now)
    assert rules(refused) == ["simultaneous"]
    assert "1 wet lab booking at the same time" in refused.value.extra["violations"][0]["message"]
    assert count(session, Booking) == 1
    svc.book(session, user=alice, space_id=lab2.id, start=hk(8, 12), end=hk(8, 13), now=now)  # back to back
    svc.book(session, user=alice, space_id=dry.id, start=hk(8, 10), end=hk(8, 12), now=now)  # another kind


def test_the_incident_four_rooms_for_the_same_hour(session, alice, new_space, now):
    """Meeting rooms default to two at a time (config SIMULTANEOUS_DEFAULT_BOOKINGS): the
    resident who held four rooms for one hour now gets two."""
    rooms = [new_space(kind="meeting_room") for _ in range(4)]
    made, refused = [], []
    for room in rooms:
        try:
            made.append(svc.book(session, user=alice, space_id=room.id, start=hk(8, 14), end=hk(8, 15), now=now))
        except RuleViolation as exc:
            refused.append([v["rule"] for v in exc.extra["violations"]])
    assert len(made) == 2 and refused == [["simultaneous"], ["simultaneous"]]


def test_a_cancelled_booking_no_longer_counts_and_staff_have_no_limit(session, alice, manager, new_space, now):
    lab1, lab2 = new_space(), new_space()
    first = svc.book(session, user=alice, space_id=lab1.id, start=hk(8, 10), end=hk(8, 12), now=now)
    svc.cancel(session, first.id, actor=alice, now=now)
    svc.book(session, user=alice, space_id=lab2.id, start=hk(8, 10), end=hk(8, 12), now=now)
    svc.book(session, user=manager, space_id=lab1.id, start=hk(9, 10), end=hk(9, 12), now=now)
    svc.book(session, user=manager, space_id=lab2.id, start=hk(9, 10), end=hk(9, 12), now=now)


def test_the_limit_comes_from_the_kinds_row(session, set_kind, alice, new_space, now):
    set_kind("wet_lab", simultaneous=2)
    labs = [new_space() for _ in range(3)]
    for lab in labs[:2]:
        svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    with pytest.raises(RuleViolation) as refused:
        svc.book(session, user=alice, space_id=labs[2].id, start=hk(8, 11), end=hk(8, 12), now=now)
    assert rules(refused) == ["simultaneous"]


def test_a_weekly_series_counts_its_weeks_against_what_the_person_holds(session, alice, new_space, now):
    lab1, lab2 = new_space(), new_space()
    svc.book(session, user=alice, space_id=lab1.id, start=hk(15, 10), end=hk(15, 11), now=now)
    with pytest.raises(RuleViolation) as refused:
        svc.book_recurring(session, user=alice, space_id=lab2.id, start=hk(8, 10), end=hk(8, 12), repeat_weeks=3,
                           now=now)
    assert rules(refused) == ["simultaneous"]
    assert refused.value.extra["violations"][0]["message"].startswith("Tue 15 Dec 2026")
    assert count(session, Booking) == 1  # all or nothing


def test_the_check_reports_simultaneous_and_suggests_times_the_person_is_free(session, alice, new_space, now):
    lab1, lab2 = new_space(), new_space()
    svc.book(session, user=alice, space_id=lab1.id, start=hk(8, 10), end=hk(8, 12), now=now)
    result = svc.check(session, user=alice, space_id=lab2.id, start=hk(8, 10), end=hk(8, 12), now=now)
    assert [v["rule"] for v in result.violations] == ["simultaneous"]
    assert result.suggestions and all(not (s["start"] < hk(8, 12) and hk(8, 10) < s["end"])
                                      for s in result.suggestions)


# --- time that was used is time that was used --------------------------------------------------------

def test_cancelling_a_started_booking_ends_it_at_the_next_grid_point(session, alice, bob, new_space, now):
    lab = new_space(buffer_minutes=15, hourly_rate=100)
    running = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 9), end=hk(1, 13), now=hk(1, 8))
    ended = svc.cancel(session, running.id, actor=alice, now=hk(1, 10, 10))
    assert ended.status == "confirmed"
    assert (ended.start_at, ended.end_at, ended.hold_end_at) == (hk(1, 9), hk(1, 10, 30), hk(1, 10, 45))
    assert (ended.booked_end_at, ended.ended_early_at, ended.end_reason) == (hk(1, 13), hk(1, 10, 10),
                                                                             "Ended early by the holder")
    # The rest (after the buffer) is free at once.
    svc.book(session, user=bob, space_id=lab.id, start=hk(1, 11), end=hk(1, 12), now=hk(1, 10, 10))
    # The used part is still booked hours and fees in the reports: Alice's 1.5 h and Bob's 1 h at HK$100.
    rows = {r["group"]: r for r in reports.utilisation(session, start=date(2026, 12, 1), end=date(2026, 12, 2),
                                                        group="space", tz=HK)}
    assert rows[lab.code]["booked_hours"] == Decimal("2.5") and rows[lab.code]["fees"] == Decimal("250")


def test_ending_at_the_next_grid_point_twice_changes_nothing_more(session, alice, new_space, now):
    lab = new_space()
    running = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 9), end=hk(1, 10, 30), now=hk(1, 8))
    first = svc.cancel(session, running.id, actor=alice, now=hk(1, 10, 5))
    assert (first.status, first.end_at) == ("confirmed", hk(1, 10, 30))
    assert first.ended_early_at is None  # it ends at the next grid point anyway: nothing to free
    with pytest.raises(Conflict):
        svc.cancel(session, running.id, actor=alice, now=hk(1, 10, 30))  # over: it stays in the records


def test_a_manager_ending_a_booking_under_way_notifies_and_audits(session, alice, manager, new_space, now):
    lab = new_space()
    running = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 9), end=hk(1, 13), now=hk(1, 8))
    svc.cancel(session, running.id, actor=manager, now=hk(1, 11), reason="Fire drill")
    booking = session.get(Booking, running.id)
    assert (booking.status, booking.end_at, booking.end_reason) == ("confirmed", hk(1, 11), "Fire drill")
    assert count(session, Notification, Notification.kind == "booking_ended_early") == 1
    assert count(session, AuditEvent, AuditEvent.action == "booking.end_early") == 1


def test_a_booking_not_yet_begun_is_still_cancelled_whole(session, alice, new_space, now):
    lab = new_space()
    later = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 11), end=hk(1, 12), now=now)
    done = svc.cancel(session, later.id, actor=alice, now=hk(1, 11))  # starting this instant: nothing used yet
    assert (done.status, done.end_at, done.late_cancel) == ("cancelled", hk(1, 12), False)


def test_a_blackout_into_a_booking_under_way_keeps_the_part_before_it(session, alice, bob, manager, new_space,
                                                                       now):
    lab = new_space(capacity=2)
    running = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 9), end=hk(1, 13), now=hk(1, 8))
    future = svc.book(session, user=bob, space_id=lab.id, start=hk(1, 11), end=hk(1, 12), now=hk(1, 8))
    _, affected = blackout_svc.add_blackout(session, lab.id, start=hk(1, 11), end=hk(1, 14), reason="Leak",
                                            actor=manager, now=hk(1, 10))
    assert {b.id for b in affected} == {running.id, future.id}
    running, future = session.get(Booking, running.id), session.get(Booking, future.id)
    assert (running.status, running.end_at, running.booked_end_at) == ("confirmed", hk(1, 11), hk(1, 13))
    assert running.end_reason == "Blackout: Leak"
    assert future.status == "cancelled"


def test_a_blackout_from_the_past_keeps_the_time_used_so_far(session, alice, manager, new_space, now):
    lab = new_space()
    running = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 9), end=hk(1, 13), now=hk(1, 8))
    blackout_svc.add_blackout(session, lab.id, start=hk(1, 8), end=hk(1, 14), reason="Power cut since 8",
                              actor=manager, now=hk(1, 10, 20))
    booking = session.get(Booking, running.id)
    assert (booking.status, booking.end_at) == ("confirmed", hk(1, 10, 30))


def test_a_weekly_blackout_into_a_booking_under_way(session, alice, manager, new_space, now):
    lab = new_space()
    running = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 9), end=hk(1, 13), now=hk(1, 8))
    blackout_svc.add_recurring_blackout(session, lab.id, weekday=1, start_time="12:00", end_time="14:00",
                                        valid_from=None, valid_until=None, reason="Cleaning", actor=manager,
                                        now=hk(1, 10))
    booking = session.get(Booking, running.id)
    assert (booking.status, booking.end_at) == ("confirmed", hk(1, 12))


def test_a_weekly_window_already_over_today_cuts_nothing(session, alice, manager, new_space, now):
    lab = new_space()
    running = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 8), end=hk(1, 13), now=hk(1, 7))
    _, affected = blackout_svc.add_recurring_blackout(
        session, lab.id, weekday=1, start_time="08:30", end_time="09:00", valid_from=None, valid_until=None,
        reason="Cleaning", actor=manager, now=hk(1, 10))
    assert affected == []
    booking = session.get(Booking, running.id)
    assert (booking.status, booking.end_at, booking.ended_early_at) == ("confirmed", hk(1, 13), None)


# --- late cancellations ---------------------------------------------------------------------------------

def test_a_holders_cancellation_inside_the_window_is_recorded_as_late(session, alice, manager, new_space, now):
    lab = new_space(late_cancel_hours=24, late_cancel_fee="150")
    soon = svc.book(session, user=alice, space_id=lab.id, start=hk(2, 9), end=hk(2, 10), now=now)
    later = svc.book(session, user=alice, space_id=lab.id, start=hk(3, 11), end=hk(3, 12), now=now)
    by_manager = svc.book(session, user=alice, space_id=lab.id, start=hk(2, 12), end=hk(2, 13), now=now)
    late = svc.cancel(session, soon.id, actor=alice, now=now)  # 23 h ahead
    assert (late.status, late.late_cancel, late.late_cancel_fee) == ("cancelled", True, Decimal("150"))
    in_time = svc.cancel(session, later.id, actor=alice, now=now)  # 49 h ahead
    assert (in_time.late_cancel, in_time.late_cancel_fee) == (False, None)
    venue = svc.cancel(session, by_manager.id, actor=manager, now=now, reason="Maintenance")
    assert venue.late_cancel is False  # the venue's decision is not the holder's late cancellation


def test_a_late_cancellation_is_billed_apart_in_its_months_revenue_and_the_total(session, alice, new_space, now):
    from zoneinfo import ZoneInfo

    from innocell.services import reports

    lab = new_space(late_cancel_hours=24, late_cancel_fee="150", hourly_rate="100")
    soon = svc.book(session, user=alice, space_id=lab.id, start=hk(2, 9), end=hk(2, 10), now=now)
    svc.book(session, user=alice, space_id=lab.id, start=hk(2, 14), end=hk(2, 15), now=now)
    svc.cancel(session, soon.id, actor=alice, now=now)  # 23 h ahead: late, 150 due
    result = reports.report(session, "revenue", start=date(2026, 12, 1), end=date(2027, 1, 1), group="month",
                            tz=ZoneInfo("Asia/Hong_Kong"))
    december = result.rows[0]
    assert (december["lab_fees"], december["late_cancellation_fees"]) == (100, 150)
    assert december["total"] == december["rent_due"] + 100 + 150
    assert result.totals["late_cancellation_fees"] == 150


def test_no_window_no_late_cancellation(session, alice, new_space, now):
    lab = new_space()
    soon = svc.book(session, user=alice, space_id=lab.id, start=hk(1, 11), end=hk(1, 12), now=now)
    assert svc.cancel(session, soon.id, actor=alice, now=now).late_cancel is False


# --- the managed list of kinds -------------------------------------------------------------------------

def test_kinds_are_seeded_from_config_and_seeding_twice_adds_nothing(session, now):
    kinds = {k.key: k for k in kind_svc.list_kinds(session)}
    assert set(kinds) == {"wet_lab", "dry_lab", "meeting_room", "event_space", "gym", "music_room"}
    assert (kinds["wet_lab"].label, kinds["wet_lab"].quota_hours, kinds["wet_lab"].simultaneous) == (
        "Wet labs", Decimal("40"), 1)
    assert (kinds["music_room"].quota_hours, kinds["music_room"].simultaneous) == (Decimal("10"), 2)
    assert kind_svc.seed_kinds(session, now=now) == 0


def test_a_kind_is_added_once_with_defaults_and_its_limits_apply(session, manager, alice, new_space, now):
    kind = kind_svc.create_kind(session, {"key": "clean_room", "label": "Clean rooms"}, actor=manager, now=now)
    assert (kind.quota_hours, kind.simultaneous) == (Decimal("40"), 2)
    with pytest.raises(Conflict):
        kind_svc.create_kind(session, {"key": "clean_room", "label": "Other"}, actor=manager, now=now)
    kind_svc.update_kind(session, kind.id, {"quota_hours": 1.5, "simultaneous": 1}, actor=manager, now=now)
    audit = session.execute(select(AuditEvent).where(AuditEvent.action == "space_kind.update")).scalar_one()
    assert audit.details["changes"] == {"quota_hours": ["40.00", "1.50"], "simultaneous": [2, 1]}
    room = new_space(kind="clean_room")
    with pytest.raises(RuleViolation) as refused:
        svc.book(session, user=alice, space_id=room.id, start=hk(8, 10), end=hk(8, 12), now=now)
    assert rules(refused) == ["quota"]


@pytest.mark.parametrize("data, field", [
    ({"key": "Wet lab", "label": "Wet lab"}, "key"),
    ({"key": "x" * 41, "label": "X"}, "key"),
    ({"label": "No key"}, "key"),
    ({"key": "ok"}, "label"),
    ({"key": "ok", "label": "Wet Labs"}, "label"),  # the label of wet_lab, in other letters
    ({"key": "ok", "label": "OK", "quota_hours": -1}, "quota_hours"),
    ({"key": "ok", "label": "OK", "quota_hours": "1.005"}, "quota_hours"),
    ({"key": "ok", "label": "OK", "simultaneous": 0}, "simultaneous"),
    ({"key": "ok", "label": "OK", "simultaneous": True}, "simultaneous"),
    ({"key": "ok", "label": "OK", "colour": "red"}, "colour"),
])
def test_bad_kinds_are_refused_naming_the_field(session, manager, now, data, field):
    with pytest.raises(RuleViolation) as refused:
        kind_svc.create_kind(session, data, actor=manager, now=now)
    assert rules(refused) == [field]
    assert count(session, SpaceKind) == 6


def test_only_managers_keep_the_kinds_and_keys_do_not_change(session, manager, alice, now):
    with pytest.raises(Forbidden):
        kind_svc.create_kind(session, {"key": "ok", "label": "OK"}, actor=alice, now=now)
    wet = kind_svc.kind_by_key(session, "wet_lab")
    with pytest.raises(RuleViolation) as refused:
        kind_svc.update_kind(session, wet.id, {"key": "wetlab"}, actor=manager, now=now)
    assert rules(refused) == ["key"]


def test_a_space_must_be_of_a_managed_kind(session, manager, new_space, now):
    with pytest.raises(RuleViolation) as refused:
        new_space(kind="Wet lab")
    assert rules(refused) == ["kind"]
    lab = new_space()
    with pytest.raises(RuleViolation) as moved:
        space_svc.update_space(session, lab.id, {"kind": "wet lab"}, actor=manager, now=now)
    assert rules(moved) == ["kind"]
    assert space_svc.update_space(session, lab.id, {"kind": "dry_lab"}, actor=manager, now=now).kind == "dry_lab"
