"""The Repeat section of the booking page: the preview lists each date as free, taken or breaking
a rule and books nothing; "Book only the free ones" books them and lists the skipped date; "Book
all" refuses when one is taken; the three cancel choices of a series, each with a page that
says how many bookings it cancels."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from innocell.models import Booking
from tests.web.space_times import at, next_tuesday
from tests.web.test_spaces_pages import book, booking_count, form_for, lab, make_space, manager  # noqa: F401


def repeat(day, **extra):
    data = form_for(day, "10:00", "11:00", freq="weeks", interval="2", ends="count", count="4")
    data.update(extra)
    return data


def statuses(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="occurrence" data-status="(\w+)" data-date="([\d-]+)"', html)


def test_booking_page_has_the_repeat_section(client, login, make_user, lab):
    login(make_user())
    html = client.get(f"/spaces/{lab.id}/book").get_data(as_text=True)
    assert 'data-testid="repeat-section"' in html and 'name="freq"' in html and 'name="skip_holidays"' in html


def test_preview_then_book_only_the_free_fortnights(client, login, make_user, session, lab):
    day = next_tuesday()
    taken = day + timedelta(weeks=4)
    book(session, make_user(), lab, taken, "10:00", "11:00")
    me = make_user()
    login(me)
    # The booking page's form with a repeat set shows the preview first.
    response = client.post(f"/spaces/{lab.id}/book", data=repeat(day))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert statuses(html) == [("free", day.isoformat()), ("free", (day + timedelta(weeks=2)).isoformat()),
                              ("conflict", taken.isoformat()), ("free", (day + timedelta(weeks=6)).isoformat())]
    assert "3 of 4 free" in html
    assert booking_count(session, user_id=me.id) == 0
    assert re.search(r'data-testid="book-all" disabled', html)

    refused = client.post(f"/spaces/{lab.id}/book/series", data=repeat(day, action="all"))
    assert refused.status_code == 409 and booking_count(session, user_id=me.id) == 0

    done = client.post(f"/spaces/{lab.id}/book/series", data=repeat(day, action="free"))
    assert done.status_code == 201
    page = done.get_data(as_text=True)
    booked = re.findall(r'<li data-date="([\d-]+)"><a href="/bookings/', page)
    assert booked == [day.isoformat(), (day + timedelta(weeks=2)).isoformat(), (day + timedelta(weeks=6)).isoformat()]
    assert f'<li data-date="{taken.isoformat()}">' in page.split('data-testid="series-skipped"')[1]
    starts = sorted(session.execute(select(Booking.start_at).where(Booking.user_id == me.id)).scalars())
    assert starts == [at(day + timedelta(weeks=w), "10:00") for w in (0, 2, 6)]


def test_bad_repeat_is_an_inline_error(client, login, make_user, session, lab):
    login(make_user())
    response = client.post(f"/spaces/{lab.id}/book/series", data=repeat(next_tuesday(), count="100000"))
    assert response.status_code == 422 and "Choose from 1 to 104 times" in response.get_data(as_text=True)
    response = client.post(f"/spaces/{lab.id}/book/series",
                           data=repeat(next_tuesday(), freq="daily", ends="until", until="2199-12-31"))
    assert response.status_code == 422 and "more than 104" in response.get_data(as_text=True)
    assert booking_count(session) == 0


def test_cancel_choices_of_a_series(client, login, make_user, session, lab):
    day = next_tuesday()
    me = make_user()
    login(me)
    client.post(f"/spaces/{lab.id}/book/series", data=repeat(day, interval="1", action="all"))
    rows = list(session.execute(select(Booking).where(Booking.user_id == me.id).order_by(Booking.start_at)).scalars())
    assert len(rows) == 4
    listing = client.get("/bookings").get_data(as_text=True)
    assert listing.count('data-testid="cancel-following"') == 4 and "Cancel this one" in listing

    confirm = client.get(f"/bookings/{rows[1].id}/cancel/following").get_data(as_text=True)
    assert "This cancels <strong>3 bookings</strong>" in confirm
    assert client.post(f"/bookings/{rows[1].id}/cancel/following", data={}).status_code == 302
    session.expire_all()
    assert [session.get(Booking, r.id).status for r in rows] == ["confirmed", "cancelled", "cancelled", "cancelled"]

    page = client.get(f"/bookings/{rows[0].id}").get_data(as_text=True)
    assert 'data-testid="cancel-series"' in page
    assert "This cancels <strong>1 booking</strong>" in client.get(f"/bookings/{rows[0].id}/cancel/series").get_data(
        as_text=True)
    client.post(f"/bookings/{rows[0].id}/cancel/series", data={})
    assert booking_count(session, user_id=me.id, status="confirmed") == 0
    # Nothing left: the page says so instead of offering to cancel nothing.
    assert client.get(f"/bookings/{rows[0].id}/cancel/series").status_code == 302
    assert client.get(f"/bookings/{rows[0].id}/cancel/sideways").status_code == 404
    client.post("/logout")
    login(make_user())
    assert client.get(f"/bookings/{rows[0].id}/cancel/series").status_code == 404
