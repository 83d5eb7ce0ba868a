"""The resident's housing pages: browse unit types, apply (inline errors), withdraw with a
confirmation, answer offers before the deadline (a 409 shows the reason), see the lease and
the waitlist place with its explanation. Another resident's records answer 404."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

import innocell.web.housing as housing_pages
import innocell.web.manage_housing as manage_pages
from innocell.models import HousingApplication, Lease, Offer
from innocell.services import housing as hs
from tests.conftest import FIXED_NOW

TODAY = date(2026, 12, 1)  # FIXED_NOW in Hong Kong


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The pages read the clock once per request; pin it to FIXED_NOW."""
    monkeypatch.setattr(housing_pages, "utcnow", lambda: FIXED_NOW)
    monkeypatch.setattr(manage_pages, "utcnow", lambda: FIXED_NOW)


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def units(session, manager):
    """Floor 1: solo 01-01 and 01-02; floor 2: twin 02-01."""
    made = {}
    for code, unit_type, floor, rent, occ in (("01-01", "solo", 1, "9800", 1), ("01-02", "solo", 1, "10100", 1),
                                              ("02-01", "twin", 2, "13800", 2)):
        made[code] = hs.create_unit(session, {"code": code, "unit_type": unit_type, "floor": floor,
                                              "monthly_rent": rent, "occupancy": occ}, actor=manager, now=FIXED_NOW)
    return made


@pytest.fixture
def resident(make_user):
    return make_user("resident", name="Rita Resident", priority_tier=2)


def offer_for(session, user, unit, *, expires_in=timedelta(days=7), made_at=FIXED_NOW):
    return hs.make_offer(session, kind="allocation", user_id=user.id, unit_id=unit.id, start=date(2027, 1, 1),
                         end=date(2028, 1, 1), monthly_rent=unit.monthly_rent, expires_at=made_at + expires_in,
                         now=made_at)


def test_housing_page_shows_unit_types_with_rent_and_availability(client, login, resident, units):
    login(resident)
    response = client.get("/housing")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Solo (one person)" in html and "Twin (two people)" in html
    assert "HK$9,800.00 – HK$10,100.00" in html  # the solo rent range
    assert "You have no lease yet" in html and "No applications yet" in html and "You are not on a waitlist" in html


@pytest.mark.parametrize("role", ["manager", "finance", "admin"])
def test_housing_pages_are_for_residents_only(client, login, make_user, role):
    login(make_user(role))
    for path in ("/housing", "/housing/apply", "/housing/offers/1", "/housing/leases/1",
                 "/housing/applications/1/withdraw"):
        assert client.get(path).status_code == 403, path


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/housing")
    assert response.status_code == 302 and "/login" in response.location


