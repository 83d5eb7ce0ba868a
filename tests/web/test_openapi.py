"""/api/v1/openapi.json (CONTRACT.md section 4, "Description") and the /api page: a valid
OpenAPI 3.1 document of every /api/v1 route, built from the declarations the routes enforce;
every answer of the test suite is checked against it by tests/api_conformance.py (the test
client calls it), and here we check that this check really fails on a mismatch."""
from __future__ import annotations

import re
from html import unescape

import pytest
from flask import jsonify
from openapi_spec_validator import validate
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Booking
from innocell.web.api.declare import documented
from innocell.web.api.openapi import api_rules, openapi_path
from innocell.web.api.schemas import one
from tests import api_conformance


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")  # no token: the description is public
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on any departure from the OpenAPI 3.1 schema
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "a token from POST /api/v1/tokens"}


def test_every_api_route_is_in_the_document_with_its_methods(app, doc):
    """Fails when a route is added under /api/v1 without `@documented` (web/api/declare.py)."""
    missing = [f"{method} {rule.rule} ({rule.endpoint})" for rule, method in api_rules(app)
               if method.lower() not in doc["paths"].get(openapi_path(rule), {})]
    assert missing == []
    documented_ops = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routed = {(openapi_path(rule), method.lower()) for rule, method in api_rules(app)}
    assert documented_ops == routed  # and nothing documented that does not exist
    assert len(routed) >= 60


def test_an_undeclared_route_is_caught(app):
    app.add_url_rule("/api/v1/undeclared", "api.undeclared", lambda: jsonify({}))
    app.extensions.pop("innocell_openapi", None)
    from innocell.web.api.openapi import document

    paths = document(app)["paths"]
    undeclared = [rule.rule for rule, method in api_rules(app) if method.lower() not in paths.get(openapi_path(rule), {})]
    assert undeclared == ["/api/v1/undeclared"]


def test_operations_carry_parameters_roles_bodies_and_errors(doc):
    booking = doc["paths"]["/api/v1/bookings/{booking_id}"]["get"]
    assert booking["parameters"][0] == {"name": "booking_id", "in": "path", "required": True,
                                        "schema": {"type": "integer", "minimum": 1}}
    assert {"400", "401", "404", "200"} <= set(booking["responses"])
    create = doc["paths"]["/api/v1/bookings"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BookingCreate"}
    assert create["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("ConflictError")
    assert create["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("RuleViolationError")
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert create["x-roles"] == ["resident", "manager", "admin"]
    listing = doc["paths"]["/api/v1/bookings"]["get"]
    assert {"limit", "cursor", "space_id", "status", "start", "end", "user_id"} <= {p["name"] for p in listing["parameters"]}
    assert doc["paths"]["/api/v1/tokens"]["post"]["security"] == []  # no token needed to get one
    booking_schema = doc["components"]["schemas"]["Booking"]
    assert {"id", "space_id", "user_id", "start", "end", "status", "title", "series_id"} == set(booking_schema["required"])


def test_request_bodies_are_enforced_from_the_declaration(api, make_user):
    alice = api(make_user("resident"))
    response = alice.post("/api/v1/bookings", json={"space_id": "one", "start": "2026-12-08T10:00",
                                                    "end": "2026-12-08T11:00"})
    assert response.status_code == 400
    assert response.get_json()["message"] == "'space_id' must be a whole number."
    assert response.get_json()["field"] == "space_id"
    response = alice.post("/api/v1/bookings", json={"space_id": 1, "end": "2026-12-08T11:00"})
    assert response.status_code == 400 and response.get_json()["message"] == "'start' is required."
    assert db.session.execute(select(func.count(Booking.id))).scalar_one() == 0


def test_a_refusal_422_route_lists_every_bad_field(api, make_user):
    manager = api(make_user("manager"))
    response = manager.post("/api/v1/leases", json={"unit_id": "x", "user_id": [1], "start": "2027-01-01"})
    assert response.status_code == 422
    fields = {v["field"] for v in response.get_json()["violations"]}
    assert fields == {"unit_id", "user_id", "end"}


def test_an_answer_that_does_not_match_its_declaration_fails_the_test(app, client, make_user, api):
    """The conformance check the whole suite runs through: a wrong shape or an undeclared
    status raises in the test that received it."""
    @documented("A route that answers the wrong shape", answers={200: one("booking", "Booking")})
    def wrong():
        return jsonify({"booking": {"id": "seven"}})

    @documented("A route that answers an undeclared status", answers={200: one("booking", "Booking")})
    def teapot():
        return jsonify({"booking": None}), 201

    app.add_url_rule("/api/v1/test-wrong", "api.test_wrong", wrong)
    app.add_url_rule("/api/v1/test-teapot", "api.test_teapot", teapot)
    app.add_url_rule("/api/v1/test-bare", "api.test_bare", lambda: jsonify({}))
    app.extensions.pop("innocell_openapi", None)
    alice = api(make_user("resident"))
    with pytest.raises(api_conformance.NotConforming, match="does not match its declared schema at booking"):
        alice.get("/api/v1/test-wrong")
    with pytest.raises(api_conformance.NotConforming, match="answered 201, a status its declaration does not list"):
        alice.get("/api/v1/test-teapot")
    with pytest.raises(api_conformance.NotConforming, match="is not in /api/v1/openapi.json"):
        alice.get("/api/v1/test-bare")


def test_the_api_page_is_public_and_self_contained(client, doc):
    response = client.get("/api")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    operations = sum(len(ops) for ops in doc["paths"].values())
    assert html.count('data-testid="api-op"') == operations
    assert "<code>POST /api/v1/bookings</code>" in html
    assert "Who:</strong> resident, manager, admin" in html
    assert '"space_id": 1' in unescape(html)  # an example body built from the schema
    assert 'id="schema-Booking"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no outside assets, no CDN
    assert "<script" not in html
    home = client.get("/login").get_data(as_text=True)
    assert 'href="/api"' in home  # linked from every page's footer
