"""HTTP layer: thin blueprints by audience, the JSON API, error pages and template helpers."""
from __future__ import annotations

from decimal import Decimal

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
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
