"""Every /api/v1 JSON answer the test suite receives is checked against what the route
declares in /api/v1/openapi.json (innocell/web/api/declare.py): an undocumented route, an
undeclared status or a body that does not match its schema fails the test that got it. This
makes the whole API test suite a conformance test of the document.

The test client (tests/conftest.py BufferedClient) calls `check(app, response)` on every answer.
Validators are compiled once per (endpoint, method, status) and process."""
from __future__ import annotations

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from werkzeug.exceptions import HTTPException

from innocell.web.api.openapi import PREFIX, document, openapi_path

_validators: dict[tuple, Draft202012Validator] = {}


class NotConforming(AssertionError):
    pass


def _validator(doc: dict, schema: dict) -> Draft202012Validator:
    return Draft202012Validator({"allOf": [schema], "components": doc["components"]})


def _answer_schema(app, endpoint: str | None, method: str, status: int) -> dict | None:
    doc = document(app)
    if endpoint is None:  # no route matched (404/405): the common error answer
        return {"$ref": "#/components/schemas/Error"}
    rule = next(r for r in app.url_map.iter_rules(endpoint))
    operation = doc["paths"].get(openapi_path(rule), {}).get(method.lower())
    if operation is None:
        raise NotConforming(f"{method} {rule.rule} ({endpoint}) answered but is not in /api/v1/openapi.json: "
                            "declare it with @documented (innocell/web/api/declare.py)")
    response = operation["responses"].get(str(status))
    if response is None:
        raise NotConforming(f"{method} {rule.rule} answered {status}, a status its declaration does not list "
                            f"({', '.join(operation['responses'])})")
    return response.get("content", {}).get("application/json", {}).get("schema")


def check(app, response) -> None:
    request = getattr(response, "request", None)
    if request is None or not request.path.startswith(PREFIX) or request.method in ("HEAD", "OPTIONS"):
        return
    if not response.is_json:
        return
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(request.path, request.method)
    except HTTPException:
        endpoint = None
    key = (endpoint, request.method, response.status_code)
    if key not in _validators:
        schema = _answer_schema(app, endpoint, request.method, response.status_code)
        _validators[key] = _validator(document(app), schema if schema is not None else {})
    error = best_match(_validators[key].iter_errors(response.get_json()))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(the body)"
        raise NotConforming(f"{request.method} {request.path} answered {response.status_code} with a body that does "
                            f"not match its declared schema at {where}: {error.message[:500]}")
