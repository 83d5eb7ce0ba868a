"""Extension singletons, bound to an app in create_app."""
from __future__ import annotations

import sqlite3

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    """Take transaction control away from pysqlite (SQLAlchemy's documented recipe),
    turn on WAL, a busy timeout and foreign keys. Class-level so every engine gets it."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA foreign_keys = ON")
    try:
        cur.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError:
        pass  # another connection holds the file; WAL is persistent once set
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    """Emit BEGIN ourselves; guarded writes ask for BEGIN IMMEDIATE so racing writers
    serialise before they read (a deferred BEGIN double-books or fails with BUSY)."""
    if conn.dialect.name != "sqlite":
        return
    immediate = bool(conn.get_execution_options().get("sqlite_immediate"))
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    conn.info["sqlite_writer"] = immediate


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_upgrade_before_write(conn, cursor, statement, parameters, context, executemany):
    """A deferred SQLite transaction that has only read and now writes fails at once with
    'database is locked' when another connection wrote meanwhile (busy_timeout does not
    help). So the first write of a deferred transaction first ends its reads and re-begins
    IMMEDIATE, which waits its turn. Guarded writes (check-then-insert) never get here: they
    begin IMMEDIATE before they read (services.guard.begin_write)."""
    if conn.dialect.name != "sqlite" or conn.info.get("sqlite_writer", True):
        return
    if not statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
        return
    raw = conn.connection.dbapi_connection
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")
    conn.info["sqlite_writer"] = True
