"""The Bookings API as the contract states it: 201/409/422 bodies, every rule through HTTP,
recurring all-or-nothing, visibility (another resident's id is 404), roles (finance reads,
never writes), approvals, and malformed input that answers 4xx JSON and writes nothing."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Booking
from tests.conftest import FIXED_NOW

HK = ZoneInfo("Asia/Hong_Kong")
BOOKING_KEYS = {"id", "space_id", "user_id", "start", "end", "status", "title"}


def day(days=7) -> str:
    """A local date `days` ahead of the app's clock (pinned in tests)."""
    return (FIXED_NOW + timedelta(days=days)).astimezone(HK).date().isoformat()


def bookings_in_db() -> int:
    return db.session.execute(select(func.count(Booking.id))).scalar_one()


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def manager_api(api, manager):
    return api(manager)


@pytest.fixture
def alice(make_user):
    return make_user("resident", name="Alice")


@pytest.fixture
def alice_api(api, alice):
    return api(alice)


@pytest.fixture
def bob_api(api, make_user):
    return api(make_user("resident", name="Bob"))


@pytest.fixture
def finance_api(api, make_user):
    return api(make_user("finance"))


@pytest.fixture
def new_space(manager_api):
    counter = {"n": 0}

    def _make(**fields):
        counter["n"] += 1
        body = {"code": f"L{counter['n']}", "name": f"Lab {counter['n']}", "kind": "wet_lab"}
        body.update(fields)
        response = manager_api.post("/api/v1/spaces", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["space"]

    return _make


def book(client, space, start, end, **extra):
    return client.post("/api/v1/bookings", json={"space_id": space["id"], "start": start, "end": end, **extra})


def test_book_201_with_contract_shape(alice_api, alice, new_space):
    lab = new_space()
    response = book(alice_api, lab, f"{day()}T14:00", f"{day()}T16:00", title="PCR batch")
    assert response.status_code == 201
    booking = response.get_json()["booking"]
    assert BOOKING_KEYS <= set(booking)
    assert booking["start"] == f"{day()}T14:00:00+08:00" and booking["end"] == f"{day()}T16:00:00+08:00"
    assert (booking["space_id"], booking["user_id"], booking["status"], booking["title"]) == (
        lab["id"], alice.id, "confirmed", "PCR batch")


def test_offset_times_are_honoured(alice_api, new_space):
    lab = new_space()
    # 06:00Z is 14:00 in Hong Kong.
    booking = book(alice_api, lab, f"{day()}T06:00:00Z", f"{day()}T16:00:00+08:00").get_json()["booking"]
    assert booking["start"] == f"{day()}T14:00:00+08:00"


def test_conflict_409_body_with_suggestions(alice_api, bob_api, new_space):
    lab, twin = new_space(), new_space()
    book(alice_api, lab, f"{day()}T14:00", f"{day()}T16:00")
    response = book(bob_api, lab, f"{day()}T15:00", f"{day()}T17:00")
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "conflict" and body["message"]
    assert body["conflicts"] == [{"start": f"{day()}T15:00:00+08:00", "end": f"{day()}T16:00:00+08:00"}]
    assert body["suggestions"][0] == {**body["suggestions"][0], "space_id": twin["id"],
                                      "start": f"{day()}T15:00:00+08:00", "end": f"{day()}T17:00:00+08:00"}
    assert all({"space_id", "start", "end"} <= set(s) for s in body["suggestions"])
    # Taking a suggestion on the same space works.
    same = next(s for s in body["suggestions"] if s["space_id"] == lab["id"])
    assert book(bob_api, lab, same["start"], same["end"]).status_code == 201


def test_buffer_conflict_through_the_api(alice_api, bob_api, new_space):
    lab = new_space(buffer_minutes=30)
    book(alice_api, lab, f"{day()}T10:00", f"{day()}T12:00")
    assert book(bob_api, lab, f"{day()}T12:00", f"{day()}T13:00").status_code == 409
    assert book(bob_api, lab, f"{day()}T12:30", f"{day()}T13:00").status_code == 201


def test_capacity_n_through_the_api(api, make_user, new_space):
    lab = new_space(capacity=2)
    clients = [api(make_user("resident")) for _ in range(3)]
    codes = [book(c, lab, f"{day()}T10:00", f"{day()}T11:00").status_code for c in clients]
    assert codes == [201, 201, 409]


@pytest.mark.parametrize("space_fields, start, end, rule", [
    ({}, f"{day(-1)}T10:00", f"{day(-1)}T11:00", "past"),
    ({"max_days_ahead": 3}, f"{day(10)}T10:00", f"{day(10)}T11:00", "too_far_ahead"),
    ({"opening_hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
     f"{day()}T16:00", f"{day()}T18:00", "outside_opening_hours"),
    ({}, f"{day()}T10:10", f"{day()}T11:10", "off_grid"),
    ({"min_minutes": 60}, f"{day()}T10:00", f"{day()}T10:30", "too_short"),
    ({"max_minutes": 60}, f"{day()}T10:00", f"{day()}T12:00", "too_long"),
    ({"active": False}, f"{day()}T10:00", f"{day()}T11:00", "inactive_space"),
    ({"requires_authorisation": True}, f"{day()}T10:00", f"{day()}T11:00", "not_authorised"),
])
def test_each_rule_is_a_422(alice_api, new_space, space_fields, start, end, rule):
    lab = new_space(**space_fields)
    response = book(alice_api, lab, start, end)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "rule_violation"
    assert [v["rule"] for v in body["violations"]] == [rule]
    assert body["violations"][0]["message"]
    assert bookings_in_db() == 0


def test_quota_is_a_422(set_kind, alice_api, new_space):
    set_kind("wet_lab", quota_hours=2)
    lab = new_space()
    assert book(alice_api, lab, f"{day()}T10:00", f"{day()}T11:30").status_code == 201
    response = book(alice_api, lab, f"{day()}T12:00", f"{day()}T13:00")
    assert response.status_code == 422 and [v["rule"] for v in response.get_json()["violations"]] == ["quota"]


def test_all_violations_at_once(alice_api, new_space):
    lab = new_space(max_minutes=60, active=False)
    response = book(alice_api, lab, f"{day()}T10:10", f"{day()}T12:20")
    assert [v["rule"] for v in response.get_json()["violations"]] == ["off_grid", "too_long", "inactive_space"]


def test_authorisation_granted_lets_a_resident_book(app, alice_api, alice, manager, new_space):
    from innocell.services.authorisations import grant_authorisation

    lab = new_space(requires_authorisation=True)
    grant_authorisation(db.session, user_id=alice.id, space_id=lab["id"], expires_at=None, actor=manager,
                        now=FIXED_NOW)
    assert book(alice_api, lab, f"{day()}T10:00", f"{day()}T11:00").status_code == 201


def test_recurring_all_or_nothing(alice_api, bob_api, new_space):
    lab = new_space()
    response = book(alice_api, lab, f"{day(14)}T09:00", f"{day(14)}T10:00", repeat_weeks=3)
    assert response.status_code == 201
    rows = response.get_json()["bookings"]
    assert [r["start"][:10] for r in rows] == [day(14), day(21), day(28)]
    assert book(bob_api, lab, f"{day(21)}T09:30", f"{day(21)}T10:30").status_code == 409
    taken = book(bob_api, lab, f"{day(7)}T09:30", f"{day(7)}T10:30", repeat_weeks=3)
    assert taken.status_code == 409
    weeks = {c["week"] for c in taken.get_json()["conflicts"]}
    assert weeks == {day(14), day(21)}
    assert bookings_in_db() == 3


@pytest.mark.parametrize("payload", [
    {"space_id": "1", "start": "T", "end": "T"},
    {"space_id": True, "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"},
    {"start": "2030-01-01T10:00", "end": "2030-01-01T11:00"},
    {"space_id": 1, "start": "2030-02-30T10:00", "end": "2030-03-01T11:00"},
    {"space_id": 1, "start": "tomorrow", "end": "2030-01-01T11:00"},
    {"space_id": 1, "start": 1700000000, "end": "2030-01-01T11:00"},
    {"space_id": 1, "start": "2030-01-01T12:00", "end": "2030-01-01T11:00"},
    {"space_id": 1, "start": "2030-01-01T11:00", "end": "2030-01-01T11:00"},
    {"space_id": 1, "start": "2030-01-01T10:00", "end": "2030-01-01T11:00", "title": 42},
    {"space_id": 1, "start": "2030-01-01T10:00", "end": "2030-01-01T11:00", "repeat_weeks": "3"},
    {"space_id": 1, "start": "2030-01-01T10:00", "end": "2030-01-01T11:00", "repeat_weeks": 0},
    {"space_id": 1, "start": "0001-01-01T00:00+14:00", "end": "2030-01-01T11:00"},
    {"space_id": 1, "start": "9999-12-31T23:00", "end": "9999-12-31T23:30"},
])
def test_malformed_bookings_are_400_and_write_nothing(alice_api, new_space, payload):
    new_space()
    response = alice_api.post("/api/v1/bookings", json=payload)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == "bad_request" and response.get_json()["message"]
    assert bookings_in_db() == 0


def test_bad_json_and_unknown_space(alice_api):
    response = alice_api.post("/api/v1/bookings", data="{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    unknown = alice_api.post("/api/v1/bookings", json={"space_id": 999, "start": f"{day()}T10:00",
                                                       "end": f"{day()}T11:00"})
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "not_found"
    assert bookings_in_db() == 0


def test_visibility(alice_api, bob_api, finance_api, manager_api, new_space):
    lab = new_space()
    mine = book(alice_api, lab, f"{day()}T10:00", f"{day()}T11:00").get_json()["booking"]
    theirs = book(bob_api, lab, f"{day()}T11:00", f"{day()}T12:00").get_json()["booking"]
    assert [b["id"] for b in alice_api.get("/api/v1/bookings").get_json()["bookings"]] == [mine["id"]]
    other = alice_api.get(f"/api/v1/bookings/{theirs['id']}")
    assert other.status_code == 404 and other.get_json()["error"] == "not_found"
    assert alice_api.delete(f"/api/v1/bookings/{theirs['id']}").status_code == 404
    for staff in (finance_api, manager_api):
        ids = [b["id"] for b in staff.get("/api/v1/bookings").get_json()["bookings"]]
        assert ids == [mine["id"], theirs["id"]]
        assert staff.get(f"/api/v1/bookings/{theirs['id']}").status_code == 200
    assert alice_api.get("/api/v1/bookings/99999").status_code == 404


def test_list_filters(alice_api, manager_api, new_space):
    lab, other = new_space(), new_space()
    a = book(alice_api, lab, f"{day()}T10:00", f"{day()}T11:00").get_json()["booking"]
    b = book(alice_api, other, f"{day()}T12:00", f"{day()}T13:00").get_json()["booking"]
    alice_api.delete(f"/api/v1/bookings/{b['id']}")

    def ids(query):
        response = manager_api.get(f"/api/v1/bookings{query}")
        assert response.status_code == 200
        return [x["id"] for x in response.get_json()["bookings"]]

    assert ids(f"?space_id={lab['id']}") == [a["id"]]
    assert ids("?status=cancelled") == [b["id"]]
    assert ids(f"?start={day()}T11:30&end={day()}T14:00") == [b["id"]]
    assert ids(f"?start={day()}T10:30") == [a["id"], b["id"]]
    for bad in ("?status=maybe", "?space_id=abc", "?start=yesterday", f"?start={day()}T12:00&end={day()}T10:00"):
        response = manager_api.get(f"/api/v1/bookings{bad}")
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


def test_cancel_by_owner_and_manager(alice_api, bob_api, manager_api, new_space):
    lab = new_space()
    first = book(alice_api, lab, f"{day()}T10:00", f"{day()}T11:00").get_json()["booking"]
    response = alice_api.delete(f"/api/v1/bookings/{first['id']}")
    assert response.status_code == 200 and response.get_json()["booking"]["status"] == "cancelled"
    assert alice_api.delete(f"/api/v1/bookings/{first['id']}").status_code == 409
    # The capacity is free at once.
    second = book(bob_api, lab, f"{day()}T10:00", f"{day()}T11:00").get_json()["booking"]
    response = manager_api.delete(f"/api/v1/bookings/{second['id']}")
    assert response.status_code == 200 and response.get_json()["booking"]["status"] == "cancelled"
    assert bookings_in_db() == 2  # rows are kept


def test_finance_reads_but_never_writes(alice_api, finance_api, new_space):
    lab = new_space()
    booking = book(alice_api, lab, f"{day()}T10:00", f"{day()}T11:00").get_json()["booking"]
    assert book(finance_api, lab, f"{day()}T12:00", f"{day()}T13:00").status_code == 403
    assert finance_api.delete(f"/api/v1/bookings/{booking['id']}").status_code == 403
    assert finance_api.post(f"/api/v1/bookings/{booking['id']}/approve").status_code == 403
    assert finance_api.get(f"/api/v1/spaces/{lab['id']}/availability?start={day()}T00:00&end={day()}T23:00"
                           ).status_code == 200
    assert bookings_in_db() == 1


def test_approval_flow(alice_api, bob_api, manager_api, new_space):
    hall = new_space(requires_approval=True, kind="event_space")
    request = book(alice_api, hall, f"{day()}T10:00", f"{day()}T12:00").get_json()["booking"]
    assert request["status"] == "pending"
    assert book(bob_api, hall, f"{day()}T11:00", f"{day()}T12:00").status_code == 409  # pending holds capacity
    assert alice_api.post(f"/api/v1/bookings/{request['id']}/approve").status_code == 403
    approved = manager_api.post(f"/api/v1/bookings/{request['id']}/approve")
    assert approved.status_code == 200 and approved.get_json()["booking"]["status"] == "confirmed"
    assert manager_api.post(f"/api/v1/bookings/{request['id']}/reject").status_code == 409
    other = book(bob_api, hall, f"{day()}T13:00", f"{day()}T14:00").get_json()["booking"]
    rejected = manager_api.post(f"/api/v1/bookings/{other['id']}/reject", json={"reason": "Board meeting"})
    assert rejected.status_code == 200 and rejected.get_json()["booking"]["status"] == "cancelled"
    assert book(alice_api, hall, f"{day()}T13:00", f"{day()}T14:00").status_code == 201  # reject freed it
    assert manager_api.post("/api/v1/bookings/4242/approve").status_code == 404


def test_manager_can_book(manager_api, new_space):
    lab = new_space()
    assert book(manager_api, lab, f"{day()}T10:00", f"{day()}T18:00").status_code == 201
