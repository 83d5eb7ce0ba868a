"""Resident booking pages: find a space, the week calendar, the booking form (violations inline,
conflicts with one-click suggestions), my bookings, the booking page and cancelling.

The pages read the real clock, so the tests book relative to today: "next Tuesday" is always
between 1 and 7 days ahead, inside every space's horizon."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Booking
from innocell.services import blackouts as blackout_service
from innocell.services import bookings as booking_service
from innocell.services import spaces as space_service
from innocell.timeutil import utcnow
from tests.web.space_times import ALL_DAY, at, next_tuesday

@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def make_space(session, manager):
    def _make(code, **fields):
        data = {"code": code, "name": fields.pop("name", f"Wet Lab {code}"), "kind": fields.pop("kind", "wet_lab"),
                "capacity": 1, "opening_hours": ALL_DAY, "slot_minutes": 30, "min_minutes": 60, "max_minutes": 480,
                "buffer_minutes": 30, "requires_checkin": True}
        data.update(fields)
        return space_service.create_space(session, data, actor=manager, now=utcnow())

    return _make


@pytest.fixture
def lab(make_space):
    return make_space("WL-01")


def book(session, user, space, day, start, end, title=""):
    booking = booking_service.book(session, user=user, space_id=space.id, start=at(day, start), end=at(day, end),
                                   title=title, now=utcnow())
    session.commit()
    return booking


def booking_count(session, **where) -> int:
    stmt = select(func.count(Booking.id))
    for key, value in where.items():
        stmt = stmt.where(getattr(Booking, key) == value)
    return session.execute(stmt).scalar_one()


def form_for(day: date, start: str, end: str, **extra) -> dict:
    data = {"date": day.isoformat(), "start": start, "end": end, "title": "PCR run"}
    data.update(extra)
    return data


# ---------------------------------------------------------------- access


def test_booking_pages_need_a_booking_role(client, login, make_user, lab):
    response = client.get("/spaces")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(make_user("finance"))
    for path in ("/spaces", f"/spaces/{lab.id}", f"/spaces/{lab.id}/book", "/bookings"):
        assert client.get(path).status_code == 403, path


def test_unknown_space_is_404(client, login, make_user):
    login(make_user())
    assert client.get("/spaces/999").status_code == 404
    assert client.get("/spaces/999/book").status_code == 404


# ---------------------------------------------------------------- find a space


def test_find_lists_every_free_space_of_the_kind_with_a_prefilled_book_link(client, login, make_user, session,
                                                                              make_space):
    taken, free = make_space("WL-01"), make_space("WL-02")
    make_space("MR-01", kind="meeting_room", name="Meeting Room", min_minutes=30, buffer_minutes=0)
    day = next_tuesday()
    book(session, make_user(), taken, day, "10:00", "12:00")
    login(make_user())

    page = client.get(f"/spaces?kind=wet_lab&date={day}&start=10:00&length=120").get_data(as_text=True)

    rows = re.findall(r'data-testid="free-space" data-code="([^"]+)"', page)
    assert rows == ["WL-02"]
    link = f'/spaces/{free.id}/book?start={day}T10:00&amp;end={day}T12:00'
    assert link in page
    # every space is listed by kind with a link to its calendar
    assert f'href="/spaces/{taken.id}"' in page and "Meeting rooms" in page


def test_find_says_so_when_nothing_is_free(client, login, make_user, session, lab):
    day = next_tuesday()
    book(session, make_user(), lab, day, "10:00", "12:00")
    login(make_user())
    page = client.get(f"/spaces?kind=wet_lab&date={day}&start=11:00&length=60").get_data(as_text=True)
    assert 'data-testid="no-free-spaces"' in page


def test_find_form_errors_are_shown_inline(client, login, make_user, lab):
    login(make_user())
    response = client.get("/spaces?kind=wet_lab&date=31-02-2026&start=&length=60")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Not a valid date value." in page and "Choose a start time." in page
    assert 'data-testid="free-spaces"' not in page


# ---------------------------------------------------------------- week calendar


def cell_states(page: str) -> dict[str, str]:
    return dict((start, state) for state, start in re.findall(r'data-state="(\w+)" data-start="([^"]+)"', page))


def test_week_calendar_shows_mine_busy_and_free_with_a_legend(client, login, make_user, session, lab):
    day = next_tuesday()
    me, other = make_user(), make_user()
    book(session, me, lab, day, "10:00", "11:00")
    book(session, other, lab, day, "14:00", "15:00")
    login(me)

    response = client.get(f"/spaces/{lab.id}?week={day}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    states = cell_states(page)
    assert states[f"{day}T10:00"] == "mine" and states[f"{day}T10:30"] == "mine"
    assert states[f"{day}T14:00"] == "busy"
    assert states[f"{day}T15:00"] == "busy"  # the 30-minute buffer after the other booking
    assert states[f"{day}T16:00"] == "free"
    assert f'/spaces/{lab.id}/book?start={day}T16:00' in page  # a free cell books that slot
    for label in ("free (click to book)", "yours", "booked", "blacked out", "closed", "past"):
        assert label in page
    monday = day - timedelta(days=day.weekday())
    assert f"week={monday - timedelta(days=7)}" in page and f"week={monday + timedelta(days=7)}" in page
    assert "1 h to 8 h, on a 30-minute grid" in page and "30 min kept free after each booking" in page


def test_week_calendar_shows_blackouts(client, login, make_user, session, lab, manager):
    day = next_tuesday()
    blackout_service.add_blackout(session, lab.id, start=at(day, "08:00"), end=at(day, "10:00"), reason="Cleaning",
                                  actor=manager, now=utcnow())
    session.commit()
    login(make_user())
    states = cell_states(client.get(f"/spaces/{lab.id}?week={day}").get_data(as_text=True))
    assert states[f"{day}T08:00"] == "blackout" and states[f"{day}T09:30"] == "blackout"
    assert states[f"{day}T10:00"] == "free"


def test_another_residents_booking_is_busy_not_mine(client, login, make_user, session, lab):
    day = next_tuesday()
    book(session, make_user(), lab, day, "10:00", "11:00")
    login(make_user())
    states = cell_states(client.get(f"/spaces/{lab.id}?week={day}").get_data(as_text=True))
    assert states[f"{day}T10:00"] == "busy"


# ---------------------------------------------------------------- the booking form


def test_booking_form_is_prefilled_from_the_calendar(client, login, make_user, lab):
    day = next_tuesday()
    login(make_user())
    page = client.get(f"/spaces/{lab.id}/book?start={day}T16:00").get_data(as_text=True)
    assert f'value="{day}"' in page and 'value="16:00"' in page
    assert 'value="17:00"' in page  # the space's 60-minute minimum, not the 30-minute slot


def test_booking_makes_it_and_shows_the_confirmation(client, login, make_user, session, lab):
    day = next_tuesday()
    me = make_user()
    login(me)
    response = client.post(f"/spaces/{lab.id}/book", data=form_for(day, "10:00", "12:00"))
    assert response.status_code == 302
    booking = session.execute(select(Booking)).scalar_one()
    assert (booking.user_id, booking.status, booking.title) == (me.id, "confirmed", "PCR run")
    assert booking.start_at == at(day, "10:00") and booking.end_at == at(day, "12:00")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="booking-confirmation"' in page and "Booked: Wet Lab WL-01" in page


def test_booking_by_length(client, login, make_user, session, lab):
    day = next_tuesday()
    login(make_user())
    response = client.post(f"/spaces/{lab.id}/book", data=form_for(day, "10:00", "", length="90"))
    assert response.status_code == 302
    assert session.execute(select(Booking.end_at)).scalar_one() == at(day, "11:30")


def test_every_violation_is_shown_inline_and_nothing_is_written(client, login, make_user, session, lab):
    day = next_tuesday()
    login(make_user())
    response = client.post(f"/spaces/{lab.id}/book", data=form_for(day, "07:10", "07:40"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    rules = set(re.findall(r'data-rule="(\w+)"', page))
    assert {"off_grid", "too_short", "outside_opening_hours"} <= rules
    assert booking_count(session) == 0


def test_form_errors_are_inline(client, login, make_user, session, lab):
    login(make_user())
    response = client.post(f"/spaces/{lab.id}/book", data={"date": "", "start": "25:00", "end": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose a date." in page and "Give an end time or choose a length." in page
    assert booking_count(session) == 0


def test_conflict_shows_the_taken_time_and_suggestions_that_book_in_one_click(client, login, make_user, session,
                                                                              make_space):
    lab = make_space("WL-01")
    make_space("WL-02")
    day = next_tuesday()
    first, second = make_user(), make_user()
    book(session, first, lab, day, "10:00", "12:00")
    login(second)

    response = client.post(f"/spaces/{lab.id}/book", data=form_for(day, "11:00", "13:00"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'data-testid="conflicts"' in page and "10:00" in page
    suggestions = re.findall(
        r'name="space_id" value="(\d+)">\s*<input type="hidden" name="start" value="([^"]+)">\s*'
        r'<input type="hidden" name="end" value="([^"]+)">', page)
    assert suggestions, page
    assert booking_count(session, user_id=second.id) == 0

    space_id, start, end = suggestions[0]
    taken = client.post("/spaces/book-suggestion", data={"space_id": space_id, "start": start, "end": end,
                                                          "title": "PCR run"})
    assert taken.status_code == 302
    mine = session.execute(select(Booking).where(Booking.user_id == second.id)).scalar_one()
    assert mine.space_id == int(space_id) and mine.status == "confirmed"
    assert mine.end_at - mine.start_at == timedelta(hours=2)


def test_waitlist_button_only_when_the_route_exists(client, app, login, make_user, session, lab):
    day = next_tuesday()
    book(session, make_user(), lab, day, "10:00", "12:00")
    login(make_user())
    page = client.post(f"/spaces/{lab.id}/book", data=form_for(day, "10:00", "12:00")).get_data(as_text=True)
    exists = "inbox.join_slot_waitlist" in app.view_functions
    assert ('data-testid="join-waitlist"' in page) == exists
    if exists:  # the button's form is what the waitlist route takes
        from innocell.models import SlotRequest

        form = page[page.index('action="/slot-requests"'):]
        form = form[:form.index("</form>")]
        data = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        assert client.post("/slot-requests", data=data).status_code == 302
        wish = session.execute(select(SlotRequest)).scalar_one()
        assert (wish.space_id, wish.start_at, wish.end_at) == (lab.id, at(day, "10:00"), at(day, "12:00"))


def test_weekly_repeat_books_every_week(client, login, make_user, session, lab):
    day = next_tuesday()
    login(make_user())
    response = client.post(f"/spaces/{lab.id}/book", data=form_for(day, "10:00", "11:00", repeat_weeks="3"))
    assert response.status_code == 302
    starts = sorted(session.execute(select(Booking.start_at)).scalars())
    assert starts == [at(day + timedelta(weeks=w), "10:00") for w in range(3)]


def test_weekly_repeat_is_all_or_nothing(client, login, make_user, session, lab):
    day = next_tuesday()
    book(session, make_user(), lab, day + timedelta(weeks=1), "10:00", "11:00")
    me = make_user()
    login(me)
    response = client.post(f"/spaces/{lab.id}/book", data=form_for(day, "10:00", "11:00", repeat_weeks="3"))
    assert response.status_code == 409
    assert booking_count(session, user_id=me.id) == 0


# ---------------------------------------------------------------- my bookings, booking page, cancel


def test_my_bookings_lists_only_mine_with_upcoming_and_past_tabs(client, login, make_user, session, make_space,
                                                                  app):
    app.config["PAGE_SIZE"] = 2
    lab = make_space("WL-01", buffer_minutes=0)
    day = next_tuesday()
    me, other = make_user(), make_user()
    for hour in (9, 11, 13):
        book(session, me, lab, day, f"{hour:02d}:00", f"{hour + 1:02d}:00", title=f"mine {hour}")
    book(session, other, lab, day, "16:00", "17:00", title="not mine")
    login(me)

    first = client.get("/bookings").get_data(as_text=True)
    assert first.count('data-testid="my-booking"') == 2
    assert "not mine" not in first and "Page 1 of 2" in first
    second = client.get("/bookings?tab=upcoming&page=2").get_data(as_text=True)
    assert second.count('data-testid="my-booking"') == 1
    past = client.get("/bookings?tab=past").get_data(as_text=True)
    assert 'data-testid="no-bookings"' in past


def test_another_residents_booking_page_is_404(client, login, make_user, session, lab):
    day = next_tuesday()
    booking = book(session, make_user(), lab, day, "10:00", "11:00")
    login(make_user())
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.get(f"/bookings/{booking.id}/cancel").status_code == 404
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 404
    assert session.get(Booking, booking.id).status == "confirmed"


def test_cancel_asks_first_then_frees_the_slot(client, login, make_user, session, lab):
    day = next_tuesday()
    me = make_user()
    booking = book(session, me, lab, day, "10:00", "11:00")
    login(me)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-testid="cancel-booking"' in page
    confirm = client.get(f"/bookings/{booking.id}/cancel")
    assert confirm.status_code == 200 and "Cancel this booking?" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert session.get(Booking, booking.id).status == "confirmed"  # asking changes nothing

    response = client.post(f"/bookings/{booking.id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"
    states = cell_states(client.get(f"/spaces/{lab.id}?week={day}").get_data(as_text=True))
    assert states[f"{day}T10:00"] == "free"


def test_check_in_button_only_when_the_route_exists_and_in_the_window(client, app, login, make_user, session, lab):
    me = make_user()
    now = utcnow()
    start = now + timedelta(minutes=5)
    booking = Booking(space_id=lab.id, user_id=me.id, start_at=start, end_at=start + timedelta(hours=1),
                      hold_end_at=start + timedelta(hours=1, minutes=30), exclusive=True, status="confirmed",
                      title="", created_at=now)
    later = Booking(space_id=lab.id, user_id=me.id, start_at=start + timedelta(days=2),
                    end_at=start + timedelta(days=2, hours=1), hold_end_at=start + timedelta(days=2, hours=1, minutes=30),
                    exclusive=True, status="confirmed", title="", created_at=now)
    session.add_all([booking, later])
    session.commit()
    login(me)
    exists = "inbox.check_in" in app.view_functions
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert ('data-testid="check-in"' in page) == exists
    if exists:
        assert f'action="/bookings/{booking.id}/check-in"' in page
        assert client.post(f"/bookings/{booking.id}/check-in").status_code == 302
        db.session.expire_all()
        assert session.get(Booking, booking.id).checked_in_at is not None
        assert 'data-testid="check-in"' not in client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-testid="check-in"' not in client.get(f"/bookings/{later.id}").get_data(as_text=True)


def test_a_managers_my_bookings_shows_only_their_own(client, login, make_user, session, lab, manager):
    day = next_tuesday()
    book(session, make_user(), lab, day, "10:00", "11:00", title="resident's")
    book(session, manager, lab, day, "14:00", "15:00", title="manager's")
    login(manager)
    page = client.get("/bookings").get_data(as_text=True)
    assert "manager&#39;s" in page and "resident&#39;s" not in page


def test_a_manager_cancels_a_residents_booking_with_a_reason(client, login, make_user, session, lab, manager):
    from innocell.models import Notification

    day = next_tuesday()
    holder = make_user()
    booking = book(session, holder, lab, day, "10:00", "11:00")
    login(manager)
    page = client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert f"Sent to {holder.name}." in page
    assert client.post(f"/bookings/{booking.id}/cancel", data={"reason": "Lab flooded"}).status_code == 302
    db.session.expire_all()
    cancelled = session.get(Booking, booking.id)
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by_id) == ("cancelled", "Lab flooded",
                                                                                     manager.id)
    notes = session.execute(select(Notification.body).where(Notification.user_id == holder.id,
                                                            Notification.kind == "booking_cancelled")).scalars().all()
    assert len(notes) == 1 and "Lab flooded" in notes[0]
