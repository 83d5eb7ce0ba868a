"""Every error the app can raise answers in the contract's format: JSON
`{"error", "message", ...}` under /api/, the error page elsewhere, even when the database
itself is what failed (then the page falls back to plain HTML that needs nothing)."""
from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..services import ServiceError
from ..services.tx import discard

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "bad_request",
              409: "conflict", 413: "too_large", 415: "bad_request", 422: "rule_violation", 429: "too_many_requests",
              500: "server_error", 503: "unavailable"}

UNAVAILABLE = "The database is not answering just now; nothing was changed. Please try again in a moment."


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_json(status: int, message: str, code: str | None = None, **extra):
    body = {"error": code or HTTP_CODES.get(status, "server_error"), "message": message}
    body.update(extra)
    if g.get("request_id"):
        body.setdefault("request_id", g.request_id)
    return jsonify(body), status


def answer(status: int, message: str, code: str | None = None, **extra):
    """The error in the caller's format; a page that cannot render falls back to bare HTML."""
    if wants_json():
        response = error_json(status, message, code, **extra)
    else:
        try:
            response = render_template("error.html", status=status, message=message), status
        except Exception:  # noqa: BLE001 - the page needs the database (menu counts); say it plainly
            db.session.registry.clear()
            response = (f"<!doctype html><title>Error {status}</title><h1>Error {status}</h1>"
                        f"<p>{escape(message)}</p><p>Request id: {escape(g.get('request_id') or '-')}</p>",
                        status, {"Content-Type": "text/html; charset=utf-8"})
    return response


def _safe_discard() -> None:
    try:
        discard(db.session)
    except Exception:  # noqa: BLE001 - a dead connection cannot roll back; drop the session instead
        db.session.registry.clear()


def register_errors(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return answer(exc.status, exc.message, exc.code, **exc.extra)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        return answer(400, "Your form expired or was sent from elsewhere. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {
            401: "Sign in first: send a valid bearer token or use a browser session.",
            403: "You are not allowed to do that.",
            404: "There is nothing here.",
            405: "That method is not allowed here.",
            413: f"The request is larger than the {app.config['MAX_CONTENT_LENGTH'] // 1024} KB this service accepts.",
        }
        return answer(exc.code or 500, messages.get(exc.code, exc.description or exc.name))

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError):
        _safe_discard()
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc.orig)
            response = answer(503, UNAVAILABLE)
            if isinstance(response, tuple) and len(response) == 2:
                response = (*response, {"Retry-After": "5"})
            return response
        app.logger.exception("Database error on %s %s", request.method, request.path)
        return answer(500, "Something went wrong on our side; nothing was changed. Please try again.")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        _safe_discard()
        return answer(500, "Something went wrong on our side; nothing was changed. Please try again.")

    @app.teardown_appcontext
    def _end_session(exc):
        """Runs before Flask-SQLAlchemy's own teardown: a session on a dead connection is
        dropped quietly, so the answer already given stands."""
        try:
            db.session.remove()
        except Exception:  # noqa: BLE001
            app.logger.warning("Dropped a database session that could not be closed", exc_info=True)
            db.session.registry.clear()
