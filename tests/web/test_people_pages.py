"""The admin's pages for people, companies and the registration policy: who sees them, the
change of a tier with its reason, deactivation behind a confirmation page that lists what the
person holds, invitations, approvals."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from innocell.models import AuditEvent, Company, User
from innocell.services import bookings, spaces

from tests.conftest import FIXED_NOW


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def admin(make_user):
    return make_user("admin", email="ada@park.example", name="Ada Admin")


def browser_for(app, user, password="tram-harbour-7"):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, text(response)
    return browser


def test_who_sees_the_people_pages(app, admin, make_user):
    person = make_user(name="Ivy Ho")
    pages = ["/admin/people", f"/admin/people/{person.id}", "/admin/companies"]
    admin_only = [f"/admin/people/{person.id}/edit", f"/admin/people/{person.id}/deactivate", "/admin/people/invite",
                  "/admin/companies/new", "/admin/registration"]
    for role, (readable, changeable) in {"admin": (200, 200), "manager": (200, 403), "resident": (403, 403),
                                         "finance": (403, 403)}.items():
        browser = browser_for(app, admin if role == "admin" else make_user(role))
        for path in pages:
            assert browser.get(path).status_code == readable, (role, path)
        for path in admin_only:
            assert browser.get(path).status_code == changeable, (role, path)
    anonymous = app.test_client().get("/admin/people")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_list_searches_and_shows_state_and_last_sign_in(app, admin, make_user):
    make_user(name="Ivy Ho", email="ivy@nanobio.example", company="NanoBio Labs")
    make_user(name="Leo Lam", email="leo@park.example", email_verified_at=None)
    browser = browser_for(app, admin)
    page = text(browser.get("/admin/people?q=nanobio"))
    assert "Ivy Ho" in page and "Leo Lam" not in page and "1 person." in page
    rows = re.findall(r'data-testid="person-row">(.*?)</tr>', text(browser.get("/admin/people?state=unverified")), re.S)
    assert len(rows) == 1 and "Leo Lam" in rows[0] and "unverified" in rows[0] and "never" in rows[0]
    assert "Ada Admin" in text(browser.get("/admin/people?role=admin"))
    assert browser.get("/admin/people?company=99999999999&page=x").status_code == 200


def test_a_tier_change_needs_its_reason_and_shows_on_the_persons_page(app, admin, make_user, session):
    person = make_user(name="Ivy Ho", priority_tier=3)
    browser = browser_for(app, admin)
    form = {"role": "resident", "company_id": str(person.company_id), "priority_tier": "1", "reason": ""}
    refused = browser.post(f"/admin/people/{person.id}/edit", data=form)
    assert refused.status_code == 422 and "Give the reason for changing the tier" in text(refused)
    saved = browser.post(f"/admin/people/{person.id}/edit", data={**form, "reason": "incubatee"})
    assert saved.status_code == 302
    page = text(browser.get(f"/admin/people/{person.id}"))
    assert re.search(r'data-testid="person-tier">1 <span class="muted">since 1 Dec 2026: incubatee', page)
    assert "priority_tier: 3 → 1" in page and "incubatee" in page
    bad = browser.post(f"/admin/people/{person.id}/edit", data={**form, "company_id": "abc", "reason": "x"})
    assert bad.status_code == 422 and "Choose a company from the list" in text(bad)


def test_deactivation_confirms_lists_what_is_held_and_signs_the_person_out(app, admin, make_user, session):
    person = make_user(name="Ivy Ho", email="ivy@park.example")
    manager = make_user("manager")
    space = spaces.create_space(session, {"code": "MR-7", "name": "Room 7", "kind": "meeting_room"}, actor=manager,
                                now=FIXED_NOW)
    start = FIXED_NOW + timedelta(days=1)
    bookings.book(session, user=person, space_id=space.id, start=start, end=start + timedelta(hours=1), now=FIXED_NOW)
    theirs = browser_for(app, person)
    browser = browser_for(app, admin)

    confirm = text(browser.get(f"/admin/people/{person.id}/deactivate"))
    assert "1 upcoming booking" in confirm and "Room 7" in confirm and "Nothing is deleted" in confirm
    refused = browser.post(f"/admin/people/{person.id}/deactivate", data={"reason": ""})
    assert refused.status_code == 422 and "Say why the account is deactivated." in text(refused)
    done = browser.post(f"/admin/people/{person.id}/deactivate", data={"reason": "Left the park"})
    assert done.status_code == 302
    page = text(browser.get(f"/admin/people/{person.id}"))
    assert 'data-testid="person-state">deactivated' in page and "Room 7" in page and "Reactivate" in page

    assert theirs.get("/home").status_code == 302  # their session ended
    again = app.test_client().post("/login", data={"email": "ivy@park.example", "password": "tram-harbour-7"})
    assert again.status_code == 200 and "Wrong email or password." in text(again)

    assert browser.post(f"/admin/people/{person.id}/reactivate", data={"reason": ""}).status_code == 302
    assert browser_for(app, person).get("/home").status_code == 200


def test_an_admin_invites_and_sees_the_link_only_when_no_email_is_sent(app, admin, make_company, session):
    company = make_company("NanoBio Labs", default_priority_tier=1)
    browser = browser_for(app, admin)
    form = {"name": "Kit Lee", "email": "kit@nanobio.example", "role": "resident", "company_id": str(company.id),
            "priority_tier": ""}
    page = browser.post("/admin/people/invite", data=form)
    assert page.status_code == 200 and "Kit Lee is invited" in text(page)
    link = re.search(r'href="(/password/[^"]+)" data-testid="invitation-link">http://127\.0\.0\.1:5000/password/',
                     text(page))
    assert link
    kit = session.execute(select(User).where(User.email == "kit@nanobio.example")).scalar_one()
    assert (kit.company, kit.priority_tier) == ("NanoBio Labs", 1)
    taken = browser.post("/admin/people/invite", data=form)
    assert taken.status_code == 409 and "already exists" in text(taken)

    app.config["SMTP_URL"] = "smtp://mail.park.example:25"
    again = browser.post(f"/admin/people/{kit.id}/invite-again", data={})
    assert again.status_code == 200 and "invitation-link" not in text(again)
    assert browser.get(link.group(1)).status_code == 404  # the first link was replaced


def test_managers_approve_or_refuse_waiting_registrations(app, admin, make_user, session):
    manager = make_user("manager")
    browser = browser_for(app, admin)
    assert browser.post("/admin/registration", data={"policy": "approval"}).status_code == 302
    visitor = app.test_client()
    visitor.post("/register", data={"name": "Sam Tsang", "email": "sam@gmail.example", "company": "Sam's Startup",
                                    "password": "lantern-harbour-7", "confirm": "lantern-harbour-7"})
    sam = session.execute(select(User).where(User.email == "sam@gmail.example")).scalar_one()
    staff = browser_for(app, manager)
    listing = text(staff.get("/admin/people"))
    assert "1 registration waiting for approval" in listing
    page = text(staff.get(f"/admin/people/{sam.id}"))
    assert "Sam&#39;s Startup" in page and "Approve" in page
    assert staff.post(f"/admin/people/{sam.id}/approve", data={"reason": ""}).status_code == 302
    assert app.test_client().post("/login", data={"email": "sam@gmail.example",
                                                  "password": "lantern-harbour-7"}).status_code == 302


def test_the_registration_policy_page_closes_registration(app, admin, make_company, session):
    make_company("Harbour Robotics", email_domain="harbour.example")
    browser = browser_for(app, admin)
    page = text(browser.get("/admin/registration"))
    assert re.findall(r'<input checked id="policy-\d" name="policy" type="radio" value="(\w+)">', page) == [
        "company_domains"]
    assert "harbour.example (Harbour Robotics)" in page
    assert browser.post("/admin/registration", data={"policy": "everyone"}).status_code == 422
    assert browser.post("/admin/registration", data={"policy": "invitation"}).status_code == 302
    visitor = app.test_client()
    assert 'data-testid="registration-closed"' in text(visitor.get("/register"))
    users = session.execute(select(func.count(User.id))).scalar_one()
    closed = visitor.post("/register", data={"name": "Wing", "email": "wing@harbour.example", "company": "",
                                             "password": "lantern-harbour-7", "confirm": "lantern-harbour-7"})
    assert closed.status_code == 403
    assert session.execute(select(func.count(User.id))).scalar_one() == users
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "registration.policy")).scalar_one()
    assert event.details == {"old": "company_domains", "new": "invitation"}


def test_companies_are_added_and_edited_on_their_pages(app, admin, session):
    browser = browser_for(app, admin)
    form = {"name": "QuantaSense", "status": "incubatee", "default_priority_tier": "1",
            "email_domain": "quanta.example", "billing_contact_name": "Accounts",
            "billing_contact_email": "ap@quanta.example"}
    made = browser.post("/admin/companies/new", data=form)
    assert made.status_code == 302
    company = session.execute(select(Company).where(Company.name == "QuantaSense")).scalar_one()
    page = text(browser.get(f"/admin/companies/{company.id}"))
    assert "Incubatee" in page and "quanta.example" in page and "ap@quanta.example" in page
    duplicate = browser.post("/admin/companies/new", data={**form, "name": "quantasense "})
    assert duplicate.status_code == 409 and "already a company called QuantaSense" in text(duplicate)
    taken = browser.post("/admin/companies/new", data={**form, "name": "Other", "email_domain": "QUANTA.example"})
    assert taken.status_code == 409 and "belongs to QuantaSense" in text(taken)
    edited = browser.post(f"/admin/companies/{company.id}/edit", data={**form, "status": "alumnus"})
    assert edited.status_code == 302
    assert "Alumnus" in text(browser.get("/admin/companies?q=quanta"))
