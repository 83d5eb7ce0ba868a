"""A resident books a fortnightly series in a real browser, skipping a date someone else holds:
the Repeat section, the preview (one date taken), "Book only the free ones", the result with the
skipped date, then "Change…" of the second date for it and every later one, and "Cancel this and
later ones" with its count."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import FIXED_NOW
from tests.e2e.conftest import sign_in

HK = ZoneInfo("Asia/Hong_Kong")
WIDE = {d: [["07:00", "23:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _setup(live_server, email: str) -> tuple[int, date]:
    """A quiet space of our own, and another resident's booking on the series' third date."""
    from innocell.extensions import db
    from innocell.models import User
    from innocell.services import bookings, spaces

    first = FIXED_NOW.astimezone(HK).date() + timedelta(days=3)
    taken = first + timedelta(weeks=4)
    with live_server.app.app_context():
        manager = db.session.execute(select(User).where(User.role == "manager").order_by(User.id)).scalars().first()
        other = db.session.execute(select(User).where(User.role == "resident", User.email != email)
                                   .order_by(User.id)).scalars().first()
        space = spaces.create_space(db.session, {"code": "E2E-SER", "name": "Series Lab", "kind": "dry_lab",
                                                 "opening_hours": WIDE, "max_days_ahead": 90},
                                    actor=manager, now=FIXED_NOW)
        start = datetime(taken.year, taken.month, taken.day, 21, 0, tzinfo=HK)
        bookings.book(db.session, user=other, space_id=space.id, start=start, end=start + timedelta(hours=1),
                      now=FIXED_NOW)
        space_id = space.id
        db.session.remove()
    return space_id, first


@pytest.mark.e2e
def test_resident_books_a_fortnightly_series_skipping_a_conflict(live_server, page, demo_logins):
    base = live_server.url
    email, password = demo_logins["resident"]
    space_id, first = _setup(live_server, email)
    sign_in(page, base, email, password)

    page.goto(f"{base}/spaces/{space_id}/book")
    page.fill("input[name=date]", first.isoformat())
    page.fill("input[name=start]", "21:00")
    page.fill("input[name=end]", "22:00")
    page.fill("input[name=title]", "Journal club")
    page.select_option("select[name=freq]", "weeks")
    page.fill("input[name=interval]", "2")
    page.fill("input[name=count]", "4")
    with page.expect_navigation():
        page.locator("[data-testid=submit-booking]").click()

    rows = page.locator("[data-testid=occurrence]")
    assert rows.count() == 4
    states = [rows.nth(i).get_attribute("data-status") for i in range(4)]
    assert states == ["free", "free", "conflict", "free"]
    assert page.locator("[data-testid=book-all]").is_disabled()
    with page.expect_navigation():
        page.locator("[data-testid=book-free]").click()

    booked = page.locator("[data-testid=series-booked] li")
    assert [booked.nth(i).get_attribute("data-date") for i in range(booked.count())] == [
        (first + timedelta(weeks=w)).isoformat() for w in (0, 2, 6)]
    skipped = page.locator("[data-testid=series-skipped] li")
    assert skipped.count() == 1 and skipped.first.get_attribute("data-date") == (first + timedelta(weeks=4)).isoformat()

    # Move the second date and the later one an hour earlier: the Change page asks which
    # occurrences take the change.
    with page.expect_navigation():
        booked.nth(1).locator("a").click()
    with page.expect_navigation():
        page.locator("[data-testid=change-booking]").click()
    page.check("input[name=scope][value=following]")
    page.fill("input[name=start]", "20:00")
    page.fill("input[name=end]", "21:00")
    with page.expect_navigation():
        page.locator("[data-testid=submit-change]").click()
    assert "Changed 2 bookings of the series" in page.content()
    assert "20:00" in page.content()

    # Cancel the second date and the later one: the page says it cancels 2.
    with page.expect_navigation():
        page.locator("[data-testid=cancel-following]").click()
    assert "2 bookings" in page.locator("[data-testid=series-cancel-count]").inner_text()
    with page.expect_navigation():
        page.locator("[data-testid=confirm-series-cancel]").click()
    assert "2 bookings cancelled" in page.content()
