"""Backups an operator can restore: a consistent copy taken while the app runs, brought back
into an empty database, then checked against the schema the code expects.

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies page by page under a read
  lock, so writers keep going and the copy is one moment's state.
- PostgreSQL: `pg_dump --format=custom` (a consistent snapshot) and `pg_restore`, when the client
  tools are installed; the same command wraps them.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

from . import BadRequest, Conflict
from .phrasing import gettext


class BackupError(BadRequest):
    """A backup or restore that cannot go ahead; the message says why in one line."""


def _sqlite_path(engine: Engine) -> Path:
    database = make_url(engine.url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _pg_url(engine: Engine) -> str:
    return make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools (Debian: postgresql-client).")
    return found


def backup(engine: Engine, target: Path) -> Path:
    """Write a consistent copy of the database to `target` (which must not exist)."""
    target = Path(target)
    if target.exists():
        raise Conflict(gettext("%(target)s exists already; choose a new file name.", target=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        result = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}",
                                 _pg_url(engine)], capture_output=True, text=True)
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1] if result.stderr else '?'}")
    return target


def _is_empty(engine: Engine) -> bool:
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if not tables:
        return True
    with engine.connect() as conn:
        return all(conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() is None for t in tables)


def restore(engine: Engine, source: Path, *, expected_revision: str) -> str:
    """Bring a backup back into an empty database; returns the schema revision restored.
    Refuses a database that holds data, and says so when the schema is older than the code's."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a backup file.")
    if not _is_empty(engine):
        raise Conflict(gettext("The database is not empty; restore into a new, empty database (DATABASE_URL)."))
    engine.dispose()
    if engine.dialect.name == "sqlite":
        try:
            backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            backup_db.execute("SELECT 1 FROM sqlite_master").fetchall()
        except sqlite3.DatabaseError:
            raise BackupError(f"{source} is not an SQLite backup.") from None
        target = sqlite3.connect(_sqlite_path(engine))
        try:
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
    else:
        with engine.begin() as conn:  # an upgraded-but-empty database: clear its schema first
            for table in inspect(conn).get_table_names():
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        result = subprocess.run([_tool("pg_restore"), "--no-owner", "--exit-on-error",
                                 f"--dbname={_pg_url(engine)}", str(source)], capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip().splitlines()[-1] if result.stderr else '?'}")
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    if revision != expected_revision:
        raise BackupError(f"Restored, but the schema is at {revision or 'no version'}, the code expects "
                          f"{expected_revision}: run `flask --app innocell db upgrade`.")
    return revision


def daily_backup(engine: Engine, folder: Path, *, today: date, keep: int) -> Path | None:
    """Today's SQLite backup in `folder` unless it exists, keeping the newest `keep` (the backup job)."""
    if engine.dialect.name != "sqlite":
        return None
    folder = Path(folder)
    target = folder / f"innocell-{today.isoformat()}.db"
    made = None
    if not target.exists():
        made = backup(engine, target)
    for old in sorted(folder.glob("innocell-*.db"))[:-max(keep, 1)]:
        old.unlink()
    return made
