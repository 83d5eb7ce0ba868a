"""API basics (CONTRACT.md section 4): tokens, bearer and session auth, /me, the JSON error
format for 400/401/403/404, and CSRF on session-authenticated writes."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import ApiToken, Space

SPACE = {"code": "API-T1", "name": "API Test Room", "kind": "meeting_room"}


def assert_error(response, status: int, code: str):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and len(body["message"]) > 10
    return body


def _spaces() -> int:
    return db.session.execute(select(func.count(Space.id))).scalar_one()


# ----------------------------------------------------------------------------- tokens


def test_token_is_issued_with_its_expiry_in_local_time_and_stored_only_as_a_hash(app, client, make_user, now):
    make_user(email="r@example.test")
    response = client.post("/api/v1/tokens", json={"email": "R@example.test", "password": "tram-harbour-7"})

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() == timedelta(hours=8)  # Asia/Hong_Kong
    hours = app.config["API_TOKEN_HOURS"]
    assert expires == now + timedelta(hours=hours)  # from the app's clock, pinned in tests
    stored = db.session.execute(select(ApiToken.token_hash)).scalars().all()
    assert len(stored) == 1 and body["token"] not in stored[0]


@pytest.mark.parametrize("payload", [{"email": "r@example.test", "password": "wrong-password"},
                                     {"email": "nobody@example.test", "password": "tram-harbour-7"}])
def test_wrong_credentials_answer_401_json_and_issue_nothing(client, make_user, payload):
    make_user(email="r@example.test")
    assert_error(client.post("/api/v1/tokens", json=payload), 401, "unauthorized")
    assert db.session.execute(select(func.count(ApiToken.id))).scalar_one() == 0


@pytest.mark.parametrize("kwargs", [
    {"data": "{not json", "content_type": "application/json"},
    {"data": "email=a&password=b", "content_type": "application/x-www-form-urlencoded"},
    {"json": ["r@example.test", "tram-harbour-7"]},
    {"json": {"email": "r@example.test"}},
    {"json": {"email": 42, "password": ["x"]}},
])
def test_malformed_token_requests_answer_400_json(client, make_user, kwargs):
    make_user(email="r@example.test")
    assert_error(client.post("/api/v1/tokens", **kwargs), 400, "bad_request")


# ----------------------------------------------------------------------------- authentication


def test_me_answers_the_contract_shape(api, make_user):
    user = make_user("resident", email="tier1@example.test", name="Ivy Ho", company="AquaGen", priority_tier=1)
    response = api(user).get("/api/v1/me")

    assert response.status_code == 200
    assert response.get_json() == {"user": {"id": user.id, "email": "tier1@example.test", "name": "Ivy Ho",
                                            "role": "resident", "company": "AquaGen", "priority_tier": 1}}


@pytest.mark.parametrize("header", [None, "Bearer not-a-real-token", "Bearer ", "Basic cjpwYXNzd29yZDE=",
                                    "not-even-a-scheme"])
def test_missing_or_bad_credentials_answer_401_json(client, make_user, header):
    make_user()
    headers = {"Authorization": header} if header is not None else {}
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_an_expired_token_answers_401(api, make_user, now):
    user = make_user()
    caller = api(user)
    assert caller.get("/api/v1/me").status_code == 200
    row = db.session.execute(select(ApiToken)).scalar_one()
    row.expires_at = now - timedelta(seconds=1)
    db.session.commit()
    assert_error(caller.get("/api/v1/me"), 401, "unauthorized")


def test_a_revoked_token_answers_401_and_cannot_be_revoked_twice(api, make_user):
    caller = api(make_user())
    response = caller.delete("/api/v1/tokens/current")
    assert response.status_code == 204
    assert db.session.execute(select(ApiToken.revoked_at)).scalar_one() is not None
    assert_error(caller.get("/api/v1/me"), 401, "unauthorized")
    assert_error(caller.delete("/api/v1/tokens/current"), 401, "unauthorized")


def test_a_deactivated_users_token_stops_working(api, make_user):
    user = make_user()
    caller = api(user)
    user.active = False
    db.session.commit()
    assert_error(caller.get("/api/v1/me"), 401, "unauthorized")


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/me/extra", "/api/v2/me", "/api/v1/"])
def test_unknown_api_paths_answer_404_json_with_or_without_a_token(client, api, make_user, path):
    assert_error(api(make_user()).get(path), 404, "not_found")
    assert_error(client.get(path), 404, "not_found")


def test_a_wrong_method_answers_json_not_html(api, make_user):
    response = api(make_user()).put("/api/v1/me", json={})
    assert response.status_code == 405 and response.is_json and response.get_json()["error"] == "bad_request"


def test_a_resident_calling_a_manager_route_gets_403_and_nothing_is_written(api, make_user):
    resident = api(make_user("resident"))
    assert_error(resident.post("/api/v1/spaces", json=SPACE), 403, "forbidden")
    assert _spaces() == 0

    finance = api(make_user("finance"))
    assert_error(finance.post("/api/v1/spaces", json=SPACE), 403, "forbidden")
    assert _spaces() == 0

    manager = api(make_user("manager"))
    created = manager.post("/api/v1/spaces", json=SPACE)
    assert created.status_code == 201, created.get_json()
    assert _spaces() == 1


def test_malformed_json_on_an_authenticated_route_answers_400(api, make_user):
    manager = api(make_user("manager"))
    response = manager.post("/api/v1/spaces", data="{\"code\": ", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "bad_request")
    assert _spaces() == 0


# ----------------------------------------------------------------------------- browser sessions


def _sign_in(client, email):
    assert client.post("/login", data={"email": email, "password": "tram-harbour-7"}).status_code == 302
    html = client.get("/home").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_a_browser_session_works_for_the_api(client, make_user):
    user = make_user("finance", email="fin@example.test")
    _sign_in(client, "fin@example.test")
    response = client.get("/api/v1/me")
    assert response.status_code == 200 and response.get_json()["user"]["id"] == user.id


def test_a_session_write_needs_the_csrf_header(client, make_user):
    make_user("manager", email="mgr@example.test")
    token = _sign_in(client, "mgr@example.test")

    refused = client.post("/api/v1/spaces", json=SPACE)
    assert_error(refused, 400, "bad_request")
    assert "X-CSRFToken" in refused.get_json()["message"]
    forged = client.post("/api/v1/spaces", json=SPACE, headers={"X-CSRFToken": "forged"})
    assert_error(forged, 400, "bad_request")
    assert _spaces() == 0

    accepted = client.post("/api/v1/spaces", json=SPACE, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.get_json()
    assert _spaces() == 1
