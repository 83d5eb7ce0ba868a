"""Who is asking: browser session or bearer token, and role checks for pages and the API."""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, request
from flask_login import current_user

from ..extensions import db
from ..services.accounts import user_for_token
from ..timeutil import utcnow


def bearer_user():
    """The user of the request's bearer token; None without one. Raises 401 for a bad token."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401)
    user = user_for_token(db.session, token.strip(), now=utcnow())
    if user is None:
        abort(401)
    return user


def principal():
    """The acting user (token first, then session) or None; cached on `g`."""
    if "principal" not in g:
        user = bearer_user()
        g.via_token = user is not None
        if user is None and current_user.is_authenticated:
            user = current_user._get_current_object()
        g.principal = user
    return g.principal


def roles_required(*roles: str):
    """For pages: sign in first (redirect), then 403 unless the user's role is listed."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = principal()
            if user is None:
                return current_app.login_manager.unauthorized()
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


STAFF = ("manager", "admin", "finance")
MANAGERS = ("manager", "admin")
REPORT_READERS = ("finance", "admin")
