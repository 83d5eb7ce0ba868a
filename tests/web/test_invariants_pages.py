"""The invariants as people meet them: the space kinds (API and manager pages, a select on the
space form), "End now" for a booking under way (page and DELETE), late cancellations shown,
the accept confirmation page, transfers labelled, and a manager's recorded lease overlap."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Booking, Lease, SpaceKind
from innocell.services import bookings as booking_svc
from innocell.services import housing as hs
from innocell.services import spaces as space_svc
from tests.conftest import FIXED_NOW

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def hk(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=HK).astimezone(UTC)


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def rita(make_user):
    return make_user("resident", name="Rita Resident")


@pytest.fixture
def lab(session, manager):
    return space_svc.create_space(session, {"code": "WL-1", "name": "Wet Lab 1", "kind": "wet_lab",
                                            "opening_hours": ALL_DAY, "hourly_rate": 100, "late_cancel_hours": 24,
                                            "late_cancel_fee": 150}, actor=manager, now=FIXED_NOW)


def kinds_in_db() -> int:
    return db.session.execute(select(func.count(SpaceKind.id))).scalar_one()


# --- space kinds: API ---------------------------------------------------------------------------------

def test_anyone_reads_the_kinds_and_managers_add_them(api, rita, manager):
    listed = api(rita).get("/api/v1/space-kinds")
    assert listed.status_code == 200
    wet = next(k for k in listed.get_json()["kinds"] if k["key"] == "wet_lab")
    assert wet == {"id": wet["id"], "key": "wet_lab", "label": "Wet labs", "label_zh": "濕實驗室", "quota_hours": 40,
                   "simultaneous": 1}
    assert api(rita).post("/api/v1/space-kinds", json={"key": "x", "label": "X"}).status_code == 403
    managers = api(manager)
    made = managers.post("/api/v1/space-kinds", json={"key": "clean_room", "label": "Clean rooms", "quota_hours": 7.5,
                                                      "simultaneous": 1})
    assert made.status_code == 201
    assert made.get_json()["kind"] | {"id": 0} == {"id": 0, "key": "clean_room", "label": "Clean rooms", "label_zh": None,
                                                   "quota_hours": 7.5, "simultaneous": 1}
    duplicate = managers.post("/api/v1/space-kinds", json={"key": "clean_room", "label": "Other"})
    assert duplicate.status_code == 409 and duplicate.get_json()["error"] == "conflict"
    bad = managers.post("/api/v1/space-kinds", json={"key": "Wet lab", "label": "Wet lab"})
    assert bad.status_code == 422 and [v["rule"] for v in bad.get_json()["violations"]] == ["key"]
    assert kinds_in_db() == 7
    changed = managers.patch(f"/api/v1/space-kinds/{made.get_json()['kind']['id']}", json={"simultaneous": 2})
    assert changed.status_code == 200 and changed.get_json()["kind"]["simultaneous"] == 2


def test_a_space_of_an_unknown_kind_is_422_naming_kind(api, manager):
    response = api(manager).post("/api/v1/spaces", json={"code": "WL-9", "name": "Wet Lab 9", "kind": "Wet lab"})
    assert response.status_code == 422
    assert [v["rule"] for v in response.get_json()["violations"]] == ["kind"]


# --- space kinds: pages --------------------------------------------------------------------------------

def test_the_kinds_page_lists_adds_and_edits(client, login, manager, lab):
    login(manager)
    page = client.get("/manage/space-kinds").get_data(as_text=True)
    assert 'data-key="wet_lab"' in page and "Wet labs" in page
    refused = client.post("/manage/space-kinds", data={"key": "wet_lab", "label": "Wet again", "quota_hours": "5",
                                                      "simultaneous": "1"})
    assert refused.status_code == 409 and "already exists" in refused.get_data(as_text=True)
    added = client.post("/manage/space-kinds", data={"key": "clean_room", "label": "Clean rooms",
                                                    "quota_hours": "12.5", "simultaneous": "1"})
    assert added.status_code == 302
    kind = db.session.execute(select(SpaceKind).where(SpaceKind.key == "clean_room")).scalar_one()
    form = client.get(f"/manage/space-kinds/{kind.id}/edit").get_data(as_text=True)
    assert 'value="Clean rooms"' in form and 'name="key"' not in form  # the key is fixed
    saved = client.post(f"/manage/space-kinds/{kind.id}/edit", data={"label": "Clean rooms (ISO 7)",
                                                                    "quota_hours": "10", "simultaneous": "2"})
    assert saved.status_code == 302
    db.session.refresh(kind)
    assert (kind.label, kind.simultaneous) == ("Clean rooms (ISO 7)", 2)
    bad = client.post(f"/manage/space-kinds/{kind.id}/edit", data={"label": "", "quota_hours": "-1",
                                                                  "simultaneous": "0"})
    assert bad.status_code == 422


def test_the_space_form_offers_the_kinds_as_a_select(client, login, manager):
    login(manager)
    page = client.get("/manage/spaces/new").get_data(as_text=True)
    assert '<select id="kind" name="kind"' in page
    assert '<option value="music_room">Music rooms (music_room)</option>' in page
    typed = client.post("/manage/spaces/new", data={"code": "WL-9", "name": "Wet Lab 9", "kind": "Wet lab",
                                                   "capacity": "1", "slot_minutes": "30", "min_minutes": "30",
                                                   "max_minutes": "240", "buffer_minutes": "0",
                                                   "max_days_ahead": "30", "hourly_rate": "0"})
    assert typed.status_code == 422 and "Not a valid choice" in typed.get_data(as_text=True)


# --- time that was used --------------------------------------------------------------------------------

def test_delete_on_a_booking_under_way_ends_it_now(api, rita, lab, session):
    running = booking_svc.book(session, user=rita, space_id=lab.id, start=hk(1, 9), end=hk(1, 12), now=hk(1, 8))
    response = api(rita).delete(f"/api/v1/bookings/{running.id}")  # at 10:00 Hong Kong
    assert response.status_code == 200
    booking = response.get_json()["booking"]
    assert (booking["status"], booking["start"], booking["end"]) == ("confirmed", "2026-12-01T09:00:00+08:00",
                                                                     "2026-12-01T10:00:00+08:00")
    assert booking["booked_end"] == "2026-12-01T12:00:00+08:00" and booking["ended_early_at"]
    assert booking["late_cancel"] is False and booking["late_cancel_fee"] is None


def test_the_cancel_page_says_end_now_for_a_running_booking(client, login, rita, lab, session):
    running = booking_svc.book(session, user=rita, space_id=lab.id, start=hk(1, 9), end=hk(1, 12), now=hk(1, 8))
    session.commit()
    login(rita)
    assert "End now…" in client.get(f"/bookings/{running.id}").get_data(as_text=True)
    page = client.get(f"/bookings/{running.id}/cancel").get_data(as_text=True)
    assert "End this booking now?" in page and ">End now</button>" in page and "it will end at <strong>10:00" in page
    done = client.post(f"/bookings/{running.id}/cancel", data={}, follow_redirects=True).get_data(as_text=True)
    assert "Booking ended at 10:00" in done and 'data-testid="ended-early"' in done
    assert session.get(Booking, running.id).status == "confirmed"


def test_a_late_cancellation_is_warned_recorded_and_shown_to_managers(client, login, rita, manager, lab, session):
    soon = booking_svc.book(session, user=rita, space_id=lab.id, start=hk(2, 9), end=hk(2, 10), now=FIXED_NOW)
    session.commit()
    login(rita)
    warning = client.get(f"/bookings/{soon.id}/cancel").get_data(as_text=True)
    assert "This is a late cancellation" in warning and "HK$150.00" in warning
    client.post(f"/bookings/{soon.id}/cancel", data={})
    client.post("/logout")
    login(manager)
    listed = client.get(f"/manage/spaces/{lab.id}/bookings").get_data(as_text=True)
    assert "late cancellation · HK$150.00" in listed
    recorded = booking_svc.get_booking(session, soon.id, viewer=manager)
    assert (recorded.status, recorded.late_cancel, float(recorded.late_cancel_fee)) == ("cancelled", True, 150.0)


# --- housing ---------------------------------------------------------------------------------------------

@pytest.fixture
def units(session, manager):
    return {code: hs.create_unit(session, {"code": code, "unit_type": kind, "floor": 1, "monthly_rent": rent},
                                 actor=manager, now=FIXED_NOW)
            for code, kind, rent in (("01-01", "solo", "9800"), ("02-01", "twin", "13800"))}


def test_accepting_shows_what_it_commits_to_and_a_transfer_ends_the_old_lease(client, login, rita, manager, units,
                                                                              session):
    current = hs.create_lease(session, unit_id=units["01-01"].id, user_id=rita.id, start=date(2026, 6, 1),
                              end=date(2027, 6, 1), actor=manager, now=FIXED_NOW)
    login(rita)
    note = client.get("/housing/apply").get_data(as_text=True)
    assert 'data-testid="transfer-note"' in note and "transfer request" in note
    sent = client.post("/housing/apply", data={"unit_type": "twin", "move_in": "2027-01-01", "term_kind": "months",
                                               "term_months": "12", "occupants": "1"}, follow_redirects=True)
    assert "It is a transfer from unit 01-01" in sent.get_data(as_text=True)
    assert "transfer from unit 01-01" in client.get("/housing").get_data(as_text=True)
    hs.commit_round(session, actor=manager, now=FIXED_NOW)
    offer = hs.list_offers(session, viewer=rita)[0]
    session.commit()

    offer_page = client.get(f"/housing/offers/{offer.id}").get_data(as_text=True)
    assert f'href="/housing/offers/{offer.id}/accept"' in offer_page  # a link to the confirmation, not a POST
    confirm = client.get(f"/housing/offers/{offer.id}/accept").get_data(as_text=True)
    for text in ("Accept unit 02-01?", "1 Jan 2027 to 1 Jan 2028", "12 months", "HK$13,800.00 a month",
                 "Your lease of unit 01-01 (1 Jun 2026 to 1 Jun 2027) ends on 1 Jan 2027"):
        assert text in confirm, text
    assert session.get(Lease, current.id).status == "active"  # looking changes nothing
    done = client.post(f"/housing/offers/{offer.id}/accept", data={"agree": "y"})
    assert done.status_code == 302
    session.expire_all()
    assert (session.get(Lease, current.id).end_date, session.get(Lease, current.id).status) == (date(2027, 1, 1),
                                                                                             "terminated")


def test_the_application_answer_says_transfer(api, rita, manager, units, session):
    hs.create_lease(session, unit_id=units["01-01"].id, user_id=rita.id, start=date(2026, 6, 1),
                    end=date(2027, 6, 1), actor=manager, now=FIXED_NOW)
    answer = api(rita).post("/api/v1/housing-applications", json={"unit_type": "twin", "move_in": "2027-02-01",
                                                                  "term_months": 6})
    assert answer.status_code == 201
    app_json = answer.get_json()["application"]
    assert (app_json["transfer"], app_json["transfer_from_unit"]) == (True, "01-01")


def test_a_second_home_through_the_api_is_409_unless_a_manager_records_why(api, rita, manager, units, session):
    hs.create_lease(session, unit_id=units["01-01"].id, user_id=rita.id, start=date(2027, 1, 1),
                    end=date(2027, 7, 1), actor=manager, now=FIXED_NOW)
    managers = api(manager)
    body = {"unit_id": units["02-01"].id, "user_id": rita.id, "start": "2027-06-30", "end": "2028-01-01"}
    refused = managers.post("/api/v1/leases", json=body)
    assert refused.status_code == 409 and "already holds a lease" in refused.get_json()["message"]
    allowed = managers.post("/api/v1/leases", json=body | {"allow_overlap": True, "overlap_reason": "Handover"})
    assert allowed.status_code == 201
    assert (allowed.get_json()["lease"]["overlap_allowed"], allowed.get_json()["lease"]["overlap_reason"]) == (
        True, "Handover")


def test_the_lease_form_records_an_allowed_overlap_with_its_reason(client, login, rita, manager, units, session):
    hs.create_lease(session, unit_id=units["01-01"].id, user_id=rita.id, start=date(2027, 1, 1),
                    end=date(2027, 7, 1), actor=manager, now=FIXED_NOW)
    login(manager)
    form = {"unit_code": "02-01", "email": rita.email, "start": "2027-06-30", "end": "2028-01-01"}
    refused = client.post("/manage/housing/leases/new", data=form)
    assert refused.status_code == 422 and "already holds a lease" in refused.get_data(as_text=True)
    no_reason = client.post("/manage/housing/leases/new", data=form | {"allow_overlap": "y"})
    assert no_reason.status_code == 422 and "the reason is recorded" in no_reason.get_data(as_text=True)
    made = client.post("/manage/housing/leases/new", data=form | {"allow_overlap": "y",
                                                                  "overlap_reason": "Handover night"})
    assert made.status_code == 302
    assert "allowed overlap: Handover night" in client.get("/manage/housing/leases").get_data(as_text=True)
