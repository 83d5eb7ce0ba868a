"""People and companies through the JSON API (CONTRACT.md, People (admin)), on SQLite and
PostgreSQL: who may list and change people, the User shape, a reason for role and tier, a
deactivated person's token and session refused, password resets that always answer 202."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from innocell.models import AuditEvent, Notification, User

pytestmark = pytest.mark.both_db

USER_KEYS = {"id", "email", "name", "role", "company", "priority_tier", "active"}


@pytest.fixture
def staff(make_user, api):
    admin = make_user("admin", email="ada@park.example", name="Ada Admin")
    manager = make_user("manager", email="max@park.example", name="Max Manager")
    return {"admin": api(admin), "manager": api(manager), "admin_user": admin, "manager_user": manager}


def test_admins_and_managers_list_people_paged_and_filtered(staff, make_user, api, client):
    for i in range(5):
        make_user(name=f"Resident {i}", email=f"r{i}@park.example")
    response = staff["admin"].get("/api/v1/users?role=resident&per_page=2&page=2")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (5, 2, 2)
    assert [u["name"] for u in body["users"]] == ["Resident 2", "Resident 3"]
    assert USER_KEYS <= set(body["users"][0])
    assert staff["manager"].get("/api/v1/users?q=ada").get_json()["users"][0]["email"] == "ada@park.example"
    assert staff["admin"].get("/api/v1/users?active=false").get_json()["total"] == 0
    for bad in ("active=maybe", "role=boss", "per_page=0", "page=x", "state=gone"):
        response = staff["admin"].get(f"/api/v1/users?{bad}")
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request", bad
    resident, finance = api(make_user(email="rr@park.example")), api(make_user("finance"))
    for caller in (resident, finance):
        assert caller.get("/api/v1/users").status_code == 403
        assert caller.get(f"/api/v1/users/{staff['admin_user'].id}").status_code == 403
    assert client.get("/api/v1/users").status_code == 401


def test_patch_changes_role_company_and_tier_with_a_reason(staff, make_user, make_company, session):
    make_company("NanoBio Labs")
    person = make_user(email="ivy@park.example", priority_tier=3)
    url = f"/api/v1/users/{person.id}"

    refused = staff["admin"].patch(url, json={"priority_tier": 1})
    assert refused.status_code == 422 and refused.get_json()["violations"][0]["rule"] == "reason"
    refused = staff["admin"].patch(url, json={"role": "manager", "reason": " "})
    assert refused.status_code == 422
    assert staff["manager"].patch(url, json={"priority_tier": 1, "reason": "incubatee"}).status_code == 403
    unknown = staff["admin"].patch(url, json={"email": "x@y.example", "reason": "typo"})
    assert unknown.status_code == 400 and "'email' is not a field" in unknown.get_json()["message"]
    assert session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.target_type == "user",
                                                                 AuditEvent.kind == "action")).scalar_one() == 0

    response = staff["admin"].patch(url, json={"priority_tier": 1, "company": "NanoBio Labs", "reason": "incubatee"})
    assert response.status_code == 200
    user = response.get_json()["user"]
    assert {k: user[k] for k in USER_KEYS} == {"id": person.id, "email": "ivy@park.example", "name": person.name,
                                               "role": "resident", "company": "NanoBio Labs", "priority_tier": 1,
                                               "active": True}
    assert user["tier_change_reason"] == "incubatee"
    assert staff["admin"].get(url).get_json()["user"]["priority_tier"] == 1
    missing = staff["admin"].patch("/api/v1/users/99999", json={"active": False})
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_a_deactivated_persons_token_and_session_answer_401(staff, make_user, api, app):
    person = make_user(email="ivy@park.example")
    theirs = api(person)
    browser = app.test_client()
    assert browser.post("/login", data={"email": "ivy@park.example", "password": "tram-harbour-7"}).status_code == 302
    assert theirs.get("/api/v1/me").status_code == 200 and browser.get("/api/v1/me").status_code == 200

    response = staff["admin"].patch(f"/api/v1/users/{person.id}", json={"active": False})
    assert response.status_code == 200 and response.get_json()["user"]["active"] is False

    for answer in (theirs.get("/api/v1/me"), browser.get("/api/v1/me")):
        assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"
    assert browser.get("/home").status_code == 302
    again = app.test_client().post("/api/v1/tokens", json={"email": "ivy@park.example", "password": "tram-harbour-7"})
    assert again.status_code == 401

    assert staff["admin"].patch(f"/api/v1/users/{person.id}", json={"active": True}).status_code == 200
    assert theirs.get("/api/v1/me").status_code == 401  # its old token stays revoked: sign in afresh
    assert api(person).get("/api/v1/me").status_code == 200


def test_an_admin_cannot_lock_themselves_out(staff):
    admin = staff["admin_user"]
    response = staff["admin"].patch(f"/api/v1/users/{admin.id}", json={"active": False, "reason": "oops"})
    assert response.status_code == 422 and response.get_json()["violations"][0]["rule"] == "self"
    response = staff["admin"].patch(f"/api/v1/users/{admin.id}", json={"role": "resident", "reason": "oops"})
    assert response.status_code == 422


def test_password_resets_always_answer_202_and_only_an_account_gets_a_link(make_user, client, session):
    person = make_user(email="ivy@park.example")
    for email in ("ivy@park.example", "nobody@park.example"):
        response = client.post("/api/v1/password-resets", json={"email": email})
        assert response.status_code == 202
        assert response.get_json()["message"].startswith("If this email has an InnoCell account")
    notes = session.execute(select(Notification.user_id, Notification.kind)).all()
    assert [tuple(n) for n in notes] == [(person.id, "password_reset")]
    bad = client.post("/api/v1/password-resets", json={"email": ["ivy@park.example"]})
    assert bad.status_code == 400


def test_admins_invite_through_the_api(staff, make_company, session):
    make_company("NanoBio Labs", default_priority_tier=1)
    response = staff["admin"].post("/api/v1/users/invitations", json={
        "email": "kit@nanobio.example", "name": "Kit Lee", "company": "NanoBio Labs"})
    assert response.status_code == 201
    user = response.get_json()["user"]
    assert (user["role"], user["company"], user["priority_tier"], user["state"]) == ("resident", "NanoBio Labs", 1,
                                                                                   "invited")
    assert staff["admin"].post("/api/v1/users/invitations", json={"email": "kit@nanobio.example",
                                                                  "name": "Kit"}).status_code == 409
    assert staff["manager"].post("/api/v1/users/invitations", json={"email": "z@z.example",
                                                                    "name": "Z"}).status_code == 403
    assert session.execute(select(func.count(User.id)).where(User.email == "z@z.example")).scalar_one() == 0


def test_companies_through_the_api(staff, api, make_user):
    created = staff["admin"].post("/api/v1/companies", json={
        "name": "QuantaSense", "status": "incubatee", "default_priority_tier": 1, "email_domain": "quanta.example",
        "billing_contact_name": "Accounts", "billing_contact_email": "ap@quanta.example"})
    assert created.status_code == 201
    company = created.get_json()["company"]
    assert company["email_domain"] == "quanta.example" and company["default_priority_tier"] == 1
    duplicate = staff["admin"].post("/api/v1/companies", json={"name": "quantasense"})
    assert duplicate.status_code == 409
    bad = staff["admin"].post("/api/v1/companies", json={"name": "X", "status": "client"})
    assert bad.status_code == 422 and bad.get_json()["violations"][0]["rule"] == "status"
    patched = staff["admin"].patch(f"/api/v1/companies/{company['id']}", json={"status": "alumnus"})
    assert patched.status_code == 200 and patched.get_json()["company"]["status"] == "alumnus"
    listed = staff["manager"].get("/api/v1/companies?q=quanta").get_json()["companies"]
    assert [(c["name"], c["people"]) for c in listed] == [("QuantaSense", 0)]
    assert staff["manager"].post("/api/v1/companies", json={"name": "Y"}).status_code == 403
    assert api(make_user()).get("/api/v1/companies").status_code == 403
