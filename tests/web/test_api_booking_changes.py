"""PATCH /api/v1/bookings/ID and POST /api/v1/bookings with for_user_id, as the contract states
them: 200 with the Booking; refused with the same 409/422 bodies as a new booking and the
booking unchanged; another resident's booking is 404; finance and strangers change nothing;
a manager books for a resident, who holds it and whose quota it uses."""
from __future__ import annotations

from sqlalchemy import select, text

from innocell.extensions import db
from innocell.models import Booking
from tests.web.test_api_bookings import alice, alice_api, bob_api, book, day, finance_api, manager, manager_api  # noqa: F401
from tests.web.test_api_bookings import new_space  # noqa: F401


def stored(booking_id) -> tuple:
    db.session.commit()
    return tuple(db.session.execute(text("SELECT * FROM bookings WHERE id = :id"), {"id": booking_id}).one())


def test_patch_moves_the_booking_and_frees_the_old_time(alice_api, bob_api, new_space):
    lab = new_space()
    mine = book(alice_api, lab, f"{day()}T10:00", f"{day()}T12:00", title="PCR").get_json()["booking"]
    response = alice_api.patch(f"/api/v1/bookings/{mine['id']}", json={"start": f"{day()}T11:00"})
    assert response.status_code == 200, response.get_json()
    moved = response.get_json()["booking"]
    assert (moved["id"], moved["start"], moved["end"], moved["title"], moved["status"]) == (
        mine["id"], f"{day()}T11:00:00+08:00", f"{day()}T13:00:00+08:00", "PCR", "confirmed")
    assert book(bob_api, lab, f"{day()}T10:00", f"{day()}T11:00").status_code == 201
    retitled = alice_api.patch(f"/api/v1/bookings/{mine['id']}", json={"title": "qPCR", "end": f"{day()}T14:00"})
    assert retitled.status_code == 200 and retitled.get_json()["booking"]["title"] == "qPCR"
    assert retitled.get_json()["booking"]["end"] == f"{day()}T14:00:00+08:00"


def test_patch_refused_answers_409_or_422_like_a_new_booking_and_changes_nothing(alice_api, bob_api, new_space):
    lab, other = new_space(), new_space()
    mine = book(alice_api, lab, f"{day()}T10:00", f"{day()}T12:00").get_json()["booking"]
    assert book(bob_api, lab, f"{day()}T14:00", f"{day()}T16:00").status_code == 201
    before = stored(mine["id"])
    taken = alice_api.patch(f"/api/v1/bookings/{mine['id']}",
                            json={"start": f"{day()}T15:00", "end": f"{day()}T17:00", "title": "Moved"})
    assert taken.status_code == 409
    body = taken.get_json()
    assert body["error"] == "conflict"
    assert body["conflicts"] == [{"start": f"{day()}T15:00:00+08:00", "end": f"{day()}T16:00:00+08:00"}]
    assert {"space_id", "start", "end"} <= set(body["suggestions"][0])
    assert any(s["space_id"] == other["id"] for s in body["suggestions"])
    broken = alice_api.patch(f"/api/v1/bookings/{mine['id']}", json={"start": f"{day()}T06:10",
                                                                     "end": f"{day()}T07:10"})
    assert broken.status_code == 422 and broken.get_json()["error"] == "rule_violation"
    assert {v["rule"] for v in broken.get_json()["violations"]} == {"outside_opening_hours", "off_grid"}
    assert stored(mine["id"]) == before


def test_patch_visibility_and_roles(alice_api, bob_api, finance_api, manager_api, new_space):
    lab = new_space()
    mine = book(alice_api, lab, f"{day()}T10:00", f"{day()}T12:00").get_json()["booking"]
    before = stored(mine["id"])
    path = f"/api/v1/bookings/{mine['id']}"
    assert bob_api.patch(path, json={"start": f"{day()}T14:00"}).status_code == 404
    assert finance_api.patch(path, json={"start": f"{day()}T14:00"}).status_code == 403
    assert alice_api.patch("/api/v1/bookings/99999999", json={"title": "x"}).status_code == 404
    for bad in ({"start": "soon"}, {"space_id": "one"}, {"title": 5}, {"user_id": 3},
                {"start": f"{day()}T12:00", "end": f"{day()}T11:00"}):
        response = alice_api.patch(path, json=bad)
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request", bad
    assert stored(mine["id"]) == before
    done = manager_api.patch(path, json={"start": f"{day()}T14:00"})
    assert done.status_code == 200 and done.get_json()["booking"]["user_id"] == mine["user_id"]


