"""Housing API (CONTRACT.md, Housing): shapes, roles, visibility, errors, and the resident's
journey from application to lease through an allocation round."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import AllocationRound, HousingApplication, Lease, Offer, Unit, WaitlistEntry
from tests.conftest import FIXED_NOW

HK = ZoneInfo("Asia/Hong_Kong")
UNIT_KEYS = {"id", "code", "unit_type", "floor", "monthly_rent", "occupancy", "status"}
LEASE_KEYS = {"id", "unit_id", "user_id", "start", "end", "monthly_rent", "status"}
OFFER_KEYS = {"id", "kind", "user_id", "unit_id", "lease_id", "start", "end", "expires_at", "status"}
APPLICATION_KEYS = {"id", "user_id", "unit_type", "move_in", "term_months", "status"}
ENTRY_KEYS = {"id", "unit_type", "position", "ahead", "priority_tier", "joined_at", "status"}


def today() -> date:
    return FIXED_NOW.astimezone(HK).date()


def iso(day: date) -> str:
    return day.isoformat()


def assert_error(response, status: int, code: str):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:400])
    body = response.get_json()
    assert body["error"] == code and isinstance(body["message"], str) and body["message"]
    return body


def count(model) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def people(make_user, api):
    users = {
        "manager": make_user("manager"), "admin": make_user("admin"), "finance": make_user("finance"),
        "r1": make_user("resident", priority_tier=1), "r2": make_user("resident", priority_tier=2),
        "r3": make_user("resident", priority_tier=3),
    }
    clients = {name: api(user) for name, user in users.items()}
    return users, clients


def make_unit(client, code, unit_type="twin", floor=4, rent=12800, **extra):
    response = client.post("/api/v1/units", json={"code": code, "unit_type": unit_type, "floor": floor,
                                                  "monthly_rent": rent, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["unit"]


# --- units ----------------------------------------------------------------------------------------

def test_units_create_list_and_filter(people):
    users, c = people
    unit = make_unit(c["manager"], "04-01", occupancy=2)
    assert set(unit) >= UNIT_KEYS
    assert (unit["code"], unit["unit_type"], unit["floor"], unit["monthly_rent"], unit["occupancy"],
            unit["status"]) == ("04-01", "twin", 4, 12800.0, 2, "available")
    make_unit(c["admin"], "05-01", unit_type="solo", floor=5)
    listed = c["r1"].get("/api/v1/units").get_json()["units"]
    assert [u["code"] for u in listed] == ["04-01", "05-01"]
    assert [u["code"] for u in c["finance"].get("/api/v1/units?unit_type=solo").get_json()["units"]] == ["05-01"]
    # Let 04-01 for the coming month: it drops out of the availability filter for those dates.
    start = today() + timedelta(days=10)
    r = c["manager"].post("/api/v1/leases", json={"unit_id": unit["id"], "user_id": users["r1"].id,
                                                  "start": iso(start), "end": iso(start + timedelta(days=30))})
    assert r.status_code == 201
    free = c["r1"].get(f"/api/v1/units?available_from={iso(start)}&available_to={iso(start + timedelta(days=5))}")
    assert [u["code"] for u in free.get_json()["units"]] == ["05-01"]
    later = c["r1"].get(f"/api/v1/units?available_from={iso(start + timedelta(days=30))}")
    assert [u["code"] for u in later.get_json()["units"]] == ["04-01", "05-01"]


def test_unit_create_errors(people):
    users, c = people
    for role in ("r1", "finance"):
        assert_error(c[role].post("/api/v1/units", json={"code": "X", "unit_type": "solo", "floor": 1,
                                                         "monthly_rent": 1}), 403, "forbidden")
    body = assert_error(c["manager"].post("/api/v1/units", json={"code": "", "unit_type": "castle", "floor": "top",
                                                                 "monthly_rent": -5}), 422, "rule_violation")
    assert {v["rule"] for v in body["violations"]} == {"code", "unit_type", "floor", "monthly_rent"}
    make_unit(c["manager"], "06-01")
    assert_error(c["manager"].post("/api/v1/units", json={"code": "06-01", "unit_type": "solo", "floor": 6,
                                                          "monthly_rent": 9000}), 409, "conflict")
    assert_error(c["manager"].post("/api/v1/units", data="nope", content_type="application/json"), 400, "bad_request")
    assert_error(c["r1"].get("/api/v1/units?available_from=tomorrow"), 400, "bad_request")
    assert_error(c["r1"].get("/api/v1/units?unit_type=castle"), 400, "bad_request")
    assert_error(c["r1"].get("/api/v1/units/999"), 404, "not_found")
    assert count(Unit) == 1


# --- leases ---------------------------------------------------------------------------------------

def test_leases_overlap_409_back_to_back_201_and_visibility(people):
    users, c = people
    unit = make_unit(c["manager"], "07-01")
    start = today() + timedelta(days=3)
    body = {"unit_id": unit["id"], "user_id": users["r1"].id, "start": iso(start), "end": iso(start + timedelta(days=60))}
    r = c["manager"].post("/api/v1/leases", json=body)
    assert r.status_code == 201
    lease = r.get_json()["lease"]
    assert set(lease) >= LEASE_KEYS and lease["status"] == "active" and lease["monthly_rent"] == 12800.0
    clash = dict(body, user_id=users["r2"].id, start=iso(start + timedelta(days=59)),
                 end=iso(start + timedelta(days=90)))
    err = assert_error(c["manager"].post("/api/v1/leases", json=clash), 409, "conflict")
    assert "07-01" in err["message"] and err["conflicts"][0]["id"] == lease["id"]
    nxt = dict(clash, start=iso(start + timedelta(days=60)), monthly_rent=13000)
    r = c["manager"].post("/api/v1/leases", json=nxt)
    assert r.status_code == 201 and r.get_json()["lease"]["monthly_rent"] == 13000.0
    assert count(Lease) == 2
    # Residents see their own only; another's id is 404; staff see all.
    assert [x["id"] for x in c["r1"].get("/api/v1/leases").get_json()["leases"]] == [lease["id"]]
    assert c["r3"].get("/api/v1/leases").get_json()["leases"] == []
    assert_error(c["r2"].get(f"/api/v1/leases/{lease['id']}"), 404, "not_found")
    assert len(c["finance"].get("/api/v1/leases").get_json()["leases"]) == 2
    assert c["r1"].get(f"/api/v1/leases/{lease['id']}").status_code == 200


def test_lease_errors_and_roles(people):
    users, c = people
    unit = make_unit(c["manager"], "08-01")
    good = {"unit_id": unit["id"], "user_id": users["r1"].id, "start": iso(today()), "end": iso(today() + timedelta(30))}
    for role in ("r1", "finance"):
        assert_error(c[role].post("/api/v1/leases", json=good), 403, "forbidden")
    body = assert_error(c["manager"].post("/api/v1/leases", json=dict(good, end=good["start"])), 422, "rule_violation")
    assert body["violations"][0]["rule"] == "end"
    assert_error(c["manager"].post("/api/v1/leases", json=dict(good, start="1st of May")), 422, "rule_violation")
    assert_error(c["manager"].post("/api/v1/leases", json=dict(good, unit_id="one")), 422, "rule_violation")
    assert_error(c["manager"].post("/api/v1/leases", json=dict(good, unit_id=999)), 404, "not_found")
    assert_error(c["manager"].post("/api/v1/leases", json=dict(good, user_id=999)), 422, "rule_violation")
    assert_error(c["manager"].post("/api/v1/leases", json=[1, 2]), 400, "bad_request")
    assert count(Lease) == 0


def test_terminate_lease_frees_the_unit(people):
    users, c = people
    unit = make_unit(c["manager"], "09-01")
    start = today() + timedelta(days=1)
    lease = c["manager"].post("/api/v1/leases", json={"unit_id": unit["id"], "user_id": users["r1"].id,
                                                      "start": iso(start), "end": iso(start + timedelta(days=90))}
                              ).get_json()["lease"]
    on = start + timedelta(days=20)
    assert_error(c["r1"].post(f"/api/v1/leases/{lease['id']}/terminate", json={"on": iso(on), "reason": "x"}),
                 403, "forbidden")
    assert_error(c["manager"].post(f"/api/v1/leases/{lease['id']}/terminate", json={"on": iso(on)}), 422,
                 "rule_violation")
    r = c["manager"].post(f"/api/v1/leases/{lease['id']}/terminate", json={"on": iso(on), "reason": "Moved out"})
    assert r.status_code == 200
    assert (r.get_json()["lease"]["status"], r.get_json()["lease"]["end"]) == ("terminated", iso(on))
    r = c["manager"].post("/api/v1/leases", json={"unit_id": unit["id"], "user_id": users["r2"].id,
                                                  "start": iso(on), "end": iso(on + timedelta(days=30))})
    assert r.status_code == 201
    assert_error(c["manager"].post("/api/v1/leases/999/terminate", json={"on": iso(on), "reason": "x"}), 404,
                 "not_found")


# --- applications, rounds, offers, waitlist -------------------------------------------------------------

def apply(client, unit_type="twin", move_in=None, term_months=12, **extra):
    move_in = move_in or today() + timedelta(days=30)
    return client.post("/api/v1/housing-applications", json={"unit_type": unit_type, "move_in": iso(move_in),
                                                             "term_months": term_months, **extra})


def test_application_create_errors_and_visibility(people):
    users, c = people
    unit = make_unit(c["manager"], "10-01")
    r = apply(c["r1"], preferred_unit_ids=[unit["id"]])
    assert r.status_code == 201
    app = r.get_json()["application"]
    assert set(app) >= APPLICATION_KEYS
    assert (app["user_id"], app["unit_type"], app["term_months"], app["status"]) == (users["r1"].id, "twin", 12,
                                                                                     "submitted")
    assert_error(apply(c["manager"]), 403, "forbidden")
    assert_error(apply(c["finance"]), 403, "forbidden")
    body = assert_error(apply(c["r2"], unit_type="castle", move_in=today() - timedelta(days=1), term_months=-1), 422,
                        "rule_violation")
    assert {v["rule"] for v in body["violations"]} >= {"unit_type", "move_in", "term_months"}
    assert_error(apply(c["r2"], preferred_unit_ids="10-01"), 422, "rule_violation")
    assert_error(apply(c["r2"], preferred_unit_ids=[999]), 422, "rule_violation")
    assert_error(apply(c["r1"]), 409, "conflict")  # one open application at a time
    assert_error(c["r2"].post("/api/v1/housing-applications", data="x", content_type="text/plain"), 400,
                 "bad_request")
    assert [a["id"] for a in c["r1"].get("/api/v1/housing-applications").get_json()["applications"]] == [app["id"]]
    assert c["r2"].get("/api/v1/housing-applications").get_json()["applications"] == []
    assert len(c["finance"].get("/api/v1/housing-applications").get_json()["applications"]) == 1
    assert_error(c["r2"].get(f"/api/v1/housing-applications/{app['id']}"), 404, "not_found")
    assert_error(c["r2"].post(f"/api/v1/housing-applications/{app['id']}/withdraw"), 404, "not_found")
    r = c["r1"].post(f"/api/v1/housing-applications/{app['id']}/withdraw")
    assert r.status_code == 200 and r.get_json()["application"]["status"] == "withdrawn"
    assert_error(c["r1"].post(f"/api/v1/housing-applications/{app['id']}/withdraw"), 409, "conflict")
    assert count(HousingApplication) == 1


def test_round_preview_commit_accept_and_waitlist_journey(people):
    users, c = people
    unit = make_unit(c["manager"], "11-01")
    apps = {name: apply(c[name]).get_json()["application"] for name in ("r3", "r2", "r1")}

    assert_error(c["r1"].post("/api/v1/allocation-rounds", json={"commit": False}), 403, "forbidden")
    assert_error(c["finance"].post("/api/v1/allocation-rounds", json={"commit": True}), 403, "forbidden")
    assert_error(c["manager"].post("/api/v1/allocation-rounds", json={"commit": "yes"}), 400, "bad_request")

    r = c["manager"].post("/api/v1/allocation-rounds", json={"commit": False})
    assert r.status_code == 200
    preview = r.get_json()["round"]
    assert set(preview) >= {"id", "assignments", "unassigned", "score"}
    assert [(a["application_id"], a["unit_id"]) for a in preview["assignments"]] == [(apps["r1"]["id"], unit["id"])]
    assert set(preview["assignments"][0]) >= {"application_id", "unit_id", "start", "end"}
    assert {u["application_id"] for u in preview["unassigned"]} == {apps["r2"]["id"], apps["r3"]["id"]}
    assert all(u["reason"] for u in preview["unassigned"])
    assert count(Offer) == 0 and count(AllocationRound) == 0 and count(WaitlistEntry) == 0

    r = c["manager"].post("/api/v1/allocation-rounds", json={"commit": True})
    assert r.status_code == 201
    committed = r.get_json()["round"]
    assert isinstance(committed["id"], int)
    assert committed["assignments"] == preview["assignments"] and committed["score"] == preview["score"]

    offers = c["r1"].get("/api/v1/offers").get_json()["offers"]
    assert len(offers) == 1 and set(offers[0]) >= OFFER_KEYS
    offer = offers[0]
    assert (offer["kind"], offer["status"], offer["unit_id"], offer["lease_id"]) == ("allocation", "open", unit["id"],
                                                                                     None)
    assert datetime.fromisoformat(offer["expires_at"]).utcoffset() == timedelta(hours=8)
    assert c["r2"].get("/api/v1/offers").get_json()["offers"] == []
    assert len(c["finance"].get("/api/v1/offers").get_json()["offers"]) == 1
    assert_error(c["r2"].post(f"/api/v1/offers/{offer['id']}/accept"), 404, "not_found")
    assert_error(c["manager"].post(f"/api/v1/offers/{offer['id']}/accept"), 403, "forbidden")

    r = c["r1"].post(f"/api/v1/offers/{offer['id']}/accept")
    assert r.status_code == 200
    lease = r.get_json()["lease"]
    assert (lease["unit_id"], lease["user_id"], lease["start"], lease["status"]) == (
        unit["id"], users["r1"].id, offer["start"], "active")
    assert r.get_json()["offer"]["status"] == "accepted" and r.get_json()["offer"]["lease_id"] == lease["id"]
    assert_error(c["r1"].post(f"/api/v1/offers/{offer['id']}/accept"), 409, "conflict")
    assert_error(c["r1"].post(f"/api/v1/offers/{offer['id']}/decline"), 409, "conflict")
    assert [x["id"] for x in c["r1"].get("/api/v1/leases").get_json()["leases"]] == [lease["id"]]

    # The others wait, tier 2 ahead of tier 3; each sees only its own entry.
    mine = c["r3"].get("/api/v1/waitlist").get_json()["entries"]
    assert len(mine) == 1 and set(mine[0]) >= ENTRY_KEYS
    assert (mine[0]["unit_type"], mine[0]["position"], mine[0]["ahead"], mine[0]["priority_tier"],
            mine[0]["status"]) == ("twin", 2, 1, 3, "waiting")
    assert mine[0]["explanation"] == "Tier 3; 1 applicant ahead: 1 of tier 2."
    assert datetime.fromisoformat(mine[0]["joined_at"]).utcoffset() == timedelta(hours=8)
    staff = c["finance"].get("/api/v1/waitlist").get_json()["entries"]
    assert [(e["user_id"], e["position"]) for e in staff] == [(users["r2"].id, 1), (users["r3"].id, 2)]
    assert c["r1"].get("/api/v1/waitlist").get_json()["entries"] == []
    apps_now = {a["id"]: a for a in c["manager"].get("/api/v1/housing-applications").get_json()["applications"]}
    assert apps_now[apps["r2"]["id"]]["status"] == "waitlisted"
    assert apps_now[apps["r1"]["id"]]["status"] == "housed"

    # A manager moves tier 3 first, with a reason.
    entry_id = mine[0]["id"]
    assert_error(c["manager"].post(f"/api/v1/waitlist/{entry_id}/reorder", json={"position": 1}), 422,
                 "rule_violation")
    assert_error(c["r3"].post(f"/api/v1/waitlist/{entry_id}/reorder", json={"position": 1, "reason": "me"}), 403,
                 "forbidden")
    r = c["manager"].post(f"/api/v1/waitlist/{entry_id}/reorder", json={"position": 1, "reason": "Urgent relocation"})
    assert r.status_code == 200 and r.get_json()["entry"]["position"] == 1


def test_decline_offer(people):
    users, c = people
    make_unit(c["manager"], "12-01")
    apply(c["r2"])
    c["manager"].post("/api/v1/allocation-rounds", json={"commit": True})
    offer = c["r2"].get("/api/v1/offers").get_json()["offers"][0]
    r = c["r2"].post(f"/api/v1/offers/{offer['id']}/decline")
    assert r.status_code == 200 and r.get_json()["offer"]["status"] == "declined"
    assert_error(c["r2"].post(f"/api/v1/offers/{offer['id']}/accept"), 409, "conflict")
    assert count(Lease) == 0
    assert_error(c["r2"].post("/api/v1/offers/999/decline"), 404, "not_found")


def test_round_with_empty_body_previews(people):
    users, c = people
    r = c["manager"].post("/api/v1/allocation-rounds")
    assert r.status_code == 200
    assert r.get_json()["round"] == {"id": None, "assignments": [], "unassigned": [], "score": 0.0,
                                     "weights": {"tier": 1000.0, "preference": 100.0, "wait_day": 1.0},
                                     "committed": False}


def test_everything_needs_a_token(client):
    for path in ("/api/v1/units", "/api/v1/leases", "/api/v1/offers", "/api/v1/waitlist",
                 "/api/v1/housing-applications"):
        assert_error(client.get(path), 401, "unauthorized")
    assert_error(client.post("/api/v1/allocation-rounds", json={"commit": False}), 401, "unauthorized")
