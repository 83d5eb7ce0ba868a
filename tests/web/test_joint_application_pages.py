"""Joint applications through the pages and the API: a resident applies for a twin unit naming
a partner; the partner sees it on their housing page and confirms; the round offers the unit
to both; each accepts on their own offer page and holds a lease of it. The API carries the
partner fields and the partner's answer, as documented."""
from __future__ import annotations

from sqlalchemy import select

from innocell.extensions import db
from innocell.models import HousingApplication, Lease, Offer
from innocell.services import housing as hs
from tests.conftest import FIXED_NOW


def _twin(session, manager):
    unit = hs.create_unit(session, {"code": "12-01", "unit_type": "twin", "floor": 12, "monthly_rent": 13800,
                                    "occupancy": 2}, actor=manager, now=FIXED_NOW)
    session.commit()
    return unit


def test_a_pair_applies_confirms_and_each_accepts_the_twin_unit_on_the_pages(client, login, make_user, session):
    manager = make_user("manager")
    twin = _twin(session, manager)
    ann = make_user(name="Ann Applicant", email="ann@example.test")
    pat = make_user(name="Pat Partner", email="pat@example.test")
    login(ann)
    form = client.get("/housing/apply").get_data(as_text=True)
    assert 'name="partner_email"' in form
    wrong = client.post("/housing/apply", data={"unit_type": "twin", "move_in": "2027-02-01", "term_kind": "months",
                                                "term_months": "6", "occupants": "1",
                                                "partner_email": "nobody@example.test"})
    assert wrong.status_code == 422 and "no resident with that email" in wrong.get_data(as_text=True)
    sent = client.post("/housing/apply", data={"unit_type": "twin", "move_in": "2027-02-01", "term_kind": "months",
                                               "term_months": "6", "occupants": "1",
                                               "partner_email": "pat@example.test"}, follow_redirects=True)
    assert "Pat Partner is asked to confirm it" in sent.get_data(as_text=True)
    app = db.session.execute(select(HousingApplication)).scalar_one()
    assert 'waiting for the partner to confirm' in client.get("/housing").get_data(as_text=True)
    client.post("/logout")
    login(pat)
    home = client.get("/housing").get_data(as_text=True)
    assert f'data-testid="joint-answer-{app.id}"' in home and "Ann Applicant" in home
    assert f'data-testid="change-{app.id}"' not in home  # only the applicant changes it
    confirmed = client.post(f"/housing/applications/{app.id}/joint", data={"answer": "confirm"},
                            follow_redirects=True).get_data(as_text=True)
    assert "You confirmed" in confirmed and "confirmed by the partner" in confirmed
    db.session.rollback()
    hs.commit_round(db.session, actor=manager, now=FIXED_NOW)
    db.session.commit()
    offers = {o.user_id: o for o in db.session.execute(select(Offer)).scalars()}
    assert set(offers) == {ann.id, pat.id} and {o.unit_id for o in offers.values()} == {twin.id}
    assert client.post(f"/housing/offers/{offers[pat.id].id}/accept", data={"agree": "y"}).status_code == 302
    client.post("/logout")
    login(ann)
    assert f'data-testid="accept-{offers[ann.id].id}"' in client.get("/housing").get_data(as_text=True)
    assert client.post(f"/housing/offers/{offers[ann.id].id}/accept", data={"agree": "y"}).status_code == 302
    db.session.rollback()
    leases = db.session.execute(select(Lease).where(Lease.unit_id == twin.id)).scalars().all()
    assert sorted(x.user_id for x in leases) == sorted([ann.id, pat.id])
    assert {x.status for x in leases} == {"active"}


def test_the_api_makes_a_joint_application_and_the_partner_answers_it(api, make_user, session):
    manager = make_user("manager")
    _twin(session, manager)
    ann = make_user(name="Ann Applicant", email="ann@example.test")
    pat = make_user(name="Pat Partner", email="pat@example.test")
    made = api(ann).post("/api/v1/housing-applications", json={"unit_type": "twin", "move_in": "2027-02-01",
                                                               "term_months": 6, "partner_email": "pat@example.test"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()["application"]
    assert (body["partner_id"], body["partner_name"], body["partner_status"], body["occupants"]) == \
        (pat.id, "Pat Partner", "pending", 2)
    assert [a["id"] for a in api(pat).get("/api/v1/housing-applications").get_json()["applications"]] == [body["id"]]
    assert api(ann).post(f"/api/v1/housing-applications/{body['id']}/partner",
                         json={"confirm": True}).status_code == 404  # only the partner answers
    answered = api(pat).post(f"/api/v1/housing-applications/{body['id']}/partner", json={"confirm": True})
    assert answered.status_code == 200 and answered.get_json()["application"]["partner_status"] == "confirmed"
    again = api(pat).post(f"/api/v1/housing-applications/{body['id']}/partner", json={"confirm": False})
    assert again.status_code == 409
    gone = api(pat).post(f"/api/v1/housing-applications/{body['id']}/withdraw")
    assert gone.status_code == 200 and gone.get_json()["application"]["status"] == "withdrawn"
