"""HTTP layer: thin blueprints by audience, the JSON API, error pages and template helpers."""
from __future__ import annotations

import base64
import hashlib

from flask import Flask, g, request
from flask_babel import gettext

from ..extensions import db, login_manager, strict_writes
from ..models import User
from .errors import register_errors, wants_json

# Blueprint modules, each owned by one area of the product.
BLUEPRINT_MODULES = (
    "auth", "health", "main", "spaces", "manage_spaces", "manage_kinds", "housing", "manage_housing", "inbox",
    "manage_jobs", "reports", "privacy", "calendar_feed", "account", "admin_people", "admin_companies",
    "api_docs", "series",
    "ledger", "statements",
    "booking_change",
    "housing_residents", "manage_housing_types", "short_stays",
    "audit", "webhooks",
    "timeline", "space_browse",
    "language", "tasks",
)

# No inline script: code runs only from our own files under static/js/ (script-src 'self';
# today the progress page's poller, which fetches its status: connect-src 'self') and the
# inline event handlers listed here, each allowed by its hash ('unsafe-hashes', CSP 3). Styles
# come from our own stylesheet; the report charts colour their legend swatches with style
# attributes, which cannot run code.
INLINE_HANDLERS = (
    "return confirm('Leave the waitlist for this slot?');",  # templates/inbox/index.html
)


def N_(message: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return message


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src 'unsafe-hashes' {' '.join(map(_csp_hash, INLINE_HANDLERS))} 'self'; "
    "connect-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; manifest-src 'self'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
)


@login_manager.user_loader
def _load_user(token: str):
    """Session ids are 'id:session_token' so signing out rotates every copy away."""
    try:
        user_id, session_token = token.split(":", 1)
        user = db.session.get(User, int(user_id))
    except (ValueError, TypeError):
        return None
    if user is None or user.session_token != session_token or not user.active:
        return None
    return user


def _signed_in() -> bool:
    """Whether this request had a signed-in person, without a database query (the answer may
    be an error page after the database failed): a session that names a user, or a user
    that Flask-Login loaded (remember cookie) during the request."""
    from flask import session

    loaded = g.get("_login_user")
    return "_user_id" in session or bool(loaded is not None and loaded.is_authenticated)


def register_web(app: Flask) -> None:
    import importlib

    from . import display, entry, request_log
    from .api import bp as api_bp

    entry.install(app)
    request_log.install(app)  # first in line: every answer carries its request id

    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please sign in to continue.")
    login_manager.localize_callback = gettext  # flashed in the reader's language
    login_manager.login_message_category = "info"

    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        app.register_blueprint(module.bp)
    app.register_blueprint(api_bp)

    display.register(app)

    @app.context_processor
    def _globals():
        from flask_login import current_user

        from ..services.notifications import unread_count

        unread = unread_count(db.session, current_user.id) if current_user.is_authenticated else 0
        return {"unread_count": unread, "timezone_name": app.config["INNOCELL_TIMEZONE"]}

    @app.before_request
    def _strict_writes():
        g.strict_writes_token = strict_writes.set(bool(app.config.get("STRICT_WRITES")))

    @app.teardown_request
    def _end_strict_writes(exc):
        token = g.pop("strict_writes_token", None)
        if token is not None:
            strict_writes.reset(token)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if app.config["INNOCELL_ENV"] == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # What a signed-in person sees (and every API answer) stays out of shared and back-button caches.
        if wants_json() or (request.endpoint != "static" and _signed_in()):
            response.headers["Cache-Control"] = "no-store"
        return response

    register_errors(app)
