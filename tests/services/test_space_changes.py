"""A change of a space's rules applies to the bookings still to come (SQLite and PostgreSQL):
the ones it breaks are listed and nothing changes until the change is confirmed; confirmed,
they are cancelled with notices, and the bookings kept take the new buffer and capacity.
Activation and deactivation are recorded as the space's active periods."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from innocell.models import AuditEvent, Booking, Notification, Space, SpaceActivePeriod
from innocell.services import Conflict, RuleViolation
from innocell.services import bookings as booking_svc
from innocell.services import spaces as space_svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def hk(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def lab(session, manager, now):
    return space_svc.create_space(session, {"code": "WL3", "name": "Wet Lab 3", "kind": "wet_lab"},
                                  actor=manager, now=now)


def book(session, user, space, start, end, now):
    return booking_svc.book(session, user=user, space_id=space.id, start=start, end=end, now=now)


def test_a_longer_buffer_lists_what_it_breaks_and_changes_nothing_until_confirmed(session, make_user, manager,
                                                                                  lab, now):
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    first = book(session, alice, lab, hk(8, 10), hk(8, 11), now)
    second = book(session, bob, lab, hk(8, 11), hk(8, 12), now)
    with pytest.raises(Conflict) as refused:
        space_svc.change_space(session, lab.id, {"buffer_minutes": 30}, actor=manager, now=now)
    assert "would cancel 1 upcoming booking of Wet Lab 3" in refused.value.message
    [listed] = refused.value.extra["affected_bookings"]
    assert (listed["id"], listed["holder"], listed["start"]) == (second.id, "Bob", "2026-12-08T11:00:00+08:00")
    assert listed["reasons"] == [{"rule": "buffer", "message": "The 30-minute buffer after the booking before it "
                                                               "would last until 11:30."}]
    session.expire_all()
    assert session.get(Space, lab.id).buffer_minutes == 0
    assert session.get(Booking, second.id).status == "confirmed"
    assert not session.execute(select(Notification).where(Notification.kind == "booking_cancelled")).scalars().all()

    space, cancelled = space_svc.change_space(session, lab.id, {"buffer_minutes": 30, "confirm": True},
                                              actor=manager, now=now)
    assert space.buffer_minutes == 30 and [b.id for b in cancelled] == [second.id]
    session.expire_all()
    assert session.get(Booking, second.id).status == "cancelled"
    assert session.get(Booking, second.id).cancel_reason.startswith("The space's rules changed: The 30-minute")
    assert session.get(Booking, first.id).hold_end_at == hk(8, 11, 30)  # the kept booking takes the new buffer
    [note] = session.execute(select(Notification).where(Notification.kind == "booking_cancelled")).scalars().all()
    assert note.user_id == bob.id and "booking rules changed" in note.body and note.booking_id == second.id
    actions = set(session.execute(select(AuditEvent.action)).scalars())
    assert {"space.update", "space.rules_applied"} <= actions
    # the new buffer holds for new bookings at once: 11:00 is inside it now
    with pytest.raises(Conflict):
        book(session, bob, lab, hk(8, 11), hk(8, 12), now)
    book(session, bob, lab, hk(8, 11, 30), hk(8, 12, 30), now)


def test_capacity_up_releases_the_backstop_and_down_breaks_the_last_made(session, make_user, manager, lab, now):
    alice, bob, carol = make_user(), make_user(), make_user()
    first = book(session, alice, lab, hk(9, 10), hk(9, 12), now)
    assert first.exclusive is True
    space_svc.update_space(session, lab.id, {"capacity": 2}, actor=manager, now=now)
    session.expire_all()
    assert session.get(Booking, first.id).exclusive is False
    # a second overlapping booking passes the check and (on PostgreSQL) the exclusion constraint
    second = book(session, bob, lab, hk(9, 11), hk(9, 13), now)
    third = book(session, carol, lab, hk(9, 14), hk(9, 15), now)
    with pytest.raises(Conflict) as refused:
        space_svc.change_space(session, lab.id, {"capacity": 1}, actor=manager, now=now)
    assert [b["id"] for b in refused.value.extra["affected_bookings"]] == [second.id]
    assert refused.value.extra["affected_bookings"][0]["reasons"][0]["rule"] == "capacity"
    space_svc.change_space(session, lab.id, {"capacity": 1, "confirm": True}, actor=manager, now=now)
    session.expire_all()
    assert [session.get(Booking, b.id).status for b in (first, second, third)] == ["confirmed", "cancelled",
                                                                                   "confirmed"]
    assert session.get(Booking, first.id).exclusive is True and session.get(Booking, third.id).exclusive is True


def test_grid_and_hours_changes_break_what_no_longer_fits_but_never_a_started_booking(session, make_user,
                                                                                      manager, lab, now):
    alice = make_user()
    started = Booking(space_id=lab.id, user_id=alice.id, start_at=now - timedelta(minutes=30),
                      end_at=now + timedelta(minutes=30), hold_end_at=now + timedelta(minutes=30), exclusive=True,
                      status="confirmed", title="running", created_at=now)
    session.add(started)
    session.commit()
    half = book(session, alice, lab, hk(8, 10, 30), hk(8, 11, 30), now)
    evening = book(session, alice, lab, hk(8, 19), hk(8, 20), now)
    fine = book(session, alice, lab, hk(8, 13), hk(8, 14), now)
    hours = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    with pytest.raises(Conflict) as refused:
        space_svc.change_space(session, lab.id, {"slot_minutes": 60, "opening_hours": hours}, actor=manager, now=now)
    listed = {b["id"]: {r["rule"] for r in b["reasons"]} for b in refused.value.extra["affected_bookings"]}
    assert listed == {half.id: {"off_grid"}, evening.id: {"outside_opening_hours"}}
    space_svc.change_space(session, lab.id, {"slot_minutes": 60, "opening_hours": hours, "confirm": True},
                           actor=manager, now=now)
    session.expire_all()
    states = {b.id: session.get(Booking, b.id).status for b in (started, half, evening, fine)}
    assert states == {started.id: "confirmed", half.id: "cancelled", evening.id: "cancelled", fine.id: "confirmed"}


def test_a_change_that_breaks_nothing_needs_no_confirmation(session, make_user, manager, lab, now):
    book(session, make_user(), lab, hk(8, 10), hk(8, 11), now)
    space, cancelled = space_svc.change_space(session, lab.id, {"buffer_minutes": 15, "name": "Wet Lab Three"},
                                              actor=manager, now=now)
    assert (space.name, space.buffer_minutes, cancelled) == ("Wet Lab Three", 15, [])


def test_a_horizon_of_zero_days_and_a_confirm_that_is_not_a_boolean_are_refused(session, manager, lab, now):
    with pytest.raises(RuleViolation) as refused:
        space_svc.update_space(session, lab.id, {"max_days_ahead": 0}, actor=manager, now=now)
    assert refused.value.extra["violations"] == [{"rule": "max_days_ahead", "message": "The booking horizon "
                                                  "('max_days_ahead') must be between 1 and 3650."}]
    with pytest.raises(RuleViolation):
        space_svc.create_space(session, {"code": "X", "name": "X", "kind": "wet_lab", "max_days_ahead": 0},
                               actor=manager, now=now)
    with pytest.raises(RuleViolation) as refused:
        space_svc.change_space(session, lab.id, {"capacity": 2, "confirm": "yes"}, actor=manager, now=now)
    assert refused.value.extra["violations"][0]["rule"] == "confirm"
    assert space_svc.update_space(session, lab.id, {"max_days_ahead": 1}, actor=manager, now=now).max_days_ahead == 1


def periods(session, space_id):
    return [(p.start_at, p.end_at) for p in session.execute(
        select(SpaceActivePeriod).where(SpaceActivePeriod.space_id == space_id)
        .order_by(SpaceActivePeriod.start_at)).scalars()]


def test_activation_and_deactivation_are_recorded_as_periods(session, manager, lab, now):
    assert periods(session, lab.id) == [(now, None)]
    later, again, last = now + timedelta(days=3), now + timedelta(days=10), now + timedelta(days=20)
    space_svc.set_space_active(session, lab.id, False, actor=manager, now=later)
    space_svc.set_space_active(session, lab.id, False, actor=manager, now=later + timedelta(days=1))  # no change
    space_svc.set_space_active(session, lab.id, True, actor=manager, now=again)
    space_svc.update_space(session, lab.id, {"active": False}, actor=manager, now=last)
    assert periods(session, lab.id) == [(now, later), (again, last)]
    idle = space_svc.create_space(session, {"code": "OFF", "name": "Off", "kind": "gym", "active": False},
                                  actor=manager, now=now)
    assert periods(session, idle.id) == []
