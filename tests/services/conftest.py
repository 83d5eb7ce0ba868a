"""Shared by the service tests: people, a space maker, and an app on PostgreSQL for the tests
that race several processes."""
from __future__ import annotations

import pytest
from innocell.extensions import db
from innocell.services import spaces as space_svc

from tests import suite_speed
from tests.conftest import FIXED_NOW


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def alice(make_user):
    return make_user("resident", name="Alice")


@pytest.fixture
def bob(make_user):
    return make_user("resident", name="Bob")


@pytest.fixture
def new_space(session, manager, now):
    counter = {"n": 0}

    def _make(**fields):
        counter["n"] += 1
        data = {"code": f"S{counter['n']}", "name": f"Lab {counter['n']}", "kind": "wet_lab"}
        data.update(fields)
        return space_svc.create_space(session, data, actor=manager, now=now)

    return _make


@pytest.fixture
def pg_app(pg_url):
    """An app on the run's PostgreSQL database, emptied and seeded with the managed kinds, for
    the tests with several processes (SQLite's several-writer story is the threads tests')."""
    url, reason = pg_url
    if url is None:
        pytest.skip(reason)  # the contract's "PostgreSQL not answering"; REQUIRE_POSTGRES fails earlier
    from innocell import create_app
    from innocell.services import space_kinds

    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True})
    with application.app_context():
        suite_speed.empty_postgresql_tables(db.engine, db.metadata)
        space_kinds.seed_kinds(db.session, now=FIXED_NOW)
        yield application
        db.session.remove()
        db.engine.dispose()
