"""HTTP layer: thin blueprints by audience, the JSON API, error pages and template helpers."""
from __future__ import annotations

from flask import Flask, g

from ..extensions import db, login_manager, strict_writes
from ..models import User
from .errors import register_errors

# Blueprint modules, each owned by one area of the product.
BLUEPRINT_MODULES = (
    "auth", "health", "main", "spaces", "manage_spaces", "housing", "manage_housing", "inbox", "manage_jobs", "reports",
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


def register_web(app: Flask) -> None:
    import importlib

    from . import display, entry
    from .api import bp as api_bp

    entry.install(app)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
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
        return response

    register_errors(app)
