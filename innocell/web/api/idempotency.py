"""The `Idempotency-Key` header on API writes (services/idempotency.py does the bookkeeping):
a retry of a finished request gets the first answer again, marked `Idempotent-Replayed: true`."""
from __future__ import annotations

import time

from flask import Response, current_app, g, request

from ...extensions import db
from ...services import Conflict
from ...services import idempotency as keys
from ...timeutil import utcnow

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _replayed(stored: keys.Stored) -> Response:
    response = Response(stored.body, status=stored.status_code, content_type=stored.content_type)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def before_write():
    """Claim the key, replay a finished request's answer, or wait for a running one."""
    raw = request.headers.get("Idempotency-Key")
    user = getattr(g, "user", None)
    if raw is None or request.method not in WRITES or user is None:
        return None
    key = keys.check_key(raw)
    digest = keys.request_hash(request.method, request.path, request.query_string, request.get_data(cache=True))
    outcome = keys.claim(db.session, user_id=user.id, key=key, digest=digest, now=utcnow())
    deadline = time.monotonic() + float(current_app.config["IDEMPOTENCY_WAIT_SECONDS"])
    while outcome is None:  # the first request with this key is still running
        if time.monotonic() > deadline:
            raise Conflict("A request with this Idempotency-Key is still being processed; retry in a moment.")
        time.sleep(0.05)
        outcome = keys.replay(db.session, user_id=user.id, key=key)
    if isinstance(outcome, keys.Stored):
        return _replayed(outcome)
    g.idempotency_claim = outcome
    return None


def after_write(response: Response) -> Response:
    """Keep the answer for retries; a failure on our side frees the key to run again."""
    claim_id = g.pop("idempotency_claim", None)
    if claim_id is None:
        return response
    if response.status_code >= 500 or response.direct_passthrough:
        keys.forget(db.session, claim_id)
    else:
        keys.complete(db.session, claim_id, status_code=response.status_code,
                      content_type=response.content_type, body=response.get_data(as_text=True))
    return response
