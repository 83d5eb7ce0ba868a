"""Fixtures: a clean database per test, on SQLite and (for database tests) PostgreSQL.

Tests under tests/services/ and tests marked `both_db` run twice: on a SQLite file and on a
PostgreSQL database created for this test run at TEST_DATABASE_URL. With no PostgreSQL
answering they skip with the reason, unless REQUIRE_POSTGRES=1 makes that a failure."""
from __future__ import annotations

import os
import secrets
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import g, request_started
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import innocell.services.accounts as accounts_service
from innocell.services import space_kinds
from innocell import create_app
from innocell.extensions import db
from tests import api_conformance, suite_speed

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FIXED_NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)  # Tue 1 Dec 2026 10:00 in Hong Kong

# INNOCELL_TEST_CLOCK_SHIFT_DAYS=N makes the real clock read N days later for the whole run
# (.ci/run runs the suite once a year ahead): a test or a page that depends on today's date
# instead of the pinned clock fails now rather than on some future day.
CLOCK_SHIFT_DAYS = int(os.environ.get("INNOCELL_TEST_CLOCK_SHIFT_DAYS") or 0)

# argon2 at full strength costs ~100 ms a hash; the suite hashes hundreds of passwords.
accounts_service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
suite_speed.cache_route_builders()  # one compiled URL builder per route for every app (suite_speed.py)


@pytest.fixture(scope="session", autouse=True)
def _real_clock_shifted():
    if not CLOCK_SHIFT_DAYS:
        yield
        return
    import time_machine

    with time_machine.travel(timedelta(days=CLOCK_SHIFT_DAYS), tick=True):
        yield


def pytest_report_header(config):
    if CLOCK_SHIFT_DAYS:
        return f"real clock shifted {CLOCK_SHIFT_DAYS} days ahead (INNOCELL_TEST_CLOCK_SHIFT_DAYS)"
    return None


def _wants_both(item_path: str, markers) -> bool:
    return "/services/" in item_path.replace(os.sep, "/") or any(m.name == "both_db" for m in markers)


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        both = _wants_both(str(metafunc.definition.path), metafunc.definition.iter_markers())
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if both else ["sqlite"], scope="function")


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this run, dropped at the end; None when unreachable."""
    base = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    if base.drivername in ("postgresql", "postgres"):
        base = base.set(drivername="postgresql+psycopg")
    name = f"innocell_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not answering"
        admin.dispose()
        reason = f"PostgreSQL at {base.render_as_string(hide_password=True)} is not answering: {exc.__class__.__name__}"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (REQUIRE_POSTGRES=1)", pytrace=False)
        yield None, reason
        return
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    engine.dispose()
    schema_app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test", "TESTING": True})
    with schema_app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url, None
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _empty_sqlite(tmp_path_factory) -> Path:
    """An empty SQLite database with the schema and the managed space kinds, made once and
    copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "empty.db"
    schema_app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test", "TESTING": True,
                             "CLOCK": lambda: FIXED_NOW})  # the kinds' audit rows at the pinned instant, too
    with schema_app.app_context():
        db.create_all()
        # The managed space kinds, as migration 0004 seeds them (create_all makes no rows).
        space_kinds.seed_kinds(db.session, now=FIXED_NOW)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # the last connection closing checkpoints the WAL into the one file
    return path


@pytest.fixture
def backend():  # parametrised by pytest_generate_tests
    return "sqlite"


@pytest.fixture
def database_url(backend, tmp_path, request):
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("_empty_sqlite"), path)
        return f"sqlite:///{path}"
    url, reason = request.getfixturevalue("pg_url")
    if url is None:
        pytest.skip(reason)
    return url


@pytest.fixture
def app_config(database_url):
    """Overrides for create_app; a test may update it before asking for `app`."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "INNOCELL_SCHEDULER": False,
        "CLOCK": lambda: FIXED_NOW,  # the web layer's clock; no test reads the real one
        "STRICT_WRITES": True,  # a write outside a guarded service transaction raises
    }


def _fresh_g(sender, **extra):
    """The `app` fixture holds one app context open for the whole test, and Flask reuses it
    for every test-client request, `g` included; a served app gives each request its own.
    Forget what the previous request cached there (API principal, Flask-Login's user, the
    CSRF token), or a second request would act as the first request's user."""
    g.__dict__.clear()


class BufferedClient(FlaskClient):
    """Reads every answer whole and closes it, as a WSGI server does, so a sent file (an XLSX
    export) is closed instead of leaking into a ResourceWarning."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        response = super().open(*args, **kwargs)
        api_conformance.check(self.application, response)  # every /api/v1 answer matches openapi.json
        return response


@pytest.fixture
def app(app_config, backend):
    application = create_app(app_config)
    application.test_client_class = BufferedClient
    application.jinja_env.bytecode_cache = suite_speed.BYTECODE
    request_started.connect(_fresh_g, application)
    with application.app_context():
        if backend == "sqlite":
            db.create_all()  # nothing to do on the copied empty database, unless a test moved DATABASE_URL
        else:
            suite_speed.empty_postgresql_tables(db.engine, db.metadata)
        # The managed space kinds, as migration 0004 seeds them (create_all makes no rows).
        space_kinds.seed_kinds(db.session, now=FIXED_NOW)
        db.session.remove()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def now():
    return FIXED_NOW


@pytest.fixture
def make_user(app):
    """Create a user: make_user(role="resident", email=None, password="tram-harbour-7", **fields).
    (Not "password1": create_user refuses common passwords.)"""
    counter = {"n": 0}

    def _make(role="resident", email=None, password="tram-harbour-7", **fields):
        from innocell.services.accounts import create_user

        counter["n"] += 1
        email = email or f"{role}{counter['n']}@example.test"
        user = create_user(db.session, email=email, password=password, role=role, now=FIXED_NOW,
                           name=fields.pop("name", f"{role.title()} {counter['n']}"),
                           company=fields.pop("company", "Acme Bio"), priority_tier=fields.pop("priority_tier", 3))
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return _make


@pytest.fixture
def make_company(app):
    """Create a company record: make_company("Harbour Robotics", email_domain="harbour.example", ...)."""

    def _make(name="Harbour Robotics", **fields):
        from innocell.services.companies import create_company

        company = create_company(db.session, {"name": name, **fields}, actor=None, now=FIXED_NOW)
        db.session.commit()
        return company

    return _make


@pytest.fixture
def set_kind(app):
    """Change a managed space kind's row (its limits now come from there, not config.py):
    set_kind("wet_lab", quota_hours=3, simultaneous=2)."""

    def _set(key, **values):
        from sqlalchemy import select

        from innocell.models import SpaceKind

        kind = db.session.execute(select(SpaceKind).where(SpaceKind.key == key)).scalar_one()
        for name, value in values.items():
            setattr(kind, name, value)
        db.session.commit()
        return kind

    return _set


@pytest.fixture
def login(client):
    """Sign a user in through the real form: login(user, password="tram-harbour-7")."""

    def _login(user, password="tram-harbour-7"):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return _login


class ApiClient:
    """Test client that sends a bearer token and JSON."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        headers.update(extra or {})
        return headers

    def get(self, path, **kw):
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api(client):
    """api(user, password="tram-harbour-7") -> ApiClient authenticated with a real token."""

    def _api(user, password="tram-harbour-7"):
        response = client.post("/api/v1/tokens", json={"email": user.email, "password": password})
        assert response.status_code == 201, response.get_json()
        return ApiClient(client, response.get_json()["token"])

    return _api


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
