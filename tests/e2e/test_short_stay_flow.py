"""A short stay in a real browser on the demo data: from the units page a resident picks
check-in and check-out days, sees the free short-stay units with the total price, confirms
one, sees the confirmation, and cancels it before check-in (the nights free again)."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from innocell.extensions import db
from innocell.models import Lease, User
from tests.conftest import FIXED_NOW
from tests.e2e.conftest import sign_in

PASSWORD = "tram-harbour-7"
TODAY = FIXED_NOW.astimezone(ZoneInfo("Asia/Hong_Kong")).date()
CHECK_IN, CHECK_OUT = TODAY + timedelta(days=10), TODAY + timedelta(days=13)


def _in_app(app, fn):
    with app.app_context():
        try:
            return fn(db.session)
        finally:
            db.session.remove()


@pytest.mark.e2e
def test_resident_books_a_short_stay_from_the_units_page_and_cancels_it(live_server, page):
    app = live_server.app
    from innocell.services.accounts import create_user
    from innocell.services.housing.unit_types import update_type_info
    from innocell.services.housing.units import list_units, update_unit

    def setup(session):
        manager = session.execute(select(User).where(User.role == "manager")).scalars().first()
        user = create_user(session, email="sam@visitors.test", password=PASSWORD, role="resident", now=FIXED_NOW,
                           name="Sam Visitor", company="Acme Bio", priority_tier=3)
        free = [u for u in list_units(session, available_from=CHECK_IN, available_to=CHECK_OUT, now=FIXED_NOW)
                if u.status == "available"]
        unit = free[0]
        update_unit(session, unit.id, {"short_stay": True}, actor=manager, now=FIXED_NOW)
        update_type_info(session, unit.unit_type, {"nightly_rate": "420"}, actor=manager, now=FIXED_NOW)
        return user.id, unit.code

    user_id, code = _in_app(app, setup)
    sign_in(page, live_server.url, "sam@visitors.test", PASSWORD)

    # --- from the units page, pick the dates
    page.goto(f"{live_server.url}/housing/units")
    form = page.locator("[data-testid=short-stay-dates]")
    form.locator("input[name=check_in]").fill(CHECK_IN.isoformat())
    form.locator("input[name=check_out]").fill(CHECK_OUT.isoformat())
    with page.expect_navigation():
        form.locator("button").click()
    assert page.locator(f"[data-testid=stay-total-{code}]").inner_text() == "HK$1,260.00"  # 3 nights at 420

    # --- confirm, and see the confirmation
    with page.expect_navigation():
        page.locator(f"[data-testid=book-{code}]").click()
    assert "HK$1,260.00" in page.locator("[data-testid=confirm-total]").inner_text()
    with page.expect_navigation():
        page.locator("[data-testid=confirm-stay]").click()
    assert f"Booked: unit {code}" in page.locator(".flash").inner_text()
    assert page.locator("[data-testid=stay-total]").inner_text() == "HK$1,260.00"
    stay = _in_app(app, lambda s: s.execute(select(Lease).where(Lease.user_id == user_id)).scalar_one().id)
    assert page.url.endswith(f"/housing/stays/{stay}")

    # --- cancel before check-in: the nights are free again
    with page.expect_navigation():
        page.locator("[data-testid=cancel-stay]").click()
    assert "nothing is charged" in page.locator(".flash").inner_text()
    assert _in_app(app, lambda s: s.get(Lease, stay).status) == "terminated"
    page.goto(f"{live_server.url}/housing/stays?check_in={CHECK_IN.isoformat()}&check_out={CHECK_OUT.isoformat()}")
    assert page.locator(f"[data-testid=book-{code}]").count() == 1
