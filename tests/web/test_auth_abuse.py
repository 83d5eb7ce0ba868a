"""Sign-in and registration tried as an attacker would, through the browser form, the API and
the command line: throttling that answers 429 with Retry-After but never locks the owner out,
no page that tells who has an account, weak passwords refused, security headers, and sign-out
that can revoke API tokens. (The rules in detail: tests/services/test_login_throttle.py.)"""
from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from innocell import create_app
from innocell.extensions import db
from innocell.models import LoginAttempt, Notification, User
from tests.conftest import FIXED_NOW

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}
PASSWORD = "tram-harbour-7"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def form_sign_in(client, email, password, where):
    return client.post("/login", data={"email": email, "password": password}, environ_base=where)


def api_sign_in(client, email, password, where):
    return client.post("/api/v1/tokens", json={"email": email, "password": password}, environ_base=where)


def count(model, *where) -> int:
    return db.session.execute(select(func.count(model.id)).where(*where)).scalar_one()


# ----------------------------------------------------------------------------- throttling, not lock-out


@pytest.mark.both_db
def test_five_wrong_guesses_slow_the_guesser_but_the_owner_signs_in_from_elsewhere(app, client, make_user):
    staff = make_user("admin", email="ada@park.example")
    for _ in range(5):
        assert form_sign_in(client, staff.email, "guess-guess", ATTACKER).status_code == 200

    refused = form_sign_in(client, staff.email, PASSWORD, ATTACKER)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    api_refused = api_sign_in(client, staff.email, PASSWORD, ATTACKER)
    assert api_refused.status_code == 429 and api_refused.headers["Retry-After"] == "1"
    body = api_refused.get_json()
    assert body["error"] == "too_many_requests" and "Try again in 1 second" in body["message"]

    # The owner, at an address they have never used before, is not held up at all.
    token = api_sign_in(client, staff.email, PASSWORD, OWNER)
    assert token.status_code == 201
    signed_in = form_sign_in(client, staff.email, PASSWORD, OWNER)
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/home")


def test_the_guessers_wait_grows_and_ends(app, client, make_user):
    user = make_user(email="ivy@park.example")
    for _ in range(5):
        form_sign_in(client, user.email, "guess-guess", ATTACKER)
    waits = []
    for step in range(4):
        refused = form_sign_in(client, user.email, "guess-guess", ATTACKER)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        later = app.config["CLOCK"]() + timedelta(seconds=waits[-1])
        app.config["CLOCK"] = lambda at=later: at
        assert form_sign_in(client, user.email, "guess-guess", ATTACKER).status_code == 200  # a real (wrong) try
    assert waits == [1, 2, 4, 8]
    assert count(LoginAttempt, LoginAttempt.success.is_(False)) == 9  # refused tries are not recorded

    app.config["CLOCK"] = lambda: FIXED_NOW + timedelta(hours=1)
    assert form_sign_in(client, user.email, PASSWORD, ATTACKER).status_code == 302


@pytest.mark.both_db
def test_an_email_of_any_length_answers_401_and_stores_at_most_254_characters(client, make_user):
    make_user(email="ivy@park.example")
    for email in ("x" * 20_000 + "@park.example", "ivy@park.example" + "\u200b" * 300):
        response = api_sign_in(client, email, PASSWORD, ATTACKER)
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    # Text no database can store is refused where it enters, before any attempt is counted.
    refused = api_sign_in(client, "ivy\x00@park.example", PASSWORD, ATTACKER)
    assert refused.status_code == 400 and refused.get_json()["error"] == "bad_request"
    lengths = db.session.execute(select(func.length(LoginAttempt.email))).scalars().all()
    assert len(lengths) == 2 and max(lengths) <= 254


# ----------------------------------------------------------------------------- registration reveals nothing


def _flash(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'<div class="flash[^"]*" role="status">(.*?)</div>', page, re.S)
    assert match, page
    return match.group(1)


def test_registration_answers_alike_for_a_new_and_a_taken_email_and_tells_the_owner(app, make_user, make_company):
    make_company("Harbour Robotics", email_domain="harbour.example")  # the default policy: park companies' domains
    owner = make_user(email="taken@harbour.example")
    answers = {}
    for email in ("taken@harbour.example", "fresh@harbour.example"):
        client = app.test_client()
        response = client.post("/register", data={"name": "Wing Chan", "email": email, "company": "Harbour Robotics",
                                                   "password": "long-enough-1", "confirm": "long-enough-1"})
        answers[email] = (response.status_code, response.headers["Location"], _flash(client).replace(email, "EMAIL"),
                          client.get("/home").status_code)
    assert answers["taken@harbour.example"] == answers["fresh@harbour.example"]
    assert answers["fresh@harbour.example"][:2] == (302, "/login")

    assert count(User) == 2  # the fresh one only
    note = db.session.execute(select(Notification).where(Notification.user_id == owner.id)).scalar_one()
    assert note.kind == "account_registration_attempt" and "No new account was created" in note.body


