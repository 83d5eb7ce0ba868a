"""Webhooks for integrations: an admin registers endpoints; changes that matter to them
(booking made/changed/cancelled, lease started/ended, offer made/answered) are written to an
outbox in the transaction of the change (off the audit rows, services.audit_trail) and
delivered after commit by the `webhooks` job: signed, retried with exponential back-off,
every attempt logged.

Signature: `X-InnoCell-Signature: sha256=HEX` where HEX is HMAC-SHA256(secret,
f"{X-InnoCell-Timestamp}.{body}"); the timestamp is Unix seconds of the attempt.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ..models import WEBHOOK_EVENTS, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from . import NotFound, RuleViolation
from .tx import release, transaction
from .phrasing import gettext

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 60  # 1, 2, 4, 8, 16 minutes between the attempts
TIMEOUT_SECONDS = 5.0
CLAIM_SECONDS = 300  # a sender that died mid-attempt leaves the delivery to the next run after this
BOOKING_FIELDS = frozenset({"start_at", "end_at", "space_id", "title", "status", "user_id"})
SIGNATURE_HEADER = "X-InnoCell-Signature"
TIMESTAMP_HEADER = "X-InnoCell-Timestamp"


def events_for(row: dict, changes: dict) -> list[str]:
    """The webhook events an audit row stands for."""
    obj, kind = row["target_type"], row["kind"]
    if obj == "booking":
        if kind == "created":
            return ["booking.created"]
        if kind == "cancelled":
            return ["booking.cancelled"]
        if BOOKING_FIELDS & set(changes):
            return ["booking.changed"]
    elif obj == "lease":
        if kind == "created":
            return ["lease.started"]
        if kind in ("ended", "terminated"):
            return ["lease.ended"]
    elif obj == "offer":
        if kind == "created":
            return ["offer.made"]
        if kind in ("accepted", "declined"):
            return ["offer.answered"]
    return []


def outbox(conn, rows: list[dict], extras: list[dict], *, now: datetime) -> int:
    """Write the events of these audit rows, one delivery per subscribed endpoint, on the
    change's own connection (called during its flush). Returns the events written."""
    wanted = [(name, row, extra) for row, extra in zip(rows, extras) for name in events_for(row, extra["changes"])]
    if not wanted:
        return 0
    ep = WebhookEndpoint.__table__
    endpoints = conn.execute(select(ep.c.id, ep.c.events).where(ep.c.active.is_(True), ep.c.deleted_at.is_(None))).all()
    if not endpoints:
        return 0
    ev, dl = WebhookEvent.__table__, WebhookDelivery.__table__
    written = 0
    for name, row, extra in wanted:
        targets = [e.id for e in endpoints if name in (e.events or [])]
        if not targets:
            continue
        body = json.dumps({
            "id": uuid.uuid4().hex, "event": name, "created_at": now.isoformat(),
            "data": {"type": row["target_type"], "id": row["target_id"], "object": extra["snapshot"],
                     "changes": {k: [row["before"].get(k) if row["before"] else None,
                                     row["after"].get(k) if row["after"] else None]
                                 for k in (extra["changes"] if row["kind"] != "created" else {})},
                     "actor_id": row["actor_id"], "request_id": row["request_id"], "job": row["job"]},
        }, sort_keys=True, separators=(",", ":"))
        event_id = conn.execute(insert(ev).returning(ev.c.id), {
            "event": name, "target_type": row["target_type"], "target_id": row["target_id"], "body": body,
            "created_at": now}).scalar_one()
        conn.execute(insert(dl), [{"endpoint_id": t, "event_id": event_id, "status": "pending", "attempts": 0,
                                   "next_attempt_at": now, "created_at": now} for t in targets])
        written += 1
    return written


