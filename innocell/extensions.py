"""Extension singletons, bound to an app in create_app."""
from __future__ import annotations

import logging
import sqlite3
from contextvars import ContextVar

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


# Set while a request or a job runs with STRICT_WRITES (the test suite): a write outside a
# guarded transaction raises instead of being repaired, so a forgotten @transaction shows.
strict_writes: ContextVar[bool] = ContextVar("innocell_strict_writes", default=False)

log = logging.getLogger(__name__)


class UnguardedWrite(RuntimeError):
    """A data change outside a guarded transaction (services.tx.transaction)."""


@event.listens_for(Engine, "begin")
def _on_begin(conn):
    """Emit SQLite's BEGIN ourselves: a guarded write (services.tx) asks for BEGIN IMMEDIATE,
    so racing writers serialise before they read (a deferred BEGIN double-books or fails
    with BUSY). Every dialect records whether the transaction began guarded."""
    guarded = bool(conn.get_execution_options().get("guarded_write"))
    conn.info["guarded_write"] = guarded
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if guarded else "BEGIN")


_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@event.listens_for(Engine, "before_cursor_execute")
def _unguarded_write(conn, cursor, statement, parameters, context, executemany):
    """A write in a transaction that did not begin guarded is a bug: a check-then-write that
    forgot the guard double-books under load. Under STRICT_WRITES it raises. Otherwise it is
    logged and, on SQLite, the transaction is re-begun IMMEDIATE so the write waits its turn
    instead of failing 'database is locked' (its earlier reads are not protected: that is
    why tests run strict)."""
    if conn.info.get("guarded_write", True):
        return
    if not statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
        return
    if strict_writes.get():
        raise UnguardedWrite(f"write outside a guarded transaction: {statement.strip()[:120]}")
    log.warning("Write outside a guarded transaction: %s", statement.strip()[:120])
    conn.info["guarded_write"] = True
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if raw.in_transaction:
            raw.execute("COMMIT")
        raw.execute("BEGIN IMMEDIATE")