@pytest.mark.parametrize("password,message", [
    ("password1", "one of the most common passwords"),
    ("12345678", "one of the most common passwords"),
    ("wingchan-2026", "must not contain your email address&#39;s name (&#39;wingchan&#39;)"),
    ("abcabcabc", "simple run or repeat"),
])
def test_the_register_form_refuses_weak_passwords_with_a_reason(client, password, message):
    response = client.post("/register", data={"name": "Wing Chan", "email": "wingchan@harbour.example",
                                              "company": "Harbour Robotics", "password": password,
                                              "confirm": password})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(User) == 0


def test_cli_create_user_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["create-user", "ops@park.example", "--password", "password",
                                                "--role", "admin"])
    assert result.exit_code == 1
    assert "most common passwords" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    db.session.rollback()
    assert count(User) == 0


# ----------------------------------------------------------------------------- headers


def test_pages_carry_a_strict_content_security_policy_and_no_hsts_in_development(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'unsafe-hashes' 'sha256-", "style-src 'self'", "frame-ancestors 'self'",
                      "form-action 'self'", "base-uri 'none'", "object-src 'none'"):
        assert directive in policy
    assert "Strict-Transport-Security" not in response.headers


def test_no_template_needs_what_the_policy_forbids():
    """No inline <script> and no <style> element anywhere (style-src 'self' leaves only style
    attributes inline): a script element only loads one of our own files from static/js/,
    with nothing between its tags; an inline event handler runs only if it is listed by hash."""
    from innocell.web import CONTENT_SECURITY_POLICY, INLINE_HANDLERS

    own_file = re.compile(r"""<script src="\{\{ url_for\('static', filename='js/[a-z_-]+\.js'\) \}\}" defer></script>""")
    for path in TEMPLATES.rglob("*.html"):
        html = path.read_text()
        for tag in own_file.findall(html):
            name = re.search(r"js/[a-z_-]+\.js", tag).group(0)
            assert (TEMPLATES.parent / "static" / name).is_file(), (path, name)
        assert not re.search(r"<script|<style|javascript:", own_file.sub("", html), re.I), path
        for handler in re.findall(r'\son[a-z]+="([^"]*)"', html, re.I):
            assert handler in INLINE_HANDLERS, (path, handler)
    for handler in INLINE_HANDLERS:
        digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in CONTENT_SECURITY_POLICY


def test_production_answers_with_hsts(app_config):
    prod = create_app({**app_config, "INNOCELL_ENV": "production", "SECRET_KEY": "a-real-secret"})
    with prod.app_context():
        response = prod.test_client().get("/login")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        db.session.remove()
        db.engine.dispose()


def test_signed_in_pages_and_every_api_answer_are_not_stored(client, make_user, login, api):
    user = make_user(email="ivy@park.example")
    caller = api(user)
    for response in (caller.get("/api/v1/me"), client.get("/api/v1/me"), client.get("/api/v1/nothing"),
                     client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})):
        assert response.headers["Cache-Control"] == "no-store", response.status_code

    login(user)
    for path in ("/home", "/inbox"):
        assert client.get(path).headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


# ----------------------------------------------------------------------------- sign out and API tokens


def test_sign_out_offers_to_revoke_the_accounts_api_tokens(client, make_user, login, api):
    user = make_user(email="ivy@park.example")
    script = api(user)
    login(user)
    page = client.get("/home").get_data(as_text=True)
    box = re.search(r'<input type="checkbox" name="revoke_tokens"[^>]*>', page)
    assert box and "checked" not in box.group(0)  # off unless the person ticks it

    client.post("/logout")
    assert script.get("/api/v1/me").status_code == 200  # plain sign-out leaves scripts running

    login(user)
    client.post("/logout", data={"revoke_tokens": "y"})
    assert "1 API token revoked." in client.get("/login").get_data(as_text=True)
    assert script.get("/api/v1/me").status_code == 401


# ----------------------------------------------------------------------------- pruning


def test_run_jobs_prunes_old_sign_in_attempts_and_says_so(app, client):
    app.config["CLOCK"] = lambda: FIXED_NOW - timedelta(days=2)
    api_sign_in(client, "nobody@park.example", PASSWORD, ATTACKER)
    app.config["CLOCK"] = lambda: FIXED_NOW
    api_sign_in(client, "nobody@park.example", PASSWORD, ATTACKER)

    result = app.test_cli_runner().invoke(args=["run-jobs", "--at", "2026-12-01T10:00", "--job", "prune_logins"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "prune_logins: 1 old sign-in attempts removed"
    db.session.rollback()
    assert count(LoginAttempt) == 1
