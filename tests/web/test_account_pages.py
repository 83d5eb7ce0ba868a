"""My account and the pages an emailed link opens: forgotten password, choose a password
(refused when expired or used), change password (the current one first; other sessions and
tokens end), API tokens, other sessions, email confirmation, and the inbox that shows a
link only when this server sends no email."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from innocell.models import ApiToken, LoginAttempt, Notification, User

from tests.conftest import FIXED_NOW


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_in(app, email, password="tram-harbour-7"):
    browser = app.test_client()
    assert browser.post("/login", data={"email": email, "password": password}).status_code == 302
    return browser


def latest_link(session, kind) -> str:
    return session.execute(select(Notification.link).where(Notification.kind == kind)
                           .order_by(Notification.id.desc())).scalars().first()


@pytest.fixture
def ivy(make_user):
    return make_user(name="Ivy Ho", email="ivy@park.example")


# ----------------------------------------------------------------------------- forgotten password


def test_forgotten_password_answers_alike_and_the_link_works_once(app, client, ivy, session):
    answers = []
    for email in ("ivy@park.example", "nobody@park.example"):
        response = client.post("/password/forgot", data={"email": email})
        answers.append((response.status_code, text(response).replace(email, "EMAIL")))
    assert answers[0] == answers[1] and answers[0][0] == 200
    assert "If EMAIL has an InnoCell account" in answers[0][1]

    path = latest_link(session, "password_reset")
    form = client.get(path)
    assert form.status_code == 200 and "ivy@park.example" in text(form)
    weak = client.post(path, data={"password": "password1", "confirm": "password1"})
    assert weak.status_code == 422 and "most common passwords" in text(weak)
    done = client.post(path, data={"password": "lantern-harbour-7", "confirm": "lantern-harbour-7"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert "Your password is set" in text(client.get("/login"))
    signed_in(app, "ivy@park.example", "lantern-harbour-7")

    reused = client.post(path, data={"password": "another-harbour-7", "confirm": "another-harbour-7"})
    assert reused.status_code == 404 and "expired or has already been used" in text(reused)
    assert client.get(path).status_code == 404
    assert client.get("/password/not-a-real-link").status_code == 404


def test_an_expired_reset_link_shows_why_and_changes_nothing(app, client, ivy, session):
    client.post("/password/forgot", data={"email": "ivy@park.example"})
    path = latest_link(session, "password_reset")
    app.config["CLOCK"] = lambda: FIXED_NOW + timedelta(minutes=61)
    expired = client.post(path, data={"password": "lantern-harbour-7", "confirm": "lantern-harbour-7"})
    assert expired.status_code == 404 and "expired" in text(expired)
    signed_in(app, "ivy@park.example")  # the old password still works


# ----------------------------------------------------------------------------- change password, sessions, tokens


def test_changing_the_password_asks_for_the_current_one_and_ends_the_rest(app, ivy, api, session):
    token = api(ivy)
    other_browser = signed_in(app, "ivy@park.example")
    browser = signed_in(app, "ivy@park.example")
    attempts = len(session.execute(select(LoginAttempt)).all())

    wrong = browser.post("/account/password", data={"current": "guess", "password": "lantern-harbour-7",
                                                    "confirm": "lantern-harbour-7"})
    assert wrong.status_code == 422 and "The current password is not right." in text(wrong)
    assert len(session.execute(select(LoginAttempt)).all()) == attempts + 1  # throttled like a sign-in

    done = browser.post("/account/password", data={"current": "tram-harbour-7", "password": "lantern-harbour-7",
                                                   "confirm": "lantern-harbour-7"})
    assert done.status_code == 302
    assert "1 API token revoked" in text(browser.get("/account"))
    assert browser.get("/home").status_code == 200  # this browser stays signed in
    assert other_browser.get("/home").status_code == 302  # every other one is signed out
    assert token.get("/api/v1/me").status_code == 401


def test_api_tokens_are_named_listed_and_revoked(app, ivy, session):
    browser = signed_in(app, "ivy@park.example")
    made = browser.post("/account/tokens", data={"name": "lab scheduler"})
    assert made.status_code == 201
    plain = re.search(r"<code>([^<]+)</code>", text(made)).group(1)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    row = session.execute(select(ApiToken)).scalar_one()
    assert row.name == "lab scheduler" and plain not in row.token_hash
    page = text(browser.get("/account"))
    assert "lab scheduler" in page and plain not in page  # shown once only
    assert browser.post("/account/tokens", data={"name": ""}).status_code == 422

    assert browser.post(f"/account/tokens/{row.id + 1}/revoke").status_code == 404
    assert browser.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_another_persons_token_cannot_be_revoked(app, ivy, make_user, api, session):
    api(make_user(email="leo@park.example"))
    theirs = session.execute(select(ApiToken)).scalar_one()
    browser = signed_in(app, "ivy@park.example")
    assert browser.post(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    session.refresh(theirs)
    assert theirs.revoked_at is None


def test_signing_out_every_other_browser(app, ivy):
    elsewhere = signed_in(app, "ivy@park.example")
    here = signed_in(app, "ivy@park.example")
    assert here.post("/account/sessions/end-others").status_code == 302
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


def test_name_and_notification_preferences(app, ivy, session):
    browser = signed_in(app, "ivy@park.example")
    assert browser.post("/account/profile", data={"name": "  Ivy   Ho-Lam ", "contact_email": ""}).status_code == 302
    assert browser.post("/account/notifications", data={"email_reminders": "0"}).status_code == 302
    session.refresh(ivy)
    assert (ivy.name, ivy.email_reminders, ivy.contact_email) == ("Ivy Ho-Lam", False, None)


def test_a_contact_email_waits_for_its_link(app, ivy, session):
    browser = signed_in(app, "ivy@park.example")
    saved = browser.post("/account/profile", data={"name": "Ivy Ho", "contact_email": "ivy@home.example"},
                         follow_redirects=True)
    assert "We sent a link to ivy@home.example" in text(saved) and "Waiting for you to open the link" in text(saved)
    path = latest_link(session, "contact_email")
    assert "Confirm ivy@home.example" in text(app.test_client().get(path))
    assert app.test_client().post(path).status_code == 302
    session.refresh(ivy)
    assert ivy.contact_email == "ivy@home.example"


# ----------------------------------------------------------------------------- confirming an email


def test_an_unconfirmed_account_is_told_and_confirms_from_the_link(app, make_user, make_company, session):
    make_company("Harbour Robotics", email_domain="harbour.example")
    visitor = app.test_client()
    visitor.post("/register", data={"name": "Wing Chan", "email": "wing@harbour.example", "company": "",
                                    "password": "lantern-harbour-7", "confirm": "lantern-harbour-7"})
    browser = signed_in(app, "wing@harbour.example", "lantern-harbour-7")
    assert 'data-testid="unverified"' in text(browser.get("/home"))
    # Without SMTP the inbox shows the link (the demo); with SMTP only the email has it.
    assert 'data-testid="notice-link"' in text(browser.get("/inbox"))
    app.config["SMTP_URL"] = "smtp://mail.park.example:25"
    inbox = text(browser.get("/inbox"))
    assert 'data-testid="notice-link"' not in inbox and "The link is in the email we sent." in inbox
    app.config["SMTP_URL"] = ""

    path = latest_link(session, "email_verification")
    assert browser.get(path).status_code == 200  # a GET (a mail scanner) confirms nothing
    wing = session.execute(select(User).where(User.email == "wing@harbour.example")).scalar_one()
    assert wing.email_verified_at is None
    assert browser.post(path).status_code == 302
    session.refresh(wing)
    assert wing.email_verified_at == FIXED_NOW
    assert 'data-testid="unverified"' not in text(browser.get("/home"))
    assert browser.post(path).status_code == 404


def test_a_new_confirmation_link_on_request(app, make_user, session):
    make_user(email="leo@park.example", email_verified_at=None)
    browser = signed_in(app, "leo@park.example")
    response = browser.post("/account/verify", follow_redirects=True)
    assert "We sent a new link to leo@park.example" in text(response)
    assert latest_link(session, "email_verification").startswith("/confirm/")
