"""A notice reaches the resident's inbox after a job tick, in a real browser: a manager presses
"Run now" on the reminders job; the resident then sees the unread badge, reads the reminder in
the inbox and marks it read."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import FIXED_NOW
from tests.e2e.conftest import sign_in, sign_out

TITLE = "E2E sequencing run"


def _book_soon_for(live_server, email: str) -> str:
    """A booking for the resident starting in three hours, as if made earlier; returns the space name."""
    from innocell.extensions import db
    from innocell.models import Booking, Space, User

    with live_server.app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        space = db.session.execute(select(Space).where(Space.active.is_(True), Space.capacity > 1)
                                   .order_by(Space.id)).scalars().first()
        now = FIXED_NOW
        start = now + timedelta(hours=3)
        db.session.add(Booking(space_id=space.id, user_id=user.id, start_at=start, end_at=start + timedelta(hours=1),
                               hold_end_at=start + timedelta(hours=1), status="confirmed", title=TITLE,
                               created_at=now - timedelta(days=1)))
        db.session.commit()
        return space.name


def test_a_reminder_appears_in_the_inbox_after_the_manager_runs_the_job(live_server, page, demo_logins):
    resident_email, resident_password = demo_logins["resident"]
    space_name = _book_soon_for(live_server, resident_email)

    sign_in(page, live_server.url, *demo_logins["manager"])
    page.goto(f"{live_server.url}/manage/jobs")
    with page.expect_navigation():
        page.get_by_test_id("run-reminders").click()
    flash = page.locator(".flash").first.inner_text()
    assert "reminders ran:" in flash and "reminded" in flash
    history = page.get_by_test_id("job-history").inner_text()
    assert "reminders" in history and "manual" in history
    sign_out(page)

    sign_in(page, live_server.url, resident_email, resident_password)
    badge = page.get_by_test_id("unread-count")
    assert int(badge.inner_text()) >= 1
    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(f"{live_server.url}/inbox")
    notice = page.get_by_test_id("notice").filter(has_text=TITLE)
    assert notice.count() == 1
    text = notice.inner_text()
    assert f"Reminder: {space_name}" in text
    unread_before = int(page.get_by_test_id("unread-count").inner_text())

    with page.expect_navigation():
        notice.get_by_test_id("mark-read").click()
    notice = page.get_by_test_id("notice").filter(has_text=TITLE)
    assert notice.get_by_test_id("mark-read").count() == 0
    if unread_before > 1:
        assert int(page.get_by_test_id("unread-count").inner_text()) == unread_before - 1
    else:
        assert page.get_by_test_id("unread-count").count() == 0
