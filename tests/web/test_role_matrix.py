"""Every GET route, for every role and for an anonymous visitor, on a database full of demo data.

Generic on purpose: the routes come from app.url_map, so pages and API calls added later are
covered without touching this file. Routes whose arguments are all integers are visited with
id 1 (a demo record) as well."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from innocell.extensions import db
from innocell.services import demo
from innocell.timeutil import local_zone, utcnow

ROLES = ("resident", "manager", "finance", "admin")
# Pages anyone may see without signing in. A new public page must be added here on purpose.
PUBLIC_ENDPOINTS = {"auth.login", "language.switch", "auth.register", "main.index", "static", "api.create_token", "health.healthz",
                    "calendar_feed.feed", "account.forgot_password",
                    "api.openapi_document", "api_docs.page"}  # the API's description holds no one's data
MANAGER_ONLY_PREFIX = "/manage/"


def get_paths(app) -> list[tuple[str, str]]:
    """(endpoint, path) for every GET route without arguments or with integer arguments only."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
        if any(kind != "IntegerConverter" for kind in converters.values()):
            continue
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **{name: 1 for name in rule.arguments})
        paths.append((rule.endpoint, path))
    assert len(paths) >= 10, paths  # the app's own pages at least
    return sorted(set(paths), key=lambda p: p[1])


@pytest.fixture
def demo_app(app):
    demo.seed(db.session, now=utcnow(), tz=local_zone(), scale=1)
    db.session.commit()
    return app


def _client_for(app, role):
    client = app.test_client()
    if role is None:
        return client
    email, password = {r: (e, p) for r, e, p, *_ in demo.DEMO_LOGINS}[role]
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *ROLES])
def test_every_get_route_answers_sensibly_for_the_role(demo_app, role):
    client = _client_for(demo_app, role)
    problems = []
    for endpoint, path in get_paths(demo_app):
        response = client.get(path)
        status = response.status_code
        is_api = path.startswith("/api/")
        where = f"{role or 'anonymous'} GET {path} ({endpoint}) -> {status}"
        if status >= 500:
            problems.append(f"{where}: server error")
            continue
        if is_api and not response.is_json:
            problems.append(f"{where}: API answered {response.content_type}, not JSON")
            continue
        if is_api and status >= 400 and not {"error", "message"} <= set(response.get_json() or {}):
            problems.append(f"{where}: API error without error/message")
        if role is None:
            if endpoint in PUBLIC_ENDPOINTS:
                continue
            if is_api:
                if status != 401 or response.get_json().get("error") != "unauthorized":
                    problems.append(f"{where}: expected 401 JSON for an anonymous API call")
            elif status != 302 or _local(response.headers["Location"]) != "/login":
                problems.append(f"{where}: expected a redirect to /login")
            continue
        if status in (301, 302, 303, 307, 308) and _local(response.headers["Location"]) == "/login":
            problems.append(f"{where}: a signed-in {role} was sent to sign in")
        if path.startswith(MANAGER_ONLY_PREFIX):
            if role in ("resident", "finance") and status != 403:
                problems.append(f"{where}: expected 403 for {role}")
            if role in ("manager", "admin") and status == 403:
                problems.append(f"{where}: a {role} was refused a management page")
        if status == 403 and not is_api and "Not allowed" not in response.get_data(as_text=True):
            problems.append(f"{where}: 403 without the 403 page")
    assert problems == [], "\n".join(problems)


def test_anonymous_redirect_keeps_the_page_to_come_back_to(demo_app):
    response = demo_app.test_client().get("/home")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(location).path == "/login" and "next=%2Fhome" in location
