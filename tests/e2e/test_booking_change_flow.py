"""A resident moves a booking to another hour in a real browser, on the demo data: books a free
wet lab, opens "Change…" from the booking page (the form arrives prefilled), asks for an hour
later (or, if that is taken, takes one of the free times offered in a click) and sees the same
booking, now at the new time, with the old first hour free in the week calendar."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.e2e.conftest import sign_in
from tests.e2e.test_booking_flow import find_free_wet_lab


def _stored_start(live_server, booking_id: int) -> str:
    from innocell.extensions import db
    from innocell.models import Booking
    from innocell.timeutil import local_zone

    with live_server.app.app_context():
        start = db.session.execute(select(Booking.start_at).where(Booking.id == booking_id)).scalar_one()
        return start.astimezone(local_zone()).strftime("%H:%M")


@pytest.mark.e2e
def test_resident_moves_a_booking_to_another_hour(live_server, page, demo_logins):
    base = live_server.url
    sign_in(page, base, *demo_logins["resident"])
    day, start = find_free_wet_lab(page, base)
    end = f"{int(start[:2]) + 2:02d}:00"
    with page.expect_navigation():
        page.locator("[data-testid=free-space]").first.get_by_role("link", name="Book").click()
    with page.expect_navigation():
        page.locator("[data-testid=submit-booking]").click()
    booking_url = page.url.split("?")[0]
    booking_id = int(booking_url.rsplit("/", 1)[1])

    with page.expect_navigation():
        page.locator("[data-testid=change-booking]").click()
    assert page.locator("input[name=start]").input_value() == start
    assert page.locator("input[name=end]").input_value() == end
    later, later_end = f"{int(start[:2]) + 1:02d}:00", f"{int(start[:2]) + 3:02d}:00"
    page.fill("input[name=start]", later)
    page.fill("input[name=end]", later_end)
    with page.expect_navigation():
        page.locator("[data-testid=submit-change]").click()
    moved_as_asked = not page.locator("[data-testid=conflict]").count()
    if not moved_as_asked:  # the hour after was taken: take a free time
        assert _stored_start(live_server, booking_id) == start  # refused: unchanged
        with page.expect_navigation():
            page.locator("[data-testid=take-suggestion]").first.click()

    assert page.url.split("?")[0] == booking_url  # the same booking
    assert "Changed." in page.locator("main").inner_text()
    new_start = _stored_start(live_server, booking_id)
    assert page.locator("[data-testid=booking-when]").inner_text().split(" – ")[0].endswith(new_start)
    if moved_as_asked:  # moved an hour on the same lab: its first half hour is free again
        assert new_start == later
        with page.expect_navigation():
            page.locator("[data-testid=booking-details] a").first.click()
        cell = page.locator(f'td[data-start="{day.isoformat()}T{start}"]')
        assert cell.get_attribute("data-state") != "mine"
        assert page.locator(f'td[data-start="{day.isoformat()}T{later}"]').get_attribute("data-state") == "mine"
