"""The resident's "Change" of a booking: linked from My bookings and the booking page, prefilled
with the booking; a refused change shows the conflicts, rules and one-click free times and
leaves the booking as it was; a granted one moves it and says so. Managers book for a resident
from the booking form, and the booking page names both people."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, text

from innocell.models import Booking
from tests.web.space_times import at, next_tuesday
from tests.web.test_spaces_pages import book, form_for, lab, make_space, manager  # noqa: F401


def stored(session, booking_id) -> tuple:
    session.commit()
    return tuple(session.execute(text("SELECT * FROM bookings WHERE id = :id"), {"id": booking_id}).one())


def test_change_page_is_linked_and_prefilled_and_moves_the_booking(client, login, make_user, session, lab):
    day = next_tuesday()
    alice = make_user()
    mine = book(session, alice, lab, day, "10:00", "12:00", title="PCR run")
    login(alice)
    assert f"/bookings/{mine.id}/change" in client.get("/bookings").get_data(as_text=True)
    assert 'data-testid="change-booking"' in client.get(f"/bookings/{mine.id}").get_data(as_text=True)
    page = client.get(f"/bookings/{mine.id}/change").get_data(as_text=True)
    assert 'value="10:00"' in page and 'value="12:00"' in page and 'value="PCR run"' in page
    assert f'value="{day.isoformat()}"' in page and re.search(rf'<option selected value="{lab.id}"', page)

    done = client.post(f"/bookings/{mine.id}/change", data=form_for(day, "14:00", "16:00", space_id=lab.id))
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/bookings/{mine.id}")
    assert "Changed." in client.get(done.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    moved = session.get(Booking, mine.id)
    assert (moved.start_at, moved.end_at, moved.status) == (at(day, "14:00"), at(day, "16:00"), "confirmed")


def test_refused_change_shows_conflicts_and_suggestions_one_click_away(client, login, make_user, session,
                                                                       make_space):
    lab, other = make_space("WL-01"), make_space("WL-02")
    day = next_tuesday()
    alice, bob = make_user(), make_user()
    mine = book(session, alice, lab, day, "10:00", "12:00")
    book(session, bob, lab, day, "14:00", "16:00")
    before = stored(session, mine.id)
    login(alice)
    refused = client.post(f"/bookings/{mine.id}/change", data=form_for(day, "15:00", "17:00", space_id=lab.id))
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert 'data-testid="conflicts"' in page and "the booking is unchanged" in page.lower()
    suggestions = re.findall(
        r'name="space_id" value="(\d+)">\s*<input type="hidden" name="start" value="([^"]+)">\s*'
        r'<input type="hidden" name="end" value="([^"]+)">', page)
    assert (str(other.id), f"{day.isoformat()}T15:00", f"{day.isoformat()}T17:00") in suggestions
    assert stored(session, mine.id) == before

    broken = client.post(f"/bookings/{mine.id}/change", data=form_for(day, "07:10", "08:40", space_id=lab.id))
    assert broken.status_code == 422
    assert {"off_grid", "outside_opening_hours"} <= set(re.findall(r'data-rule="(\w+)"', broken.get_data(as_text=True)))
    assert stored(session, mine.id) == before

    taken = client.post(f"/bookings/{mine.id}/change/take", data={
        "space_id": other.id, "start": f"{day.isoformat()}T15:00", "end": f"{day.isoformat()}T17:00"})
    assert taken.status_code == 302
    session.expire_all()
    moved = session.get(Booking, mine.id)
    assert (moved.space_id, moved.start_at, moved.end_at) == (other.id, at(day, "15:00"), at(day, "17:00"))


def test_others_cannot_open_the_change_page(client, login, make_user, session, lab):
    mine = book(session, make_user(), lab, next_tuesday(), "10:00", "12:00")
    login(make_user())
    assert client.get(f"/bookings/{mine.id}/change").status_code == 404
    assert client.post(f"/bookings/{mine.id}/change/take", data={"space_id": lab.id, "start": "x",
                                                                  "end": "y"}).status_code == 404


def test_a_manager_books_for_a_resident_from_the_booking_form(client, login, make_user, session, lab, manager):
    day = next_tuesday()
    alice = make_user(name="Alice Resident")
    login(manager)
    page = client.get(f"/spaces/{lab.id}/book").get_data(as_text=True)
    assert f'<option value="{alice.id}">' in page and "Alice Resident" in page
    done = client.post(f"/spaces/{lab.id}/book", data=form_for(day, "10:00", "12:00", for_user=alice.id))
    assert done.status_code == 302, done.get_data(as_text=True)
    made = session.execute(select(Booking)).scalar_one()
    assert (made.user_id, made.booked_by_id) == (alice.id, manager.id)
    shown = client.get(f"/bookings/{made.id}").get_data(as_text=True)
    assert re.search(r'data-testid="booked-by">\s*' + re.escape(manager.name) + r" for Alice Resident", shown)
    # Residents get no picker, and a forged one books nothing for anybody else.
    client.post("/logout")
    login(alice)
    assert 'name="for_user"' not in client.get(f"/spaces/{lab.id}/book").get_data(as_text=True)
    client.post(f"/spaces/{lab.id}/book", data=form_for(day + timedelta(days=1), "10:00", "12:00",
                                                         for_user=manager.id))
    assert session.execute(select(Booking.user_id).where(Booking.id != made.id)).scalars().all() in ([], [alice.id])


# ---------------------------------------------------------------------------- a series


def _series(session, user, space, day, count=3):
    from innocell.allocation.recurrence import Rule
    from innocell.services import bookings as booking_service
    from innocell.timeutil import utcnow

    made = booking_service.book_series(session, user=user, space_id=space.id, start=at(day, "10:00"),
                                       end=at(day, "11:00"), rule=Rule("weekly", count=count), now=utcnow())
    session.commit()
    return made.bookings


def test_change_page_of_a_series_offers_the_scope_and_moves_this_and_later(client, login, make_user, session, lab):
    day = next_tuesday()
    alice = make_user()
    rows = _series(session, alice, lab, day)
    single = book(session, alice, lab, day, "18:00", "19:00")
    login(alice)
    page = client.get(f"/bookings/{rows[1].id}/change").get_data(as_text=True)
    assert 'data-testid="change-scope"' in page and 'value="following"' in page and 'value="series"' in page
    assert 'data-testid="change-scope"' not in client.get(f"/bookings/{single.id}/change").get_data(as_text=True)

    second = day + timedelta(weeks=1)
    done = client.post(f"/bookings/{rows[1].id}/change",
                       data=form_for(second, "14:00", "16:00", space_id=lab.id, scope="following"))
    assert done.status_code == 302
    assert "Changed 2 bookings of the series" in client.get(done.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert [(session.get(Booking, r.id).start_at, session.get(Booking, r.id).end_at) for r in rows] == [
        (at(day, "10:00"), at(day, "11:00")),
        (at(second, "14:00"), at(second, "16:00")),
        (at(day + timedelta(weeks=2), "14:00"), at(day + timedelta(weeks=2), "16:00"))]


def test_refused_series_change_lists_each_occurrence_and_changes_nothing(client, login, make_user, session, lab):
    day = next_tuesday()
    alice, bob = make_user(), make_user()
    rows = _series(session, alice, lab, day)
    book(session, bob, lab, day + timedelta(weeks=2), "14:00", "15:00")
    before = [stored(session, r.id) for r in rows]
    login(alice)
    refused = client.post(f"/bookings/{rows[0].id}/change",
                          data=form_for(day, "14:00", "15:00", space_id=lab.id, scope="series"))
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert 'data-testid="occurrence-conflicts"' in page and "nothing was changed" in page
    assert re.findall(r'data-date="([\d-]+)"', page.split('data-testid="occurrence-conflicts"')[1].split("</ul>")[0]) \
        == [(day + timedelta(weeks=2)).isoformat()]
    assert [stored(session, r.id) for r in rows] == before
    # A rule broken: every occurrence is named, and still nothing changed.
    broken = client.post(f"/bookings/{rows[0].id}/change",
                         data=form_for(day, "07:10", "08:10", space_id=lab.id, scope="series"))
    assert broken.status_code == 422
    text_ = broken.get_data(as_text=True)
    assert all(f"{(day + timedelta(weeks=n)).strftime('%a %d %b %Y')}:" in text_ for n in range(3))
    assert [stored(session, r.id) for r in rows] == before
