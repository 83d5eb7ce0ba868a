"""One owner per transaction: a service function that changes data is one guarded
transaction, and nothing else commits or rolls back.

    @transaction
    def cancel(session, booking_id, *, actor, now): ...

- The outermost decorated call ends any read-only transaction the request opened, begins a
  guarded write (BEGIN IMMEDIATE on SQLite; PostgreSQL locks rows with FOR UPDATE inside),
  runs the function, commits, then runs the `after_commit` callbacks (mail, notices that must
  only leave once the data is durable). Any exception rolls everything back and propagates.
- A decorated call inside another joins it: one transaction, one commit, at the outside.
- Blueprints, API handlers, jobs and the CLI call services and never commit or roll back.

`discard` is for the error handlers: it throws away whatever a failed request left behind.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session, scoped_session

P = ParamSpec("P")
R = TypeVar("R")

_DEPTH = "innocell.tx_depth"
_AFTER = "innocell.after_commit"


def _real(session: Session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def in_transaction(session: Session) -> bool:
    """True inside a decorated service call (the guarded write has begun)."""
    return bool(_real(session).info.get(_DEPTH))


def begin_guarded(session: Session) -> None:
    """End any read-only transaction and begin a guarded write; a no-op when one is open."""
    real = _real(session)
    if real.info.get(_DEPTH):
        return
    if real.in_transaction():
        real.commit()  # only reads (or test fixtures' staged rows) can be pending here
    real.connection(execution_options={"guarded_write": True})


def transaction(fn: Callable[P, R]) -> Callable[P, R]:
    """Make `fn(session, ...)` one guarded transaction (see the module docstring)."""

    @functools.wraps(fn)
    def run(session, *args, **kwargs):
        real = _real(session)
        if real.info.get(_DEPTH):
            real.info[_DEPTH] += 1
            try:
                return fn(session, *args, **kwargs)
            finally:
                real.info[_DEPTH] -= 1
        begin_guarded(real)
        real.info[_DEPTH] = 1
        try:
            result = fn(session, *args, **kwargs)
            _commit_keeping(real, result)
        except BaseException:
            real.info.pop(_AFTER, None)
            real.rollback()
            raise
        finally:
            real.info.pop(_DEPTH, None)
        for callback in real.info.pop(_AFTER, []):
            callback()
        return result

    run.transactional = True  # type: ignore[attr-defined]
    return run


def _rows_in(result) -> list:
    """The mapped rows a service call returned (one, or a list or tuple of them)."""
    items = result if isinstance(result, (list, tuple)) else [result]
    return [item for item in items if hasattr(item, "_sa_instance_state")]


def _commit_keeping(real: Session, result) -> None:
    """Commit; the rows the call returned keep the state just written (the caller answers with
    them: no reload after commit, which would be one more round trip and a new transaction),
    every other row expires as usual so later reads see the database."""
    keep = {id(row) for row in _rows_in(result)}
    if not keep or not real.expire_on_commit:
        real.commit()
        return
    real.expire_on_commit = False
    try:
        real.commit()
    finally:
        real.expire_on_commit = True
    for row in list(real.identity_map.values()):
        if id(row) not in keep:
            real.expire(row)


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run `callback` once the current transaction has committed (dropped on rollback)."""
    real = _real(session)
    if not real.info.get(_DEPTH):
        raise RuntimeError("after_commit outside a @transaction service call")
    real.info.setdefault(_AFTER, []).append(callback)


def release(session: Session) -> None:
    """End the request's read-only transaction before slow work that does not need it (a
    streamed file, a job run by hand), so no snapshot or lock is held meanwhile."""
    real = _real(session)
    if real.info.get(_DEPTH):
        raise RuntimeError("release inside a @transaction service call")
    if real.in_transaction():
        real.rollback()


def discard(session: Session) -> None:
    """Throw away a failed request's unfinished work (error handlers and teardown)."""
    real = _real(session)
    real.info.pop(_DEPTH, None)
    real.info.pop(_AFTER, None)
    real.rollback()
