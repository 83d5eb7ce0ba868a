"""The booking services on a real database (SQLite and PostgreSQL): the guarded write, the
rules read from the database, cancellations, approvals, blackouts, reads."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.models import AuditEvent, Booking, Notification
from innocell.services import Conflict, Forbidden, NotFound, RuleViolation
from innocell.services import authorisations as authorisation_svc
from innocell.services import blackouts as blackout_svc
from innocell.services import bookings as svc
from innocell.services import spaces as space_svc
from innocell.services.bookings import reads, write
from innocell.services.tx import transaction

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def hk(day, hour, minute=0, month=12):
    return datetime(2026, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


def count(session, model, *where):
    return session.execute(select(func.count(model.id)).where(*where)).scalar_one()


def test_book_then_conflict_with_suggestions(session, alice, bob, new_space, now):
    lab, other = new_space(), new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 14), end=hk(8, 16), title="Assay", now=now)
    assert booking.status == "confirmed" and booking.hold_end_at == hk(8, 16)
    assert booking.exclusive is True
    with pytest.raises(Conflict) as err:
        svc.book(session, user=bob, space_id=lab.id, start=hk(8, 15), end=hk(8, 17), now=now)
    body = err.value.extra
    assert body["conflicts"] == [{"start": "2026-12-08T15:00:00+08:00", "end": "2026-12-08T16:00:00+08:00"}]
    first = body["suggestions"][0]
    assert (first["space_id"], first["start"], first["end"]) == (other.id, "2026-12-08T15:00:00+08:00",
                                                                 "2026-12-08T17:00:00+08:00")
    assert len(body["suggestions"]) == 5
    # The suggestion is real: booking it succeeds.
    svc.book(session, user=bob, space_id=first["space_id"], start=hk(8, 15), end=hk(8, 17), now=now)
    assert count(session, Booking) == 2


def test_every_rule_is_reported_and_nothing_written(session, alice, new_space, now):
    lab = new_space(requires_authorisation=True, max_minutes=60, active=False)
    with pytest.raises(RuleViolation) as err:
        svc.book(session, user=alice, space_id=lab.id, start=hk(1, 6, 10), end=hk(1, 8, 20), now=now)
    rules = [v["rule"] for v in err.value.extra["violations"]]
    assert rules == ["past", "outside_opening_hours", "off_grid", "too_long", "inactive_space", "not_authorised"]
    assert count(session, Booking) == 0


def test_quota_counts_the_users_bookings_of_that_kind(set_kind, session, alice, new_space, now):
    set_kind("wet_lab", quota_hours=3)
    lab1, lab2 = new_space(), new_space()
    meeting = new_space(kind="meeting_room")
    svc.book(session, user=alice, space_id=lab1.id, start=hk(8, 10), end=hk(8, 12), now=now)
    svc.book(session, user=alice, space_id=meeting.id, start=hk(8, 13), end=hk(8, 17), now=now)
    with pytest.raises(RuleViolation) as err:
        svc.book(session, user=alice, space_id=lab2.id, start=hk(9, 10), end=hk(9, 12), now=now)
    assert [v["rule"] for v in err.value.extra["violations"]] == ["quota"]
    svc.book(session, user=alice, space_id=lab2.id, start=hk(9, 10), end=hk(9, 11), now=now)
    svc.book(session, user=alice, space_id=lab2.id, start=hk(14, 10), end=hk(14, 12), now=now)  # next week


def test_managers_have_no_quota(set_kind, session, manager, new_space, now):
    set_kind("wet_lab", quota_hours=1)
    lab = new_space()
    svc.book(session, user=manager, space_id=lab.id, start=hk(8, 10), end=hk(8, 14), now=now)


def test_authorisation_gate(session, alice, manager, new_space, now):
    lab = new_space(requires_authorisation=True)
    with pytest.raises(RuleViolation):
        svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    auth = authorisation_svc.grant_authorisation(session, user_id=alice.id, space_id=lab.id,
                                                 expires_at=hk(8, 10, 30), actor=manager, now=now)
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 9), end=hk(8, 10), now=now)
    with pytest.raises(RuleViolation):  # checked at `now`: by 10:30 the authorisation has expired
        svc.book(session, user=alice, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=hk(8, 10, 30))
    authorisation_svc.revoke_authorisation(session, auth.id, actor=manager, now=now)
    with pytest.raises(RuleViolation) as err:
        svc.book(session, user=alice, space_id=lab.id, start=hk(9, 11), end=hk(9, 12), now=now)
    assert [v["rule"] for v in err.value.extra["violations"]] == ["not_authorised"]


def test_suggestions_never_name_a_space_the_person_is_not_authorised_for(session, alice, bob, manager, new_space,
                                                                          now):
    """A refused request's alternatives pass the same authorisation rule as a booking: a
    space that needs training the resident lacks (never granted, expired or revoked) is not
    offered; one they are trained for is, and a manager (who needs no training) sees them all."""
    lab = new_space()
    untrained = new_space(requires_authorisation=True)
    trained = new_space(requires_authorisation=True)
    expired = new_space(requires_authorisation=True)
    revoked = new_space(requires_authorisation=True)
    authorisation_svc.grant_authorisation(session, user_id=bob.id, space_id=trained.id, expires_at=None,
                                          actor=manager, now=now)
    authorisation_svc.grant_authorisation(session, user_id=bob.id, space_id=expired.id, expires_at=hk(2, 10),
                                          actor=manager, now=now)
    gone = authorisation_svc.grant_authorisation(session, user_id=bob.id, space_id=revoked.id, expires_at=None,
                                                 actor=manager, now=now)
    authorisation_svc.revoke_authorisation(session, gone.id, actor=manager, now=now)
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 14), end=hk(8, 16), now=now)
    later = hk(3, 10)  # bob asks after his authorisation for `expired` has run out
    barred = {untrained.id, expired.id, revoked.id}

    with pytest.raises(Conflict) as err:
        svc.book(session, user=bob, space_id=lab.id, start=hk(8, 14), end=hk(8, 16), now=later)
    offered = err.value.extra["suggestions"]
    assert offered and not barred & {s["space_id"] for s in offered}
    assert (offered[0]["space_id"], offered[0]["start"]) == (trained.id, "2026-12-08T14:00:00+08:00")
    # Every suggestion is real: bob can book the first one.
    svc.book(session, user=bob, space_id=trained.id, start=hk(8, 14), end=hk(8, 16), now=later)

    checked = svc.check(session, user=bob, space_id=lab.id, start=hk(8, 14), end=hk(8, 16), now=later)
    assert checked.suggestions and not barred & {s["space_id"] for s in checked.suggestions}
    assert not barred & {s.id for s in svc.free_spaces(session, kind="wet_lab", start=hk(8, 14), end=hk(8, 16),
                                                       user=bob, now=later)}

    for_manager = svc.check(session, user=manager, space_id=lab.id, start=hk(8, 14), end=hk(8, 16), now=later)
    assert barred <= {s["space_id"] for s in for_manager.suggestions}


def test_buffer_is_held_after_a_booking(session, alice, bob, new_space, now):
    lab = new_space(buffer_minutes=30)
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    with pytest.raises(Conflict):
        svc.book(session, user=bob, space_id=lab.id, start=hk(8, 12), end=hk(8, 13), now=now)
    with pytest.raises(Conflict):  # bob's own buffer would run into alice's start
        svc.book(session, user=bob, space_id=lab.id, start=hk(8, 9), end=hk(8, 10), now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 12, 30), end=hk(8, 13), now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 8, 30), end=hk(8, 9, 30), now=now)


def test_capacity_n(session, make_user, new_space, now):
    lab = new_space(capacity=3)
    users = [make_user("resident") for _ in range(4)]
    for user in users[:3]:
        booking = svc.book(session, user=user, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
        assert booking.exclusive is False
    with pytest.raises(Conflict):
        svc.book(session, user=users[3], space_id=lab.id, start=hk(8, 10, 30), end=hk(8, 11, 30), now=now)
    free = svc.availability(session, lab.id, start=hk(8, 9), end=hk(8, 12), now=now)
    assert free == [{"start": hk(8, 9), "end": hk(8, 10), "capacity_left": 3},
                    {"start": hk(8, 11), "end": hk(8, 12), "capacity_left": 3}]


def test_cancel_frees_at_once_and_keeps_the_row(session, alice, bob, manager, new_space, now):
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    with pytest.raises(NotFound):  # another resident cannot even see it
        svc.cancel(session, booking.id, actor=bob, now=now)
    cancelled = svc.cancel(session, booking.id, actor=alice, now=now + timedelta(minutes=5), reason="Plans changed")
    assert (cancelled.status, cancelled.cancelled_by_id, cancelled.cancel_reason) == ("cancelled", alice.id,
                                                                                     "Plans changed")
    assert cancelled.cancelled_at == now + timedelta(minutes=5)
    with pytest.raises(Conflict):
        svc.cancel(session, booking.id, actor=alice, now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    assert count(session, Booking) == 2


def test_manager_cancel_notifies_and_audits(session, alice, manager, new_space, now):
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    svc.cancel(session, booking.id, actor=manager, now=now, reason="Fire drill")
    # The notice of the booking made, then the manager's cancellation with its reason.
    assert count(session, Notification, Notification.user_id == alice.id) == 2
    assert count(session, Notification, Notification.user_id == alice.id, Notification.kind == "booking_cancelled",
                 Notification.booking_id == booking.id, Notification.body.contains("Fire drill")) == 1
    assert count(session, AuditEvent, AuditEvent.action == "booking.cancel") == 1


def test_finance_cannot_cancel(session, alice, make_user, new_space, now):
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    with pytest.raises(Forbidden):
        svc.cancel(session, booking.id, actor=make_user("finance"), now=now)
    with pytest.raises(Forbidden):
        svc.book(session, user=make_user("finance"), space_id=lab.id, start=hk(9, 10), end=hk(9, 11), now=now)


def test_ended_booking_cannot_be_cancelled(session, alice, new_space, now):
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    with pytest.raises(Conflict):
        svc.cancel(session, booking.id, actor=alice, now=hk(8, 11))


def test_pending_holds_capacity_reject_frees_it(session, alice, bob, manager, new_space, now):
    hall = new_space(requires_approval=True, kind="event_space")
    request = svc.book(session, user=alice, space_id=hall.id, start=hk(8, 10), end=hk(8, 12), now=now)
    assert request.status == "pending"
    assert [b.id for b in svc.pending_bookings(session)] == [request.id]
    with pytest.raises(Conflict):
        svc.book(session, user=bob, space_id=hall.id, start=hk(8, 11), end=hk(8, 12), now=now)
    with pytest.raises(Forbidden):
        svc.approve(session, request.id, actor=bob, now=now)
    rejected = svc.reject(session, request.id, actor=manager, now=now, reason="Hall reserved for the board")
    assert rejected.status == "cancelled" and rejected.decided_by_id == manager.id
    with pytest.raises(Conflict):  # no longer pending
        svc.approve(session, request.id, actor=manager, now=now)
    second = svc.book(session, user=bob, space_id=hall.id, start=hk(8, 11), end=hk(8, 12), now=now)
    approved = svc.approve(session, second.id, actor=manager, now=now)
    assert approved.status == "confirmed"
    kinds = set(session.execute(select(Notification.kind)).scalars())
    assert {"booking_rejected", "booking_approved"} <= kinds


def test_blackout_cancels_overlapping_bookings_and_notifies(session, alice, bob, manager, new_space, now):
    lab = new_space()
    hit = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    spared = svc.book(session, user=bob, space_id=lab.id, start=hk(8, 12), end=hk(8, 13), now=now)
    blackout, affected = blackout_svc.add_blackout(session, lab.id, start=hk(8, 11), end=hk(8, 12),
                                                   reason="Fume hood repair", actor=manager, now=now)
    assert [b.id for b in affected] == [hit.id]
    session.refresh(hit), session.refresh(spared)
    assert hit.status == "cancelled" and "Fume hood repair" in hit.cancel_reason
    assert spared.status == "confirmed"
    note = session.execute(select(Notification).where(Notification.user_id == alice.id,
                                                      Notification.kind == "booking_cancelled")).scalar_one()
    assert "Fume hood repair" in note.body
    with pytest.raises(Conflict):
        svc.book(session, user=bob, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)
    blackout_svc.lift_blackout(session, blackout.id, actor=manager, now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)


def test_recurring_blackout_cancels_future_matches(session, alice, manager, new_space, now):
    lab = new_space()
    monday = svc.book(session, user=alice, space_id=lab.id, start=hk(7, 9), end=hk(7, 10), now=now)
    tuesday = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 9), end=hk(8, 10), now=now)
    rule, affected = blackout_svc.add_recurring_blackout(
        session, lab.id, weekday=0, start_time="08:00", end_time="10:00", valid_from=None, valid_until=None,
        reason="Cleaning", actor=manager, now=now)
    assert [b.id for b in affected] == [monday.id]
    session.refresh(tuesday)
    assert tuesday.status == "confirmed"
    with pytest.raises(Conflict):
        svc.book(session, user=alice, space_id=lab.id, start=hk(14, 9), end=hk(14, 10), now=now)
    one_off, recurring = blackout_svc.list_blackouts(session, lab.id, now=now)
    assert [r.id for r in recurring] == [rule.id]
    blackout_svc.lift_recurring_blackout(session, rule.id, actor=manager, now=now)
    svc.book(session, user=alice, space_id=lab.id, start=hk(14, 9), end=hk(14, 10), now=now)


def test_recurring_booking_all_or_nothing(session, alice, bob, new_space, now):
    lab = new_space()
    svc.book(session, user=bob, space_id=lab.id, start=hk(15, 10), end=hk(15, 11), now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(29, 10, 30), end=hk(29, 11, 30), now=now)
    with pytest.raises(Conflict) as err:
        svc.book_recurring(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), repeat_weeks=4,
                           now=now)
    assert {c["week"] for c in err.value.extra["conflicts"]} == {"2026-12-15", "2026-12-29"}
    assert "15 Dec" in err.value.message and "29 Dec" in err.value.message
    assert count(session, Booking, Booking.user_id == alice.id) == 0
    rows = svc.book_recurring(session, user=alice, space_id=lab.id, start=hk(8, 12), end=hk(8, 13), repeat_weeks=4,
                              now=now)
    assert [b.start_at for b in rows] == [hk(8, 12), hk(15, 12), hk(22, 12), hk(29, 12)]
    assert len({b.series_id for b in rows}) == 1


def test_recurring_booking_names_weeks_that_break_rules(session, alice, new_space, now):
    lab = new_space(max_days_ahead=14)
    with pytest.raises(RuleViolation) as err:
        svc.book_recurring(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), repeat_weeks=3,
                           now=now)
    violations = err.value.extra["violations"]
    assert [v["rule"] for v in violations] == ["too_far_ahead"]
    assert violations[0]["message"].startswith("Tue 22 Dec 2026")
    assert count(session, Booking) == 0


def test_check_writes_nothing_and_returns_everything(session, alice, bob, new_space, now):
    lab = new_space()
    new_space()
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    result = svc.check(session, user=alice, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)
    assert result.violations == [] and result.conflicts == [(hk(8, 11), hk(8, 12))]
    assert result.suggestions and all({"space_id", "space_code", "space_name", "start", "end"} <= set(s)
                                      for s in result.suggestions)
    assert not result.ok
    assert count(session, Booking) == 1
    assert svc.check(session, user=alice, space_id=lab.id, start=hk(8, 12), end=hk(8, 13), now=now).ok


def test_free_spaces_lists_every_space_that_would_accept(session, alice, bob, new_space, now):
    lab1, lab2, _gated = new_space(), new_space(), new_space(requires_authorisation=True)
    new_space(kind="meeting_room")
    svc.book(session, user=bob, space_id=lab1.id, start=hk(8, 10), end=hk(8, 12), now=now)
    free = svc.free_spaces(session, kind="wet_lab", start=hk(8, 11), end=hk(8, 13), user=alice, now=now)
    assert [s.id for s in free] == [lab2.id]


def test_week_view_states(session, alice, bob, manager, new_space, now):
    lab = new_space(opening_hours={"mon": [["09:00", "12:00"]], "tue": [["09:00", "17:00"]]})
    mine = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 12), end=hk(8, 13), now=now)
    blackout_svc.add_blackout(session, lab.id, start=hk(8, 15), end=hk(8, 16), reason="Service", actor=manager, now=now)
    view = svc.week_view(session, lab.id, week_start=date(2026, 12, 7), user=alice, now=now, tz=HK)
    assert view["days"][0] == date(2026, 12, 7) and len(view["days"]) == 7
    times = [r["time"] for r in view["rows"]]
    assert times[0] == "09:00" and times[-1] == "16:30"
    by_time = {r["time"]: [c["state"] for c in r["cells"]] for r in view["rows"]}
    assert by_time["10:00"][1] == "mine"
    assert view["rows"][times.index("10:00")]["cells"][1]["booking_id"] == mine.id
    assert by_time["12:00"][1] == "busy"
    assert by_time["15:00"][1] == "blackout"
    assert by_time["13:00"][1] == "free"
    assert by_time["13:00"][0] == "closed"  # Monday closes at 12:00
    assert by_time["10:00"][2] == "closed"  # closed on Wednesdays
    past_view = svc.week_view(session, lab.id, week_start=date(2026, 11, 30), user=alice, now=now, tz=HK)
    assert [r["cells"][0]["state"] for r in past_view["rows"]][0] == "past"


def test_week_view_marks_open_gaps_too_short_to_book(session, alice, bob, new_space, now):
    """A 30-minute gap in a space with a 60-minute minimum is open but not bookable: the
    calendar must not call it closed (residents would think the lab is shut)."""
    lab = new_space(opening_hours={"tue": [["09:00", "17:00"]]}, min_minutes=60)
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 9), end=hk(8, 10), now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 10, 30), end=hk(8, 12), now=now)
    view = svc.week_view(session, lab.id, week_start=date(2026, 12, 7), user=alice, now=now, tz=HK)
    by_time = {r["time"]: [c["state"] for c in r["cells"]] for r in view["rows"]}
    assert by_time["10:00"][1] == "unavailable"
    assert by_time["12:00"][1] == "free"


def test_visibility_and_listing(session, alice, bob, make_user, new_space, now):
    lab = new_space()
    a = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    b = svc.book(session, user=bob, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)
    assert [x.id for x in svc.list_bookings(session, viewer=alice)] == [a.id]
    finance = make_user("finance")
    assert [x.id for x in svc.list_bookings(session, viewer=finance)] == [a.id, b.id]
    assert svc.count_bookings(session, viewer=finance, start=hk(8, 10, 30), end=hk(8, 10, 45)) == 1
    with pytest.raises(NotFound):
        svc.get_booking(session, b.id, viewer=alice)
    assert svc.get_booking(session, b.id, viewer=finance).id == b.id
    page = svc.list_bookings(session, viewer=finance, limit=1, offset=1)
    assert [x.id for x in page] == [b.id]


def test_space_validation_and_duplicates(session, manager, new_space, now):
    new_space(code="WL9")
    with pytest.raises(Conflict):
        new_space(code="WL9")
    with pytest.raises(RuleViolation) as err:
        space_svc.create_space(session, {"code": "X", "name": "", "kind": "lab", "capacity": 0, "slot_minutes": 7,
                                         "opening_hours": {"mon": [["10:00", "09:00"]]}, "hourly_rate": "abc"},
                               actor=manager, now=now)
    fields = {v["rule"] for v in err.value.extra["violations"]}
    # "lab" is not one of the managed kinds (space_kinds): refused with the rest.
    assert fields == {"name", "kind", "capacity", "slot_minutes", "opening_hours", "hourly_rate"}


def test_update_space_refuses_capacity_below_upcoming_use(session, make_user, manager, new_space, now):
    lab = new_space(capacity=2)
    for user in (make_user(), make_user()):
        svc.book(session, user=user, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    with pytest.raises(Conflict):
        space_svc.update_space(session, lab.id, {"capacity": 1}, actor=manager, now=now)
    updated = space_svc.update_space(session, lab.id, {"capacity": 3, "name": "Big Lab"}, actor=manager, now=now)
    assert (updated.capacity, updated.name) == (3, "Big Lab")
    assert count(session, AuditEvent, AuditEvent.action == "space.update") == 1


def test_overlap_queries_ignore_old_history(session, alice, new_space, now):
    """A booking further back than the scan bound is not read (and cannot matter)."""
    lab = new_space()
    session.add(Booking(space_id=lab.id, user_id=alice.id, start_at=hk(1, 10, month=11), end_at=hk(1, 11, month=11),
                        hold_end_at=hk(1, 11, month=11), exclusive=True, status="confirmed", title="", created_at=now))
    session.commit()
    assert reads.holds(session, lab.id, hk(8, 0), hk(9, 0)) == []
    assert reads.holds(session, lab.id, hk(1, 10, 30, month=11), hk(1, 12, month=11)) == [
        (hk(1, 10, month=11), hk(1, 11, month=11))]


def test_exclusion_constraint_backstop_is_a_conflict(session, alice, bob, new_space, now, backend):
    """Should a write ever skip the lock, PostgreSQL's exclusion constraint still refuses an
    overlapping hold on a capacity-one space, answered as a 409; SQLite has no such
    constraint and relies on BEGIN IMMEDIATE alone."""
    lab = new_space(buffer_minutes=15)
    svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    sneaky = Booking(space_id=lab.id, user_id=bob.id, start_at=hk(8, 11), end_at=hk(8, 12),
                     hold_end_at=hk(8, 12), exclusive=True, status="confirmed", title="", created_at=now)
    insert_skipping_the_lock = transaction(write._insert)
    if backend == "postgresql":
        with pytest.raises(Conflict):
            insert_skipping_the_lock(session, [sneaky])  # 11:00 starts inside alice's buffer (to 11:15)
        assert count(session, Booking) == 1
    else:
        insert_skipping_the_lock(session, [sneaky])
        assert count(session, Booking) == 2
