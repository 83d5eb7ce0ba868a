"""The API routes that close the last parity gaps: my profile, my password, my tokens, the
registration policy, bank files and their review, freezing a month. Each does what its page
does, refuses what the page refuses, and changes nothing when it refuses."""
from __future__ import annotations

from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Payment, User

CSV = "date,amount,reference\n2026-11-03,1200.00,{ref} rent\n2026-11-04,80.00,no reference here\n"


def test_i_change_my_name_and_my_contact_address_gets_a_link_first(api, make_user):
    alice = make_user("resident", name="Alice Wong")
    client = api(alice)
    answer = client.patch("/api/v1/me", json={"name": "  Alice   Chan "})
    assert answer.status_code == 200 and answer.get_json() == {
        "user": {**answer.get_json()["user"], "name": "Alice Chan"}, "link_sent_to": None}
    assert client.get("/api/v1/me").get_json()["user"]["name"] == "Alice Chan"

    answer = client.patch("/api/v1/me", json={"contact_email": "alice@lab.example"})
    assert answer.status_code == 200 and answer.get_json()["link_sent_to"] == "alice@lab.example"
    assert db.session.get(User, alice.id).contact_email is None  # not until the link is opened

    refused = client.patch("/api/v1/me", json={"name": " "})
    assert refused.status_code == 422 and refused.get_json()["violations"][0]["rule"] == "name"
    assert client.patch("/api/v1/me", json={}).status_code == 400
    assert client.patch("/api/v1/me", json={"role": "admin"}).status_code == 400  # not a field of mine
    assert db.session.get(User, alice.id).name == "Alice Chan" and db.session.get(User, alice.id).role == "resident"


def test_my_password_changes_only_with_the_current_one_and_revokes_every_token(api, client, make_user):
    alice = make_user("resident")
    first, second = api(alice), api(alice)
    wrong = first.post("/api/v1/me/password", json={"current_password": "guess", "new_password": "ferry-lantern-42"})
    assert wrong.status_code == 422 and wrong.get_json()["violations"][0]["rule"] == "current"
    assert second.get("/api/v1/me").status_code == 200  # nothing changed

    weak = first.post("/api/v1/me/password", json={"current_password": "tram-harbour-7", "new_password": "password1"})
    assert weak.status_code == 422

    done = first.post("/api/v1/me/password",
                      json={"current_password": "tram-harbour-7", "new_password": "ferry-lantern-42"})
    assert done.status_code == 200 and done.get_json() == {"revoked_tokens": 2}
    assert first.get("/api/v1/me").status_code == 401 and second.get("/api/v1/me").status_code == 401
    assert client.post("/api/v1/tokens", json={"email": alice.email, "password": "tram-harbour-7"}).status_code == 401
    assert client.post("/api/v1/tokens", json={"email": alice.email, "password": "ferry-lantern-42"}).status_code == 201


