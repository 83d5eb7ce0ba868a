"""The staff timeline (a day or week across spaces, with holders) and the approval queue's bulk
decisions, through the pages and the API."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from innocell.extensions import db
from innocell.models import Booking
from innocell.services import blackouts as blackout_service
from innocell.services import bookings as booking_service
from innocell.services import spaces as space_service
from innocell.timeutil import utcnow
from tests.web.space_times import ALL_DAY, at, next_tuesday


@pytest.fixture
def manager(make_user):
    return make_user("manager", name="Mona Manager")


@pytest.fixture
def make_space(session, manager):
    def _make(code, **fields):
        data = {"code": code, "name": fields.pop("name", f"Lab {code}"), "kind": fields.pop("kind", "wet_lab"),
                "opening_hours": ALL_DAY, "min_minutes": 60}
        data.update(fields)
        return space_service.create_space(session, data, actor=manager, now=utcnow())

    return _make


def book(session, user, space, day, start, end, title=""):
    booking = booking_service.book(session, user=user, space_id=space.id, start=at(day, start), end=at(day, end),
                                   title=title, now=utcnow())
    session.commit()
    return booking


@pytest.fixture
def scene(session, make_user, make_space, manager):
    """Two labs and a hall on one Tuesday: a confirmed booking, a pending request, a blackout."""
    day = next_tuesday()
    lab = make_space("WL-01")
    hall = make_space("EV-01", kind="event_space", requires_approval=True)
    alice = make_user(name="Alice Assay", company="Harbour Bio")
    bob = make_user(name="Bob Builder")
    confirmed = book(session, alice, lab, day, "10:00", "12:00", title="PCR run")
    pending = book(session, bob, hall, day, "14:00", "16:00", title="Pitch night")
    blackout_service.add_blackout(session, lab.id, start=at(day, "16:00"), end=at(day, "18:00"),
                                  reason="Fume hood service", actor=manager, now=utcnow())
    session.commit()
    return {"day": day, "lab": lab, "hall": hall, "alice": alice, "bob": bob, "confirmed": confirmed,
            "pending": pending}


def test_staff_see_holders_titles_pending_and_blackouts(client, login, manager, scene):
    login(manager)
    page = client.get(f"/timeline?date={scene['day'].isoformat()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Alice Assay" in html and "PCR run" in html and "Bob Builder" in html and "Pitch night" in html
    pending_bar = re.search(rf'data-booking="{scene["pending"].id}" data-status="pending".*?</div>', html, re.S).group(0)
    assert "PENDING" in pending_bar and 'data-testid="approve"' in pending_bar
    confirmed_bar = re.search(rf'data-booking="{scene["confirmed"].id}".*?</div>', html, re.S).group(0)
    assert "PENDING" not in confirmed_bar and 'data-testid="approve"' not in confirmed_bar
    assert f'/bookings/{scene["confirmed"].id}"' in html  # each booking opens its page
    assert "Fume hood service" in html and "CLOSED" in html
    assert 'data-space="WL-01"' in html and 'data-space="EV-01"' in html


def test_kind_filter_and_week_view_and_navigation(client, login, manager, scene):
    login(manager)
    day = scene["day"]
    html = client.get(f"/timeline?date={day.isoformat()}&kind=event_space").get_data(as_text=True)
    assert 'data-space="EV-01"' in html and 'data-space="WL-01"' not in html and "Alice Assay" not in html
    week = client.get(f"/timeline?date={day.isoformat()}&view=week").get_data(as_text=True)
    monday = day - timedelta(days=day.weekday())
    assert f"Week of {monday:%d %B %Y}" in week and "Alice Assay" in week
    assert week.count('class="tl-day"') == 7
    assert f"date={(day + timedelta(days=7)).isoformat()}&amp;view=week" in week
    day_page = client.get(f"/timeline?date={day.isoformat()}").get_data(as_text=True)
    assert f"date={(day - timedelta(days=1)).isoformat()}&amp;view=day" in day_page
    # Whatever the date says, the page answers (today's view for nonsense).
    for raw in ("not-a-date", "1999-12-31", "2199-12-31", "9999-01-01"):
        for view in ("day", "week", "month"):
            assert client.get(f"/timeline?date={raw}&view={view}&kind=nope").status_code == 200


def test_residents_never_see_the_timeline_finance_only_reads(client, login, make_user, scene):
    login(scene["alice"])
    assert client.get("/timeline").status_code == 403
    assert client.post(f"/manage/timeline/bookings/{scene['pending'].id}/approve").status_code == 403
    client.post("/logout")
    login(make_user("finance"))
    html = client.get(f"/timeline?date={scene['day'].isoformat()}").get_data(as_text=True)
    assert "Bob Builder" in html and 'data-testid="approve"' not in html
    assert client.post(f"/manage/timeline/bookings/{scene['pending'].id}/approve").status_code == 403
    db.session.expire_all()
    assert db.session.get(Booking, scene["pending"].id).status == "pending"


def test_residents_space_week_still_shows_only_booked(client, login, make_user, scene):
    login(make_user(name="Carol Curious"))
    html = client.get(f"/spaces/{scene['lab'].id}?week={scene['day'].isoformat()}").get_data(as_text=True)
    assert "Alice Assay" not in html and "PCR run" not in html


def test_one_click_approve_returns_to_the_same_timeline(client, login, manager, scene, session):
    login(manager)
    day = scene["day"].isoformat()
    answer = client.post(f"/manage/timeline/bookings/{scene['pending'].id}/approve",
                         data={"date": day, "view": "week", "kind": "event_space"})
    assert answer.status_code == 302
    assert f"date={day}" in answer.location and "view=week" in answer.location and "kind=event_space" in answer.location
    session.expire_all()
    assert session.get(Booking, scene["pending"].id).status == "confirmed"
    html = client.get(answer.location).get_data(as_text=True)
    assert "Approved: EV-01 for Bob Builder" in html and 'data-testid="approve"' not in html
    again = client.post(f"/manage/timeline/bookings/{scene['pending'].id}/approve", data={"date": day},
                        follow_redirects=True)
    assert "Only a pending booking can be approved" in again.get_data(as_text=True)
    assert client.post("/manage/timeline/bookings/999999/approve").status_code == 404


def _statements(client, path) -> int:
    counted = []

    def count(*_args, **_kw):
        counted.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(counted)


def test_the_timeline_reads_a_bounded_number_of_statements(client, login, manager, make_space, make_user, session,
                                                           set_kind):
    set_kind("wet_lab", simultaneous=50, quota_hours=500)
    day = next_tuesday()
    residents = [make_user(name=f"Resident {i}") for i in range(4)]
    spaces = []

    def add_spaces(n):
        for _ in range(n):
            space = make_space(f"S-{len(spaces):02d}", requires_approval=len(spaces) % 2 == 0)
            spaces.append(space)
            for slot, (start, end) in enumerate((("09:00", "10:00"), ("13:00", "15:00"))):
                book(session, residents[(len(spaces) + slot) % 4], space, day, start, end, title=f"Run {slot}")
            blackout_service.add_blackout(session, space.id, start=at(day, "18:00"), end=at(day, "19:00"),
                                          reason="Cleaning", actor=manager, now=utcnow())
        session.commit()

    login(manager)
    path = f"/timeline?date={day.isoformat()}"
    add_spaces(2)
    small = _statements(client, path)
    add_spaces(18)
    large = _statements(client, path)
    html = client.get(path).get_data(as_text=True)
    assert html.count('class="tl-row"') == 20 and html.count('data-status="pending"') == 20
    assert large == small and large <= 12
    assert _statements(client, path + "&view=week") <= large


# ---------------------------------------------------------------- the approval queue


def test_queue_shows_the_day_around_and_decides_ticked_requests(client, login, manager, scene, session, make_user):
    hall, bob = scene["hall"], scene["bob"]
    carol = make_user(name="Carol Chem")
    other = book(session, carol, hall, scene["day"], "10:00", "11:00", title="Workshop")
    login(manager)
    html = client.get("/manage/approvals").get_data(as_text=True)
    assert "All or nothing" in html
    row = re.search(rf'<tr data-booking="{scene["pending"].id}">.*?</tr>', html, re.S).group(0)
    assert "Carol Chem" in row and "Workshop" in row  # what else is booked on the hall that day
    assert "no earlier bookings" in row
    answer = client.post("/manage/approvals/decide",
                         data={"ids": [str(scene["pending"].id), str(other.id)], "decision": "decline",
                               "reason": "Hall closed for painting"}, follow_redirects=True)
    assert "Declined 2 requests" in answer.get_data(as_text=True)
    session.expire_all()
    for b in (scene["pending"], other):
        item = session.get(Booking, b.id)
        assert item.status == "cancelled" and "Hall closed for painting" in item.cancel_reason


def test_a_stale_ticked_request_changes_nothing_and_is_named(client, login, manager, scene, session, make_user):
    other = book(session, make_user(name="Dan"), scene["hall"], scene["day"], "10:00", "11:00")
    booking_service.approve(session, other.id, actor=manager, now=utcnow())
    login(manager)
    answer = client.post("/manage/approvals/decide", data={"ids": [str(scene["pending"].id), str(other.id)],
                                                           "decision": "approve"}, follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Nothing was approved" in html and f"Booking {other.id} is already confirmed" in html
    session.expire_all()
    assert session.get(Booking, scene["pending"].id).status == "pending"
    none = client.post("/manage/approvals/decide", data={"decision": "approve"}, follow_redirects=True)
    assert "Tick at least one request" in none.get_data(as_text=True)


def test_bulk_api_approves_and_refuses_all_or_nothing(api, manager, scene, session, make_user):
    other = book(session, make_user(name="Erin"), scene["hall"], scene["day"], "10:00", "11:00")
    client = api(manager)
    ok = client.post("/api/v1/bookings/approve", json={"ids": [scene["pending"].id, other.id]})
    assert ok.status_code == 200
    assert [(b["id"], b["status"]) for b in ok.get_json()["bookings"]] == [(scene["pending"].id, "confirmed"),
                                                                         (other.id, "confirmed")]
    third = book(session, make_user(name="Fay"), scene["hall"], scene["day"], "17:00", "18:00")
    refused = client.post("/api/v1/bookings/reject", json={"ids": [third.id, other.id], "reason": "Sorry"})
    body = refused.get_json()
    assert refused.status_code == 409 and body["error"] == "conflict"
    assert [r["id"] for r in body["refused"]] == [other.id]
    session.expire_all()
    assert session.get(Booking, third.id).status == "pending"
    done = client.post("/api/v1/bookings/reject", json={"ids": [third.id], "reason": "Sorry"})
    assert done.status_code == 200 and done.get_json()["bookings"][0]["status"] == "cancelled"
    for bad in ({}, {"ids": []}, {"ids": "1"}, {"ids": [1], "reason": 5}):
        answer = client.post("/api/v1/bookings/approve", json=bad)
        assert answer.status_code == 400 and answer.get_json()["error"] == "bad_request"
    resident = api(scene["alice"])
    assert resident.post("/api/v1/bookings/approve", json={"ids": [third.id]}).status_code == 403


def test_overlapping_bookings_of_a_shared_space_stack_in_lanes(client, login, manager, make_space, make_user, session):
    from innocell.services.bookings.timeline import timeline
    from tests.web.space_times import HK

    day = next_tuesday()
    shared = make_space("SH-01", capacity=3)
    for name, (start, end) in zip(("Ann", "Ben", "Cat"), (("09:00", "11:00"), ("10:00", "12:00"), ("11:00", "13:00"))):
        book(session, make_user(name=name), shared, day, start, end)
    cell = timeline(session, first_day=day, days=1, tz=HK).rows[0].cells[0]
    assert [(b.holder, b.lane, b.lanes) for b in cell] == [("Ann", 0, 2), ("Ben", 1, 2), ("Cat", 0, 2)]
    login(manager)
    html = client.get(f"/timeline?date={day.isoformat()}").get_data(as_text=True)
    assert html.count("height: 50.0%") == 3
