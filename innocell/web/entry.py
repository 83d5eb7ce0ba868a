"""Where input enters, defended once: every URL id, query string, form field and JSON body
passes here before any view or service sees it, so malformed input is a clear 400/404/413
and never reaches the database as something it cannot store.

- URL ids (`<int:...>`) above the largest id a column can hold name nothing: 404.
- Text with NUL characters or lone UTF-16 surrogates (PostgreSQL and UTF-8 cannot store
  them) in any query argument, form field or JSON string: 400 naming the field.
- JSON: at most MAX_JSON_DEPTH levels, integers within a database column, no NaN/Infinity;
  anything else is a 400 with the reason, never a RecursionError or an overflow.
- Bodies over MAX_CONTENT_LENGTH: 413 (answered by the error handlers).
"""
from __future__ import annotations

import json
import math
from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request

from ..services import BadRequest

MAX_ID = 2**31 - 1  # PostgreSQL `integer`; SQLite's 64-bit rowid is larger, the smaller one rules
MAX_JSON_DEPTH = 32


def _bounded_ids(endpoint, values) -> None:
    """An `<int:...>` id no column can hold names nothing: 404 before any view runs. (Checked
    here rather than in the converter: werkzeug answers a converter's refusal with 405.)"""
    if values and any(isinstance(v, int) and not isinstance(v, bool) and v > MAX_ID for v in values.values()):
        abort(404)


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains characters that are not valid Unicode text"
    return None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number this API accepts")


def _check_json(value: Any, path: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if (problem := text_problem(key)) is not None:
                raise ValueError(f"a key at {path or 'the top level'} {problem}")
            _check_json(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, str):
        if (problem := text_problem(value)) is not None:
            raise ValueError(f"'{path or 'the body'}' {problem}")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_ID:
            raise ValueError(f"'{path or 'the body'}' is too large a number (at most {MAX_ID})")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{path or 'the body'}' is not a finite number")


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON with the checks above on everything it parses."""

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, parse_constant=_reject_constant, **kwargs)
        except RecursionError:
            raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
        _check_json(value, "", 0)
        return value


class InnocellRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None):
        reason = str(e) if e is not None else "it is not JSON"
        if isinstance(e, json.JSONDecodeError) or e is None or isinstance(e, UnicodeDecodeError):
            reason = "the body is not valid JSON"
        raise BadRequest(f"The request body could not be read: {reason}.")


def _check_text_fields() -> None:
    for source, label in ((request.args, "query parameter"), (request.form, "form field")):
        for key, values in source.lists():
            for value in [key, *values]:
                if (problem := text_problem(value)) is not None:
                    name = key if text_problem(key) is None else "(unreadable name)"
                    raise BadRequest(f"The {label} '{name}' {problem}; remove it and try again.")


def query_int(name: str, default: int | None = None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """A whole-number query parameter within [minimum, maximum], else a 400 naming it."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadRequest(f"Query parameter '{name}' must be a whole number.") from None
    if not minimum <= value <= maximum:
        raise BadRequest(f"Query parameter '{name}' must be from {minimum} to {maximum}.")
    return value


def install(app: Flask) -> None:
    """Wire the defences into the app (first in line of the request hooks)."""
    app.url_value_preprocessor(_bounded_ids)
    app.json = SafeJSONProvider(app)
    app.request_class = InnocellRequest
    app.before_request_funcs.setdefault(None, []).insert(0, _check_text_fields)
