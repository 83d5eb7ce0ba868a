"""The audit trail through HTTP: a real request's X-Request-Id and person land on the change
rows; the audit page's filters and paging; each object's history on its page; the finance CSV;
GET /api/v1/audit with cursor paging; the webhook admin page and /api/v1/webhooks."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from innocell.extensions import db
from innocell.models import AuditEvent
from tests.conftest import FIXED_NOW

HK = ZoneInfo("Asia/Hong_Kong")


def day(days=7) -> str:
    return (FIXED_NOW + timedelta(days=days)).astimezone(HK).date().isoformat()


@pytest.fixture
def people(make_user):
    return {"manager": make_user("manager", name="Maria Manager"), "alice": make_user("resident", name="Alice"),
            "bob": make_user("resident", name="Bob"), "finance": make_user("finance", name="Fiona"),
            "admin": make_user("admin", name="Ada Admin")}


@pytest.fixture
def booked(api, people):
    """Alice books three slots through the API (each with its own request id) and cancels one."""
    manager = api(people["manager"])
    space = manager.post("/api/v1/spaces", json={"code": "WL1", "name": "Wet Lab 1", "kind": "wet_lab"})
    assert space.status_code == 201, space.get_json()
    space_id = space.get_json()["space"]["id"]
    alice = api(people["alice"])
    ids = []
    for n, hour in enumerate((9, 10, 11)):
        answer = alice.post("/api/v1/bookings", json={"space_id": space_id, "start": f"{day()}T{hour:02d}:00",
                                                      "end": f"{day()}T{hour + 1:02d}:00", "title": f"Run {n}"},
                            headers={"X-Request-Id": f"integration-{n:04d}"})
        assert answer.status_code == 201, answer.get_json()
        ids.append(answer.get_json()["booking"]["id"])
    assert alice.delete(f"/api/v1/bookings/{ids[0]}", headers={"X-Request-Id": "integration-cancel"}).status_code == 200
    return {"space_id": space_id, "ids": ids}


def page_client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": "tram-harbour-7"})
    assert response.status_code == 302
    return client


def test_a_request_records_its_person_and_request_id(app, people, booked):
    rows = list(db.session.execute(select(AuditEvent).where(AuditEvent.target_type == "booking")
                                   .order_by(AuditEvent.id)).scalars())
    assert [(r.kind, r.request_id, r.actor_id) for r in rows] == [
        ("created", "integration-0000", people["alice"].id), ("created", "integration-0001", people["alice"].id),
        ("created", "integration-0002", people["alice"].id), ("cancelled", "integration-cancel", people["alice"].id)]


def test_audit_page_filters_and_pages(app, people, booked):
    app.config["PAGE_SIZE"] = 2
    client = page_client(app, people["manager"])
    everything = client.get("/admin/audit?object_type=booking")
    text = everything.get_data(as_text=True)
    assert everything.status_code == 200 and "4 changes" in text and "Page 1 of 2" in text
    assert text.count('data-testid="audit-row"') == 2
    second = client.get("/admin/audit?object_type=booking&page=2").get_data(as_text=True)
    assert second.count('data-testid="audit-row"') == 2 and "Page 2 of 2" in second

    cancels = client.get("/admin/audit?kind=cancelled").get_data(as_text=True)
    assert "1 change." in cancels and "integration-cancel" in cancels and "confirmed → cancelled" in cancels
    by_person = client.get(f"/admin/audit?person={people['alice'].email}&object_type=booking"
                           f"&object_id={booked['ids'][1]}").get_data(as_text=True)
    assert "1 change." in by_person and "integration-0001" in by_person
    nobody = client.get("/admin/audit?person=nobody@example.org").get_data(as_text=True)
    assert "Nobody has the email" in nobody and "0 changes" in nobody
    today = FIXED_NOW.astimezone(HK).date()
    in_period = client.get(f"/admin/audit?object_type=booking&from={today}&to={today}").get_data(as_text=True)
    assert "4 changes" in in_period
    before = client.get(f"/admin/audit?object_type=booking&to={today - timedelta(days=1)}").get_data(as_text=True)
    assert "0 changes" in before
    bad = client.get("/admin/audit?from=1800-01-01&object_id=x&kind=exploded")
    assert bad.status_code == 200 and bad.get_data(as_text=True).count('role="alert"') == 3

    assert page_client(app, people["alice"]).get("/admin/audit").status_code == 403


def test_each_object_page_shows_its_history_to_staff_only(app, people, booked):
    booking_id = booked["ids"][0]
    staff_view = page_client(app, people["manager"]).get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert 'data-testid="audit-history"' in staff_view and "integration-cancel" in staff_view
    own_view = page_client(app, people["alice"]).get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert 'data-testid="audit-history"' not in own_view
    space_page = page_client(app, people["manager"]).get(f"/manage/spaces/{booked['space_id']}/edit")
    assert space_page.status_code == 200 and 'data-testid="audit-history"' in space_page.get_data(as_text=True)
    person = page_client(app, people["admin"]).get(f"/admin/people/{people['alice'].id}").get_data(as_text=True)
    assert 'data-testid="audit-history"' in person and "created" in person


def test_finance_exports_the_trail_as_csv(app, people, booked):
    response = page_client(app, people["finance"]).get("/admin/audit.csv?object_type=booking&kind=created")
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [r["request_id"] for r in rows] == ["integration-0000", "integration-0001", "integration-0002"]
    assert {r["actor_email"] for r in rows} == {people["alice"].email}
    assert page_client(app, people["alice"]).get("/admin/audit.csv").status_code == 403


def test_api_audit_filters_and_cursor_paging(app, api, people, booked):
    finance = api(people["finance"])
    first = finance.get(f"/api/v1/audit?object_type=booking&actor_id={people['alice'].id}&limit=3")
    assert first.status_code == 200
    body = first.get_json()
    assert [e["kind"] for e in body["events"]] == ["cancelled", "created", "created"]
    assert body["events"][0]["before"]["status"] == "confirmed" and body["events"][0]["after"]["status"] == "cancelled"
    assert body["next"]
    rest = finance.get(body["next"]).get_json()
    assert [e["request_id"] for e in rest["events"]] == ["integration-0000"] and rest["next"] is None
    only = finance.get(f"/api/v1/audit?object_type=booking&object_id={booked['ids'][2]}&kind=created").get_json()
    assert len(only["events"]) == 1 and only["events"][0]["after"]["title"] == "Run 2"
    assert finance.get("/api/v1/audit?kind=exploded").status_code == 400
    assert finance.get("/api/v1/audit?from=yesterday").status_code == 400
    assert api(people["alice"]).get("/api/v1/audit").status_code == 403


def test_webhooks_api_is_for_admins_and_shows_the_secret_once(app, api, people):
    admin = api(people["admin"])
    made = admin.post("/api/v1/webhooks", json={"url": "https://example.org/hook",
                                                "events": ["booking.created", "lease.ended"]})
    assert made.status_code == 201
    hook = made.get_json()["webhook"]
    assert len(hook["secret"]) >= 32
    listed = admin.get("/api/v1/webhooks").get_json()["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    changed = admin.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False, "rotate_secret": True}).get_json()
    assert changed["webhook"]["active"] is False and changed["webhook"]["secret"] != hook["secret"]
    assert admin.patch(f"/api/v1/webhooks/{hook['id']}", json={"events": ["nope"]}).status_code == 422
    assert admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json() == {"deliveries": [], "total": 0,
                                                                                 "next": None}
    assert admin.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 200
    assert admin.get(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    assert api(people["manager"]).get("/api/v1/webhooks").status_code == 403
    audit = db.session.execute(select(AuditEvent).where(AuditEvent.target_type == "webhook_endpoint")
                               .order_by(AuditEvent.id)).scalars().all()
    assert [a.kind for a in audit][:1] == ["created"] and audit[0].after["signing secret"] == "[redacted]"
    assert all(hook["secret"] not in str(a.after) for a in audit)


def test_admin_registers_an_endpoint_on_the_page(app, people):
    client = page_client(app, people["admin"])
    page = client.get("/admin/webhooks")
    assert page.status_code == 200
    made = client.post("/admin/webhooks", data={"url": "http://127.0.0.1:9/hook",
                                                 "events": ["offer.made", "offer.answered"]})
    assert made.status_code == 201
    text = made.get_data(as_text=True)
    secret = text.split('data-testid="webhook-secret">')[1].split("<")[0]
    assert len(secret) >= 32
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert "http://127.0.0.1:9/hook" in listing and secret not in listing
    refused = client.post("/admin/webhooks", data={"url": "not a url"})
    assert refused.status_code == 422


def test_a_dead_webhook_receiver_does_not_slow_or_break_a_booking(app, api, people):
    import socket

    from innocell.models import WebhookDelivery

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{sock.getsockname()[1]}/gone"
    sock.close()
    assert api(people["admin"]).post("/api/v1/webhooks", json={"url": dead, "events": ["booking.created"]}) \
        .status_code == 201
    manager = api(people["manager"])
    space_id = manager.post("/api/v1/spaces", json={"code": "WL9", "name": "Wet Lab 9", "kind": "wet_lab"}) \
        .get_json()["space"]["id"]
    made = api(people["alice"]).post("/api/v1/bookings", json={"space_id": space_id, "start": f"{day()}T10:00",
                                                               "end": f"{day()}T11:00"})
    assert made.status_code == 201
    delivery = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert (delivery.status, delivery.attempts) == ("pending", 0)  # left to the job, after the answer
