"""Every API list pages the same way (web/api/paging.py): `limit` (1-500, default 200) and an
opaque `cursor`, answering the list under its usual key plus `next` (a URL, or null on the
last page). Walking the `next` links returns every row exactly once, even when rows are added
during the walk; a bad limit or cursor is a 400 that says what is wrong."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FIXED_NOW

HK = ZoneInfo("Asia/Hong_Kong")


@pytest.fixture
def manager_api(api, make_user):
    return api(make_user("manager"))


def add_space(manager_api, n: int) -> int:
    response = manager_api.post("/api/v1/spaces", json={"code": f"P{n}", "name": f"Lab {n:02d}", "kind": "wet_lab"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["space"]["id"]


def walk(client, url: str, key: str, *, between=None) -> list[int]:
    ids, pages = [], 0
    while url:
        body = client.get(url).get_json()
        ids += [row["id"] for row in body[key]]
        url, pages = body["next"], pages + 1
        if between is not None:
            between(pages)
        assert pages < 50
    return ids


def test_walking_the_pages_returns_every_row_once(manager_api):
    made = [add_space(manager_api, n) for n in range(7)]
    first = manager_api.get("/api/v1/spaces?limit=3").get_json()
    assert len(first["spaces"]) == 3 and first["next"].startswith("/api/v1/spaces?")
    assert sorted(walk(manager_api, "/api/v1/spaces?limit=3", "spaces")) == sorted(made)
    whole = manager_api.get("/api/v1/spaces").get_json()  # default limit 200: one page
    assert [s["id"] for s in whole["spaces"]] == walk(manager_api, "/api/v1/spaces?limit=2", "spaces")
    assert whole["next"] is None


def test_rows_added_during_the_walk_are_not_sent_twice(manager_api):
    made = [add_space(manager_api, n) for n in range(6)]
    added = []

    def insert(page):
        if page == 1:  # "Lab 00" sorts first: a new row ahead of the cursor
            added.append(add_space(manager_api, 90 + page))

    seen = walk(manager_api, "/api/v1/spaces?limit=2", "spaces", between=insert)
    assert len(seen) == len(set(seen))
    assert set(made) <= set(seen)


def test_filters_are_kept_in_the_next_link(manager_api):
    for n in range(5):
        add_space(manager_api, n)
    manager_api.post("/api/v1/spaces", json={"code": "M1", "name": "Meeting", "kind": "meeting_room"})
    body = manager_api.get("/api/v1/spaces?kind=wet_lab&limit=2").get_json()
    assert "kind=wet_lab" in body["next"]
    assert len(walk(manager_api, "/api/v1/spaces?kind=wet_lab&limit=2", "spaces")) == 5


@pytest.mark.parametrize("query, message", [
    ("limit=0", "'limit' must be from 1 to 500"),
    ("limit=501", "'limit' must be from 1 to 500"),
    ("limit=ten", "'limit' must be a whole number"),
    ("cursor=not-ours!", "'cursor' is not one this API gave out"),
    ("cursor=WzEsLTFd", "'cursor' is not one this API gave out"),  # [1,-1]: decodes, but no position
])
def test_bad_limit_or_cursor_is_a_400_that_says_why(manager_api, query, message):
    for path in ("/api/v1/spaces", "/api/v1/bookings", "/api/v1/units", "/api/v1/leases", "/api/v1/offers",
                 "/api/v1/housing-applications", "/api/v1/waitlist", "/api/v1/users", "/api/v1/notifications"):
        response = manager_api.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert response.get_json()["error"] == "bad_request"
        assert message in response.get_json()["message"], path


def test_every_list_answers_next(manager_api):
    for path, key in (("/api/v1/spaces", "spaces"), ("/api/v1/bookings", "bookings"), ("/api/v1/units", "units"),
                      ("/api/v1/leases", "leases"), ("/api/v1/offers", "offers"),
                      ("/api/v1/housing-applications", "applications"), ("/api/v1/waitlist", "entries"),
                      ("/api/v1/users", "users"), ("/api/v1/notifications", "notifications"),
                      ("/api/v1/slot-requests", "slot_requests"), ("/api/v1/companies", "companies"),
                      ("/api/v1/allocation-rounds", "rounds"), ("/api/v1/space-authorisations", "authorisations")):
        body = manager_api.get(path).get_json()
        assert key in body and "next" in body, path


def test_bookings_page_by_cursor_and_filter_by_person(manager_api, api, make_user):
    space = add_space(manager_api, 1)
    alice, bob = make_user("resident"), make_user("resident")
    day = (FIXED_NOW + timedelta(days=3)).astimezone(HK).date().isoformat()
    for who, hours in ((alice, (9, 10, 11)), (bob, (13, 14))):
        client = api(who)
        for hour in hours:
            response = client.post("/api/v1/bookings", json={"space_id": space, "start": f"{day}T{hour:02d}:00",
                                                             "end": f"{day}T{hour + 1:02d}:00"})
            assert response.status_code == 201, response.get_json()
    everyone = walk(manager_api, "/api/v1/bookings?limit=2", "bookings")
    assert len(everyone) == 5 == len(set(everyone))
    first = manager_api.get("/api/v1/bookings?limit=2").get_json()
    assert first["total"] == 5
    of_alice = manager_api.get(f"/api/v1/bookings?user_id={alice.id}").get_json()["bookings"]
    assert {b["user_id"] for b in of_alice} == {alice.id} and len(of_alice) == 3
    # A resident's list is their own whatever user_id they ask for.
    assert api(bob).get(f"/api/v1/bookings?user_id={alice.id}").get_json()["bookings"] == []


def test_users_older_page_numbers_still_work_and_link_on(manager_api, make_user):
    for _ in range(4):
        make_user("resident")
    body = manager_api.get("/api/v1/users?per_page=2").get_json()
    assert body["page"] == 1 and body["total"] == 5 and len(body["users"]) == 2
    assert "page=2" in body["next"]
    assert len(walk(manager_api, "/api/v1/users?limit=2", "users")) == 5
