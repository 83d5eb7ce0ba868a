"""A resident subscribes to their calendar feed in a real browser: the address on the page
serves their bookings and lease dates as RFC 5545 (parsed by icalendar, as a calendar app
would read it), and replacing the address makes the old one stop working."""
from __future__ import annotations

import urllib.error
import urllib.request

from icalendar import Calendar


def fetch(url: str) -> tuple[int, str, bytes]:
    """What a calendar app does: a plain GET with no cookie; the address is the only key."""
    try:
        with urllib.request.urlopen(url, timeout=15) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def test_resident_subscribes_to_the_feed_and_replaces_its_address(live_server, page, demo_logins, sign_in):
    email, password = demo_logins["resident"]
    sign_in(page, live_server.url, email, password)
    page.goto(f"{live_server.url}/account/calendar")
    old = page.get_by_test_id("calendar-url").input_value()
    assert old.startswith(live_server.url + "/calendar/") and old.endswith(".ics")

    status, kind, body = fetch(old)
    assert status == 200 and kind.startswith("text/calendar")
    events = Calendar.from_ical(body).walk("VEVENT")
    assert events, "the demo resident's bookings and lease dates"
    assert all(e.get("UID") and e.get("DTSTART") for e in events)

    page.get_by_role("button", name="Replace the address").click()
    page.wait_for_load_state()
    new = page.get_by_test_id("calendar-url").input_value()
    assert new != old
    assert fetch(old)[0] == 404
    status, _, renewed = fetch(new)
    assert status == 200
    assert {str(e["UID"]) for e in Calendar.from_ical(renewed).walk("VEVENT")} == {str(e["UID"]) for e in events}