def test_apply_with_bad_input_shows_inline_errors_and_writes_nothing(client, login, resident, units, session):
    login(resident)
    response = client.post("/housing/apply", data={
        "unit_type": "solo", "move_in": "2026-11-20", "term_kind": "months", "term_months": "13", "occupants": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A lease runs from 1 to 12 months." in html
    response = client.post("/housing/apply", data={
        "unit_type": "solo", "move_in": "2026-11-20", "term_kind": "months", "term_months": "6", "occupants": "1"})
    assert response.status_code == 422
    assert "The move-in date has passed" in response.get_data(as_text=True)
    response = client.post("/housing/apply", data={
        "unit_type": "solo", "move_in": "2027-01-01", "term_kind": "nights", "term_months": "", "occupants": "1"})
    assert response.status_code == 422
    assert "Say how many nights" in response.get_data(as_text=True)
    assert session.query(HousingApplication).count() == 0


def test_apply_for_a_short_stay_with_preferred_units(client, login, resident, units, session):
    login(resident)
    response = client.post("/housing/apply", data={
        "unit_type": "solo", "move_in": "2027-01-04", "term_kind": "nights", "term_nights": "10", "occupants": "1",
        "preferred_1": str(units["01-02"].id), "preferred_2": str(units["01-01"].id)})
    assert response.status_code == 302 and response.location.endswith("/housing")
    application = session.query(HousingApplication).one()
    assert (application.user_id, application.unit_type, application.move_in) == (resident.id, "solo", date(2027, 1, 4))
    assert (application.term_months, application.term_nights) == (0, 10)
    assert application.preferred_unit_ids == [units["01-02"].id, units["01-01"].id]
    html = client.get("/housing").get_data(as_text=True)
    assert "Application sent" in html and "10 nights" in html and "4 Jan 2027" in html


def test_apply_offers_preferences_from_the_list_and_names_picks_that_do_not_fit(client, login, resident, units,
                                                                                session):
    login(resident)
    form = client.get("/housing/apply").get_data(as_text=True)
    # Preferences are picked from the units (code, type, floor, rent), never typed as codes.
    assert f'<option value="{units["02-01"].id}">02-01 · Twin (two people) · floor 2 · HK$13,800</option>' in form
    assert '<option value="1">Floor 1</option>' in form
    response = client.post("/housing/apply", data={
        "unit_type": "solo", "move_in": "2027-01-04", "term_kind": "months", "term_months": "12", "occupants": "1",
        "preferred_1": str(units["02-01"].id), "preferred_floor": "2"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Unit 02-01 is a twin, not a solo." in html and "There is no solo unit on floor 2." in html
    response = client.post("/housing/apply", data={
        "unit_type": "solo", "move_in": "2027-01-04", "term_kind": "months", "term_months": "12", "occupants": "1",
        "preferred_1": "99999"})
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    assert session.query(HousingApplication).count() == 0


def test_a_second_open_application_is_refused_with_the_reason(client, login, resident, units, session):
    login(resident)
    data = {"unit_type": "solo", "move_in": "2027-01-04", "term_kind": "months", "term_months": "6", "occupants": "1"}
    assert client.post("/housing/apply", data=data).status_code == 302
    response = client.post("/housing/apply", data=data)
    assert response.status_code == 422
    assert "You already have an open application" in response.get_data(as_text=True)
    assert session.query(HousingApplication).count() == 1


def test_withdraw_asks_for_confirmation_then_withdraws(client, login, resident, units, session):
    application = hs.submit_application(session, user=resident, unit_type="twin", move_in=date(2027, 1, 1),
                                        term_months=6, now=FIXED_NOW)
    login(resident)
    page = client.get(f"/housing/applications/{application.id}/withdraw")
    assert page.status_code == 200
    assert "Withdraw this application?" in page.get_data(as_text=True)
    session.refresh(application)
    assert application.status == "submitted"  # showing the question changes nothing
    response = client.post(f"/housing/applications/{application.id}/withdraw")
    assert response.status_code == 302
    session.refresh(application)
    assert application.status == "withdrawn"
    assert "withdrawn" in client.get("/housing").get_data(as_text=True)


def test_open_offer_shows_deadline_and_accepting_shows_the_lease(client, login, resident, units, session):
    offer = offer_for(session, resident, units["01-01"])
    login(resident)
    html = client.get("/housing").get_data(as_text=True)
    assert "Offers waiting for your answer" in html
    assert "Answer by <strong>8 Dec 2026, 10:00</strong>" in html and "7 days 0 hours left" in html

    page = client.get(f"/housing/offers/{offer.id}/accept").get_data(as_text=True)
    assert "House rules" in page and "Quiet hours" in page and "HK$9,800.00 (1 month of rent)" in page
    refused = client.post(f"/housing/offers/{offer.id}/accept")  # the agreement box not ticked
    assert refused.status_code == 422 and "Tick the box to agree to the terms" in refused.get_data(as_text=True)
    assert session.query(Lease).count() == 0
    response = client.post(f"/housing/offers/{offer.id}/accept", data={"agree": "y"})
    lease = session.query(Lease).filter_by(user_id=resident.id).one()
    assert response.status_code == 302 and response.location.endswith(f"/housing/leases/{lease.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "My lease: unit 01-01" in page and "1 Jan 2027" in page and "1 Jan 2028" in page
    assert "Offer accepted" in page
    session.refresh(offer)
    assert offer.status == "accepted" and offer.agreed_at == FIXED_NOW


def test_accepting_an_expired_offer_answers_409_with_the_reason(client, login, resident, units, session):
    offer = offer_for(session, resident, units["01-01"], made_at=FIXED_NOW - timedelta(days=8))
    login(resident)
    response = client.post(f"/housing/offers/{offer.id}/accept")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "This offer expired on 30 Nov 2026" in html and "cannot be answered any more" in html
    assert session.query(Lease).count() == 0


def test_accepting_an_offer_that_became_impossible_answers_409_with_the_reason(client, login, resident, units,
                                                                                session, manager):
    offer = offer_for(session, resident, units["01-01"])
    hs.update_unit(session, units["01-01"].id, {"status": "out_of_service"}, actor=manager, now=FIXED_NOW)
    login(resident)
    response = client.post(f"/housing/offers/{offer.id}/accept", data={"agree": "y"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "This offer can no longer be accepted" in html and "out of service" in html
    assert session.query(Lease).count() == 0
    session.refresh(offer)
    assert offer.status == "open"


def test_an_answered_offer_cannot_be_answered_again(client, login, resident, units, session):
    offer = offer_for(session, resident, units["01-01"])
    login(resident)
    assert client.post(f"/housing/offers/{offer.id}/decline").status_code == 302
    response = client.post(f"/housing/offers/{offer.id}/accept")
    assert response.status_code == 409
    assert "already declined" in response.get_data(as_text=True)
    assert session.query(Lease).count() == 0


def test_decline_asks_for_confirmation_then_frees_the_unit(client, login, resident, units, session):
    offer = offer_for(session, resident, units["01-01"])
    login(resident)
    page = client.get(f"/housing/offers/{offer.id}/decline")
    assert page.status_code == 200 and "Decline unit 01-01?" in page.get_data(as_text=True)
    session.refresh(offer)
    assert offer.status == "open"
    response = client.post(f"/housing/offers/{offer.id}/decline")
    assert response.status_code == 302
    session.refresh(offer)
    assert offer.status == "declined"
    assert "declined" in client.get("/housing").get_data(as_text=True)


def test_another_residents_records_answer_404_and_stay_unchanged(client, login, make_user, resident, units,
                                                                 session):
    other = make_user("resident")
    offer = offer_for(session, other, units["01-01"])
    application = hs.submit_application(session, user=other, unit_type="twin", move_in=date(2027, 1, 1),
                                        term_months=6, now=FIXED_NOW)
    lease = hs.create_lease(session, unit_id=units["01-02"].id, user_id=other.id, start=date(2027, 1, 1),
                            end=date(2027, 7, 1), actor=make_user("manager"), now=FIXED_NOW)
    login(resident)
    assert client.get(f"/housing/offers/{offer.id}").status_code == 404
    assert client.post(f"/housing/offers/{offer.id}/accept").status_code == 404
    assert client.get(f"/housing/offers/{offer.id}/decline").status_code == 404
    assert client.post(f"/housing/offers/{offer.id}/decline").status_code == 404
    assert client.get(f"/housing/applications/{application.id}/withdraw").status_code == 404
    assert client.post(f"/housing/applications/{application.id}/withdraw").status_code == 404
    assert client.get(f"/housing/leases/{lease.id}").status_code == 404
    session.expire_all()
    assert session.get(Offer, offer.id).status == "open"
    assert session.get(HousingApplication, application.id).status == "submitted"
    assert "01-01" not in client.get("/housing").get_data(as_text=True).split("Unit types")[0]


def test_waitlist_place_shows_position_ahead_and_why(client, login, make_user, resident, units, session, manager):
    # The only twin is let for years: both applicants join the twin waitlist, tier 1 first.
    hs.create_lease(session, unit_id=units["02-01"].id, user_id=make_user("resident").id, start=date(2026, 1, 1),
                    end=date(2030, 1, 1), actor=manager, now=FIXED_NOW)
    first = make_user("resident", priority_tier=1)
    hs.submit_application(session, user=first, unit_type="twin", move_in=date(2027, 1, 1), term_months=12,
                          now=FIXED_NOW)
    hs.submit_application(session, user=resident, unit_type="twin", move_in=date(2027, 1, 1), term_months=12,
                          now=FIXED_NOW)
    hs.commit_round(session, actor=manager, now=FIXED_NOW)
    login(resident)
    html = client.get("/housing").get_data(as_text=True)
    assert 'data-testid="waitlist-position">2<' in html
    assert "1 ahead" in html
    assert "Tier 2; 1 applicant ahead: 1 of tier 1." in html
    assert "waitlisted" in html  # the application's status
