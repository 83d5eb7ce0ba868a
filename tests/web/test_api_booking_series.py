"""The series part of the Bookings API: `repeat` with `on_conflict`, the preview, hostile repeat
input, and DELETE with `scope` (and without it, the old single answer)."""
from __future__ import annotations

import pytest

from tests.web.test_api_bookings import (  # noqa: F401  (fixtures)
    alice,
    alice_api,
    bob_api,
    book,
    bookings_in_db,
    day,
    manager,
    manager_api,
    new_space,
)


def test_skip_books_the_free_weeks_and_lists_the_skipped_one(alice_api, bob_api, new_space):
    lab = new_space()
    assert book(bob_api, lab, f"{day(21)}T10:00", f"{day(21)}T11:00").status_code == 201
    response = book(alice_api, lab, f"{day(7)}T10:00", f"{day(7)}T11:00",
                    repeat={"freq": "weekly", "count": 4}, on_conflict="skip")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [b["start"][:10] for b in body["bookings"]] == [day(7), day(14), day(28)]
    assert {b["series_id"] for b in body["bookings"]} == {body["series_id"]}
    assert [(s["start"], s["end"]) for s in body["skipped"]] == [(f"{day(21)}T10:00:00+08:00",
                                                                   f"{day(21)}T11:00:00+08:00")]
    assert body["skipped"][0]["reason"]


def test_fail_is_the_default_and_books_nothing(alice_api, bob_api, new_space):
    lab = new_space()
    book(bob_api, lab, f"{day(21)}T10:00", f"{day(21)}T11:00")
    response = book(alice_api, lab, f"{day(7)}T10:00", f"{day(7)}T11:00", repeat={"freq": "weekly", "count": 4})
    assert response.status_code == 409
    assert [c["week"] for c in response.get_json()["conflicts"]] == [day(21)]
    assert bookings_in_db() == 1


def test_every_two_weeks_until_a_date(alice_api, new_space):
    lab = new_space()
    response = book(alice_api, lab, f"{day(7)}T10:00", f"{day(7)}T11:00",
                    repeat={"freq": "weekly", "interval": 2, "until": day(35)})
    assert response.status_code == 201
    assert [b["start"][:10] for b in response.get_json()["bookings"]] == [day(7), day(21), day(35)]
    assert response.get_json()["skipped"] == []


def test_preview_lists_each_occurrence_and_writes_nothing(alice_api, bob_api, new_space):
    lab = new_space(max_days_ahead=18)
    book(bob_api, lab, f"{day(14)}T10:30", f"{day(14)}T11:30")
    before = bookings_in_db()
    response = alice_api.post("/api/v1/bookings/preview", json={
        "space_id": lab["id"], "start": f"{day(7)}T10:00", "end": f"{day(7)}T11:00",
        "repeat": {"freq": "weekly", "count": 3}})
    assert response.status_code == 200, response.get_json()
    occurrences = response.get_json()["occurrences"]
    assert [o["status"] for o in occurrences] == ["free", "conflict", "rule_violation"]
    assert occurrences[1]["conflicts"] == [{"start": f"{day(14)}T10:30:00+08:00", "end": f"{day(14)}T11:00:00+08:00"}]
    assert occurrences[2]["violations"][0]["rule"] == "too_far_ahead"
    assert bookings_in_db() == before


@pytest.mark.parametrize("repeat, on_conflict", [
    ({"freq": "hourly", "count": 3}, None),
    ({"freq": "weekly", "count": 10**9}, None),
    ({"freq": "weekly", "until": "9999-01-01"}, None),
    ({"freq": "weekly", "count": 3, "until": "2027-01-01"}, None),
    ({"freq": "weekly"}, None),
    ({"freq": "weekly", "count": True}, None),
    ({"freq": "weekly", "count": 2, "interval": True}, None),
    ({"freq": "weekly", "count": 2, "interval": 0}, None),
    ({"freq": "weekly", "count": 2, "skip_holidays": 1}, None),
    ({"freq": "weekly", "count": 2, "by": "weekday"}, None),
    ({"freq": "monthly", "count": 2, "by": "moon"}, None),
    ({"freq": "daily", "until": "2199-12-31"}, None),
    ({"freq": "weekly", "count": 2, "colour": "red"}, None),
    ("weekly", None),
    ({"freq": "weekly", "count": 2}, "maybe"),
    (None, "skip"),
])
def test_hostile_repeat_is_400_with_a_message(alice_api, new_space, repeat, on_conflict):
    lab = new_space()
    body = {"space_id": lab["id"], "start": f"{day(7)}T10:00", "end": f"{day(7)}T11:00", "repeat": repeat}
    if on_conflict is not None:
        body["on_conflict"] = on_conflict
    for url in ("/api/v1/bookings", "/api/v1/bookings/preview"):
        response = alice_api.post(url, json=body)
        assert response.status_code == 400, (url, response.get_json())
        assert response.get_json()["error"] == "bad_request" and response.get_json()["message"]
    assert bookings_in_db() == 0


def test_delete_with_scope_and_without(alice_api, bob_api, new_space):
    lab = new_space()
    rows = book(alice_api, lab, f"{day(7)}T10:00", f"{day(7)}T11:00",
                repeat={"freq": "weekly", "count": 4}).get_json()["bookings"]
    single = alice_api.delete(f"/api/v1/bookings/{rows[0]['id']}")
    assert single.status_code == 200 and single.get_json()["booking"]["status"] == "cancelled"
    assert "bookings" not in single.get_json()
    following = alice_api.delete(f"/api/v1/bookings/{rows[2]['id']}?scope=following")
    assert following.status_code == 200
    assert [b["id"] for b in following.get_json()["bookings"]] == [rows[2]["id"], rows[3]["id"]]
    assert book(bob_api, lab, f"{day(28)}T10:00", f"{day(28)}T11:00").status_code == 201
    whole = alice_api.delete(f"/api/v1/bookings/{rows[1]['id']}?scope=series")
    assert [(b["id"], b["status"]) for b in whole.get_json()["bookings"]] == [(rows[1]["id"], "cancelled")]
    assert alice_api.delete(f"/api/v1/bookings/{rows[1]['id']}?scope=sideways").status_code == 400
    assert bob_api.delete(f"/api/v1/bookings/{rows[1]['id']}?scope=series").status_code == 404


def test_old_repeat_weeks_still_answers_as_before(alice_api, new_space):
    lab = new_space()
    response = book(alice_api, lab, f"{day(7)}T10:00", f"{day(7)}T11:00", repeat_weeks=2)
    assert response.status_code == 201 and set(response.get_json()) == {"bookings"}
