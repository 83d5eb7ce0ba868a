"""People administration in a real browser, on the demo data: the admin invites a person, the
person chooses a password from the invitation link, signs in and books a lab; the admin
deactivates them, and their very next request is refused (signed out, cannot sign in again)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.e2e.conftest import DEFAULT_TIMEOUT_MS, sign_in
from tests.e2e.test_booking_flow import find_free_wet_lab

NEWCOMER = ("Kit Lee", "kit.lee@nanobiolabs.demo", "lantern-harbour-7")


@pytest.mark.e2e
def test_invite_set_password_book_then_deactivate(live_server, page, browser, demo_logins):
    base = live_server.url
    name, email, password = NEWCOMER

    # The admin invites Kit to NanoBio Labs; no SMTP here, so the page shows the link to pass on.
    sign_in(page, base, *demo_logins["admin"])
    page.goto(f"{base}/admin/people/invite")
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.select_option("select[name=role]", "resident")
    page.select_option("select[name=company_id]", label="NanoBio Labs")
    with page.expect_navigation():
        page.locator("[data-testid=send-invitation]").click()
    assert page.locator("[data-testid=invited]").count() == 1
    link = page.locator("[data-testid=invitation-link]").get_attribute("href")
    assert re.fullmatch(r"/password/[\w-]{40,}", link)

    # Kit, in a browser of their own, chooses a password from the link, signs in and books.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                  timezone_id="Asia/Hong_Kong")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    kit = context.new_page()
    try:
        kit.goto(f"{base}{link}")
        assert email in kit.locator("main").inner_text()
        kit.fill("input[name=password]", password)
        kit.fill("input[name=confirm]", password)
        with kit.expect_navigation():
            kit.locator("[data-testid=set-password]").click()
        assert kit.url.endswith("/login")
        sign_in(kit, base, email, password)
        assert kit.locator("[data-testid=unverified]").count() == 0  # the invitation confirmed the address
        day, start = find_free_wet_lab(kit, base)
        row = kit.locator("[data-testid=free-space]").first
        with kit.expect_navigation():
            row.get_by_role("link", name="Book").click()
        with kit.expect_navigation():
            kit.locator("[data-testid=submit-booking]").click()
        assert kit.locator("[data-testid=booking-confirmation]").count() == 1
        assert kit.locator("[data-testid=booking-status]").inner_text() == "confirmed"

        # The admin finds Kit, sees the booking among what Kit holds, and deactivates the account.
        page.goto(f"{base}/admin/people?q=kit.lee")
        with page.expect_navigation():
            page.get_by_role("link", name=name).click()
        assert page.locator("[data-testid=person-state]").inner_text() == "active"
        with page.expect_navigation():
            page.locator("[data-testid=deactivate]").click()
        assert "1 upcoming booking" in page.locator("[data-testid=holdings]").inner_text()
        page.fill("input[name=reason]", "Left the park")
        with page.expect_navigation():
            page.locator("[data-testid=confirm]").click()
        assert page.locator("[data-testid=person-state]").inner_text() == "deactivated"

        # Kit's next request is refused: signed out, and the password no longer opens the door.
        kit.goto(f"{base}/bookings")
        assert re.search(r"/login(\?|$)", kit.url)
        with pytest.raises(AssertionError, match="refused"):
            sign_in(kit, base, email, password)
        assert "Wrong email or password." in kit.locator("main").inner_text()
    finally:
        context.close()

    from innocell.extensions import db
    from innocell.models import AuditEvent, User

    with live_server.app.app_context():
        person = db.session.execute(select(User).where(User.email == email)).scalar_one()
        actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.target_type == "user",
                                                                     AuditEvent.target_id == person.id,
                                                                     AuditEvent.kind == "action")
                                     .order_by(AuditEvent.id)).scalars().all()
        assert (person.active, person.company) == (False, "NanoBio Labs")
        assert actions == ["user.invite", "user.password_set", "user.update"]
        db.session.remove()
