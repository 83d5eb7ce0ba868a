"""What each /api/v1 route accepts and answers, declared once beside the route.

    @bp.post("/bookings")
    @api_roles("resident", "manager", "admin")
    @documented("Book a space", body="BookingCreate", answers={201: one("booking", "Booking")})
    def create_booking(): ...

- `body`: a name in schemas.BODIES (or a schema). It is ENFORCED: before the view runs, the
  JSON body is validated against it, and a body of the wrong shape is a 400 naming the field
  (`optional_body=True`: an empty body is allowed).
- `answers`: {status: schema or component name} for the successes and the refusals specific to
  the route (e.g. 409 "ConflictError", 422 "RuleViolationError"). Every route also answers the
  common errors (DEFAULT_ERRORS; writes also 409 and 422), so they need no declaration.
- `query`: {name: schema} of query parameters; `paged=True` adds `limit` and `cursor`
  (web/api/paging.py). Path parameters come from the URL rule; who may call from `api_roles`.

/api/v1/openapi.json (web/api/openapi.py) is built from these declarations, and the test suite
validates every answer it receives against them, so a route without a declaration fails
tests/web/test_openapi.py. Declaring a new route is the one `@documented(...)` line above.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ...services import BadRequest, RuleViolation
from . import schemas

DEFAULT_ERRORS = {400: "Error", 401: "Error", 403: "Error", 404: "Error", 413: "Error",
                  429: "TooManyRequests", 500: "Error", 503: "Error"}
WRITE_ERRORS = {409: "ConflictError", 422: "RuleViolationError"}
PAGE_QUERY = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 200,
              "description": "rows per page (1-500)"},
    "cursor": {"type": "string", "description": "the `cursor` of the `next` link of the previous page (opaque)"},
}


@dataclass
class Declaration:
    summary: str
    body: str | dict | None = None
    answers: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    optional_body: bool = False
    description: str = ""
    refusal: int = 400


def resolve(schema: str | dict) -> dict:
    """A component name -> a $ref to it; a schema stays as it is."""
    if isinstance(schema, str):
        if schema in schemas.COMPONENTS:
            return schemas.ref(schema)
        if schema in schemas.BODIES:
            return {"$ref": f"#/components/schemas/{schema}"}
        raise KeyError(f"No schema named {schema!r} in web/api/schemas.py")
    return schema


def _validator(schema: str | dict) -> Draft202012Validator:
    components = {**schemas.COMPONENTS, **schemas.BODIES}
    return Draft202012Validator({"allOf": [resolve(schema)], "components": {"schemas": components}})


def _field(error) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    return path


_TYPE_WORDS = {"integer": "a whole number", "string": "text", "number": "a number", "boolean": "true or false",
               "array": "a list", "object": "a JSON object", "null": "null"}


def _missing(error) -> str:
    return error.message.split("'")[1] if error.validator == "required" and "'" in error.message else ""


def explain(error) -> str:
    """A jsonschema error as a sentence naming the field."""
    name = _field(error)
    where = f"'{name}'" if name else "The body"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"'{(name + '.') if name else ''}{missing}' is required."
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted if w != "null")
        return f"{where} must be {words}."
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"'{extra[0] if extra else '?'}' is not a field here; send any of {allowed}."
    if error.validator == "enum":
        return f"{where} must be one of {', '.join(map(str, error.validator_value))}."
    return f"{where}: {error.message}."


def documented(summary: str, *, body: str | dict | None = None, answers: dict | None = None,
               query: dict | None = None, paged: bool = False, optional_body: bool = False,
               description: str = "", refusal: int = 400):
    """Declare a route's request body, query parameters and answers (see the module docstring)."""
    declaration = Declaration(summary, body, dict(answers or {}), {**(query or {}), **(PAGE_QUERY if paged else {})},
                              optional_body, description, refusal)
    validator = _validator(body) if body is not None else None

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if validator is not None:
                check_body(validator, optional_body, refusal)
            return view(*args, **kwargs)

        wrapped.api_declaration = declaration
        return wrapped

    return decorator


def check_body(validator: Draft202012Validator, optional: bool, refusal: int = 400) -> None:
    """400 naming the first field of the wrong type; with `refusal=422` (routes whose service
    judges every field and answers 422 with `violations`) a 422 listing every such field."""
    from flask import request

    if optional and not request.get_data(cache=True):
        return
    if not request.is_json:
        raise BadRequest("The request body must be a JSON object (Content-Type: application/json).")
    data = request.get_json()
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object (Content-Type: application/json).")
    if refusal == 422:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            violations = [{"rule": "invalid_field", "field": _field(e) or _missing(e), "message": explain(e)}
                          for e in errors]
            raise RuleViolation(" ".join(v["message"] for v in violations), violations=violations)
        return
    error = best_match(validator.iter_errors(data))
    if error is not None:
        raise BadRequest(explain(error), field=_field(error) or None)
