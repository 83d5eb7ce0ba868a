"""The Spaces API as the contract states it: list, create (defaults, 409, 422), get, patch,
availability, blackouts; roles; malformed input answers 4xx JSON and writes nothing."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Blackout, Booking, Notification, Space
from tests.conftest import FIXED_NOW

SPACE_KEYS = {"id", "code", "name", "kind", "capacity", "opening_hours", "slot_minutes", "min_minutes", "max_minutes",
              "buffer_minutes", "max_days_ahead", "hourly_rate", "requires_approval", "active"}


@pytest.fixture
def manager_api(api, make_user):
    return api(make_user("manager"))


@pytest.fixture
def resident(make_user):
    return make_user("resident")


@pytest.fixture
def resident_api(api, resident):
    return api(resident)


def future_day(days=7):
    """A local date string `days` ahead of the app's clock (pinned in tests)."""
    return (FIXED_NOW + timedelta(days=days)).astimezone(ZoneInfo("Asia/Hong_Kong")).date().isoformat()


def create(manager_api, **fields):
    body = {"code": "WL1", "name": "Wet Lab 1", "kind": "wet_lab"}
    body.update(fields)
    response = manager_api.post("/api/v1/spaces", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["space"]


def spaces_in_db():
    return db.session.execute(select(func.count(Space.id))).scalar_one()


def test_create_with_contract_defaults(manager_api):
    space = create(manager_api)
    assert SPACE_KEYS <= set(space)
    assert space["capacity"] == 1 and space["slot_minutes"] == 30 and space["min_minutes"] == 30
    assert space["max_minutes"] == 480 and space["buffer_minutes"] == 0 and space["max_days_ahead"] == 60
    assert space["hourly_rate"] == 0 and space["requires_approval"] is False and space["active"] is True
    assert space["opening_hours"] == {d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_create_with_fields_and_read_back(manager_api, resident_api):
    space = create(manager_api, capacity=4, hourly_rate=120.5, opening_hours={"mon": [["09:00", "12:00"],
                                                                                      ["13:00", "24:00"]]},
                   requires_approval=True, buffer_minutes=15)
    got = resident_api.get(f"/api/v1/spaces/{space['id']}")
    assert got.status_code == 200
    assert got.get_json()["space"] == space
    assert space["hourly_rate"] == 120.5 and space["opening_hours"] == {"mon": [["09:00", "12:00"], ["13:00", "24:00"]]}


def test_duplicate_code_is_409(manager_api):
    create(manager_api)
    response = manager_api.post("/api/v1/spaces", json={"code": "WL1", "name": "Other", "kind": "wet_lab"})
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
    assert spaces_in_db() == 1


@pytest.mark.parametrize("body, fields", [
    ({"code": "X", "name": "X", "kind": "wet_lab", "capacity": 0}, {"capacity"}),
    ({"code": "X", "name": "X", "kind": "wet_lab", "capacity": "2"}, {"capacity"}),
    ({"code": "X", "name": "X", "kind": "wet_lab", "opening_hours": {"mon": [["25:00", "26:00"]]}}, {"opening_hours"}),
    ({"code": "X", "name": "X", "kind": "wet_lab", "opening_hours": {"funday": []}}, {"opening_hours"}),
    ({"code": "X", "name": "X", "kind": "wet_lab", "min_minutes": 120, "max_minutes": 60}, {"max_minutes"}),
    ({"code": "X", "name": "X", "kind": "wet_lab", "requires_approval": "yes"}, {"requires_approval"}),
    ({"name": "X", "kind": "wet_lab"}, {"code"}),
    ({"code": "X", "name": "X", "kind": "wet_lab", "hourly_rate": -1}, {"hourly_rate"}),
    ({"code": "X", "name": "X", "kind": "Wet lab"}, {"kind"}),  # not one of the managed kinds' keys
])
def test_bad_fields_are_422_with_violations(manager_api, body, fields):
    response = manager_api.post("/api/v1/spaces", json=body)
    assert response.status_code == 422
    data = response.get_json()
    assert data["error"] == "rule_violation" and {v["rule"] for v in data["violations"]} == fields
    assert all(v["message"] for v in data["violations"])
    assert spaces_in_db() == 0


def test_malformed_bodies(manager_api):
    for raw in ("not json", "[1, 2]", "null"):
        response = manager_api.post("/api/v1/spaces", data=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert spaces_in_db() == 0


def test_roles_on_space_writes(api, make_user, resident_api, manager_api):
    finance_api = api(make_user("finance"))
    for client in (resident_api, finance_api):
        assert client.post("/api/v1/spaces", json={"code": "Z", "name": "Z", "kind": "wet_lab"}).status_code == 403
    space = create(manager_api)
    for client in (resident_api, finance_api):
        assert client.patch(f"/api/v1/spaces/{space['id']}", json={"name": "Y"}).status_code == 403
        response = client.post(f"/api/v1/spaces/{space['id']}/blackouts",
                               json={"start": f"{future_day()}T10:00", "end": f"{future_day()}T11:00"})
        assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    admin_api = api(make_user("admin"))
    assert admin_api.post("/api/v1/spaces", json={"code": "A", "name": "A", "kind": "wet_lab"}).status_code == 201


def test_unauthenticated_is_401(client):
    assert client.get("/api/v1/spaces").status_code == 401


def test_list_and_filter_by_kind(manager_api, resident_api):
    create(manager_api, code="WL1")
    room = create(manager_api, code="MR1", name="Meeting Room", kind="meeting_room")
    hidden = create(manager_api, code="OLD", name="Old Lab", kind="wet_lab")
    manager_api.patch(f"/api/v1/spaces/{hidden['id']}", json={"active": False})
    codes = [s["code"] for s in resident_api.get("/api/v1/spaces").get_json()["spaces"]]
    assert sorted(codes) == ["MR1", "WL1"]  # residents see active spaces
    assert [s["code"] for s in resident_api.get("/api/v1/spaces?kind=meeting_room").get_json()["spaces"]] == ["MR1"]
    assert room["kind"] == "meeting_room"
    assert "OLD" in [s["code"] for s in manager_api.get("/api/v1/spaces").get_json()["spaces"]]


def test_get_unknown_space_is_404(resident_api):
    response = resident_api.get("/api/v1/spaces/9999")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_patch_space(manager_api):
    space = create(manager_api)
    response = manager_api.patch(f"/api/v1/spaces/{space['id']}", json={"capacity": 2, "name": "Wet Lab One"})
    assert response.status_code == 200
    assert (response.get_json()["space"]["capacity"], response.get_json()["space"]["name"]) == (2, "Wet Lab One")
    bad = manager_api.patch(f"/api/v1/spaces/{space['id']}", json={"slot_minutes": 0})
    assert bad.status_code == 422 and bad.get_json()["violations"][0]["rule"] == "slot_minutes"
    assert manager_api.patch("/api/v1/spaces/999", json={"name": "x"}).status_code == 404


def test_availability(manager_api, resident_api):
    space = create(manager_api, opening_hours={d: [["09:00", "12:00"]] for d in ("mon", "tue", "wed", "thu", "fri",
                                                                                  "sat", "sun")})
    day = future_day()
    resident_api.post("/api/v1/bookings", json={"space_id": space["id"], "start": f"{day}T10:00", "end": f"{day}T11:00"})
    response = resident_api.get(f"/api/v1/spaces/{space['id']}/availability?start={day}T00:00&end={day}T23:59")
    assert response.status_code == 200
    body = response.get_json()
    assert body["space_id"] == space["id"]
    assert body["free"] == [
        {"start": f"{day}T09:00:00+08:00", "end": f"{day}T10:00:00+08:00", "capacity_left": 1},
        {"start": f"{day}T11:00:00+08:00", "end": f"{day}T12:00:00+08:00", "capacity_left": 1},
    ]


@pytest.mark.parametrize("query", [
    "", "?start=2026-12-08T10:00", "?start=nonsense&end=2026-12-08T10:00", "?start=2026-02-30T10:00&end=2026-03-01T10:00",
    "?start=2026-12-08T12:00&end=2026-12-08T10:00", "?start=2026-12-01T00:00&end=2027-06-01T00:00",
])
def test_availability_bad_queries_are_400(manager_api, resident_api, query):
    space = create(manager_api)
    response = resident_api.get(f"/api/v1/spaces/{space['id']}/availability{query}")
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert response.get_json()["message"]


def test_availability_of_unknown_space_is_404(resident_api):
    assert resident_api.get("/api/v1/spaces/77/availability?start=2026-12-08T10:00&end=2026-12-08T12:00"
                            ).status_code == 404


def test_blackout_cancels_and_notifies(manager_api, resident_api, resident):
    space = create(manager_api)
    day = future_day()
    booked = resident_api.post("/api/v1/bookings", json={"space_id": space["id"], "start": f"{day}T10:00",
                                                        "end": f"{day}T12:00", "title": "Assay"}).get_json()["booking"]
    response = manager_api.post(f"/api/v1/spaces/{space['id']}/blackouts",
                                json={"start": f"{day}T11:00", "end": f"{day}T13:00", "reason": "Fume hood repair"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["blackout"]["reason"] == "Fume hood repair"
    assert body["blackout"]["start"] == f"{day}T11:00:00+08:00"
    assert [(b["id"], b["status"]) for b in body["affected_bookings"]] == [(booked["id"], "cancelled")]
    assert resident_api.get(f"/api/v1/bookings/{booked['id']}").get_json()["booking"]["status"] == "cancelled"
    notes = db.session.execute(select(Notification).where(Notification.user_id == resident.id,
                                                          Notification.kind == "booking_cancelled")).scalars().all()
    assert len(notes) == 1 and "Fume hood repair" in notes[0].body
    listed = resident_api.get(f"/api/v1/spaces/{space['id']}/blackouts").get_json()
    assert [b["id"] for b in listed["blackouts"]] == [body["blackout"]["id"]]


@pytest.mark.parametrize("body", [
    {"start": "2026-13-01T10:00", "end": "2026-12-08T11:00"},
    {"start": "2030-12-08T12:00", "end": "2030-12-08T11:00"},
    {"start": 5, "end": "2030-12-08T11:00"},
    {"end": "2030-12-08T11:00"},
    {"start": "2030-12-08T10:00", "end": "2030-12-08T11:00", "reason": ["x"]},
])
def test_bad_blackouts_write_nothing(manager_api, body):
    space = create(manager_api)
    response = manager_api.post(f"/api/v1/spaces/{space['id']}/blackouts", json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert db.session.execute(select(func.count(Blackout.id))).scalar_one() == 0


def test_blackout_on_unknown_space_is_404(manager_api):
    response = manager_api.post("/api/v1/spaces/404/blackouts", json={"start": "2030-12-08T10:00",
                                                                      "end": "2030-12-08T11:00"})
    assert response.status_code == 404


def test_recurring_blackout_and_lift(manager_api, resident_api):
    space = create(manager_api)
    response = manager_api.post(f"/api/v1/spaces/{space['id']}/recurring-blackouts",
                                json={"weekday": 0, "start_time": "08:00", "end_time": "10:00", "reason": "Cleaning"})
    assert response.status_code == 201
    rule = response.get_json()["recurring_blackout"]
    assert (rule["weekday"], rule["start_time"], rule["end_time"]) == (0, "08:00", "10:00")
    bad = manager_api.post(f"/api/v1/spaces/{space['id']}/recurring-blackouts",
                           json={"weekday": 9, "start_time": "10:00", "end_time": "09:00"})
    assert bad.status_code == 422
    assert manager_api.delete(f"/api/v1/recurring-blackouts/{rule['id']}").status_code == 200
    assert resident_api.delete(f"/api/v1/recurring-blackouts/{rule['id']}").status_code == 403


def test_session_writes_need_csrf(app, client, login, make_user):
    """A browser session may call the API, but a write needs the CSRF header."""
    login(make_user("manager"))
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/api/v1/spaces", json={"code": "C", "name": "C", "kind": "wet_lab"})
    assert response.status_code == 400
    assert db.session.execute(select(func.count(Booking.id))).scalar_one() == 0
    assert spaces_in_db() == 0
