"""The inbox pages and the job-feature API: notices with unread counts, mark read, the reminder
email setting, joining and leaving a slot's waitlist, checking in."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Booking, Notification, SlotRequest, Space, User
from innocell.services.notifications import notify
from innocell.timeutil import utcnow

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def alice(make_user):
    return make_user("resident", name="Alice Wong")


@pytest.fixture
def bob(make_user):
    return make_user("resident", name="Bob Chan")


def _notice(user, subject, kind="offer_waitlist", at=None):
    note = notify(db.session, user_id=user.id, kind=kind, subject=subject, body=f"About {subject}",
                  now=at or utcnow(), link="/housing")
    db.session.commit()
    return note


def _space(**fields) -> Space:
    space = Space(code=fields.pop("code", "WL1"), name=fields.pop("name", "Wet Lab 1"), kind="wet_lab", capacity=1,
                  created_at=utcnow(), **fields)
    db.session.add(space)
    db.session.commit()
    return space


def _slot(days=3, hour=10, hours=1):
    day = utcnow().astimezone(HK).date() + timedelta(days=days)
    start = datetime.combine(day, time(hour), HK)
    return start, start + timedelta(hours=hours)


def _booking(user, space, start, end, status="confirmed") -> Booking:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    booking = Booking(space_id=space.id, user_id=user.id, start_at=start, end_at=end, hold_end_at=end, exclusive=True,
                      status=status, created_at=utcnow())
    db.session.add(booking)
    db.session.commit()
    return booking


# ----------------------------------------------------------------------------- notices


def test_inbox_shows_own_notices_with_unread_count(client, login, alice, bob):
    _notice(alice, "Unit 03-07 came free for you")
    _notice(alice, "Reminder: Wet Lab 1", kind="reminder")
    _notice(bob, "Bob's private notice")
    login(alice)
    page = client.get("/inbox").get_data(as_text=True)
    assert "Unit 03-07 came free for you" in page and "Reminder: Wet Lab 1" in page
    assert "Bob&#39;s private notice" not in page and "Bob's private notice" not in page
    assert "2 unread" in page
    assert 'data-testid="unread-count">2<' in page  # the badge in the navigation


def test_empty_inbox_says_so(client, login, alice):
    login(alice)
    page = client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="inbox-empty"' in page and "No notices yet" in page


def test_mark_read_one_and_all(client, login, alice, bob):
    first = _notice(alice, "First")
    _notice(alice, "Second")
    _notice(alice, "Third")
    others = _notice(bob, "Not yours")
    login(alice)
    response = client.post(f"/inbox/{first.id}/read")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Notification, first.id).read_at is not None
    assert "2 unread" in client.get("/inbox").get_data(as_text=True)
    unread_page = client.get("/inbox?unread=1").get_data(as_text=True)
    assert "Second" in unread_page and ">First<" not in unread_page

    assert client.post(f"/inbox/{others.id}/read").status_code == 404
    db.session.rollback()
    assert db.session.get(Notification, others.id).read_at is None

    client.post("/inbox/read-all")
    db.session.rollback()
    assert count(Notification, Notification.user_id == alice.id, Notification.read_at.is_(None)) == 0
    assert count(Notification, Notification.user_id == bob.id, Notification.read_at.is_(None)) == 1
    assert "unread" not in client.get("/inbox").get_data(as_text=True).split("<h1>")[1].split("</h1>")[0]


def test_inbox_is_paginated(client, login, alice, app):
    app.config["PAGE_SIZE"] = 5
    base = utcnow() - timedelta(days=1)
    for i in range(12):
        _notice(alice, f"Notice number {i:02d}", at=base + timedelta(minutes=i))
    login(alice)
    first = client.get("/inbox").get_data(as_text=True)
    assert "Notice number 11" in first and "Notice number 06" not in first and "Page 1 of 3" in first
    third = client.get("/inbox?page=3").get_data(as_text=True)
    assert "Notice number 00" in third and "Notice number 11" not in third


def test_reminder_emails_can_be_turned_off_and_on(client, login, alice):
    login(alice)
    response = client.post("/inbox/settings", data={}, follow_redirects=True)
    assert "Reminder emails are off" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(User, alice.id).email_reminders is False
    client.post("/inbox/settings", data={"email_reminders": "1"})
    db.session.rollback()
    assert db.session.get(User, alice.id).email_reminders is True


def test_every_signed_in_role_has_an_inbox_and_anonymous_is_sent_to_sign_in(client, login, make_user):
    assert client.get("/inbox").status_code == 302
    for role in ("manager", "finance", "admin"):
        user = make_user(role)
        login(user)
        assert client.get("/inbox").status_code == 200
        client.post("/logout")


# ----------------------------------------------------------------------------- slot waitlist


def test_join_the_waitlist_for_a_taken_slot_and_leave_it(client, login, alice, bob):
    lab = _space()
    start, end = _slot()
    _booking(bob, lab, start, end)
    login(alice)
    response = client.post("/slot-requests", data={"space_id": lab.id, "start": start.isoformat(),
                                                   "end": end.isoformat(), "title": "PCR run"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "You are on the waitlist for Wet Lab 1 (number 1 in line)" in page
    request_ = db.session.execute(select(SlotRequest)).scalar_one()
    assert (request_.user_id, request_.status, request_.title) == (alice.id, "waiting", "PCR run")
    assert 'data-testid="slot-requests"' in page and "status-waiting" in page

    client.post(f"/slot-requests/{request_.id}/cancel")
    db.session.rollback()
    assert db.session.get(SlotRequest, request_.id).status == "cancelled"


def test_joining_is_refused_with_a_reason_and_writes_nothing(client, login, alice, bob, make_user):
    lab = _space()
    start, end = _slot()
    login(alice)
    free = client.post("/slot-requests", data={"space_id": lab.id, "start": start.isoformat(), "end": end.isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    assert "free right now" in free
    bad = client.post("/slot-requests", data={"space_id": lab.id, "start": "tomorrow", "end": end.isoformat()},
                      follow_redirects=True).get_data(as_text=True)
    assert "not valid" in bad
    nothing = client.post("/slot-requests", data={"space_id": "x"}, follow_redirects=True)
    assert nothing.status_code == 200 and "Choose a space" in nothing.get_data(as_text=True)
    assert count(SlotRequest) == 0
    client.post("/logout")
    login(make_user("finance"))
    assert client.post("/slot-requests", data={"space_id": lab.id}).status_code == 403


def test_another_residents_request_cannot_be_cancelled(client, login, alice, bob):
    lab = _space()
    start, end = _slot()
    _booking(alice, lab, start, end)
    request_ = SlotRequest(user_id=bob.id, space_id=lab.id, start_at=start.astimezone(UTC), end_at=end.astimezone(UTC),
                           status="waiting", created_at=utcnow())
    db.session.add(request_)
    db.session.commit()
    login(alice)
    assert client.post(f"/slot-requests/{request_.id}/cancel").status_code == 404
    db.session.rollback()
    assert db.session.get(SlotRequest, request_.id).status == "waiting"


# ----------------------------------------------------------------------------- check-in


def test_check_in_from_the_booking_page(client, login, alice, bob):
    lab = _space(requires_checkin=True)
    now = utcnow().astimezone(HK)  # the app's clock, pinned by the tests
    current = _booking(alice, lab, now - timedelta(minutes=5), now + timedelta(minutes=55))
    later = _booking(alice, lab, now + timedelta(hours=3), now + timedelta(hours=4))
    login(alice)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert 'data-testid="checkin-due"' in inbox  # the booking that can be checked in to now is offered

    response = client.post(f"/bookings/{current.id}/check-in")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bookings/{current.id}")
    db.session.rollback()
    assert db.session.get(Booking, current.id).checked_in_at is not None

    early = client.post(f"/bookings/{later.id}/check-in", follow_redirects=True).get_data(as_text=True)
    assert "Check-in opens 15 minutes before" in early
    db.session.rollback()
    assert db.session.get(Booking, later.id).checked_in_at is None
    client.post("/logout")
    login(bob)
    assert client.post(f"/bookings/{later.id}/check-in").status_code == 404


# ----------------------------------------------------------------------------- API


def test_api_notifications_are_own_only(api, alice, bob):
    _notice(alice, "For Alice")
    _notice(bob, "For Bob")
    body = api(alice).get("/api/v1/notifications").get_json()
    assert [n["subject"] for n in body["notifications"]] == ["For Alice"] and body["unread"] == 1
    note_id = body["notifications"][0]["id"]
    bob_api = api(bob)
    assert bob_api.post(f"/api/v1/notifications/{note_id}/read").status_code == 404
    marked = api(alice).post(f"/api/v1/notifications/{note_id}/read")
    assert marked.status_code == 200 and marked.get_json()["notification"]["read"] is True
    assert api(alice).get("/api/v1/notifications?unread=1").get_json()["notifications"] == []
    assert api(alice).get("/api/v1/notifications?limit=0").status_code == 400


def test_api_slot_requests_and_check_in(api, alice, bob, make_user):
    lab = _space(requires_checkin=True)
    start, end = _slot()
    taken = _booking(bob, lab, start, end)
    client = api(alice)
    created = client.post("/api/v1/slot-requests", json={"space_id": lab.id, "start": start.isoformat(),
                                                         "end": end.isoformat(), "title": "Assay"})
    assert created.status_code == 201, created.get_json()
    item = created.get_json()["slot_request"]
    assert (item["status"], item["position"], item["space_id"]) == ("waiting", 1, lab.id)
    assert item["start"] == start.isoformat()
    again = client.post("/api/v1/slot-requests", json={"space_id": lab.id, "start": start.isoformat(),
                                                       "end": end.isoformat()})
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    free_start, free_end = _slot(days=4)
    free = client.post("/api/v1/slot-requests", json={"space_id": lab.id, "start": free_start.isoformat(),
                                                      "end": free_end.isoformat()})
    assert free.status_code == 409 and free.get_json()["free"] is True
    assert client.post("/api/v1/slot-requests", json={"space_id": lab.id, "start": "soon"}).status_code == 400
    assert client.post("/api/v1/slot-requests", data="nope").status_code == 400
    assert [r["id"] for r in client.get("/api/v1/slot-requests").get_json()["slot_requests"]] == [item["id"]]
    assert api(bob).get("/api/v1/slot-requests").get_json()["slot_requests"] == []
    finance = api(make_user("finance"))
    assert finance.post("/api/v1/slot-requests", json={"space_id": lab.id}).status_code == 403
    assert len(finance.get("/api/v1/slot-requests").get_json()["slot_requests"]) == 1
    assert api(bob).delete(f"/api/v1/slot-requests/{item['id']}").status_code == 404
    assert client.delete(f"/api/v1/slot-requests/{item['id']}").get_json()["slot_request"]["status"] == "cancelled"

    assert client.post(f"/api/v1/bookings/{taken.id}/check-in").status_code == 404  # Bob's booking
    early = api(bob).post(f"/api/v1/bookings/{taken.id}/check-in")
    assert early.status_code == 409 and "Check-in opens" in early.get_json()["message"]
    now = utcnow().astimezone(HK)  # the app's clock, pinned by the tests
    current = _booking(alice, lab, now - timedelta(minutes=2), now + timedelta(minutes=28))
    done = client.post(f"/api/v1/bookings/{current.id}/check-in")
    assert done.status_code == 200 and done.get_json()["booking"]["checked_in_at"]
