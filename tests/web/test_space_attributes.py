"""Spaces say what they have (equipment, seats, floor, photo URL): managers keep it in the space
form and the API, residents filter by it, and a space they are not trained for is shown greyed
with the reason and the way to get access."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from innocell.models import Space
from innocell.services import authorisations as authorisation_service
from innocell.services import spaces as space_service
from innocell.timeutil import utcnow


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def park(session, manager):
    def make(code, **fields):
        data = {"code": code, "name": f"Room {code}", "kind": fields.pop("kind", "wet_lab")}
        data.update(fields)
        return space_service.create_space(session, data, actor=manager, now=utcnow())

    return {
        "hood": make("WL-01", equipment=["Fume hood", "PCR"], seats=6, floor="2", requires_authorisation=True),
        "pcr": make("WL-02", equipment=["pcr"], seats=4, floor="2"),
        "big": make("WL-03", equipment=["fume hood", "pcr", "centrifuge"], seats=12, floor="3"),
        "meet": make("MR-01", kind="meeting_room", equipment=["projector"], seats=10, floor="2"),
    }


def codes(html: str) -> list[str]:
    return re.findall(r'data-testid="space-([A-Z]{2}-\d\d)"', html)


def test_residents_filter_by_kind_equipment_seats_and_floor(client, login, make_user, park):
    login(make_user())
    assert codes(client.get("/spaces/browse").get_data(as_text=True)) == ["MR-01", "WL-01", "WL-02", "WL-03"]
    every = client.get("/spaces/browse?equipment=fume+hood&equipment=pcr").get_data(as_text=True)
    assert codes(every) == ["WL-01", "WL-03"]  # all ticked, not any
    assert codes(client.get("/spaces/browse?equipment=pcr&min_seats=5").get_data(as_text=True)) == ["WL-01", "WL-03"]
    assert codes(client.get("/spaces/browse?floor=2&kind=wet_lab").get_data(as_text=True)) == ["WL-01", "WL-02"]
    assert codes(client.get("/spaces/browse?kind=meeting_room").get_data(as_text=True)) == ["MR-01"]
    none = client.get("/spaces/browse?equipment=pcr&min_seats=50").get_data(as_text=True)
    assert codes(none) == [] and 'data-testid="no-match"' in none
    for hostile in ("min_seats=-1", "min_seats=abc", "floor=99", "kind=unknown", "equipment=" + "x" * 500):
        assert client.get(f"/spaces/browse?{hostile}").status_code == 200
    assert "/spaces/browse" in client.get("/spaces").get_data(as_text=True)


def test_an_untrained_space_is_greyed_with_the_reason_and_how_to_get_access(client, login, make_user, park,
                                                                            session, manager):
    resident = make_user()
    login(resident)
    html = client.get("/spaces/browse").get_data(as_text=True)
    card = re.search(r'<li class="space-card space-locked" data-testid="space-WL-01" data-locked="yes">.*?</li>',
                     html, re.S).group(0)
    assert "Only trained (authorised) users may book this space" in card
    assert "Ask the park office (a manager) for the Room WL-01 induction" in card
    assert re.search(r'<button type="button" disabled[^>]*data-testid="book-WL-01"', card)
    open_card = re.search(r'data-testid="space-WL-02" data-locked="no">.*?</li>', html, re.S).group(0)
    assert 'class="button primary" href="/spaces/' in open_card and "disabled" not in open_card

    grant = authorisation_service.grant_authorisation(session, user_id=resident.id, space_id=park["hood"].id,
                                                      expires_at=utcnow() + timedelta(days=30), actor=manager,
                                                      now=utcnow())
    assert 'data-testid="space-WL-01" data-locked="no"' in client.get("/spaces/browse").get_data(as_text=True)
    authorisation_service.revoke_authorisation(session, grant.id, actor=manager, now=utcnow())
    revoked = client.get("/spaces/browse").get_data(as_text=True)
    assert 'data-testid="space-WL-01" data-locked="yes"' in revoked
    assert "Your authorisation for this space revoked on" in revoked
    # Managers are never gated.
    client.post("/logout")
    login(manager)
    assert 'data-locked="yes"' not in client.get("/spaces/browse").get_data(as_text=True)


def test_managers_keep_attributes_in_the_space_form(client, login, manager, park, session):
    login(manager)
    space = park["pcr"]
    form = client.get(f"/manage/spaces/{space.id}/edit").get_data(as_text=True)
    assert 'value="pcr"' in form and 'name="seats"' in form and 'name="floor"' in form
    data = {"code": "WL-02", "name": "Room WL-02", "kind": "wet_lab", "capacity": "1", "slot_minutes": "30",
            "min_minutes": "30", "max_minutes": "480", "buffer_minutes": "0", "max_days_ahead": "60",
            "hourly_rate": "0", "hours_mon": "08:00-22:00", "equipment": "PCR,  Laminar flow hood , pcr",
            "seats": "8", "floor": "G", "photo_url": "/static/rooms/wl-02.jpg"}
    assert client.post(f"/manage/spaces/{space.id}/edit", data=data).status_code == 302
    session.expire_all()
    saved = session.get(Space, space.id)
    assert (saved.equipment, saved.seats, saved.floor, saved.photo_url) == (
        ["pcr", "laminar flow hood"], 8, "G", "/static/rooms/wl-02.jpg")
    bad = client.post(f"/manage/spaces/{space.id}/edit", data=dict(data, photo_url="javascript:alert(1)"))
    assert bad.status_code == 422 and "The photo URL must start with" in bad.get_data(as_text=True)


def test_api_round_trip_of_attributes(api, manager, session):
    client = api(manager)
    made = client.post("/api/v1/spaces", json={"code": "DL-01", "name": "Dry lab", "kind": "dry_lab",
                                               "equipment": ["Projector", "PCR"], "seats": 5, "floor": "1",
                                               "photo_url": "https://example.invalid/dl.jpg"})
    assert made.status_code == 201
    space = made.get_json()["space"]
    assert (space["equipment"], space["seats"], space["floor"], space["photo_url"]) == (
        ["projector", "pcr"], 5, "1", "https://example.invalid/dl.jpg")
    got = client.get(f"/api/v1/spaces/{space['id']}").get_json()["space"]
    assert got["equipment"] == ["projector", "pcr"] and got["seats"] == 5
    changed = client.patch(f"/api/v1/spaces/{space['id']}", json={"equipment": [], "seats": None, "floor": "2"})
    assert changed.status_code == 200
    body = changed.get_json()["space"]
    assert (body["equipment"], body["seats"], body["floor"]) == ([], None, "2")
    listed = client.get("/api/v1/spaces").get_json()["spaces"]
    assert all({"equipment", "seats", "floor", "photo_url"} <= set(s) for s in listed)
    for bad in ({"equipment": "x" * 41}, {"equipment": [1]}, {"seats": -1}, {"seats": "many"}, {"floor": "x" * 21},
                {"photo_url": "ftp://x"}, {"equipment": ["t"] * 0 + [f"t{i}" for i in range(31)]}):
        answer = client.patch(f"/api/v1/spaces/{space['id']}", json=bad)
        assert answer.status_code == 422, bad
        assert answer.get_json()["violations"][0]["rule"] in bad
    session.expire_all()
    assert session.execute(select(Space.floor).where(Space.id == space["id"])).scalar_one() == "2"


# ---------------------------------------------------------------------------- free at a time, by what it has


def free_codes(html: str) -> list[str]:
    return re.findall(r'data-testid="free-space" data-code="([A-Z]{2}-\d\d)"', html)


def test_the_free_at_a_time_search_filters_by_equipment_and_seats(client, login, make_user, park, session):
    from innocell.services import bookings as booking_service
    from tests.web.space_times import at, next_tuesday

    day = next_tuesday()
    login(make_user("resident"))
    search = f"/spaces?kind=wet_lab&date={day.isoformat()}&start=10:00&length=60"
    page = client.get(search).get_data(as_text=True)
    assert free_codes(page) == ["WL-02", "WL-03"]  # WL-01 needs training this resident lacks
    assert 'data-testid="find-equipment"' in page and 'value="centrifuge"' in page
    assert free_codes(client.get(search + "&equipment=pcr").get_data(as_text=True)) == ["WL-02", "WL-03"]
    assert free_codes(client.get(search + "&equipment=fume+hood").get_data(as_text=True)) == ["WL-03"]
    assert free_codes(client.get(search + "&min_seats=5").get_data(as_text=True)) == ["WL-03"]
    both = client.get(search + "&equipment=pcr&equipment=centrifuge&min_seats=5").get_data(as_text=True)
    assert free_codes(both) == ["WL-03"]
    # The filters stay in the form (the query string is the search), and the result says what they were.
    assert re.search(r'<input checked id="equipment-\d" name="equipment" type="checkbox" value="centrifuge">', both)
    assert 'name="min_seats"' in both and 'value="5"' in both
    assert 'data-testid="find-filters"' in both and "pcr, centrifuge, at least 5 seats" in both
    # Taken at that time: nothing with all of it is free, and the page says so.
    booking_service.book(session, user=make_user("resident"), space_id=park["big"].id, start=at(day, "10:00"),
                         end=at(day, "11:00"), now=utcnow())
    session.commit()
    taken = client.get(search + "&equipment=pcr&min_seats=5").get_data(as_text=True)
    assert free_codes(taken) == [] and 'data-testid="no-free-spaces"' in taken
    assert free_codes(client.get(search + "&equipment=pcr").get_data(as_text=True)) == ["WL-02"]
    for hostile in ("min_seats=-1", "min_seats=abc", "min_seats=99999999999999999999", "equipment=" + "x" * 500):
        answer = client.get(f"{search}&{hostile}")
        assert answer.status_code == 200, hostile


def test_the_api_list_of_spaces_filters_by_equipment_and_seats(api, make_user, park):
    client = api(make_user("resident"))

    def listed(query: str) -> list[str]:
        answer = client.get(f"/api/v1/spaces?{query}")
        assert answer.status_code == 200, answer.get_json()
        return sorted(s["code"] for s in answer.get_json()["spaces"])

    assert listed("") == ["MR-01", "WL-01", "WL-02", "WL-03"]
    assert listed("equipment=PCR,fume%20hood") == ["WL-01", "WL-03"]
    assert listed("min_seats=10") == ["MR-01", "WL-03"]
    assert listed("kind=wet_lab&equipment=pcr&min_seats=5") == ["WL-01", "WL-03"]
    assert listed("equipment=laser") == []
    for bad in ("min_seats=-1", "min_seats=many", "min_seats=10001"):
        answer = client.get(f"/api/v1/spaces?{bad}")
        assert answer.status_code == 400 and answer.get_json()["error"] == "bad_request", bad