def sign(secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# ----------------------------------------------------------------------------- endpoints


def _check(data: dict, *, partial: bool) -> dict:
    violations, clean = [], {}
    if "url" in data or not partial:
        url = data.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if not isinstance(url, str) or len(url) > 500 or parts.scheme not in ("http", "https") or not parts.hostname:
            violations.append({"rule": "url", "message": gettext("The URL must be an http:// or https:// address "
                                                         "of at most 500 characters.")})
        else:
            clean["url"] = url
    if "events" in data or not partial:
        events = data.get("events")
        if (not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events)
                or set(events) - set(WEBHOOK_EVENTS)):
            violations.append({"rule": "events", "message": "Choose one or more events of: "
                                                            + ", ".join(WEBHOOK_EVENTS) + "."})
        else:
            clean["events"] = [e for e in WEBHOOK_EVENTS if e in events]
    if "description" in data:
        text = data.get("description")
        if text is not None and (not isinstance(text, str) or len(text) > 200 or "\x00" in text):
            violations.append({"rule": "description", "message": gettext("The description is at most 200 characters.")})
        else:
            clean["description"] = (text or "").strip()
    if "active" in data:
        if not isinstance(data["active"], bool):
            violations.append({"rule": "active", "message": gettext("active is true or false.")})
        else:
            clean["active"] = data["active"]
    if data.get("secret") is not None:
        value = data["secret"]
        if not isinstance(value, str) or not 16 <= len(value) <= 128 or not value.isprintable():
            violations.append({"rule": "secret", "message": gettext("A secret is 16 to 128 printable characters "
                                                            "(leave it out to have one generated).")})
        else:
            clean["secret"] = value
    if violations:
        raise RuleViolation(gettext("The webhook endpoint is not valid."), violations=violations)
    return clean


@transaction
def create_endpoint(session: Session, data: dict, *, actor, now: datetime) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (given, or generated; shown to the admin this once)."""
    clean = _check(data, partial=False)
    secret = clean.pop("secret", None) or secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(secret=secret, created_by_id=actor.id, created_at=now, active=True,
                               description=clean.pop("description", ""), **clean)
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def _live(session: Session, endpoint_id: int, lock: bool = False) -> WebhookEndpoint:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.deleted_at.is_(None))
    endpoint = session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()
    if endpoint is None:
        raise NotFound(gettext("No such webhook endpoint."))
    return endpoint


@transaction
def update_endpoint(session: Session, endpoint_id: int, data: dict, *, actor, now: datetime,
                    rotate_secret: bool = False) -> tuple[WebhookEndpoint, str | None]:
    endpoint = _live(session, endpoint_id, lock=True)
    clean = _check(data, partial=True)
    secret = clean.pop("secret", None) or (secrets.token_urlsafe(32) if rotate_secret else None)
    for key, value in clean.items():
        setattr(endpoint, key, value)
    if secret:
        endpoint.secret = secret
    session.flush()
    return endpoint, secret


@transaction
def delete_endpoint(session: Session, endpoint_id: int, *, actor, now: datetime) -> WebhookEndpoint:
    """Retire an endpoint (kept, with its delivery log; nothing more is sent to it)."""
    endpoint = _live(session, endpoint_id, lock=True)
    endpoint.active = False
    endpoint.deleted_at = now
    session.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id,
                                                  WebhookDelivery.status == "pending")
                    .values(status="failed", last_error="endpoint deleted")
                    .execution_options(synchronize_session=False))
    return endpoint


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.execute(select(WebhookEndpoint).where(WebhookEndpoint.deleted_at.is_(None))
                                .order_by(WebhookEndpoint.id)).scalars())


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    return _live(session, endpoint_id)


def deliveries(session: Session, endpoint_id: int, *, offset: int = 0, limit: int = 25) -> tuple[list, int]:
    """The endpoint's deliveries, newest first, each with its attempts: (rows, total)."""
    base = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = list(session.execute(base.order_by(WebhookDelivery.id.desc()).offset(offset).limit(limit)).scalars())
    attempts = {}
    if rows:
        for attempt in session.execute(select(WebhookAttempt).where(
                WebhookAttempt.delivery_id.in_([r.id for r in rows])).order_by(WebhookAttempt.id)).scalars():
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return [(row, attempts.get(row.id, [])) for row in rows], total


# ----------------------------------------------------------------------------- delivery


