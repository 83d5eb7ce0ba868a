"""Idempotency-Key on API writes: a retry gets the first answer and changes nothing, another
request under the same key is a 409, and racing retries with one key make one change."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Booking, IdempotencyKey, Space

pytestmark = pytest.mark.both_db

WHEN = {"start": "2026-12-03T10:00", "end": "2026-12-03T11:00"}


@pytest.fixture
def lab(app, now):
    space = Space(code="WL1", name="Wet Lab 1", kind="wet_lab", capacity=1, created_at=now)
    db.session.add(space)
    db.session.commit()
    return space


def bookings() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(Booking)).scalar_one()


def test_a_retry_gets_the_first_answer_and_books_nothing_more(api, make_user, lab):
    caller = api(make_user())
    body = {"space_id": lab.id, **WHEN}
    first = caller.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": "k-1"})
    again = caller.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert bookings() == 1
    # Without a key, the same request is a new one, refused: the slot is taken (and is the
    # person's own, so the simultaneous rule refuses it too).
    assert caller.post("/api/v1/bookings", json=body).status_code in (409, 422)
    assert bookings() == 1


def test_the_same_key_for_another_request_is_a_conflict(api, make_user, lab):
    caller = api(make_user())
    assert caller.post("/api/v1/bookings", json={"space_id": lab.id, **WHEN},
                       headers={"Idempotency-Key": "k-2"}).status_code == 201
    other = caller.post("/api/v1/bookings", json={"space_id": lab.id, "start": "2026-12-04T10:00",
                                                  "end": "2026-12-04T11:00"}, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 409 and other.get_json()["error"] == "conflict"
    assert "different request" in other.get_json()["message"]
    assert bookings() == 1


def test_keys_belong_to_their_caller(api, make_user, lab):
    alice, bob = api(make_user()), api(make_user())
    assert alice.post("/api/v1/bookings", json={"space_id": lab.id, **WHEN},
                      headers={"Idempotency-Key": "same"}).status_code == 201
    bobs = bob.post("/api/v1/bookings", json={"space_id": lab.id, "start": "2026-12-04T10:00",
                                              "end": "2026-12-04T11:00"}, headers={"Idempotency-Key": "same"})
    assert bobs.status_code == 201 and "Idempotent-Replayed" not in bobs.headers


def test_a_refusal_is_replayed_too_and_a_cancel_retried_is_one_cancel(api, make_user, lab):
    caller = api(make_user())
    refused = caller.post("/api/v1/bookings", json={"space_id": lab.id, "start": "2026-12-03T10:10",
                                                    "end": "2026-12-03T11:00"}, headers={"Idempotency-Key": "r"})
    assert refused.status_code == 422
    assert caller.post("/api/v1/bookings", json={"space_id": lab.id, "start": "2026-12-03T10:10",
                                                 "end": "2026-12-03T11:00"},
                       headers={"Idempotency-Key": "r"}).get_json() == refused.get_json()
    made = caller.post("/api/v1/bookings", json={"space_id": lab.id, **WHEN}).get_json()["booking"]
    first = caller.delete(f"/api/v1/bookings/{made['id']}", headers={"Idempotency-Key": "c"})
    again = caller.delete(f"/api/v1/bookings/{made['id']}", headers={"Idempotency-Key": "c"})
    assert first.status_code == again.status_code == 200 and again.get_json() == first.get_json()


def test_a_bad_key_is_a_bad_request(api, make_user, lab):
    caller = api(make_user())
    response = caller.post("/api/v1/bookings", json={"space_id": lab.id, **WHEN},
                           headers={"Idempotency-Key": "x" * 201})
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["message"]
    assert bookings() == 0


def test_racing_retries_with_one_key_make_one_booking_and_the_same_answer(app, api, make_user, lab):
    caller = api(make_user())
    headers = {"Authorization": f"Bearer {caller.token}", "Idempotency-Key": "race"}
    body = {"space_id": lab.id, **WHEN}
    barrier, answers = threading.Barrier(6), []

    def send():
        client = app.test_client()  # a thread of its own: its own app context and session
        barrier.wait()
        response = client.post("/api/v1/bookings", json=body, headers=headers)
        answers.append((response.status_code, json.loads(response.get_data())))  # no app context here

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 6
    assert {status for status, _ in answers} == {201}
    assert len({body["booking"]["id"] for _, body in answers}) == 1
    assert bookings() == 1


def test_keys_older_than_a_day_are_pruned(app, api, make_user, lab, now):
    from innocell.jobs.runner import run_job

    caller = api(make_user())
    caller.post("/api/v1/bookings", json={"space_id": lab.id, **WHEN}, headers={"Idempotency-Key": "old"})
    assert run_job(app, "prune_keys", now + timedelta(hours=23), "cli").counts == {"idempotency keys removed": 0}
    assert run_job(app, "prune_keys", now + timedelta(hours=25), "cli").counts == {"idempotency keys removed": 1}
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(IdempotencyKey)).scalar_one() == 0
