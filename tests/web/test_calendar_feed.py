"""The private calendar feed: a URL that serves the person's bookings and lease dates as
iCalendar without other credentials, and stops working when rotated."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import vobject
from icalendar import Calendar

from innocell.extensions import db
from innocell.models import Lease, Space, Unit
from innocell.services import bookings

pytestmark = pytest.mark.both_db


@pytest.fixture
def alice_with_things(make_user, now):
    alice, bob = make_user("resident"), make_user("resident")
    space = Space(code="MR", name="Meeting Room Peak", kind="meeting_room", created_at=now)
    unit = Unit(code="07-03", unit_type="solo", floor=7, monthly_rent=Decimal("9800"), occupancy=1, created_at=now)
    db.session.add_all([space, unit])
    db.session.commit()
    start = now + timedelta(days=1)
    bookings.book(db.session, user=alice, space_id=space.id, start=start, end=start + timedelta(hours=1),
                  now=now, title="Investor call")
    bookings.book(db.session, user=bob, space_id=space.id, start=start + timedelta(hours=2),
                  end=start + timedelta(hours=3), now=now, title="Bob's secret")
    db.session.add(Lease(unit_id=unit.id, user_id=alice.id, start_date=date(2026, 12, 15), end_date=date(2027, 12, 15),
                         monthly_rent=Decimal("9800"), status="active", created_at=now))
    db.session.commit()
    return alice


def _path(url: str) -> str:
    return urlsplit(url).path


def test_the_feed_serves_the_persons_bookings_and_lease_dates_without_credentials(app, api, alice_with_things):
    caller = api(alice_with_things)
    url = caller.get("/api/v1/me/calendar").get_json()["url"]
    assert url.startswith("http://") and url.endswith(".ics")
    assert caller.get("/api/v1/me/calendar").get_json()["url"] == url  # the same until rotated
    feed = app.test_client().get(_path(url))  # no cookie, no token
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(feed.get_data()).walk("VEVENT")]
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == ["Meeting Room Peak: Investor call", "Move in: unit 07-03", "Move out: unit 07-03"]
    call = next(e for e in events if "Investor" in str(e["SUMMARY"]))
    # The same instant, written in the park's zone with its VTIMEZONE (a calendar app shows 10:00 in Hong Kong).
    assert call.decoded("DTSTART").isoformat() == "2026-12-02T10:00:00+08:00"
    assert call["DTSTART"].params["TZID"] == "Asia/Hong_Kong"
    assert [str(z["TZID"]) for z in Calendar.from_ical(feed.get_data()).walk("VTIMEZONE")] == ["Asia/Hong_Kong"]
    # A second, independent parser reads the same events, the same instant and the same UID.
    other = vobject.readOne(feed.get_data().decode("utf-8"))
    [again] = [v for v in other.vevent_list if "Investor" in v.summary.value]
    assert again.dtstart.value == call.decoded("DTSTART") and again.uid.value == str(call["UID"])
    assert str(call["UID"]).startswith("booking-") and str(call["UID"]).endswith("@127.0.0.1")
    assert b"secret" not in feed.get_data()


def test_rotating_retires_the_old_url(app, api, alice_with_things):
    caller = api(alice_with_things)
    old = caller.get("/api/v1/me/calendar").get_json()["url"]
    new = caller.post("/api/v1/me/calendar/rotate").get_json()["url"]
    assert new != old
    client = app.test_client()
    assert client.get(_path(old)).status_code == 404
    assert client.get(_path(new)).status_code == 200


def test_a_guessed_or_borrowed_token_is_not_found(app, api, make_user, alice_with_things):
    url = api(alice_with_things).get("/api/v1/me/calendar").get_json()["url"]
    other = make_user("resident")
    client = app.test_client()
    assert client.get(_path(url).replace(f"/{alice_with_things.id}/", f"/{other.id}/")).status_code == 404
    assert client.get(f"/calendar/{alice_with_things.id}/{'0' * 40}.ics").status_code == 404


def test_the_page_shows_the_address_and_replaces_it(client, login, alice_with_things):
    login(alice_with_things)
    page = client.get("/account/calendar").get_data(as_text=True)
    assert 'data-testid="calendar-url"' in page and ".ics" in page
    assert client.post("/account/calendar").status_code == 302
