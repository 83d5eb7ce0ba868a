"""The lab-booking path in a real browser, on the demo data:

a resident finds a wet lab free for two hours next Tuesday, books it and sees it in the week
calendar; another resident tries to book over it, gets the conflict with suggestions and takes
one in a click; the first resident cancels; a manager adds a blackout and sees it in the calendar."""
from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import FIXED_NOW
from tests.e2e.conftest import sign_in, sign_out

HK = ZoneInfo("Asia/Hong_Kong")


def tuesdays_ahead() -> list[date]:
    today = FIXED_NOW.astimezone(HK).date()
    first = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    return [first, first + timedelta(weeks=1), first + timedelta(weeks=2)]


def other_resident_email(live_server) -> str:
    from innocell.extensions import db
    from innocell.models import User

    with live_server.app.app_context():
        return db.session.execute(select(User.email).where(User.role == "resident", User.email.like("%@residents.demo"))
                                  .order_by(User.id)).scalars().first()


def find_free_wet_lab(page, base_url) -> tuple[date, str]:
    """Search like a resident: wet lab, 2 hours, next Tuesday (a later Tuesday or time if the demo
    data or a public holiday fills it). Returns the day and start time that gave results."""
    page.goto(f"{base_url}/spaces")
    for day in tuesdays_ahead():
        for start in ("10:00", "14:00", "16:00"):
            page.select_option("select[name=kind]", "wet_lab")
            page.fill("input[name=date]", day.isoformat())
            page.fill("input[name=start]", start)
            page.select_option("select[name=length]", "120")
            with page.expect_navigation():
                page.get_by_role("button", name="Find free spaces").click()
            if page.locator("[data-testid=free-space]").count():
                return day, start
    raise AssertionError("no wet lab free on the next three Tuesdays at 10:00, 14:00 or 16:00")


@pytest.mark.e2e
def test_resident_books_a_wet_lab_another_takes_a_suggestion_and_the_first_cancels(live_server, page, demo_logins):
    base = live_server.url
    email, password = demo_logins["resident"]
    sign_in(page, base, email, password)

    # Find: every free wet lab for two hours is listed with a Book button.
    day, start = find_free_wet_lab(page, base)
    end = f"{int(start[:2]) + 2:02d}:00"
    heading = page.locator("[data-testid=find-heading]").inner_text()
    assert f"{start}–{end}" in heading and day.strftime("%d %b %Y") in heading
    row = page.locator("[data-testid=free-space]").first
    code = row.get_attribute("data-code")

    # Book: the form arrives prefilled with the searched interval.
    with page.expect_navigation():
        row.get_by_role("link", name="Book").click()
    assert page.locator("input[name=date]").input_value() == day.isoformat()
    assert page.locator("input[name=start]").input_value() == start
    assert page.locator("input[name=end]").input_value() == end
    page.fill("input[name=title]", "qPCR run")
    with page.expect_navigation():
        page.locator("[data-testid=submit-booking]").click()
    assert page.locator("[data-testid=booking-confirmation]").count() == 1
    assert page.locator("[data-testid=booking-status]").inner_text() == "confirmed"
    booking_url = page.url.split("?")[0]

    # The week calendar shows it as mine, slot by slot.
    with page.expect_navigation():
        page.locator("[data-testid=booking-details] a").first.click()
    calendar = page.locator("[data-testid=week-calendar]")
    assert calendar.count() == 1
    first_cell = calendar.locator(f'td[data-start="{day.isoformat()}T{start}"]')
    assert first_cell.get_attribute("data-state") == "mine"
    last_slot = f"{int(start[:2]) + 1:02d}:30"
    assert calendar.locator(f'td[data-start="{day.isoformat()}T{last_slot}"]').get_attribute("data-state") == "mine"
    space_url = page.url.split("?")[0]
    sign_out(page)

    # Another resident tries the same slot: conflict, suggestions, one click takes one.
    sign_in(page, base, other_resident_email(live_server), "resident-pass")
    page.goto(f"{space_url}?week={day.isoformat()}")
    assert page.locator(f'td[data-start="{day.isoformat()}T{start}"]').get_attribute("data-state") == "busy"
    page.goto(f"{space_url}/book")
    page.fill("input[name=date]", day.isoformat())
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", end)
    with page.expect_navigation():
        page.locator("[data-testid=submit-booking]").click()
    conflict = page.locator("[data-testid=conflict]")
    assert conflict.count() == 1
    assert start in page.locator("[data-testid=conflicts]").inner_text()
    suggestion = page.locator("[data-testid=take-suggestion]").first
    suggestion_text = suggestion.inner_text()
    with page.expect_navigation():
        suggestion.click()
    assert page.locator("[data-testid=booking-confirmation]").count() == 1
    when = page.locator("[data-testid=booking-when]").inner_text()
    assert re.search(r"\d\d:\d\d – \d\d:\d\d", when)
    assert when.split(" – ")[0][-5:] in suggestion_text  # the suggested start was booked
    sign_out(page)

    # The first resident cancels, after a confirmation page.
    sign_in(page, base, email, password)
    page.goto(f"{base}/bookings")
    mine = page.locator(f"[data-testid=my-booking][data-space='{code}']")
    assert mine.count() >= 1
    page.goto(booking_url)
    with page.expect_navigation():
        page.locator("[data-testid=cancel-booking]").click()
    assert "Cancel this booking?" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.locator("[data-testid=confirm-cancel]").click()
    assert page.locator("[data-testid=booking-status]").inner_text() == "cancelled"
    page.goto(f"{space_url}?week={day.isoformat()}")
    assert page.locator(f'td[data-start="{day.isoformat()}T{start}"]').get_attribute("data-state") != "mine"


@pytest.mark.e2e
def test_manager_adds_a_blackout_and_residents_see_it(live_server, page, demo_logins):
    base = live_server.url
    day = tuesdays_ahead()[0]
    sign_in(page, base, *demo_logins["manager"])
    page.goto(f"{base}/manage/spaces")
    with page.expect_navigation():
        page.locator("[data-testid=blackouts-WL-02]").click()
    page.fill("input[name=start]", f"{day.isoformat()}T08:00")
    page.fill("input[name=end]", f"{day.isoformat()}T10:00")
    page.fill("[data-testid=blackout-form] input[name=reason]", "Autoclave maintenance")
    with page.expect_navigation():
        page.locator("[data-testid=add-blackout]").click()
    if page.locator("[data-testid=confirm-blackout]").count():  # demo bookings in the window: shown first
        assert page.locator("[data-testid=bookings-to-cancel] tbody tr").count() >= 1
        with page.expect_navigation():
            page.locator("[data-testid=confirm-blackout]").click()
    assert page.locator("[data-testid=blackout-added]").count() == 1
    assert "Autoclave maintenance" in page.locator("main").inner_text()

    with page.expect_navigation():
        page.get_by_role("link", name="See the calendar").click()
    calendar = page.locator("[data-testid=week-calendar]")
    assert calendar.locator(f'td[data-start="{day.isoformat()}T08:00"]').get_attribute("data-state") == "blackout"
    assert calendar.locator(f'td[data-start="{day.isoformat()}T09:30"]').get_attribute("data-state") == "blackout"
    calendar_url = page.url
    sign_out(page)

    sign_in(page, base, *demo_logins["resident"])
    page.goto(calendar_url)
    cell = page.locator(f'[data-testid=week-calendar] td[data-start="{day.isoformat()}T08:00"]')
    assert cell.get_attribute("data-state") == "blackout"
    assert cell.locator("a").count() == 0  # nothing to click: it cannot be booked
