"""Webhooks on SQLite and PostgreSQL, delivered to a REAL local receiver (http.server on
127.0.0.1): signed bodies the test verifies, back-off retries at chosen instants, a dead port
that breaks nothing, and one delivery per event even with two senders racing."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.jobs.runner import run_job
from innocell.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from innocell.services import Conflict, RuleViolation
from innocell.services import bookings as booking_svc
from innocell.services import webhooks as webhook_svc
from tests.webhook_receiver import Receiver

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
SECRET = "test-secret-0123456789abcdef"


def hk(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


@pytest.fixture
def receiver():
    item = Receiver()
    yield item
    item.close()


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def register(session, admin, now, url, events=("booking.created", "booking.cancelled")):
    endpoint, secret = webhook_svc.create_endpoint(session, {"url": url, "events": list(events), "secret": SECRET},
                                                   actor=admin, now=now)
    return endpoint


def deliver(app, session, at):
    result = run_job(app, "webhooks", at, "scheduler", interval_seconds=1)
    session.rollback()
    return result


def verify(message: dict) -> dict:
    """What a receiver does: recompute the signature over timestamp.body with the secret."""
    timestamp = message["headers"]["x-innocell-timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.{message['body']}".encode(),
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(message["headers"]["x-innocell-signature"], expected)
    return json.loads(message["body"])


def test_booking_events_are_delivered_signed_after_commit(app, session, admin, alice, bob, new_space, now, receiver):
    register(session, admin, now, receiver.url)
    space = new_space()
    booking = booking_svc.book(session, user=alice, space_id=space.id, start=hk(2, 10), end=hk(2, 11),
                               title="Cell culture", now=now)
    with pytest.raises(Conflict):  # refused: writes nothing, sends nothing
        booking_svc.book(session, user=bob, space_id=space.id, start=hk(2, 10), end=hk(2, 11), now=now)
    assert receiver.received == []  # nothing leaves before the job runs
    booking_svc.cancel(session, booking.id, actor=alice, now=now, reason="Moved to Friday")
    assert session.execute(select(func.count(WebhookEvent.id))).scalar_one() == 2

    deliver(app, session, now)
    made, cancelled = (verify(m) for m in receiver.received)
    assert made["event"] == "booking.created" and made["data"]["id"] == booking.id
    assert made["data"]["object"]["title"] == "Cell culture" and made["data"]["object"]["user_id"] == alice.id
    assert cancelled["event"] == "booking.cancelled"
    assert cancelled["data"]["changes"]["status"] == ["confirmed", "cancelled"]
    assert receiver.received[0]["headers"]["x-innocell-timestamp"] == str(int(now.timestamp()))
    statuses = session.execute(select(WebhookDelivery.status, WebhookDelivery.attempts)).all()
    assert sorted(statuses) == [("delivered", 1), ("delivered", 1)]

    deliver(app, session, now + timedelta(minutes=5))  # idempotent: nothing is sent twice
    assert len(receiver.received) == 2


def test_a_failing_receiver_is_retried_with_back_off(app, session, admin, alice, new_space, now, receiver):
    register(session, admin, now, receiver.url)
    receiver.answers = [500, 503]
    space = new_space()
    booking_svc.book(session, user=alice, space_id=space.id, start=hk(2, 10), end=hk(2, 11), now=now)

    deliver(app, session, now)
    delivery = session.execute(select(WebhookDelivery)).scalar_one()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == now + timedelta(seconds=webhook_svc.BACKOFF_SECONDS)

    deliver(app, session, now + timedelta(seconds=30))  # not due yet
    assert len(receiver.received) == 1
    deliver(app, session, now + timedelta(seconds=60))
    delivery = session.execute(select(WebhookDelivery)).scalar_one()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 2, 503)
    second_wait = timedelta(seconds=60 + 2 * webhook_svc.BACKOFF_SECONDS)  # doubled
    assert delivery.next_attempt_at == now + second_wait
    deliver(app, session, now + second_wait - timedelta(seconds=1))
    assert len(receiver.received) == 2
    deliver(app, session, now + second_wait)
    delivery = session.execute(select(WebhookDelivery)).scalar_one()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    log = session.execute(select(WebhookAttempt.status_code, WebhookAttempt.error)
                          .order_by(WebhookAttempt.id)).all()
    assert log == [(500, "HTTP 500"), (503, "HTTP 503"), (200, None)]
    assert len({m["body"] for m in receiver.received}) == 1  # the same event each time


def test_gives_up_after_the_last_attempt(app, session, admin, alice, new_space, now, receiver):
    register(session, admin, now, receiver.url)
    receiver.answers = [500] * 10
    space = new_space()
    booking_svc.book(session, user=alice, space_id=space.id, start=hk(2, 10), end=hk(2, 11), now=now)
    at = now
    for _ in range(webhook_svc.MAX_ATTEMPTS + 2):
        deliver(app, session, at)
        at += timedelta(days=1)
    delivery = session.execute(select(WebhookDelivery)).scalar_one()
    assert (delivery.status, delivery.attempts) == ("failed", webhook_svc.MAX_ATTEMPTS)
    assert len(receiver.received) == webhook_svc.MAX_ATTEMPTS


def _dead_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/gone"


def test_a_dead_receiver_breaks_nothing(app, session, admin, alice, new_space, now):
    register(session, admin, now, _dead_url())
    space = new_space()
    booking = booking_svc.book(session, user=alice, space_id=space.id, start=hk(2, 10), end=hk(2, 11), now=now)
    assert booking.id
    result = deliver(app, session, now)
    assert result.status == "ran"
    delivery = session.execute(select(WebhookDelivery)).scalar_one()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code is None
    assert delivery.last_error


def test_two_senders_racing_deliver_each_event_once(app, session, admin, alice, new_space, now, receiver):
    register(session, admin, now, receiver.url)
    space = new_space()
    for hour in range(9, 17):
        booking_svc.book(session, user=alice, space_id=space.id, start=hk(3, hour), end=hk(3, hour + 1), now=now)
    session.rollback()
    barrier = threading.Barrier(2)
    errors = []

    def sender():
        try:
            with app.app_context():
                barrier.wait()
                webhook_svc.deliver_due(db.session(), now)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [json.loads(m["body"])["id"] for m in receiver.received]
    assert len(ids) == 8 and len(set(ids)) == 8
    assert session.execute(select(func.count(WebhookAttempt.id))).scalar_one() == 8


def test_endpoint_rules_and_soft_delete(session, admin, now, receiver):
    with pytest.raises(RuleViolation) as refused:
        webhook_svc.create_endpoint(session, {"url": "ftp://x", "events": ["booking.exploded"]}, actor=admin, now=now)
    assert {v["rule"] for v in refused.value.extra["violations"]} == {"url", "events"}
    endpoint, secret = webhook_svc.create_endpoint(session, {"url": receiver.url, "events": ["offer.made"]},
                                                   actor=admin, now=now)
    assert len(secret) >= 32 and endpoint.secret == secret
    webhook_svc.delete_endpoint(session, endpoint.id, actor=admin, now=now)
    assert webhook_svc.list_endpoints(session) == []
    session.rollback()
    assert session.get(type(endpoint), endpoint.id).deleted_at == now  # kept, with its log
