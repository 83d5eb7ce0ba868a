"""Tried as an integrator would (issue 15), over real HTTP against the served app: read the API
page and the OpenAPI document, get tokens, register a webhook on a local receiver, make, change
and cancel a booking, each request sent twice with one Idempotency-Key as a flaky network would,
then run the webhooks job and check what the receiver got: each event once, signed."""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

import pytest

from tests.webhook_receiver import Receiver


def call(base: str, method: str, path: str, body=None, token: str | None = None, key: str | None = None):
    """(status, headers, parsed JSON or text) of one real HTTP request."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, answer_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, answer_headers, raw = exc.code, dict(exc.headers), exc.read()
    text = raw.decode()
    is_json = answer_headers.get("Content-Type", "").startswith("application/json")
    return status, answer_headers, (json.loads(text) if is_json and text else text)


def twice(base, method, path, body, token, key):
    """The request, then its retry with the same key: the retry replays the first answer."""
    first = call(base, method, path, body, token, key)
    again = call(base, method, path, body, token, key)
    assert again[0] == first[0] and again[2] == first[2], (first, again)
    assert again[1].get("Idempotent-Replayed") == "true"
    return first


def test_an_integration_books_changes_and_cancels_with_retries_and_gets_each_webhook_once(live_server, demo_logins):
    base = live_server.url
    status, _, page = call(base, "GET", "/api")
    assert status == 200 and "POST /api/v1/bookings" in page and "Idempotency-Key" in page
    status, _, document = call(base, "GET", "/api/v1/openapi.json")
    assert status == 200 and "/api/v1/bookings/{booking_id}" in document["paths"]

    def token(role):
        email, password = demo_logins[role]
        status, _, body = call(base, "POST", "/api/v1/tokens", {"email": email, "password": password})
        assert status == 201, body
        return body["token"]

    admin, resident = token("admin"), token("resident")
    receiver = Receiver()
    try:
        status, _, made = call(base, "POST", "/api/v1/webhooks",
                               {"url": receiver.url, "events": ["booking.created", "booking.changed",
                                                                "booking.cancelled"]}, admin)
        assert status == 201, made
        secret = made["webhook"]["secret"]

        spaces = call(base, "GET", "/api/v1/spaces?kind=meeting_room", token=resident)[2]["spaces"]
        room = next(s for s in spaces if not s.get("requires_approval"))
        for hour in range(9, 18):  # the first free hour on a day next week
            slot = {"space_id": room["id"], "start": f"2026-12-09T{hour:02d}:00:00+08:00",
                    "end": f"2026-12-09T{hour + 1:02d}:00:00+08:00", "title": "Sync from our scheduler"}
            status, _, booked = twice(base, "POST", "/api/v1/bookings", slot, resident, f"make-{hour}")
            if status == 201:
                break
        else:
            pytest.fail(f"no free hour on {room['code']}")
        booking_id = booked["booking"]["id"]
        mine = call(base, "GET", f"/api/v1/bookings?space_id={room['id']}&start=2026-12-09T00:00:00%2B08:00"
                                 f"&end=2026-12-10T00:00:00%2B08:00", token=resident)[2]["bookings"]
        assert [b["id"] for b in mine if b["title"] == "Sync from our scheduler"] == [booking_id]  # one, not two

        status, _, changed = twice(base, "PATCH", f"/api/v1/bookings/{booking_id}",
                                   {"title": "Sync (moved agenda)"}, resident, "change-1")
        assert status == 200 and changed["booking"]["title"] == "Sync (moved agenda)"
        status, _, _ = call(base, "PATCH", f"/api/v1/bookings/{booking_id}", {"title": "Other"}, resident,
                                     "change-1")
        assert status == 409  # the same key with another body
        status, _, cancelled = twice(base, "DELETE", f"/api/v1/bookings/{booking_id}", None, resident, "cancel-1")
        assert status == 200 and cancelled["booking"]["status"] == "cancelled"

        status, _, ran = call(base, "POST", "/api/v1/jobs/webhooks/run", {}, admin)
        assert status in (200, 201), ran

        events = []
        for call_ in receiver.received:
            headers, body = call_["headers"], call_["body"]
            expected = hmac.new(secret.encode(), f"{headers['x-innocell-timestamp']}.{body}".encode(),
                                hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["x-innocell-signature"], f"sha256={expected}")
            payload = json.loads(body)
            events.append((payload["event"], payload["data"]["booking"]["id"] if "booking" in payload["data"]
                           else payload["data"].get("id")))
        assert sorted(events) == sorted([("booking.created", booking_id), ("booking.changed", booking_id),
                                         ("booking.cancelled", booking_id)]), events
    finally:
        receiver.close()
