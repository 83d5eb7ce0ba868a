"""`flask db upgrade` on an empty database builds exactly the schema the models describe, on
SQLite and on PostgreSQL (where the hand-written exclusion constraints back the no-overlap
guarantee), and `flask db downgrade base` takes it all away again."""
from __future__ import annotations

import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from innocell import create_app
from innocell.extensions import db

EXCLUSIONS = {"ex_bookings_no_overlap": "bookings", "ex_leases_no_overlap": "leases",
              "ex_leases_person_no_overlap": "leases"}


@pytest.fixture
def empty_database_url(backend, tmp_path, request):
    """A database with nothing in it: its own SQLite file, or a PostgreSQL database made here."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server_url, reason = request.getfixturevalue("pg_url")
    if server_url is None:
        pytest.skip(reason)
    name = f"innocell_migr_{secrets.token_hex(4)}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _flask_db(app, *args):
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0 and result.exception is None, (result.output, result.exception)
    return result


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_on_an_empty_database_matches_the_models_and_downgrade_removes_it(empty_database_url, backend):
    app = create_app({"DATABASE_URL": empty_database_url, "SECRET_KEY": "test", "TESTING": True})
    with app.app_context():
        engine = db.engine
        assert _tables(engine) == set()

        _flask_db(app, "upgrade")

        model_tables = {t.name for t in db.metadata.sorted_tables}
        assert _tables(engine) == model_tables | {"alembic_version"}
        assert _diff(engine) == [], "the migrations and the models disagree; regenerate the migration"
        with engine.connect() as conn:
            heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            chinese = dict(conn.execute(text("SELECT key, label_zh FROM space_kinds")).all())
        assert len(heads) == 1
        assert chinese["wet_lab"] == "濕實驗室" and all(chinese.values())  # 0020 names 0004's kinds

        if backend == "postgresql":
            with engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT c.conname, t.relname, c.contype FROM pg_constraint c "
                    "JOIN pg_class t ON t.oid = c.conrelid WHERE c.conname LIKE 'ex\\_%'")).all()
            found = {name: (table, kind) for name, table, kind in rows}
            for name, table in EXCLUSIONS.items():
                assert found.get(name) == (table, "x"), f"exclusion constraint {name} on {table} missing: {found}"

        _flask_db(app, "downgrade", "base")
        assert _tables(engine) <= {"alembic_version"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 0

        # The history replays cleanly after a full downgrade.
        _flask_db(app, "upgrade")
        assert _diff(engine) == []
        db.session.remove()
        engine.dispose()
