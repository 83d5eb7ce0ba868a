"""Resident housing pages and API beyond applying: browse the units free for a move-in day and
term, change an application (a type change shows its cost and needs the box ticked), the
estimated wait on the housing page and in the API, and the managers' forecast and unit-type
pages."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from innocell.models import HousingApplication, UnitTypeInfo, WaitlistEntry
from innocell.services import housing as hs
from tests.conftest import FIXED_NOW
from tests.web.test_housing_pages import manager, units  # noqa: F401  (floor 1: solo 01-01, 01-02; floor 2: twin 02-01)


@pytest.fixture
def resident(make_user):
    return make_user("resident", name="Rita Resident")


def test_browse_units_by_type_and_floor_with_what_is_free_for_the_dates(client, login, resident, units, session,
                                                                       manager, make_user):
    hs.create_lease(session, unit_id=units["01-01"].id, user_id=make_user().id, start=date(2026, 9, 1),
                    end=date(2027, 3, 1), actor=manager, now=FIXED_NOW)
    from innocell.services.housing.unit_types import update_type_info
    update_type_info(session, "solo", {"size_sqm": 18, "furnishings": "Bed, desk, wardrobe",
                                       "plan_url": "https://example.test/solo-plan.pdf"}, actor=manager, now=FIXED_NOW)
    login(resident)
    html = client.get("/housing/units?move_in=2027-01-01&term_months=6").get_data(as_text=True)
    assert "18 m²" in html and "Bed, desk, wardrobe" in html and "https://example.test/solo-plan.pdf" in html
    assert 'data-testid="free-01-02"' in html and 'data-testid="free-01-01"' not in html  # 01-01 is let then
    assert "Floor 1" in html and 'data-testid="free-count-solo">1 of 2<' in html
    assert 'data-testid="type-twin"' in html and "HK$13,800.00" in html  # every type's card
    assert f"/housing/apply?unit_type=solo&amp;unit={units['01-02'].id}&amp;move_in=2027-01-01" in html
    later = client.get("/housing/units?move_in=2027-03-01&term_months=6&unit_type=solo").get_data(as_text=True)
    assert 'data-testid="free-01-01"' in later and 'data-testid="free-count-solo">2 of 2<' in later
    twins = client.get("/housing/units?move_in=2027-03-01&term_months=6&unit_type=twin").get_data(as_text=True)
    assert 'data-testid="free-02-01"' in twins and 'data-testid="unit-01-01"' not in twins
    assert "Floor 2" in twins
    bad = client.get("/housing/units?move_in=yesterday&term_months=40")
    assert bad.status_code == 200 and "showing 12 months" in bad.get_data(as_text=True)
    # The link from a unit fills the first choice of the form.
    form = client.get(f"/housing/apply?unit_type=solo&unit={units['01-02'].id}&move_in=2027-01-01")
    assert f'<option selected value="{units["01-02"].id}">' in form.get_data(as_text=True)


def test_change_keeps_the_place_and_a_type_change_is_confirmed_after_its_cost(client, login, resident, units,
                                                                              session, make_user):
    ahead = make_user()
    first = hs.submit_application(session, user=ahead, unit_type="solo", move_in=date(2027, 1, 1), term_months=6,
                                  now=FIXED_NOW - timedelta(days=9))
    hs.join_waitlist(session, application=first, now=FIXED_NOW)
    app = hs.submit_application(session, user=resident, unit_type="solo", move_in=date(2027, 1, 1), term_months=6,
                                now=FIXED_NOW - timedelta(days=3))
    entry = hs.join_waitlist(session, application=app, now=FIXED_NOW)
    login(resident)
    page = client.get(f"/housing/applications/{app.id}/change")
    assert page.status_code == 200 and 'value="2027-01-01"' in page.get_data(as_text=True)
    data = {"unit_type": "solo", "move_in": "2027-02-01", "term_kind": "months", "term_months": "6",
            "occupants": "1", "preferred_1": str(units["01-02"].id)}
    assert client.post(f"/housing/applications/{app.id}/change", data=data).status_code == 302
    session.expire_all()
    changed = session.get(HousingApplication, app.id)
    assert (changed.move_in, changed.preferred_unit_ids) == (date(2027, 2, 1), [units["01-02"].id])
    assert session.get(WaitlistEntry, entry.id).status == "waiting"
    assert "position <strong data-testid=\"waitlist-position\">2</strong>" in client.get("/housing").get_data(
        as_text=True)

    to_twin = {**data, "unit_type": "twin", "preferred_1": ""}
    step = client.post(f"/housing/applications/{app.id}/change", data=to_twin)
    html = step.get_data(as_text=True)
    assert step.status_code == 200 and 'data-testid="type-change-cost"' in html
    assert "you will join the twin queue at position 1" in html and "your place in the solo queue (2)" in html
    session.expire_all()
    assert session.get(HousingApplication, app.id).unit_type == "solo"
    done = client.post(f"/housing/applications/{app.id}/change", data={**to_twin, "confirm_type_change": "y"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(HousingApplication, app.id).unit_type == "twin"
    assert session.get(WaitlistEntry, entry.id).status == "removed"


def test_bad_preference_picks_on_change_are_inline_errors(client, login, resident, units, session):
    app = hs.submit_application(session, user=resident, unit_type="solo", move_in=date(2027, 1, 1), term_months=6,
                                now=FIXED_NOW)
    login(resident)
    response = client.post(f"/housing/applications/{app.id}/change", data={
        "unit_type": "solo", "move_in": "2027-01-01", "term_kind": "months", "term_months": "6", "occupants": "1",
        "preferred_1": str(units["02-01"].id), "preferred_floor": "2"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Unit 02-01 is a twin, not a solo." in html and "There is no solo unit on floor 2." in html
    session.expire_all()
    assert session.get(HousingApplication, app.id).preferred_unit_ids == []


def test_another_residents_application_cannot_be_changed(client, login, resident, units, session, make_user):
    app = hs.submit_application(session, user=resident, unit_type="solo", move_in=date(2027, 1, 1), term_months=6,
                                now=FIXED_NOW)
    login(make_user())
    assert client.get(f"/housing/applications/{app.id}/change").status_code == 404
    assert client.post(f"/housing/applications/{app.id}/change", data={
        "unit_type": "solo", "move_in": "2027-03-01", "term_kind": "months", "term_months": "6",
        "occupants": "1"}).status_code == 404


def test_housing_page_and_api_show_the_estimated_wait(client, login, resident, units, session, api):
    app = hs.submit_application(session, user=resident, unit_type="twin", move_in=date(2027, 1, 1), term_months=6,
                                now=FIXED_NOW)
    hs.join_waitlist(session, application=app, now=FIXED_NOW)
    login(resident)
    html = client.get("/housing").get_data(as_text=True)
    assert 'data-testid="wait-estimate"' in html and "No one is ahead of you" in html
    assert "likely to free for you <strong data-testid=\"wait-range\">in January 2027</strong>" in html
    entries = api(resident).get("/api/v1/waitlist").get_json()["entries"]
    assert entries[0]["estimate"]["range"] == "in January 2027"
    assert entries[0]["estimate"]["earliest"] == "2027-01-01"


def test_api_patch_changes_an_application_and_a_type_change_needs_confirming(resident, units, session, api):
    client = api(resident)
    created = client.post("/api/v1/housing-applications", json={"unit_type": "solo", "move_in": "2027-01-01",
                                                                "term_months": 6, "preferred_floor": 1})
    assert created.status_code == 201 and created.get_json()["application"]["preferred_floor"] == 1
    app_id = created.get_json()["application"]["id"]
    answer = client.patch(f"/api/v1/housing-applications/{app_id}", json={"move_in": "2027-02-01"})
    assert answer.status_code == 200 and answer.get_json()["application"]["move_in"] == "2027-02-01"
    refused = client.patch(f"/api/v1/housing-applications/{app_id}", json={"unit_type": "twin"})
    assert refused.status_code == 422 and refused.get_json()["error"] == "rule_violation"
    assert "twin queue" in refused.get_json()["message"]
    bad = client.patch(f"/api/v1/housing-applications/{app_id}", json={"unit_type": "twin",
                                                                      "confirm_type_change": "yes"})
    assert bad.status_code == 400
    done = client.patch(f"/api/v1/housing-applications/{app_id}", json={"unit_type": "twin",
                                                                       "confirm_type_change": True})
    assert done.status_code == 200 and done.get_json()["application"]["unit_type"] == "twin"
    assert client.patch("/api/v1/housing-applications/99999", json={"move_in": "2027-02-01"}).status_code == 404


def test_api_accept_without_a_body_still_works_and_records_the_agreement(resident, units, session, api):
    offer = hs.make_offer(session, kind="allocation", user_id=resident.id, unit_id=units["01-02"].id,
                          start=date(2027, 1, 1), end=date(2027, 7, 1), monthly_rent="10100",
                          expires_at=FIXED_NOW + timedelta(days=7), now=FIXED_NOW)
    answer = api(resident).post(f"/api/v1/offers/{offer.id}/accept")
    assert answer.status_code == 200
    assert answer.get_json()["offer"]["status"] == "accepted" and answer.get_json()["offer"]["agreed_at"]


def test_managers_see_the_forecast_and_edit_what_a_type_offers(client, login, manager, units, session, resident):
    login(manager)
    html = client.get("/manage/housing/forecast").get_data(as_text=True)
    assert 'data-testid="forecast-solo"' in html and "Dec 2026" in html and "Nov 2027" in html
    assert client.get("/manage/housing/types/solo").status_code == 200
    assert client.get("/manage/housing/types/palace").status_code == 404
    bad = client.post("/manage/housing/types/solo", data={"size_sqm": "20", "photo_url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "http(s) address" in bad.get_data(as_text=True)
    ok = client.post("/manage/housing/types/solo", data={"size_sqm": "20", "furnishings": "Bed and desk"})
    assert ok.status_code == 302
    session.expire_all()
    assert session.get(UnitTypeInfo, "solo").size_sqm == 20
    client.post("/logout")
    login(resident)
    assert client.get("/manage/housing/forecast").status_code == 403


def test_a_resident_with_a_lease_asks_to_move_from_the_lease_page(client, login, resident, units, session, manager,
                                                                   api, make_user):
    lease = hs.create_lease(session, unit_id=units["01-01"].id, user_id=resident.id, start=date(2026, 9, 1),
                            end=date(2027, 9, 1), actor=manager, now=FIXED_NOW)
    login(resident)
    assert 'data-testid="ask-to-move"' in client.get(f"/housing/leases/{lease.id}").get_data(as_text=True)
    page = client.get(f"/housing/leases/{lease.id}/move")
    assert page.status_code == 200 and 'value="2027-01-01"' in page.get_data(as_text=True)
    bad = client.post(f"/housing/leases/{lease.id}/move", data={"unit_type": "twin", "move_on": "2027-10-01",
                                                                 "reason": "More room"})
    assert bad.status_code == 422 and "before your lease ends (1 Sep 2027)" in bad.get_data(as_text=True)
    done = client.post(f"/housing/leases/{lease.id}/move", data={"unit_type": "twin", "move_on": "2027-02-01",
                                                                  "preferred_floor": "2", "reason": "My partner joins"})
    assert done.status_code == 302
    application = session.query(HousingApplication).one()
    assert (application.kind, application.change_reason, application.preferred_floor) == (
        "room_change", "My partner joins", 2)
    assert "room change: My partner joins" in client.get("/housing").get_data(as_text=True)
    # Another resident's lease is not reachable; the API asks the same of the lease's holder.
    other = make_user()
    answer = api(other).post(f"/api/v1/leases/{lease.id}/room-change",
                             json={"unit_type": "twin", "move_on": "2027-02-01", "reason": "x"})
    assert answer.status_code == 404
