"""Changing a space's rules on the manager's form and through PATCH /api/v1/spaces/ID: the
bookings a change would break are shown (409 with `affected_bookings`) and cancelled only on
confirmation; a booking horizon of 0 days is refused."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from innocell.extensions import db
from innocell.models import Booking, Notification, Space
from innocell.services import bookings as booking_service
from innocell.services import spaces as space_service
from innocell.timeutil import utcnow
from tests.web.space_times import ALL_DAY, at, next_tuesday

pytestmark = pytest.mark.both_db


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def lab(session, manager):
    return space_service.create_space(session, {"code": "WL-01", "name": "Wet Lab 1", "kind": "wet_lab",
                                                "opening_hours": ALL_DAY}, actor=manager, now=utcnow())


@pytest.fixture
def two_bookings(session, make_user, lab):
    day = next_tuesday()
    made = []
    for name, start, end in (("Alice", "10:00", "11:00"), ("Bob", "11:00", "12:00")):
        made.append(booking_service.book(session, user=make_user(name=name), space_id=lab.id, start=at(day, start),
                                         end=at(day, end), now=utcnow()))
    session.commit()
    return made


def form_of(space, **changes):
    data = {"code": space.code, "name": space.name, "kind": space.kind, "description": "",
            "capacity": str(space.capacity), "slot_minutes": "30", "min_minutes": "30", "max_minutes": "480",
            "buffer_minutes": str(space.buffer_minutes), "max_days_ahead": "60", "hourly_rate": "0",
            **{f"hours_{d}": "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
    data.update(changes)
    return data


def status_of(booking_id):
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def test_the_form_shows_the_bookings_a_change_breaks_and_cancels_them_only_when_confirmed(
        client, login, manager, lab, two_bookings):
    login(manager)
    first, second = two_bookings
    asked = client.post(f"/manage/spaces/{lab.id}/edit", data=form_of(lab, buffer_minutes="30"))
    assert asked.status_code == 409
    page = asked.get_data(as_text=True)
    assert "This change cancels 1 upcoming booking" in page and 'data-testid="bookings-to-cancel"' in page
    assert "Bob" in page and "The 30-minute buffer after the booking before it would last until 11:30." in page
    assert 'name="confirm" type="hidden" value="yes"' in page
    assert status_of(second.id) == "confirmed" and db.session.get(Space, lab.id).buffer_minutes == 0

    done = client.post(f"/manage/spaces/{lab.id}/edit", data=form_of(lab, buffer_minutes="30", confirm="yes"))
    assert done.status_code == 302
    assert status_of(second.id) == "cancelled" and status_of(first.id) == "confirmed"
    assert db.session.get(Space, lab.id).buffer_minutes == 30
    follow = client.get("/manage/spaces").get_data(as_text=True)
    assert "1 upcoming booking that the new rules refuse was cancelled" in follow


def test_the_confirm_page_carries_every_field_of_the_form(client, login, manager, lab, two_bookings):
    login(manager)
    data = form_of(lab, buffer_minutes="30", name="Renamed", requires_approval="y", hours_sun="")
    page = client.post(f"/manage/spaces/{lab.id}/edit", data=data).get_data(as_text=True)
    for key in ("code", "name", "kind", "buffer_minutes", "hours_mon"):
        assert f'name="{key}" value="{data[key]}"' in page, key
    assert 'name="requires_approval" value="y"' in page and 'name="requires_checkin"' not in page


def test_patch_answers_409_listing_the_bookings_unless_confirmed(api, manager, lab, two_bookings):
    manager_api = api(manager)
    first, second = two_bookings
    refused = manager_api.patch(f"/api/v1/spaces/{lab.id}", json={"buffer_minutes": 30})
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "conflict" and "confirm" in body["message"]
    assert [b["id"] for b in body["affected_bookings"]] == [second.id]
    assert body["affected_bookings"][0]["reasons"][0]["rule"] == "buffer"
    assert status_of(second.id) == "confirmed"

    done = manager_api.patch(f"/api/v1/spaces/{lab.id}", json={"buffer_minutes": 30, "confirm": True})
    assert done.status_code == 200
    answer = done.get_json()
    assert answer["space"]["buffer_minutes"] == 30
    assert [(b["id"], b["status"]) for b in answer["affected_bookings"]] == [(second.id, "cancelled")]
    assert status_of(second.id) == "cancelled"
    notes = db.session.execute(select(Notification).where(Notification.user_id == second.user_id,
                                                          Notification.kind == "booking_cancelled")).scalars().all()
    assert len(notes) == 1 and "rules changed" in notes[0].body


def test_a_horizon_of_zero_days_is_refused_on_the_form_and_the_api(client, login, api, manager, lab):
    manager_api = api(manager)
    refused = manager_api.patch(f"/api/v1/spaces/{lab.id}", json={"max_days_ahead": 0})
    assert refused.status_code == 422 and refused.get_json()["violations"][0]["rule"] == "max_days_ahead"
    login(manager)
    page = client.post(f"/manage/spaces/{lab.id}/edit", data=form_of(lab, max_days_ahead="0"))
    assert page.status_code == 422 and "Number must be between 1 and 3650." in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Space, lab.id).max_days_ahead == 60