def test_patch_with_idempotency_key_replays_and_changes_once(alice_api, new_space):
    lab = new_space()
    mine = book(alice_api, lab, f"{day()}T10:00", f"{day()}T12:00").get_json()["booking"]
    path, headers = f"/api/v1/bookings/{mine['id']}", {"Idempotency-Key": "move-1"}
    first = alice_api.patch(path, json={"start": f"{day()}T11:00"}, headers=headers)
    again = alice_api.patch(path, json={"start": f"{day()}T11:00"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() and again.headers.get("Idempotent-Replayed") == "true"
    assert alice_api.patch(path, json={"start": f"{day()}T13:00"}, headers=headers).status_code == 409


def test_a_manager_books_for_a_resident_in_their_quota(set_kind, alice, alice_api, manager, manager_api, bob_api,
                                                       new_space):
    set_kind("wet_lab", quota_hours=3)
    lab = new_space()
    response = book(manager_api, lab, f"{day()}T10:00", f"{day()}T12:00", for_user_id=alice.id, title="For Alice")
    assert response.status_code == 201, response.get_json()
    made = response.get_json()["booking"]
    assert (made["user_id"], made["booked_by_id"]) == (alice.id, manager.id)
    assert [b["id"] for b in alice_api.get("/api/v1/bookings").get_json()["bookings"]] == [made["id"]]
    over = book(alice_api, lab, f"{day()}T14:00", f"{day()}T16:00")
    assert over.status_code == 422 and [v["rule"] for v in over.get_json()["violations"]] == ["quota"]
    # A resident cannot book for anyone (themselves included); an unknown person is named.
    assert book(bob_api, lab, f"{day()}T14:00", f"{day()}T15:00", for_user_id=alice.id).status_code == 403
    for bad in (10 ** 9, manager.id):
        refused = book(manager_api, lab, f"{day()}T14:00", f"{day()}T15:00", for_user_id=bad)
        assert refused.status_code == 422, bad
        assert refused.get_json()["violations"][0]["field"] == "for_user_id"
        assert "for_user_id" in refused.get_json()["message"]
    # Not a number at all: the body's shape is wrong (400), and the answer names the field.
    refused = book(manager_api, lab, f"{day()}T14:00", f"{day()}T15:00", for_user_id="alice")
    assert refused.status_code == 400 and "for_user_id" in refused.get_json()["message"]
    db.session.commit()
    assert len(db.session.execute(select(Booking.id)).all()) == 1


def test_a_manager_books_a_series_for_a_resident_skipping_a_taken_date(alice, alice_api, manager, manager_api,
                                                                        bob_api, new_space):
    lab = new_space()
    taken_day = day(14)  # the second week's date is taken already
    assert book(bob_api, lab, f"{taken_day}T10:00", f"{taken_day}T11:00").status_code == 201
    response = book(manager_api, lab, f"{day()}T10:00", f"{day()}T11:00", for_user_id=alice.id,
                    repeat={"freq": "weekly", "count": 3}, on_conflict="skip")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [s["start"][:10] for s in body["skipped"]] == [taken_day]
    assert len(body["bookings"]) == 2 and body["series_id"]
    assert {(b["user_id"], b["booked_by_id"], b["series_id"]) for b in body["bookings"]} == {
        (alice.id, manager.id, body["series_id"])}
    mine = alice_api.get("/api/v1/bookings").get_json()["bookings"]
    assert sorted(b["id"] for b in mine) == sorted(b["id"] for b in body["bookings"])


# ---------------------------------------------------------------------------- ?scope= for a series


def _weekly(client, lab, count=3):
    made = book(client, lab, f"{day()}T10:00", f"{day()}T11:00", repeat={"freq": "weekly", "count": count})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["bookings"]


def test_patch_scope_following_moves_this_and_later_occurrences(alice_api, new_space):
    lab = new_space()
    rows = _weekly(alice_api, lab)
    response = alice_api.patch(f"/api/v1/bookings/{rows[1]['id']}?scope=following",
                               json={"start": f"{day(14)}T15:00", "end": f"{day(14)}T17:00", "title": "Later"})
    assert response.status_code == 200, response.get_json()
    moved = response.get_json()["bookings"]
    assert [(b["id"], b["start"], b["end"], b["title"]) for b in moved] == [
        (rows[1]["id"], f"{day(14)}T15:00:00+08:00", f"{day(14)}T17:00:00+08:00", "Later"),
        (rows[2]["id"], f"{day(21)}T15:00:00+08:00", f"{day(21)}T17:00:00+08:00", "Later")]
    first = alice_api.get(f"/api/v1/bookings/{rows[0]['id']}").get_json()["booking"]
    assert first["start"] == f"{day()}T10:00:00+08:00"
    # The whole series, asked on the first: an hour earlier, each occurrence shifted by that hour
    # and given the first one's length.
    whole = alice_api.patch(f"/api/v1/bookings/{rows[0]['id']}?scope=series", json={"start": f"{day()}T09:00"})
    assert [(b["start"], b["end"]) for b in whole.get_json()["bookings"]] == [
        (f"{day()}T09:00:00+08:00", f"{day()}T10:00:00+08:00"), (f"{day(14)}T14:00:00+08:00", f"{day(14)}T15:00:00+08:00"),
        (f"{day(21)}T14:00:00+08:00", f"{day(21)}T15:00:00+08:00")]


def test_patch_scope_refused_names_each_occurrence_and_changes_nothing(alice_api, bob_api, new_space):
    lab = new_space()
    rows = _weekly(alice_api, lab)
    assert book(bob_api, lab, f"{day(21)}T14:00", f"{day(21)}T15:00").status_code == 201
    before = [stored(r["id"]) for r in rows]
    taken = alice_api.patch(f"/api/v1/bookings/{rows[0]['id']}?scope=series", json={"start": f"{day()}T14:00"})
    assert taken.status_code == 409 and taken.get_json()["error"] == "conflict"
    assert [c["occurrence"] for c in taken.get_json()["conflicts"]] == [f"{day(21)}T14:00:00+08:00"]
    broken = alice_api.patch(f"/api/v1/bookings/{rows[0]['id']}?scope=following",
                             json={"start": f"{day()}T06:10", "end": f"{day()}T07:10"})
    assert broken.status_code == 422
    assert {v["start"] for v in broken.get_json()["violations"]} == {f"{day(7 * n)}T06:10:00+08:00" for n in (1, 2, 3)}
    assert [stored(r["id"]) for r in rows] == before
    assert alice_api.patch(f"/api/v1/bookings/{rows[0]['id']}?scope=sideways",
                           json={"start": f"{day()}T14:00"}).status_code == 400
