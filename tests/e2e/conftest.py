"""Real-browser harness: the app served on loopback with a fresh, migrated, demo-seeded
database, driven by Playwright for Python in Debian's headless Chromium (never a downloaded
browser).

Fixtures
  live_server  module-scoped; `.url` is the base URL ("http://127.0.0.1:PORT"), `.app` the
               Flask app (use `with live_server.app.app_context():` to query or run services).
               Each test module gets its own copy of a database that is migrated and seeded
               once per session, so modules do not see each other's changes.
  browser      session-scoped Chromium.
  page         a fresh browser context (no cookies) and page per test; a screenshot is saved to
               test-artifacts/ when the test fails.
  sign_in      the `sign_in(page, base_url, email, password)` helper below, as a fixture.
  demo_logins  {"resident": (email, password), "manager": ..., "finance": ..., "admin": ...}

Helper
  from tests.e2e.conftest import sign_in
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW
from flask import Flask

CHROMIUM = os.environ.get("INNOCELL_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DEFAULT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    """Every test in tests/e2e is an e2e test, whether or not it says so."""
    for item in items:
        if "/e2e/" in str(item.path).replace(os.sep, "/") and not item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.e2e)


# ----------------------------------------------------------------------------- live server


@dataclass
class LiveServer:
    url: str
    app: Flask
    database_path: Path


def _app_for(database_path: Path) -> Flask:
    from innocell import create_app

    return create_app({
        "DATABASE_URL": f"sqlite:///{database_path}",
        "SECRET_KEY": "e2e-secret",
        "INNOCELL_ENV": "development",
        "INNOCELL_SCHEDULER": False,
        "WTF_CSRF_ENABLED": True,  # the browser sends real tokens
        "TESTING": False,
        "CLOCK": lambda: FIXED_NOW,  # the pages' "today", as in every other test
        "STRICT_WRITES": True,
    })


def _migrate_and_seed(database_path: Path) -> None:
    """`flask db upgrade` then the demo seed at the app's (pinned) clock, as `make run` does."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from innocell.extensions import db
    from innocell.services import demo
    from innocell.timeutil import local_zone, utcnow

    app = _app_for(database_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), db.metadata)
        if drift:
            # The models moved ahead of the migration (it is regenerated from the models; the
            # migration test in tests/services/test_migrations.py fails meanwhile). Serve the
            # models' schema so browser tests exercise the application, and say so.
            warnings.warn(f"migrations lag behind the models ({len(drift)} differences); "
                          "the e2e database was built with create_all", stacklevel=1)
            db.session.remove()
            db.drop_all()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.create_all()
        demo.seed(db.session, now=utcnow(), tz=local_zone(), scale=1)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _seeded_database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("e2e-template") / "innocell.db"
    _migrate_and_seed(path)
    return path


@pytest.fixture(scope="module")
def live_server(_seeded_database, tmp_path_factory):
    from werkzeug.serving import make_server

    from innocell.extensions import db

    path = tmp_path_factory.mktemp("e2e-db") / "innocell.db"
    shutil.copyfile(_seeded_database, path)  # WAL is checkpointed on dispose: one file holds it all
    app = _app_for(path)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, database_path=path)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# ----------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
                    "(`apt-get install chromium`, as .ci/run does); e2e tests never download a browser.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                  timezone_id="Asia/Hong_Kong")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    pg = context.new_page()
    try:
        yield pg
    finally:
        failed = any(getattr(request.node, f"rep_{when}", None) is not None
                     and getattr(request.node, f"rep_{when}").failed for when in ("setup", "call"))
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-180:]
            try:
                pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                print(f"\nscreenshot saved: {ARTIFACTS / f'{name}.png'} (page {pg.url})")
            except Exception as exc:  # noqa: BLE001 - a failed screenshot must not hide the real failure
                print(f"\nscreenshot failed: {exc}")
        context.close()


# ----------------------------------------------------------------------------- helpers


def sign_in(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the real form and wait for the page after it.
    Raises AssertionError with the page's error text when the sign-in is refused."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if re.search(r"/login(\?|$)", page.url):
        errors = page.locator("main .error").all_inner_texts()
        raise AssertionError(f"sign-in as {email} refused: {errors or page.url}")


def sign_out(page) -> None:
    """Press the "Sign out" button in the top bar and wait for the sign-in page."""
    with page.expect_navigation():
        page.locator("header .who button[type=submit]").click()


@pytest.fixture(name="sign_in")
def _sign_in_fixture():
    return sign_in


@pytest.fixture(name="sign_out")
def _sign_out_fixture():
    return sign_out


@pytest.fixture(scope="session")
def demo_logins() -> dict[str, tuple[str, str]]:
    from innocell.services.demo import DEMO_LOGINS

    return {role: (email, password) for role, email, password, *_ in DEMO_LOGINS}
