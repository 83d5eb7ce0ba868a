"""Deciding several booking requests at once (one transaction, all or nothing) and what the
approval queue shows beside each request, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.models import AuditEvent, Booking, Notification
from innocell.services import BadRequest, Conflict, Forbidden
from innocell.services import bookings as svc
from innocell.services.bookings.decisions import decide_many, queue_context

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def hk(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


@pytest.fixture
def requests_(session, alice, bob, new_space, now):
    hall = new_space(requires_approval=True)
    room = new_space(requires_approval=True)
    a = svc.book(session, user=alice, space_id=hall.id, start=hk(8, 10), end=hk(8, 12), title="Demo", now=now)
    b = svc.book(session, user=bob, space_id=room.id, start=hk(9, 10), end=hk(9, 12), title="Pitch", now=now)
    c = svc.book(session, user=alice, space_id=room.id, start=hk(9, 14), end=hk(9, 15), title="Review", now=now)
    assert {a.status, b.status, c.status} == {"pending"}
    return a, b, c


def statuses(session, *bookings):
    session.expire_all()
    return [session.get(Booking, b.id).status for b in bookings]


def test_bulk_approve_confirms_each_and_notifies_each_holder(session, manager, requests_, now):
    a, b, c = requests_
    done = decide_many(session, [c.id, a.id], approve_them=True, actor=manager, now=now)
    assert [x.id for x in done] == [c.id, a.id]
    assert statuses(session, a, b, c) == ["confirmed", "pending", "confirmed"]
    kinds = session.execute(select(Notification.kind, Notification.user_id)
                            .where(Notification.kind == "booking_approved")).all()
    assert sorted(kinds) == sorted([("booking_approved", a.user_id), ("booking_approved", c.user_id)])
    audits = session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "booking.approve"))
    assert audits.scalar_one() == 2


def test_bulk_decline_gives_every_holder_the_one_reason(session, manager, requests_, now):
    a, b, c = requests_
    decide_many(session, [a.id, b.id], approve_them=False, actor=manager, now=now, reason="Hall repainted")
    assert statuses(session, a, b, c) == ["cancelled", "cancelled", "pending"]
    assert all("Hall repainted" in session.get(Booking, x.id).cancel_reason for x in (a, b))
    bodies = session.execute(select(Notification.body).where(Notification.kind == "booking_rejected")).scalars()
    assert all("Hall repainted" in body for body in bodies)


def test_one_already_decided_request_refuses_the_whole_batch(session, manager, requests_, now):
    a, b, c = requests_
    svc.reject(session, b.id, actor=manager, now=now, reason="Taken")
    with pytest.raises(Conflict) as err:
        decide_many(session, [a.id, b.id, c.id], approve_them=True, actor=manager, now=now)
    assert [r["id"] for r in err.value.extra["refused"]] == [b.id]
    assert "Nothing was approved" in err.value.message
    assert statuses(session, a, b, c) == ["pending", "cancelled", "pending"]
    assert session.execute(select(func.count(Notification.id))
                           .where(Notification.kind == "booking_approved")).scalar_one() == 0


def test_unknown_ids_refuse_and_bad_input_is_a_bad_request(session, manager, requests_, now):
    a, _, _ = requests_
    with pytest.raises(Conflict) as err:
        decide_many(session, [a.id, 999_999], approve_them=True, actor=manager, now=now)
    assert err.value.extra["refused"][0]["id"] == 999_999
    assert statuses(session, a) == ["pending"]
    for bad in ([], "1", [True], [1.5], None, list(range(1000))):
        with pytest.raises(BadRequest):
            decide_many(session, bad, approve_them=True, actor=manager, now=now)


def test_residents_cannot_decide(session, alice, requests_, now):
    a, _, _ = requests_
    with pytest.raises(Forbidden):
        decide_many(session, [a.id], approve_them=True, actor=alice, now=now)
    assert statuses(session, a) == ["pending"]


def test_queue_context_shows_the_day_around_and_the_holders_history(session, alice, bob, manager, new_space, now,
                                                                      requests_):
    a, b, c = requests_
    room = b.space
    # Bob's history: one attended, one no-show, one cancelled by himself (all began before now).
    lab = new_space()
    for hour, fate in ((10, "attended"), (12, "no-show"), (14, "cancelled")):
        start = datetime(2026, 11, 11, hour, tzinfo=HK).astimezone(UTC)
        done = svc.book(session, user=bob, space_id=lab.id, start=start, end=start + timedelta(hours=1),
                        now=start - timedelta(days=1))
        if fate == "no-show":
            done.end_reason = "no-show"
        elif fate == "cancelled":
            done.status, done.cancelled_by_id = "cancelled", bob.id
    session.commit()
    context = queue_context(session, [a, b], now=now, tz=HK)
    around_b = context[b.id].around
    assert [(holder, title, status) for _, _, status, holder, title in around_b] == [("Alice", "Review", "pending")]
    assert context[a.id].around == []
    history = context[b.id].history
    assert (history.total, history.attended, history.no_show, history.cancelled) == (3, 1, 1, 1)
    assert context[a.id].history.total == 0
