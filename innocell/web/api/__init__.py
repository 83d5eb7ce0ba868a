"""JSON API under /api/v1 (CONTRACT.md section 4).

Every call but POST /tokens needs a bearer token or a browser session; a session-authenticated
write must also carry the CSRF token (X-CSRFToken header), so the API is no CSRF hole."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, g, request
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from ...extensions import csrf
from ...services import BadRequest
from ..access import principal
from ..entry import query_int  # noqa: F401  (the API's routes import it from here)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api.create_token", "api.create_password_reset", "api.openapi_document"}


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = principal()
    if user is None:
        abort(401)
    if not g.via_token and request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError:
            raise BadRequest("A browser-session request that changes data must send the X-CSRFToken header.")
    g.user = user
    return None


from .idempotency import after_write, before_write  # noqa: E402  (runs after _authenticate)

bp.before_request(before_write)
bp.after_request(after_write)


def api_roles(*roles: str):
    """403 JSON unless the caller's role is listed."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.api_roles = roles  # for the OpenAPI document ("who may call")
        return wrapped

    return decorator


def json_body() -> dict:
    """The request's JSON object, or a 400 the caller understands (web.entry checked it)."""
    if not request.is_json:
        raise BadRequest("The request body must be a JSON object (Content-Type: application/json).")
    data = request.get_json()
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object (Content-Type: application/json).")
    return data


from . import audit, booking_batches, booking_changes, core, housing, jobs, ledger, people, privacy, reports, series, short_stays, space_kinds, spaces  # noqa: E402,F401  (routes)
from . import account, ledger_review, parity, unit_types  # noqa: E402,F401  (page actions the API lacked)
from . import openapi  # noqa: E402,F401  (/api/v1/openapi.json, built from the routes above)
