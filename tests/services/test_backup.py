"""Backup and restore as an operator does it: bookings made, `backup`, more changes, `restore`
into an empty database, and exactly the backed-up state is back (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta, timezone

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from innocell import create_app
from innocell.extensions import db
from innocell.models import Booking, Space
from innocell.services import accounts, backup, bookings

from tests.conftest import DEFAULT_PG, FIXED_NOW

NOW = FIXED_NOW


@pytest.fixture
def fresh_database(backend, tmp_path, request):
    """fresh_database() -> the URL of a new, empty database of this backend."""
    made: list[str] = []
    admin = None
    if backend == "postgresql":
        request.getfixturevalue("pg_url")  # skips or fails as the suite does when PostgreSQL is away
        base = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)).set(drivername="postgresql+psycopg")
        admin = create_engine(base, isolation_level="AUTOCOMMIT")

    def make() -> str:
        name = f"innocell_backup_{secrets.token_hex(4)}"
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / (name + '.db')}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _app(url):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "t", "TESTING": True, "CLOCK": lambda: NOW})


def _run(app, *args):
    """The command as an operator types it, then the app's connections closed (as at exit)."""
    result = app.test_cli_runner().invoke(args=list(args))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return result


def _state(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(Booking.id, Booking.status, Booking.start_at).order_by(Booking.id)).all()
        db.session.remove()
        db.engine.dispose()
        return [tuple(r) for r in rows]


def test_backup_then_restore_brings_back_exactly_the_backed_up_state(fresh_database, tmp_path):
    source = _app(fresh_database())
    with source.app_context():
        upgrade()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        resident = accounts.create_user(db.session, email="r@example.test", password="tram-harbour-7",
                                        role="resident", now=NOW)
        space = Space(code="WL", name="Wet Lab", kind="wet_lab", created_at=NOW)
        db.session.add(space)
        db.session.commit()
        space_id = space.id
        start = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)
        first = bookings.book(db.session, user=resident, space_id=space_id, start=start,
                              end=start + timedelta(hours=1), now=NOW).id
        bookings.book(db.session, user=resident, space_id=space_id, start=start + timedelta(hours=2),
                      end=start + timedelta(hours=3), now=NOW)
        db.session.remove()
        db.engine.dispose()
    backed_up = _state(source)
    assert len(backed_up) == 2

    path = tmp_path / "park.backup"
    made = _run(source, "backup", str(path))
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output and path.stat().st_size > 0

    with source.app_context():  # a mistake after the backup: a booking cancelled, another made
        resident = accounts.get_user_by_email(db.session, "r@example.test")
        bookings.cancel(db.session, first, actor=resident, now=NOW)
        bookings.book(db.session, user=resident, space_id=space_id, start=start + timedelta(days=1),
                      end=start + timedelta(days=1, hours=1), now=NOW)
        db.session.remove()
        db.engine.dispose()
    assert _state(source) != backed_up

    target = _app(fresh_database())
    restored = _run(target, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert _state(target) == backed_up

    # Restoring over data is refused with one line and changes nothing.
    again = _run(source, "restore", str(path))
    assert again.exit_code == 1 and "not empty" in again.output and len(again.output.strip().splitlines()) == 1
    assert len(_state(source)) == 3


def test_backup_refuses_to_overwrite_and_restore_refuses_what_is_not_a_backup(fresh_database, tmp_path):
    app = _app(fresh_database())
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    path = tmp_path / "exists.backup"
    path.write_text("not a database")
    refused = _run(app, "backup", str(path))
    assert refused.exit_code == 1 and "exists already" in refused.output
    empty = _app(fresh_database())
    wrong = _run(empty, "restore", str(path))
    assert wrong.exit_code == 1


def test_the_daily_sqlite_backup_keeps_the_newest_copies(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    app = _app(url)
    with app.app_context():
        db.create_all()
        folder = tmp_path / "backups"
        for day in range(1, 6):
            made = backup.daily_backup(db.engine, folder, today=NOW.date().replace(day=day), keep=3)
            assert made is not None
        assert backup.daily_backup(db.engine, folder, today=NOW.date().replace(day=5), keep=3) is None  # once a day
        assert sorted(p.name for p in folder.iterdir()) == [
            "innocell-2026-12-03.db", "innocell-2026-12-04.db", "innocell-2026-12-05.db"]
        db.session.remove()
        db.engine.dispose()


def test_the_backup_job_runs_once_a_day_when_a_folder_is_set(tmp_path):
    from innocell.jobs.runner import run_job

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}", "SECRET_KEY": "t", "TESTING": True,
                      "BACKUP_DIR": str(tmp_path / "daily"), "BACKUP_KEEP": 2})
    with app.app_context():
        db.create_all()
        assert run_job(app, "backup", NOW, "cli").counts == {"backups made": 1}
        assert run_job(app, "backup", NOW + timedelta(hours=1), "cli").counts == {"backups made": 0}
        db.session.remove()
        db.engine.dispose()
    assert [p.name for p in (tmp_path / "daily").iterdir()] == ["innocell-2026-12-01.db"]
