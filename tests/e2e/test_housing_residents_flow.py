"""A resident's housing in a real browser on the demo data: browses the units free for a move-in
day and term, applies with a preference picked from that list, changes the move-in date
(keeping the queue place), sees the position and the estimated wait, and later accepts an
offer after reading the terms and ticking the agreement (refused without it)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from innocell.extensions import db
from innocell.models import HousingApplication, Offer, WaitlistEntry
from tests.conftest import FIXED_NOW
from tests.e2e.conftest import sign_in

PASSWORD = "tram-harbour-7"
MOVE_IN, NEW_MOVE_IN, UNTIL = date(2027, 3, 1), date(2027, 4, 1), date(2028, 4, 1)


def _in_app(app, fn):
    with app.app_context():
        try:
            result = fn(db.session)
            db.session.commit()  # what a service called here directly wrote (a round commits its own)
            return result
        finally:
            db.session.remove()


@pytest.mark.e2e
def test_resident_browses_applies_changes_sees_the_wait_and_accepts_after_the_terms(live_server, page):
    app = live_server.app
    from innocell.services.accounts import create_user
    from innocell.services.housing.units import list_units

    def setup(session):
        user = create_user(session, email="nora@founders.test", password=PASSWORD, role="resident", now=FIXED_NOW,
                           name="Nora Newcomer", company="Acme Bio", priority_tier=3)
        free = list_units(session, available_from=MOVE_IN, available_to=UNTIL, now=FIXED_NOW)
        unit = next(u for u in free if u.status == "available")
        return user.id, unit.code, unit.unit_type, unit.id

    user_id, code, unit_type, unit_id = _in_app(app, setup)
    sign_in(page, live_server.url, "nora@founders.test", PASSWORD)

    # --- browse the units free for the dates, by type and floor
    page.locator("header nav a", has_text="Housing").click()
    with page.expect_navigation():
        page.locator("[data-testid=browse-units]").click()
    page.fill("input[name=move_in]", MOVE_IN.isoformat())
    page.fill("input[name=term_months]", "12")
    page.select_option("select[name=unit_type]", unit_type)
    with page.expect_navigation():
        page.locator("[data-testid=units-filter] button").click()
    row = page.locator(f"[data-testid=unit-{code}]")
    assert "free" in row.locator(f"[data-testid=free-{code}]").inner_text()
    assert page.locator(f"[data-testid=type-{unit_type}]").count() == 1

    # --- apply with that unit picked from the list
    with page.expect_navigation():
        row.locator(f"[data-testid=apply-unit-{code}]").click()
    chosen = page.locator("select[name=preferred_1] option:checked").inner_text()
    assert chosen.startswith(code)
    assert page.input_value("input[name=move_in]") == MOVE_IN.isoformat()
    with page.expect_navigation():
        page.get_by_role("button", name="Send application").click()
    assert "Application sent" in page.locator(".flash").inner_text()

    def waitlist_it(session):
        from innocell.services import housing

        application = session.execute(select(HousingApplication).where(
            HousingApplication.user_id == user_id)).scalar_one()
        assert application.preferred_unit_ids == [unit_id]
        housing.join_waitlist(session, application=application, now=FIXED_NOW)  # as a round that cannot place it
        return application.id

    application_id = _in_app(app, waitlist_it)
    page.reload()
    place = page.locator("[data-testid=my-waitlist]")
    position = place.locator("[data-testid=waitlist-position]").inner_text()
    assert int(position) >= 1
    wait_range = place.locator("[data-testid=wait-range]").inner_text()
    assert re.match(r"^(in|between|after|from) ", wait_range), wait_range
    assert "ahead of you" in place.locator("[data-testid=wait-reasoning]").inner_text()

    # --- change the move-in date: the place is kept
    with page.expect_navigation():
        page.locator(f"[data-testid=change-{application_id}]").click()
    page.fill("input[name=move_in]", NEW_MOVE_IN.isoformat())
    with page.expect_navigation():
        page.locator("[data-testid=save-change]").click()
    assert "Your place in the queue is kept" in page.locator(".flash").inner_text()
    assert page.locator("[data-testid=my-waitlist] [data-testid=waitlist-position]").inner_text() == position
    assert "1 Apr 2027" in page.locator(f"[data-testid=application-{application_id}]").inner_text()

    # --- later a unit is offered; accepting shows the terms and needs the agreement
    def offer_it(session):
        from innocell.services import housing

        entry = session.execute(select(WaitlistEntry).where(WaitlistEntry.application_id == application_id,
                                                            WaitlistEntry.status == "waiting")).scalar_one()
        offer = housing.make_offer(session, kind="waitlist", user_id=user_id, unit_id=unit_id, start=NEW_MOVE_IN,
                                   end=UNTIL, monthly_rent="10000", expires_at=FIXED_NOW + timedelta(days=7),
                                   now=FIXED_NOW, waitlist_entry_id=entry.id)
        return offer.id

    offer_id = _in_app(app, offer_it)
    page.reload()
    with page.expect_navigation():
        page.locator(f"[data-testid=accept-{offer_id}]").click()
    assert code in page.locator("[data-testid=accept-commitment]").inner_text()
    assert "HK$10,000.00" in page.locator("[data-testid=accept-deposit]").inner_text()
    assert "Quiet hours" in page.locator("[data-testid=house-rules]").inner_text()
    with page.expect_navigation():
        page.locator("[data-testid=confirm-accept]").click()  # without ticking the agreement
    page.wait_for_selector("text=Tick the box to agree to the terms before accepting.")
    assert _in_app(app, lambda s: s.get(Offer, offer_id).status) == "open"
    page.locator("[data-testid=agree-terms]").check()
    with page.expect_navigation():
        page.locator("[data-testid=confirm-accept]").click()
    assert re.search(r"/housing/leases/\d+$", page.url), page.url
    agreed = _in_app(app, lambda s: (s.get(Offer, offer_id).status, s.get(Offer, offer_id).agreed_at))
    assert agreed == ("accepted", FIXED_NOW)
