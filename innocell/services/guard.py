"""The guarded write shared by bookings and leases: start a write transaction that holds
the resource, so racing writers for the same resource serialise and the check-then-insert
that follows cannot double-book.

- SQLite: a fresh transaction opened with BEGIN IMMEDIATE (see extensions.py); SQLite has
  one writer, so the check and the insert run alone. `with_for_update()` is a no-op there.
- PostgreSQL: `SELECT ... FOR UPDATE` on the resource row; READ COMMITTED gives the
  statements after the lock a snapshot that includes the winner's commit.

Rules about a person (one home a night, bookings held at the same instant, the weekly quota)
are checked under the person's lock too. The order is fixed: the person's users row first,
then the resource row (unit or space), so two writers never wait on each other in a cycle.
"""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import User
from .tx import begin_guarded

T = TypeVar("T")


def begin_write(session: Session) -> None:
    """Begin the guarded write (see services.tx); inside a @transaction it is already begun."""
    begin_guarded(session)


def lock_resource(session: Session, model: type[T], resource_id: int) -> T | None:
    """Begin the guarded write and lock the resource row; None when it does not exist."""
    begin_guarded(session)
    stmt = select(model).where(model.id == resource_id).with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def lock_person(session: Session, user_id: int):
    """Begin the guarded write and lock the person's users row (before any resource row)."""
    return lock_resource(session, User, user_id)


def key_of(row) -> int:
    """The primary key of a loaded row without loading it again (an expired row would refresh
    on `row.id`, one more round trip before the lock that reads it anyway)."""
    identity = inspect(row).identity
    return identity[0] if identity else row.id


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL says the write broke, when it says."""
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    return getattr(diag, "constraint_name", None)


def is_overlap_violation(exc: IntegrityError) -> bool:
    """True when PostgreSQL's exclusion constraint (SQLSTATE 23P01) refused the write."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code == "23P01"
