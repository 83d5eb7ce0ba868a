"""One structured log line per request, and a request id a person can quote: returned in the
`X-Request-Id` header, shown on error pages and in API error bodies, written on every line.

    request id=3f2a9c1e0b7d4e21 user=12 method=POST route=api.create_booking path=/api/v1/bookings
            status=201 ms=14.2 sql=9
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.engine import Engine

log = logging.getLogger("innocell.requests")

_statements: ContextVar[list[int] | None] = ContextVar("innocell_sql_count", default=None)
_INCOMING = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@event.listens_for(Engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany):
    counter = _statements.get()
    if counter is not None:
        counter[0] += 1


def request_id() -> str | None:
    return g.get("request_id")


def _start() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _INCOMING.match(incoming) else uuid.uuid4().hex[:16]
    g.request_started = time.perf_counter()
    g.sql_token = _statements.set([0])
    try:  # the id people quote is the one the error report carries (when reporting is on)
        import sentry_sdk

        sentry_sdk.set_tag("request_id", g.request_id)
    except ImportError:
        pass


def _key(row):
    """A loaded row's primary key without touching its attributes: a row expired by the
    request's commit would otherwise be loaded again just for this line."""
    if row is None:
        return None
    try:
        identity = sa_inspect(row).identity
    except NoInspectionAvailable:
        return getattr(row, "id", None)
    return identity[0] if identity else None


def _finish(response):
    response.headers["X-Request-Id"] = g.get("request_id", "")
    counter = _statements.get()
    started = g.get("request_started")
    # Only a user already loaded by this request (never a query of its own, e.g. during an outage).
    who = g.get("user") or g.get("_login_user")
    user = _key(who) or "-"
    log.info("request id=%s user=%s method=%s route=%s path=%s status=%s ms=%.1f sql=%s",
             g.get("request_id"), user, request.method, request.endpoint or "-", request.path, response.status_code,
             (time.perf_counter() - started) * 1000 if started else 0.0, counter[0] if counter else 0)
    return response


def _end(exc) -> None:
    token = g.pop("sql_token", None)
    if token is not None:
        _statements.reset(token)


def install(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_end)

    @app.context_processor
    def _request_id():
        return {"request_id": g.get("request_id")}
