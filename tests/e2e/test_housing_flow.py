"""Housing in a real browser on the demo data: a manager previews an allocation round (the
preview writes nothing), reads the assignments, the score and every unplaced application's
reason, then commits it; a resident who got an offer accepts it and sees the lease; one who
did not sees the waitlist position and why."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import AllocationRound, HousingApplication, Lease, Offer, User, WaitlistEntry
from tests.e2e.conftest import sign_in, sign_out

DEMO_RESIDENT_PASSWORD = "resident-pass"  # shared by every generated demo resident


def _count(app, model, *where) -> int:
    with app.app_context():
        try:
            return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        finally:
            db.session.remove()


@pytest.mark.e2e
def test_manager_runs_a_round_and_residents_see_their_offer_or_waitlist_place(live_server, page, demo_logins):
    app = live_server.app
    submitted = _count(app, HousingApplication, HousingApplication.status == "submitted")
    assert submitted == 24  # the demo's open applications

    # --- the manager previews the round
    sign_in(page, live_server.url, *demo_logins["manager"])
    page.locator("header nav a", has_text="Housing").click()
    page.wait_for_selector("[data-testid=manage-housing-title]")
    page.locator(".subnav a", has_text="Allocation round").click()
    weights = page.locator("[data-testid=round-weights]").inner_text()
    assert "Priority tier" in weights and "1000" in weights
    page.locator("[data-testid=preview-round]").click()
    page.wait_for_selector("[data-testid=round-assignments]")

    placed_rows = page.locator("[data-testid=round-assignments] tbody tr")
    unplaced_rows = page.locator("[data-testid=round-unassigned] tbody tr")
    placed, unplaced = placed_rows.count(), unplaced_rows.count()
    assert placed > 0 and unplaced > 0  # demand exceeds supply for suites and powerhubs
    assert placed + unplaced >= submitted
    score = float(page.locator("[data-testid=round-score]").inner_text())
    assert score > 0
    for i in range(unplaced):
        reason = unplaced_rows.nth(i).locator("td.reason").inner_text().strip()
        assert len(reason) > 20 and reason.endswith("."), reason
    # The preview wrote nothing.
    assert _count(app, Offer) == 0 and _count(app, AllocationRound) == 0

    # Committing without the confirmation box is refused on the page.
    page.locator("[data-testid=commit-round]").click()
    page.wait_for_selector("text=Tick the box to confirm the round.")
    assert _count(app, Offer) == 0

    page.get_by_label("I have read the preview").check()
    page.locator("[data-testid=commit-round]").click()
    # The round runs off the request: its progress page turns into the round's outcome.
    outcome = page.wait_for_selector("[data-testid=round-outcome]").inner_text()
    assert re.search(rf"committed: {placed} offers made, {unplaced} applications waitlisted", outcome), outcome
    assert re.search(r"/manage/housing/rounds/\d+$", page.url), page.url
    page.locator(".subnav a", has_text="Offers").click()
    assert page.locator("[data-testid=offer-row]").count() == min(placed, 25)
    assert _count(app, Offer, Offer.status == "open") == placed

    # Whom did the round place, and whom not?
    with app.app_context():
        offer = db.session.execute(select(Offer).where(Offer.status == "open").order_by(Offer.id)).scalars().first()
        offered_email, unit_code = offer.user.email, offer.unit.code
        offer_id, offered_user_id = offer.id, offer.user_id
        waiting = db.session.execute(select(WaitlistEntry).where(WaitlistEntry.status == "waiting")
                                     .join(User, User.id == WaitlistEntry.user_id)
                                     .where(User.email.like("%@residents.demo"))
                                     .order_by(WaitlistEntry.joined_at.desc())).scalars().first()
        waiting_email = waiting.user.email
        db.session.remove()
    sign_out(page)

    # --- a resident with an offer accepts it and sees the lease
    sign_in(page, live_server.url, offered_email, DEMO_RESIDENT_PASSWORD)
    page.locator("header nav a", has_text="Housing").click()
    box = page.locator(f"[data-testid=offer-{offer_id}]")
    assert unit_code in box.inner_text() and "Answer by" in box.inner_text()
    with page.expect_navigation():
        box.get_by_role("link", name=f"Accept unit {unit_code}…").click()
    # What accepting commits to, before the click that accepts.
    commitment = page.locator("[data-testid=accept-commitment]").inner_text()
    assert unit_code in commitment and "a month" in commitment
    page.locator("[data-testid=agree-terms]").check()
    with page.expect_navigation():
        page.locator("[data-testid=confirm-accept]").click()
    assert re.search(r"/housing/leases/\d+$", page.url), page.url
    assert page.locator("[data-testid=lease-title]").inner_text().startswith(f"My lease: unit {unit_code}")
    assert "Offer accepted" in page.locator(".flash").inner_text()
    assert _count(app, Lease, Lease.user_id == offered_user_id, Lease.status == "active") == 1
    assert _count(app, Offer, Offer.id == offer_id, Offer.status == "accepted") == 1
    # Back on the housing page the lease is listed and the offer is no longer open.
    page.locator("header nav a", has_text="Housing").click()
    assert unit_code in page.locator("[data-testid=my-leases]").inner_text()
    assert page.locator(f"[data-testid=offer-{offer_id}]").count() == 0
    sign_out(page)

    # --- a resident the round could not place sees the waitlist position and why
    sign_in(page, live_server.url, waiting_email, DEMO_RESIDENT_PASSWORD)
    page.locator("header nav a", has_text="Housing").click()
    place = page.locator("[data-testid=my-waitlist]")
    position = int(place.locator("[data-testid=waitlist-position]").inner_text())
    ahead = place.locator("[data-testid=waitlist-ahead]").inner_text()
    assert position >= 1 and ahead == f"{position - 1} ahead"
    explanation = place.locator("[data-testid=waitlist-explanation]").inner_text()
    assert explanation.startswith("Tier ") and "ahead" in explanation
    applications = page.locator("[data-testid=my-applications]").inner_text()
    assert "waitlisted" in applications
