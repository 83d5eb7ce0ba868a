"""A manager approves two booking requests from the staff timeline in a real browser: each click
approves one and comes back to the same day, where the request now reads as booked."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.conftest import FIXED_NOW
from tests.e2e.conftest import sign_in

HK = ZoneInfo("Asia/Hong_Kong")


def _two_requests(live_server, email: str) -> tuple[str, str, list[int]]:
    """Two pending requests on the first active space, two days ahead; (day, kind, ids)."""
    from innocell.extensions import db
    from innocell.models import Booking, Space, User

    day = FIXED_NOW.astimezone(HK).date() + timedelta(days=2)
    with live_server.app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        space = db.session.execute(select(Space).where(Space.active.is_(True)).order_by(Space.id)).scalars().first()
        ids = []
        for hour, title in ((9, "E2E request one"), (14, "E2E request two")):
            start = datetime.combine(day, time(hour), HK).astimezone(ZoneInfo("UTC"))
            booking = Booking(space_id=space.id, user_id=user.id, start_at=start, end_at=start + timedelta(hours=3),
                              hold_end_at=start + timedelta(hours=3), status="pending", title=title,
                              created_at=FIXED_NOW - timedelta(hours=1))
            db.session.add(booking)
            db.session.flush()
            ids.append(booking.id)
        db.session.commit()
        return day.isoformat(), space.kind, ids


def test_a_manager_approves_two_requests_from_the_timeline(live_server, page, demo_logins):
    day, kind, ids = _two_requests(live_server, demo_logins["resident"][0])
    sign_in(page, live_server.url, *demo_logins["manager"])
    page.goto(f"{live_server.url}/timeline?date={day}&kind={kind}")
    for booking_id in ids:
        bar = page.locator(f'[data-booking="{booking_id}"]')
        assert bar.get_attribute("data-status") == "pending" and "PENDING" in bar.inner_text()
    for booking_id in ids:
        with page.expect_navigation():
            page.locator(f'[data-booking="{booking_id}"]').get_by_test_id("approve").click()
        assert f"date={day}" in page.url and f"kind={kind}" in page.url
        assert "Approved:" in page.locator(".flash").first.inner_text()
        bar = page.locator(f'[data-booking="{booking_id}"]')
        assert bar.get_attribute("data-status") == "confirmed" and "PENDING" not in bar.inner_text()
    from innocell.extensions import db
    from innocell.models import Booking

    with live_server.app.app_context():
        statuses = db.session.execute(select(Booking.status).where(Booking.id.in_(ids))).scalars().all()
        assert statuses == ["confirmed", "confirmed"]