def _due(now: datetime):
    return or_(and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
               and_(WebhookDelivery.status == "sending", WebhookDelivery.claimed_until < now))


def due_ids(session: Session, now: datetime, limit: int = 200) -> list[int]:
    return list(session.execute(select(WebhookDelivery.id).where(_due(now))
                                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).scalars())


@transaction
def claim(session: Session, delivery_id: int, *, now: datetime) -> dict | None:
    """Take one due delivery for this sender (a conditional UPDATE: one sender wins)."""
    taken = session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, _due(now))
                            .values(status="sending", claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                            .execution_options(synchronize_session=False)).rowcount == 1
    if not taken:
        return None
    row = session.execute(select(WebhookDelivery.attempts, WebhookEndpoint.url, WebhookEndpoint.secret,
                                 WebhookEvent.body, WebhookEvent.event)
                          .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                          .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                          .where(WebhookDelivery.id == delivery_id)).one()
    return {"id": delivery_id, "attempts": row.attempts, "url": row.url, "secret": row.secret, "body": row.body,
            "event": row.event}


def send(job: dict, *, now: datetime, timeout: float = TIMEOUT_SECONDS) -> tuple[int | None, str | None, int]:
    """POST the body once: (status code or None, error or None, milliseconds)."""
    timestamp = int(now.timestamp())
    req = urllib.request.Request(job["url"], data=job["body"].encode(), method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "InnoCell-Webhooks/1",
        "X-InnoCell-Event": job["event"], "X-InnoCell-Delivery": str(job["id"]),
        TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(job["secret"], timestamp, job["body"])})
    started = time.perf_counter()
    status, error = None, None
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:  # noqa: S310 - admin-registered URL
            status = answer.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:500] or type(exc).__name__
    return status, error, int((time.perf_counter() - started) * 1000)


@transaction
def finish(session: Session, delivery_id: int, *, attempt: int, now: datetime, status: int | None,
           error: str | None, duration_ms: int, max_attempts: int = MAX_ATTEMPTS) -> str:
    """Record one attempt; delivered on a 2xx, else retried after BACKOFF * 2^(n-1), or failed
    for good after `max_attempts`."""
    ok = status is not None and 200 <= status < 300
    attempts = attempt + 1
    if ok:
        outcome, next_at = "delivered", None
    elif attempts >= max_attempts:
        outcome, next_at = "failed", None
    else:
        outcome, next_at = "pending", now + timedelta(seconds=BACKOFF_SECONDS * 2 ** (attempts - 1))
    if not ok and error is None:
        error = f"HTTP {status}"
    done = session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                         WebhookDelivery.status == "sending",
                                                         WebhookDelivery.attempts == attempt)
                           .values(status=outcome, attempts=attempts, next_attempt_at=next_at, claimed_until=None,
                                   last_status_code=status, last_error=error,
                                   delivered_at=now if ok else None)
                           .execution_options(synchronize_session=False)).rowcount
    if not done:
        return "lost"
    session.add(WebhookAttempt(delivery_id=delivery_id, attempt=attempts, attempted_at=now, status_code=status,
                               error=error, duration_ms=duration_ms, next_attempt_at=next_at))
    return outcome


def deliver_due(session: Session, now: datetime, *, timeout: float = TIMEOUT_SECONDS,
                max_attempts: int = MAX_ATTEMPTS) -> dict:
    """The job: every due delivery once, outside any transaction while it waits on the network."""
    counts = {"delivered": 0, "retry later": 0, "failed": 0}
    for delivery_id in due_ids(session, now):
        job = claim(session, delivery_id, now=now)
        if job is None:
            continue
        release(session)
        status, error, ms = send(job, now=now, timeout=timeout)
        outcome = finish(session, delivery_id, attempt=job["attempts"], now=now, status=status, error=error,
                         duration_ms=ms, max_attempts=max_attempts)
        key = {"delivered": "delivered", "pending": "retry later", "failed": "failed"}.get(outcome)
        if key:
            counts[key] += 1
    return {f"webhooks {k}": v for k, v in counts.items()}
