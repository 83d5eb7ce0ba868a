"""Accounts in the browser: register, sign in and out, throttling held in the database,
safe `next` redirects, CSRF on every form, cookie flags, sign-out that really ends sessions.
(Abuse cases, throttling in detail, passwords and headers: test_auth_abuse.py.)"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from innocell import create_app
from innocell.extensions import db
from innocell.models import LoginAttempt, User


def _location(response) -> str:
    """The redirect target as a local path (with query)."""
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _users(email=None) -> int:
    query = select(func.count(User.id))
    if email:
        query = query.where(User.email == email)
    return db.session.execute(query).scalar_one()


# ----------------------------------------------------------------------------- register


REGISTRATION = {"name": "Wing Chan", "email": "Wing@Harbour.example", "company": "Harbour Robotics",
                "password": "long-enough-1", "confirm": "long-enough-1"}


def test_registration_creates_a_resident_with_an_argon2id_hash_who_then_signs_in(client, make_company):
    make_company("Harbour Robotics", email_domain="harbour.example")  # the default policy: park companies' domains
    response = client.post("/register", data=REGISTRATION)

    # Not signed in straight away: the answer must not differ from a taken email's (below).
    assert response.status_code == 302 and _location(response) == "/login"
    assert "If wing@harbour.example was new to InnoCell" in client.get("/login").get_data(as_text=True)
    user = db.session.execute(select(User).where(User.email == "wing@harbour.example")).scalar_one()
    assert (user.role, user.name, user.company, user.priority_tier) == ("resident", "Wing Chan", "Harbour Robotics", 3)
    assert user.password_hash.startswith("$argon2id$") and "long-enough-1" not in user.password_hash
    signed_in = client.post("/login", data={"email": "wing@harbour.example", "password": "long-enough-1"})
    assert signed_in.status_code == 302 and _location(signed_in) == "/home"
    home = client.get("/home")
    assert home.status_code == 200 and "Wing Chan" in home.get_data(as_text=True)


def test_registration_with_a_taken_email_or_bad_fields_writes_no_account(client, make_user, make_company):
    make_company("Harbour Robotics", email_domain="harbour.example")
    make_user(email="wing@harbour.example")
    before = _users()

    taken = client.post("/register", data=REGISTRATION)
    assert taken.status_code == 302 and _location(taken) == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "If wing@harbour.example was new to InnoCell" in page and "exists" not in page

    mismatch = client.post("/register", data={**REGISTRATION, "email": "new@x.example", "confirm": "different-1"})
    assert mismatch.status_code == 200 and "The passwords differ." in mismatch.get_data(as_text=True)

    short = client.post("/register", data={**REGISTRATION, "email": "new@x.example", "password": "short",
                                            "confirm": "short"})
    assert short.status_code == 200 and "Use at least 8 characters." in short.get_data(as_text=True)

    assert _users() == before
    assert client.get("/home").status_code == 302  # nobody got signed in


# ----------------------------------------------------------------------------- sign in / out


def test_sign_in_lands_on_home_and_sign_out_ends_the_session(client, make_user):
    user = make_user("manager", email="max@park.example", password="manager-pw1")
    assert _location(client.get("/home")).startswith("/login?next=")

    response = client.post("/login", data={"email": "  MAX@park.example ", "password": "manager-pw1"})
    assert response.status_code == 302 and _location(response) == "/home"
    assert client.get("/home").status_code == 200
    assert _location(client.get("/login")) == "/home"  # already signed in

    out = client.post("/logout")
    assert out.status_code == 302 and _location(out) == "/login"
    assert "You are signed out." in client.get("/login").get_data(as_text=True)
    assert _location(client.get("/home")).startswith("/login?next=")
    assert db.session.get(User, user.id) is not None


@pytest.mark.parametrize("email,password", [("resident1@example.test", "wrong-password"),
                                            ("nobody@example.test", "tram-harbour-7")])
def test_wrong_credentials_show_one_message_and_do_not_sign_in(client, make_user, email, password):
    make_user()
    response = client.post("/login", data={"email": email, "password": password})

    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert _location(client.get("/home")).startswith("/login")


def test_an_inactive_account_cannot_sign_in(client, make_user):
    make_user(email="gone@example.test", active=False)
    response = client.post("/login", data={"email": "gone@example.test", "password": "tram-harbour-7"})
    assert response.status_code == 200 and "Wrong email or password." in response.get_data(as_text=True)


# ----------------------------------------------------------------------------- throttling


@pytest.mark.both_db
def test_throttling_after_max_failures_is_held_in_the_database(app, app_config, client, make_user):
    app.config["LOGIN_MAX_FAILURES"] = 3
    make_user(email="target@example.test", password="right-password")
    make_user(email="bystander@example.test", password="right-password")

    for _ in range(3):
        assert client.post("/login", data={"email": "target@example.test", "password": "guess"}).status_code == 200

    refused = client.post("/login", data={"email": "target@example.test", "password": "right-password"})
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert _location(client.get("/home")).startswith("/login")

    # Another app instance (another process in production) reads the same failures.
    other = create_app({**app_config, "LOGIN_MAX_FAILURES": 3})
    with other.app_context():
        other_client = other.test_client()
        again = other_client.post("/login", data={"email": "target@example.test", "password": "right-password"})
        assert again.status_code == 429
        token = other_client.post("/api/v1/tokens", json={"email": "target@example.test", "password": "right-password"})
        assert token.status_code == 429 and token.get_json()["error"] == "too_many_requests"
        assert int(token.headers["Retry-After"]) >= 1
        # Other accounts are not affected.
        fine = other_client.post("/login", data={"email": "bystander@example.test", "password": "right-password"})
        assert fine.status_code == 302
        db.session.remove()
        db.engine.dispose()

    # Failures are recorded rows, not process memory.
    count = db.session.execute(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.email == "target@example.test", LoginAttempt.success.is_(False))).scalar_one()
    assert count == 3


# ----------------------------------------------------------------------------- next


@pytest.mark.parametrize("target", [
    "https://evil.example/steal", "//evil.example/steal", "/\\evil.example", "\\\\evil.example",
    "http:evil.example", "javascript:alert(1)", "evil.example", "/%0d%0aSet-Cookie:x=1".replace("%0d%0a", "\r\n"),
])
def test_sign_in_ignores_an_unsafe_next(client, make_user, target):
    make_user(email="r@example.test")
    response = client.post("/login", data={"email": "r@example.test", "password": "tram-harbour-7", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/home", "http://localhost/home")


def test_sign_in_follows_a_local_next_and_the_login_page_carries_it(client, make_user):
    make_user(email="r@example.test")
    login_page = client.get("/login?next=/inbox%3Fpage%3D2").get_data(as_text=True)
    assert 'value="/inbox?page=2"' in login_page

    response = client.post("/login", data={"email": "r@example.test", "password": "tram-harbour-7", "next": "/inbox?page=2"})
    assert response.status_code == 302 and _location(response) == "/inbox?page=2"


# ----------------------------------------------------------------------------- CSRF


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["WTF_CSRF_ENABLED"] = True
        return app_config

    def test_forms_without_a_token_are_refused_with_a_400_page_and_nothing_is_written(self, client, make_user):
        make_user(email="r@example.test")
        attempts_before = db.session.execute(select(func.count(LoginAttempt.id))).scalar_one()

        login = client.post("/login", data={"email": "r@example.test", "password": "tram-harbour-7"})
        register = client.post("/register", data={**REGISTRATION, "email": "csrf@example.test"})

        for response in (login, register):
            assert response.status_code == 400
            assert "Your form expired or was sent from elsewhere" in response.get_data(as_text=True)
        assert _users("csrf@example.test") == 0
        assert db.session.execute(select(func.count(LoginAttempt.id))).scalar_one() == attempts_before
        assert _location(client.get("/home")).startswith("/login")

    def test_the_same_forms_with_the_page_token_work_and_sign_out_needs_it_too(self, client, make_user):
        make_user(email="r@example.test")
        token = _csrf_token(client, "/login")
        signed_in = client.post("/login", data={"email": "r@example.test", "password": "tram-harbour-7", "csrf_token": token})
        assert signed_in.status_code == 302 and _location(signed_in) == "/home"

        forged = client.post("/logout")
        assert forged.status_code == 400
        assert client.get("/home").status_code == 200  # still signed in

        out = client.post("/logout", data={"csrf_token": _csrf_token(client, "/home")})
        assert out.status_code == 302 and _location(client.get("/home")).startswith("/login")


# ----------------------------------------------------------------------------- cookies and sessions


def _set_cookie(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, response.headers.getlist("Set-Cookie")
    return headers[-1]


def test_session_and_remember_cookies_are_http_only_and_same_site(client, make_user):
    make_user(email="r@example.test")
    response = client.post("/login", data={"email": "r@example.test", "password": "tram-harbour-7", "remember": "y"})

    for name in ("session", "remember_token"):
        cookie = _set_cookie(response, name).lower()
        assert "httponly" in cookie and "samesite=lax" in cookie, cookie
        assert "secure" not in cookie  # development serves plain http on loopback


def test_production_cookies_are_secure(app_config, make_user):
    make_user(email="r@example.test")
    prod = create_app({**app_config, "INNOCELL_ENV": "production", "SECRET_KEY": "a-real-secret"})
    with prod.app_context():
        response = prod.test_client().post("/login", data={"email": "r@example.test", "password": "tram-harbour-7",
                                                            "remember": "y"})
        assert response.status_code == 302
        for name in ("session", "remember_token"):
            cookie = _set_cookie(response, name).lower()
            assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie, cookie
        db.session.remove()
        db.engine.dispose()


def test_production_refuses_to_start_without_a_secret_key(app_config):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**app_config, "INNOCELL_ENV": "production", "SECRET_KEY": ""})


def test_sign_out_rotates_the_session_token_so_old_cookies_stop_working(app, client, make_user):
    user = make_user(email="r@example.test")
    other_device = app.test_client()
    for c in (client, other_device):
        assert c.post("/login", data={"email": "r@example.test", "password": "tram-harbour-7", "remember": "y"}).status_code == 302
    stolen_session = client.get_cookie("session").value
    stolen_remember = client.get_cookie("remember_token").value
    token_before = user.session_token

    client.post("/logout")

    db.session.refresh(user)
    assert user.session_token != token_before
    replay = app.test_client()
    replay.set_cookie("session", stolen_session)
    replay.set_cookie("remember_token", stolen_remember)
    assert _location(replay.get("/home")).startswith("/login")
    # Signing out signs out every device of that account.
    assert _location(other_device.get("/home")).startswith("/login")


@pytest.mark.both_db
def test_simultaneous_sign_ins_all_succeed(app, make_user):
    """Sign-ins write an attempt row; racing ones must queue for the write, not fail with
    "database is locked" (SQLite refuses to turn a read transaction into a write once another
    writer has committed)."""
    import threading

    users = [make_user(email=f"racer{i}@example.test") for i in range(8)]
    barrier = threading.Barrier(len(users))
    results: list[int] = []

    def run(email):
        client = app.test_client()
        barrier.wait()
        for _ in range(4):
            response = client.post("/login", data={"email": email, "password": "tram-harbour-7"})
            results.append(response.status_code)
            client.post("/logout")

    threads = [threading.Thread(target=run, args=(u.email,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert results == [302] * 32
    db.session.rollback()  # end this thread's read snapshot (taken before the race) to see the rows
    count = db.session.execute(select(func.count(LoginAttempt.id)).where(LoginAttempt.success.is_(True))).scalar_one()
    assert count == 32
