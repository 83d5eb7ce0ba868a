"""InnoCell: housing and lab booking for a science park."""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # Flask is imported inside create_app so the pure core (innocell.allocation)
    from flask import Flask  # can be imported without pulling in the web framework.

ROOT = Path(__file__).resolve().parent.parent


def _database_url(app: Flask, configured: str) -> str:
    if configured:
        url = configured
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{Path(app.instance_path) / 'innocell.db'}"


def _secret_key(app: Flask, configured: str, env: str) -> str:
    """Production must configure SECRET_KEY; development generates one once and keeps it."""
    if configured:
        return configured
    if env == "production":
        raise RuntimeError("SECRET_KEY must be set when INNOCELL_ENV=production")
    path = Path(app.instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def create_app(config_overrides: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers, CLI.
    No database access and no scheduler start here (the scheduler starts in `serve`)."""
    from flask import Flask

    import config as config_module

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    overrides = dict(config_overrides or {})
    values = config_module.load()
    values.update(overrides)
    app.config.update(values)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    try:
        ZoneInfo(app.config["INNOCELL_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(f"INNOCELL_TIMEZONE {app.config['INNOCELL_TIMEZONE']!r} is not a known time zone") from None

    env = app.config["INNOCELL_ENV"]
    app.config["SECRET_KEY"] = _secret_key(app, app.config.get("SECRET_KEY", ""), env)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app, app.config.get("DATABASE_URL", ""))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    # pool_pre_ping: a connection the server dropped (restart, idle timeout) is replaced before
    # use, so the request after an outage works instead of failing once more (a ping per
    # checkout, which tests/web/test_database_outage.py holds us to). pool_recycle retires
    # connections before a typical server or proxy idle timeout.
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30, "check_same_thread": False},
                                                   "pool_pre_ping": True}
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_recycle": 1800}
    secure = env == "production"
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=14),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=int(app.config["MAX_REQUEST_BYTES"]),
        WTF_CSRF_TIME_LIMIT=None if not secure else 8 * 3600,
    )
    app.config.update(overrides)  # tests may override the above too

    from .extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import models  # noqa: F401  (register tables)
    from .services import audit_trail
    from .web import register_web

    audit_trail.install()  # every change of an audited row is recorded in its transaction

    from .web import language

    language.install(app, ROOT / "translations")  # Flask-Babel: English and Traditional Chinese (HK)
    register_web(app)

    from .cli import register_cli

    register_cli(app)

    from .error_reporting import install as install_error_reporting

    install_error_reporting(app)

    if not app.debug:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app
