"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of every /api/v1 route, assembled from
the URL map and the `@documented` declarations the routes themselves enforce (declare.py).
The API page (/api, web/api_docs.py) renders the same document."""
from __future__ import annotations

import re
from http import HTTPStatus

from flask import Flask, current_app, jsonify

from . import PUBLIC_ENDPOINTS, bp, schemas
from .declare import DEFAULT_ERRORS, WRITE_ERRORS, documented, resolve

PREFIX = "/api/v1"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_TYPES = {"IntegerConverter": {"type": "integer", "minimum": 1}, "FloatConverter": {"type": "number"}}


def api_rules(app: Flask):
    """(rule, method) of every /api/v1 route, sorted by path."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(PREFIX):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method


def openapi_path(rule) -> str:
    """/api/v1/spaces/<int:space_id> -> /api/v1/spaces/{space_id}"""
    return _ARGUMENT.sub(r"{\1}", rule.rule)


def _response(status: int, schema) -> dict:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = str(status)
    if status == 204 or schema is None:
        return {"description": phrase}
    return {"description": phrase, "content": {"application/json": {"schema": resolve(schema)}}}


def operation(rule, method: str, view) -> dict:
    declaration = getattr(view, "api_declaration", None)
    if declaration is None:
        return {}
    roles = getattr(view, "api_roles", None)
    public = rule.endpoint in PUBLIC_ENDPOINTS
    who = "anyone, without signing in" if public else (", ".join(roles) if roles else "any signed-in person")
    answers = {**DEFAULT_ERRORS, **(WRITE_ERRORS if method in WRITES else {}), **declaration.answers}
    op = {
        "operationId": f"{rule.endpoint.removeprefix('api.')}",
        "summary": declaration.summary,
        "description": (declaration.description + "\n\n" if declaration.description else "") + f"Who: {who}.",
        "x-roles": list(roles) if roles else (["anyone"] if public else ["any"]),
        "parameters": [
            *({"name": name, "in": "path", "required": True,
               "schema": _TYPES.get(type(rule._converters[name]).__name__, {"type": "string"})}
              for name in sorted(rule.arguments)),
            *({"name": name, "in": "query", "required": False, "schema": schema,
               **({"description": schema["description"]} if "description" in schema else {})}
              for name, schema in declaration.query.items()),
        ],
        "responses": {str(status): _response(status, schema) for status, schema in sorted(answers.items())},
    }
    if public:
        op["security"] = []
    if method in WRITES:
        op["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                 "schema": {"type": "string", "maxLength": 255},
                                 "description": "a retry with the same key and body answers the first answer"})
    if declaration.body is not None:
        op["requestBody"] = {"required": not declaration.optional_body,
                             "content": {"application/json": {"schema": resolve(declaration.body)}}}
    return op


def build_document(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule, method in api_rules(app):
        op = operation(rule, method, app.view_functions[rule.endpoint])
        if op:
            paths.setdefault(openapi_path(rule), {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "InnoCell API", "version": "1",
                 "description": "Spaces booked by the hour, housing, people and reports of the science park. "
                                "Get a token with POST /api/v1/tokens, then send `Authorization: Bearer TOKEN`. "
                                "Lists take `limit` and `cursor` and answer a `next` link. "
                                "Writes take an `Idempotency-Key` header for safe retries."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": {**schemas.COMPONENTS, **schemas.BODIES},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a token from POST /api/v1/tokens"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "a signed-in browser session; writes also send X-CSRFToken"},
            },
        },
    }


def document(app: Flask | None = None) -> dict:
    """The document of this app, built once."""
    app = app or current_app
    if "innocell_openapi" not in app.extensions:
        app.extensions["innocell_openapi"] = build_document(app)
    return app.extensions["innocell_openapi"]


@bp.get("/openapi.json")
@documented("This document: every /api/v1 route with its request and answer schemas",
            answers={200: {"type": "object", "required": ["openapi", "paths", "components"]}})
def openapi_document():
    return jsonify(document())