def test_i_list_my_tokens_and_revoke_one_by_id_but_not_anothers(api, client, make_user):
    alice, bob = make_user("resident"), make_user("resident")
    kept = api(alice)
    named = client.post("/api/v1/tokens", json={"email": alice.email, "password": "tram-harbour-7",
                                                "name": "lab scheduler"}).get_json()["token"]
    bob_api = api(bob)
    tokens = kept.get("/api/v1/me/tokens").get_json()["tokens"]
    assert [t["name"] for t in tokens] == ["lab scheduler", None]  # newest first, only mine
    scheduler = tokens[0]["id"]

    assert bob_api.delete(f"/api/v1/tokens/{scheduler}").status_code == 404  # not bob's
    headers = {"Authorization": f"Bearer {named}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    revoked = kept.delete(f"/api/v1/tokens/{scheduler}")
    assert revoked.status_code == 200 and revoked.get_json()["token"]["id"] == scheduler
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert [t["id"] for t in kept.get("/api/v1/me/tokens").get_json()["tokens"]] == [tokens[1]["id"]]
    again = kept.delete(f"/api/v1/tokens/{scheduler}")  # a retry: still revoked, at the first time
    assert again.status_code == 200 and again.get_json() == revoked.get_json()


def test_only_an_admin_reads_and_sets_the_registration_policy(api, make_user):
    admin, manager = api(make_user("admin")), api(make_user("manager"))
    assert manager.get("/api/v1/registration-policy").status_code == 403
    assert manager.put("/api/v1/registration-policy", json={"policy": "approval"}).status_code == 403
    before = admin.get("/api/v1/registration-policy").get_json()
    assert before["policy"] == "company_domains" and set(before["choices"]) == {"invitation", "company_domains",
                                                                                "approval"}
    assert admin.put("/api/v1/registration-policy", json={"policy": "open to all"}).status_code == 400
    assert admin.put("/api/v1/registration-policy", json={"policy": "approval"}).get_json()["policy"] == "approval"
    assert admin.get("/api/v1/registration-policy").get_json()["policy"] == "approval"


def _payments():
    return db.session.execute(select(Payment.status, func.count()).group_by(Payment.status)).all()


def test_a_bank_file_imports_once_and_its_unmatched_lines_are_reviewed(api, make_user):
    finance, alice = api(make_user("finance")), make_user("resident")
    resident = api(make_user("resident"))
    csv = CSV.format(ref=f"IC-R{alice.id:06d}")
    assert resident.post("/api/v1/payments/imports", json={"csv": csv}).status_code == 403

    first = finance.post("/api/v1/payments/imports", json={"csv": csv})
    assert first.status_code == 201
    assert {k: first.get_json()["import"][k] for k in ("lines", "matched", "unmatched", "duplicates")} == {
        "lines": 2, "matched": 1, "unmatched": 1, "duplicates": 0}
    again = finance.post("/api/v1/payments/imports", json={"csv": csv}).get_json()["import"]
    assert (again["matched"], again["unmatched"], again["duplicates"]) == (0, 0, 2)
    bad = finance.post("/api/v1/payments/imports", json={"csv": "date,amount\n2026-13-01,x\n"})
    assert bad.status_code == 400 and sorted(_payments()) == [("matched", 1), ("unmatched", 1)]

    waiting = finance.get("/api/v1/payments?status=unmatched").get_json()["payments"]
    assert [p["reference"] for p in waiting] == ["no reference here"]
    line = waiting[0]["id"]
    assigned = finance.post(f"/api/v1/payments/{line}/assign", json={"user_id": alice.id})
    assert assigned.status_code == 200 and assigned.get_json()["payment"]["user_id"] == alice.id
    assert finance.post(f"/api/v1/payments/{line}/discard").status_code == 409  # answered already
    statement = finance.get(f"/api/v1/statements/user/{alice.id}?month=2026-11").get_json()["statement"]
    assert statement["payments_total"] == "1280.00"
    assert finance.get("/api/v1/payments?status=unmatched").get_json()["payments"] == []
    assert finance.get("/api/v1/payments?status=lost").status_code == 400


def test_an_unmatched_line_can_be_discarded_and_then_counts_for_nobody(api, make_user):
    finance = api(make_user("finance"))
    finance.post("/api/v1/payments/imports", json={"csv": CSV.format(ref="nobody")})
    lines = finance.get("/api/v1/payments?status=unmatched").get_json()["payments"]
    assert len(lines) == 2
    assert finance.post(f"/api/v1/payments/{lines[0]['id']}/assign", json={}).status_code == 400
    assert finance.post(f"/api/v1/payments/{lines[0]['id']}/discard").get_json()["payment"]["status"] == "discarded"
    assert [p["id"] for p in finance.get("/api/v1/payments?status=unmatched").get_json()["payments"]] == \
        [lines[1]["id"]]
    assert finance.post("/api/v1/payments/999999/discard").status_code == 404


def test_finance_freezes_a_finished_month_once(api, make_user):
    finance, resident = api(make_user("finance")), api(make_user("resident"))
    assert resident.post("/api/v1/reports/frozen-months", json={"month": "2026-11"}).status_code == 403
    assert finance.post("/api/v1/reports/frozen-months", json={"month": "2026-12"}).status_code == 400  # not over
    assert finance.post("/api/v1/reports/frozen-months", json={"month": "November"}).status_code == 400
    done = finance.post("/api/v1/reports/frozen-months", json={"month": "2026-11"})
    assert done.status_code == 201 and done.get_json()["month"] == "2026-11" and done.get_json()["frozen"] > 0
    assert finance.post("/api/v1/reports/frozen-months", json={"month": "2026-11"}).status_code == 409
    report = finance.get("/api/v1/reports/occupancy?from=2026-11-01&to=2026-12-01").get_json()
    assert report["frozen"] is True


def test_managers_change_what_a_unit_type_offers_and_its_short_stay_terms(api, make_user):
    manager, resident = api(make_user("manager")), api(make_user("resident"))
    listed = resident.get("/api/v1/unit-types").get_json()["unit_types"]
    assert [t["unit_type"] for t in listed] and all(t["size_sqm"] is None for t in listed)
    kind = listed[0]["unit_type"]

    assert resident.patch(f"/api/v1/unit-types/{kind}", json={"size_sqm": 30}).status_code == 403
    assert manager.patch("/api/v1/unit-types/castle", json={"size_sqm": 30}).status_code == 404
    refused = manager.patch(f"/api/v1/unit-types/{kind}", json={"size_sqm": 0, "photo_url": "javascript:x"})
    assert refused.status_code == 422
    assert {v["rule"] for v in refused.get_json()["violations"]} == {"size_sqm", "photo_url"}
    assert resident.get("/api/v1/unit-types").get_json()["unit_types"][0]["size_sqm"] is None  # nothing saved

    changed = manager.patch(f"/api/v1/unit-types/{kind}", json={"size_sqm": 28, "nightly_rate": "450",
                                                                "stay_max_nights": 14})
    assert changed.status_code == 200
    assert {k: changed.get_json()["unit_type"][k] for k in ("size_sqm", "nightly_rate", "stay_max_nights")} == {
        "size_sqm": 28, "nightly_rate": "450.00", "stay_max_nights": 14}
    again = manager.patch(f"/api/v1/unit-types/{kind}", json={"nightly_rate": None}).get_json()["unit_type"]
    assert again["nightly_rate"] is None and again["size_sqm"] == 28  # only the fields given change
