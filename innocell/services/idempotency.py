"""Safe retries of API writes (CONTRACT section 4): the first request with an Idempotency-Key
claims the key; its answer is stored; a retry with the same key and the same request gets that
answer again and changes nothing; the same key with another request is a 409. A retry that
arrives while the first is still running waits for its answer. Keys live for a day.

Each step is its own short transaction, apart from the request's own service transaction, so
the claim is visible to a concurrent retry at once and the answer is stored only after the
change it reports has committed."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import IdempotencyKey
from . import BadRequest, Conflict
from .tx import release as end_read
from .tx import transaction
from .phrasing import gettext

MAX_KEY_LENGTH = 200
KEEP = timedelta(hours=24)


@dataclass(frozen=True)
class Stored:
    status_code: int
    content_type: str | None
    body: str


def request_hash(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest(gettext("The Idempotency-Key header must be 1 to %(max_key_length)s printable characters.", max_key_length=MAX_KEY_LENGTH))
    return key


@transaction
def _insert(session: Session, user_id: int, key: str, digest: str, now: datetime) -> int:
    row = IdempotencyKey(user_id=user_id, key=key, request_hash=digest, created_at=now)
    session.add(row)
    session.flush()
    return row.id


def _existing(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    return session.execute(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def claim(session: Session, *, user_id: int, key: str, digest: str, now: datetime) -> int | Stored | None:
    """The new claim's id (go ahead), the stored answer to replay, or None while the first
    request with this key is still running. Another request under the key is a Conflict."""
    try:
        return _insert(session, user_id, key, digest, now)
    except IntegrityError:
        pass
    row = _existing(session, user_id, key)
    end_read(session)
    if row is None:  # pruned between our insert and our read: try once more
        return _insert(session, user_id, key, digest, now)
    if row.request_hash != digest:
        raise Conflict(gettext("This Idempotency-Key was already used for a different request; use a new key."))
    if row.status_code is None:
        return None
    return Stored(row.status_code, row.content_type, row.body or "")


def replay(session: Session, *, user_id: int, key: str) -> Stored | None:
    """The stored answer once the first request has finished (None while it runs)."""
    row = _existing(session, user_id, key)
    end_read(session)
    if row is None or row.status_code is None:
        return None
    return Stored(row.status_code, row.content_type, row.body or "")


@transaction
def complete(session: Session, claim_id: int, *, status_code: int, content_type: str | None, body: str) -> None:
    row = session.get(IdempotencyKey, claim_id)
    if row is not None:
        row.status_code, row.content_type, row.body = status_code, content_type, body


@transaction
def forget(session: Session, claim_id: int) -> None:
    """Forget a claim whose request failed on our side, so a retry runs it again."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))


@transaction
def prune(session: Session, *, now: datetime) -> int:
    """Delete keys older than a day (the prune_keys job)."""
    return session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEEP)).rowcount
