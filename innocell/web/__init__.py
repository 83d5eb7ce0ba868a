"""HTTP layer: thin blueprints by audience, the JSON API, error pages and template helpers."""
from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from ..extensions import db, login_manager, strict_writes
from ..models import User
from ..services import ServiceError
from ..services.tx import discard
from ..timeutil import local_zone, to_local

# Blueprint modules, each owned by one area of the product.
BLUEPRINT_MODULES = (
    "auth", "main", "spaces", "manage_spaces", "housing", "manage_housing", "inbox", "manage_jobs", "reports",
)

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "bad_request",
              409: "conflict", 413: "bad_request", 415: "bad_request", 422: "rule_violation", 429: "too_many_requests"}


# The pages ship no script; the only code that may run is an inline event handler listed here,
# each allowed by its hash ('unsafe-hashes', CSP 3). Styles come from our own stylesheet; the
# report charts colour their legend swatches with style attributes, which cannot run code.
INLINE_HANDLERS = (
    "return confirm('Leave the waitlist for this slot?');",  # templates/inbox/index.html
)


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src 'unsafe-hashes' {' '.join(map(_csp_hash, INLINE_HANDLERS))}; "
    "style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_json(status: int, message: str, code: str | None = None, **extra):
    body = {"error": code or HTTP_CODES.get(status, "server_error"), "message": message}
    body.update(extra)
    return jsonify(body), status


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

    from .api import bp as api_bp

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        app.register_blueprint(module.bp)
    app.register_blueprint(api_bp)

    @app.template_filter("local")
    def _local(dt, fmt="%a %d %b %Y %H:%M"):
        if dt is None:
            return ""
        return to_local(dt, local_zone()).strftime(fmt)

    @app.template_filter("money")
    def _money(value):
        if value is None:
            return ""
        return f"HK${Decimal(value):,.2f}"

    @app.context_processor
    def _globals():
        from flask_login import current_user

        from ..models import Notification

        unread = 0
        if current_user.is_authenticated:
            unread = db.session.execute(
                select(db.func.count(Notification.id)).where(
                    Notification.user_id == current_user.id, Notification.read_at.is_(None))
            ).scalar_one()
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

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        if wants_json():
            return error_json(exc.status, exc.message, exc.code, **exc.extra)
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        message = "Your form expired or was sent from elsewhere. Reload the page and try again."
        if wants_json():
            return error_json(400, message)
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {
            401: "Sign in first: send a valid bearer token or use a browser session.",
            403: "You are not allowed to do that.",
            404: "There is nothing here.",
            405: "That method is not allowed here.",
        }
        message = messages.get(exc.code, exc.description or exc.name)
        if wants_json():
            return error_json(exc.code or 500, message)
        return render_template("error.html", status=exc.code, message=message), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        discard(db.session)
        message = "Something went wrong on our side; nothing was changed. Please try again."
        if wants_json():
            return error_json(500, message, "server_error")
        return render_template("error.html", status=500, message=message), 500
