"""Changing a booking (time, length, space, title) and booking on behalf of a resident, on
SQLite and PostgreSQL: the booking's own hold never conflicts with its new time, the old slot
is free at once when the change is granted, and a refused change leaves the row exactly as it
was and answers like a refused new booking."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from innocell.models import AuditEvent, Booking, Notification
from innocell.services import Conflict, Forbidden, NotFound, RuleViolation
from innocell.services import bookings as svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def hk(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


def row(session, booking_id) -> tuple:
    """Every column of the booking as stored (raw SQL, past any ORM cache)."""
    return tuple(session.execute(text("SELECT * FROM bookings WHERE id = :id"), {"id": booking_id}).one())


def test_moving_by_half_an_hour_overlaps_only_itself(session, alice, bob, new_space, now):
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 14), end=hk(8, 16), title="Assay", now=now)
    moved = svc.change(session, booking.id, actor=alice, now=now, start=hk(8, 14, 30))
    assert (moved.id, moved.start_at, moved.end_at, moved.status) == (booking.id, hk(8, 14, 30), hk(8, 16, 30),
                                                                     "confirmed")
    # The freed half hour is bookable by someone else at once; the new time is not.
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 13, 30), end=hk(8, 14, 30), now=now)
    with pytest.raises(Conflict):
        svc.book(session, user=bob, space_id=lab.id, start=hk(8, 16), end=hk(8, 17), now=now)
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "booking.change")).scalar_one()
    assert event.actor_id == alice.id and event.details["before"]["start"] == "2026-12-08T14:00:00+08:00"
    assert event.details["after"]["start"] == "2026-12-08T14:30:00+08:00"


def test_own_hours_are_not_counted_twice_against_the_quota(set_kind, session, alice, new_space, now):
    set_kind("wet_lab", quota_hours=3)
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 13), now=now)
    moved = svc.change(session, booking.id, actor=alice, now=now, start=hk(9, 10), end=hk(9, 13))
    assert moved.start_at == hk(9, 10)
    with pytest.raises(RuleViolation) as err:
        svc.change(session, booking.id, actor=alice, now=now, end=hk(9, 14))
    assert [v["rule"] for v in err.value.extra["violations"]] == ["quota"]


def test_refused_change_leaves_the_booking_byte_for_byte_and_answers_like_a_new_booking(session, alice, bob,
                                                                                       new_space, now):
    lab, other = new_space(), new_space()
    mine = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), title="Mine", now=now)
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 14), end=hk(8, 16), now=now)
    before = row(session, mine.id)
    with pytest.raises(Conflict) as err:
        svc.change(session, mine.id, actor=alice, now=now, start=hk(8, 15), end=hk(8, 17), title="Moved")
    body = err.value.extra
    assert body["conflicts"] == [{"start": "2026-12-08T15:00:00+08:00", "end": "2026-12-08T16:00:00+08:00"}]
    assert {(s["space_id"], s["start"]) for s in body["suggestions"]} >= {(other.id, "2026-12-08T15:00:00+08:00")}
    assert row(session, mine.id) == before
    with pytest.raises(RuleViolation) as err:
        svc.change(session, mine.id, actor=alice, now=now, start=hk(8, 6, 10), end=hk(8, 7, 10))
    assert {v["rule"] for v in err.value.extra["violations"]} == {"outside_opening_hours", "off_grid"}
    assert row(session, mine.id) == before
    # Nothing of the refused attempts was recorded either.
    assert session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "booking.change")
                           ).scalar_one() == 0


def test_change_to_another_space_frees_the_old_one(session, alice, bob, new_space, now):
    lab, other = new_space(), new_space(buffer_minutes=30)
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    moved = svc.change(session, booking.id, actor=alice, now=now, space_id=other.id)
    assert (moved.space_id, moved.start_at, moved.hold_end_at) == (other.id, hk(8, 10), hk(8, 12, 30))
    svc.book(session, user=bob, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    with pytest.raises(Conflict):
        svc.book(session, user=bob, space_id=other.id, start=hk(8, 12), end=hk(8, 13), now=now)


def test_moving_into_a_space_that_needs_approval_makes_it_pending(session, alice, manager, new_space, now):
    lab, approved = new_space(), new_space(requires_approval=True)
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    assert svc.change(session, booking.id, actor=alice, now=now, space_id=approved.id).status == "pending"
    svc.approve(session, booking.id, actor=manager, now=now)
    # A new time in the same approval space asks again; a new title alone does not.
    assert svc.change(session, booking.id, actor=alice, now=now, title="Renamed").status == "confirmed"
    assert svc.change(session, booking.id, actor=alice, now=now, start=hk(9, 10)).status == "pending"


def test_who_may_change_what(session, alice, bob, manager, make_user, new_space, now):
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    with pytest.raises(NotFound):
        svc.change(session, booking.id, actor=bob, now=now, start=hk(8, 14))
    with pytest.raises(Forbidden):
        svc.change(session, booking.id, actor=make_user("finance"), now=now, start=hk(8, 14))
    done = svc.change(session, booking.id, actor=manager, now=now, start=hk(8, 14))
    assert done.start_at == hk(8, 14) and done.user_id == alice.id
    note = session.execute(select(Notification).where(Notification.user_id == alice.id,
                                                      Notification.kind == "booking_changed")).scalar_one()
    assert "now Lab 1" in note.body


def test_begun_or_cancelled_bookings_cannot_be_changed(session, alice, new_space, now):
    lab = new_space(opening_hours={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                                      "sun")})
    begun = svc.book(session, user=alice, space_id=lab.id, start=now, end=now + timedelta(hours=2), now=now)
    later = now + timedelta(minutes=30)
    with pytest.raises(Conflict, match="begun"):
        svc.change(session, begun.id, actor=alice, now=later, start=now + timedelta(hours=3))
    future = svc.book(session, user=alice, space_id=lab.id, start=hk(8, 10), end=hk(8, 12), now=now)
    svc.cancel(session, future.id, actor=alice, now=now)
    with pytest.raises(Conflict, match="cancelled"):
        svc.change(session, future.id, actor=alice, now=now, start=hk(8, 14))


def test_book_for_a_resident_counts_in_their_quota(set_kind, session, alice, manager, make_user, new_space, now):
    set_kind("wet_lab", quota_hours=3)
    lab = new_space()
    [made] = svc.book_for(session, actor=manager, for_user_id=alice.id, space_id=lab.id, start=hk(8, 10),
                          end=hk(8, 12), now=now)
    assert (made.user_id, made.booked_by_id) == (alice.id, manager.id)
    # Alice has 1 hour left this week, whoever books it.
    with pytest.raises(RuleViolation) as err:
        svc.book(session, user=alice, space_id=lab.id, start=hk(9, 10), end=hk(9, 12), now=now)
    assert [v["rule"] for v in err.value.extra["violations"]] == ["quota"]
    with pytest.raises(RuleViolation):
        svc.book_for(session, actor=manager, for_user_id=alice.id, space_id=lab.id, start=hk(9, 10),
                     end=hk(9, 12), now=now)
    with pytest.raises(Forbidden):
        svc.book_for(session, actor=alice, for_user_id=alice.id, space_id=lab.id, start=hk(9, 10),
                     end=hk(9, 11), now=now)
    gone = make_user("resident", active=False)
    for bad in (gone.id, 10 ** 9, manager.id, "x"):
        with pytest.raises(RuleViolation) as err:
            svc.book_for(session, actor=manager, for_user_id=bad, space_id=lab.id, start=hk(9, 10),
                         end=hk(9, 11), now=now)
        assert err.value.extra["violations"][0]["field"] == "for_user_id"
    assert session.execute(select(func.count(Booking.id))).scalar_one() == 1
