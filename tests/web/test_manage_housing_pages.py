"""The manager's housing pages: applications queue, allocation round (weights, preview that
writes nothing, commit with confirmation), floor plan, units and out-of-service periods,
leases (record, terminate early, history), waitlists (reorder only with a reason), offers."""
from __future__ import annotations

from datetime import date

import pytest

import innocell.web.housing as housing_pages
import innocell.web.manage_housing as manage_pages
from innocell.jobs import background
from innocell.models import AllocationRound, AuditEvent, HousingApplication, Lease, Offer, Unit, UnitOutage
from innocell.models import WaitlistEntry
from innocell.services import housing as hs
from tests.conftest import FIXED_NOW

PAGES = ("/manage/housing", "/manage/housing/applications", "/manage/housing/round", "/manage/housing/round/preview",
         "/manage/housing/units", "/manage/housing/units/new", "/manage/housing/units/{unit}",
         "/manage/housing/units/{unit}/edit", "/manage/housing/leases", "/manage/housing/leases/new",
         "/manage/housing/leases/{lease}/terminate", "/manage/housing/waitlists", "/manage/housing/offers")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(housing_pages, "utcnow", lambda: FIXED_NOW)
    monkeypatch.setattr(manage_pages, "utcnow", lambda: FIXED_NOW)


@pytest.fixture
def manager(make_user):
    return make_user("manager", name="Max Manager")


@pytest.fixture
def units(session, manager):
    made = {}
    for code, unit_type, floor, rent in (("01-01", "solo", 1, "9800"), ("01-02", "solo", 1, "10100"),
                                         ("01-03", "twin", 1, "13800"), ("02-01", "twin", 2, "13900")):
        made[code] = hs.create_unit(session, {"code": code, "unit_type": unit_type, "floor": floor,
                                              "monthly_rent": rent, "occupancy": 2 if unit_type == "twin" else 1},
                                    actor=manager, now=FIXED_NOW)
    return made


@pytest.fixture
def tenant(make_user):
    return make_user("resident", email="tina@example.test", name="Tina Tenant")


@pytest.fixture
def lease(session, units, tenant, manager):
    return hs.create_lease(session, unit_id=units["01-01"].id, user_id=tenant.id, start=date(2026, 6, 1),
                           end=date(2027, 6, 1), actor=manager, now=FIXED_NOW)


def apply(session, user, unit_type, move_in=date(2027, 1, 1), months=12):
    return hs.submit_application(session, user=user, unit_type=unit_type, move_in=move_in, term_months=months,
                                 now=FIXED_NOW)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_every_manager_page_renders_for_managers_and_admins(client, login, make_user, role, units, lease):
    login(make_user(role))
    for path in PAGES:
        path = path.format(unit=units["01-01"].id, lease=lease.id)
        response = client.get(path)
        assert response.status_code == 200, path


@pytest.mark.parametrize("role", ["resident", "finance"])
def test_manager_pages_refuse_residents_and_finance(client, login, make_user, role, units, lease, session):
    login(make_user(role))
    for path in PAGES:
        path = path.format(unit=units["01-01"].id, lease=lease.id)
        assert client.get(path).status_code == 403, path
    assert client.post("/manage/housing/round/commit", data={"confirm": "y"}).status_code == 403
    assert client.post(f"/manage/housing/leases/{lease.id}/terminate",
                       data={"on": "2027-01-01", "reason": "x", "confirm": "y"}).status_code == 403
    assert session.query(AllocationRound).count() == 0
    session.refresh(lease)
    assert lease.status == "active"


def test_unknown_ids_answer_404(client, login, manager, units):
    login(manager)
    assert client.get("/manage/housing/units/9999").status_code == 404
    assert client.get("/manage/housing/leases/9999/terminate").status_code == 404
    assert client.post("/manage/housing/waitlists/9999/reorder",
                       data={"new_position": "1", "reason": "x"}).status_code == 404
    assert client.get("/manage/housing/units?floor=99").status_code == 404


def test_applications_queue_filters_by_status_and_type_and_pages(app, client, login, manager, make_user, units,
                                                                 session):
    app.config["PAGE_SIZE"] = 2
    people = [make_user("resident", name=f"Applicant {i}") for i in range(4)]
    for person, unit_type in zip(people, ("solo", "solo", "solo", "twin")):
        apply(session, person, unit_type)
    hs.withdraw_application(session, session.query(HousingApplication).filter_by(user_id=people[0].id).one().id,
                            user=people[0], now=FIXED_NOW)
    login(manager)
    html = client.get("/manage/housing/applications?status=submitted&unit_type=solo").get_data(as_text=True)
    assert "2 applications submitted for solo units." in html
    assert "Applicant 1" in html and "Applicant 2" in html
    assert "Applicant 0" not in html and "Applicant 3" not in html
    first = client.get("/manage/housing/applications").get_data(as_text=True)
    assert "Page 1 of 2" in first and "page=2" in first
    second = client.get("/manage/housing/applications?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    names = [f"Applicant {i}" for i in range(4)]
    assert sum(n in first for n in names) == 2 and sum(n in second for n in names) == 2


def test_round_page_publishes_the_configured_weights(app, client, login, manager):
    app.config.update(ALLOCATION_WEIGHT_TIER=777, ALLOCATION_WEIGHT_PREFERENCE=55, ALLOCATION_WEIGHT_WAIT_DAY=3)
    login(manager)
    html = client.get("/manage/housing/round").get_data(as_text=True)
    for value in ("777", "55", "3"):
        assert f'<td class="num">{value}</td>' in html
    assert "Preview round" in html


def test_round_preview_shows_assignments_score_and_reasons_and_writes_nothing(client, login, manager, make_user,
                                                                              units, session):
    placed = make_user("resident", name="Paula Placed", priority_tier=1)
    apply(session, placed, "twin")
    hs.create_lease(session, unit_id=units["01-03"].id, user_id=make_user("resident").id, start=date(2026, 1, 1),
                    end=date(2030, 1, 1), actor=manager, now=FIXED_NOW)
    left = make_user("resident", name="Larry Left", priority_tier=3)
    apply(session, left, "twin")
    login(manager)
    response = client.get("/manage/housing/round/preview")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nothing has been written yet" in html
    preview = hs.preview_round(session, actor=manager, now=FIXED_NOW)
    assert f'data-testid="round-score">{preview["score"]:.1f}<' in html
    assignments = html.split('data-testid="round-assignments"')[1].split("</table>")[0]
    assert "Paula Placed" in assignments and "02-01" in assignments and "1 Jan 2027" in assignments
    unassigned = html.split('data-testid="round-unassigned"')[1].split("</table>")[0]
    assert "Larry Left" in unassigned
    assert preview["unassigned"][0]["reason"] in unassigned
    assert session.query(Offer).count() == 0 and session.query(AllocationRound).count() == 0
    assert session.query(WaitlistEntry).count() == 0
    assert {a.status for a in session.query(HousingApplication)} == {"submitted"}


def test_commit_needs_the_confirmation_then_makes_the_offers(app, client, login, manager, make_user, units, session):
    resident = make_user("resident", name="Paula Placed")
    apply(session, resident, "solo")
    login(manager)
    response = client.post("/manage/housing/round/commit", data={})
    assert response.status_code == 422
    assert "Tick the box to confirm the round." in response.get_data(as_text=True)
    assert session.query(Offer).count() == 0

    # The round runs off the request: the answer is its progress page, then its outcome.
    response = client.post("/manage/housing/round/commit", data={"confirm": "y"})
    assert response.status_code == 302 and response.location.startswith("/tasks/")
    task_id = int(response.location.rsplit("/", 1)[1])
    background.wait(app, task_id)
    session.rollback()  # the test's session (shared with the test client's requests) reads afresh
    outcome = client.get(response.location)
    offer = session.query(Offer).one()
    assert outcome.status_code == 302 and outcome.location == f"/manage/housing/rounds/{offer.round_id}"
    assert (offer.user_id, offer.kind, offer.status) == (resident.id, "allocation", "open")
    page = client.get(outcome.location).get_data(as_text=True)
    assert f"Round {offer.round_id} committed:" in page and "1 offer made" in page
    assert "0 applications waitlisted" in page and "Paula Placed" in page
    page = client.get("/manage/housing/offers").get_data(as_text=True)
    assert "Paula Placed" in page and "open" in page
    assert session.query(AuditEvent).filter_by(action="round.commit").count() == 1


def test_floor_plan_shows_each_units_state_on_the_chosen_day(client, login, manager, units, tenant, session):
    hs.create_lease(session, unit_id=units["01-02"].id, user_id=tenant.id, start=date(2027, 3, 1),
                    end=date(2027, 9, 1), actor=manager, now=FIXED_NOW)
    hs.add_outage(session, units["01-03"].id, start=date(2026, 11, 1), end=date(2027, 1, 1), reason="new floor",
                  actor=manager, now=FIXED_NOW)
    login(manager)

    def states(html):
        cells = html.split('data-testid="floor-plan"')[1].split("</section>")[0]
        found = {}
        for chunk in cells.split('data-state="')[1:]:
            state, rest = chunk.split('"', 1)
            found[rest.split('data-code="')[1].split('"')[0]] = state
        return found

    today = client.get("/manage/housing/units?floor=1").get_data(as_text=True)
    assert states(today) == {"01-01": "free", "01-02": "free", "01-03": "out_of_service"}
    assert "Floor 1 on 1 Dec 2026 (today)" in today
    for label in ("Occupied", "Free", "Offered (awaiting answer)", "Out of service"):
        assert label in today.split('aria-label="Legend"')[1].split("</ul>")[0]
    later = client.get("/manage/housing/units?floor=1&date=2027-03-15").get_data(as_text=True)
    assert states(later) == {"01-01": "free", "01-02": "occupied", "01-03": "free"}
    assert "Floor 1 on 15 Mar 2027" in later
    bad = client.get("/manage/housing/units?floor=1&date=someday")
    assert bad.status_code == 200 and "is not a date" in bad.get_data(as_text=True)
    assert "Floor 2 on" in client.get("/manage/housing/units?floor=2").get_data(as_text=True)


def test_unit_create_shows_errors_inline_and_creates(client, login, manager, units, session):
    login(manager)
    response = client.post("/manage/housing/units/new", data={
        "code": "", "unit_type": "solo", "floor": "3", "monthly_rent": "-5", "occupancy": "1", "status": "available"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This field is required." in html and "Rent cannot be negative." in html
    response = client.post("/manage/housing/units/new", data={
        "code": "01-01", "unit_type": "solo", "floor": "1", "monthly_rent": "9800", "occupancy": "1",
        "status": "available"})
    assert response.status_code == 422
    assert "A unit with the code 01-01 already exists." in response.get_data(as_text=True)
    assert session.query(Unit).count() == 4

    response = client.post("/manage/housing/units/new", data={
        "code": "03-07", "unit_type": "suite", "floor": "3", "monthly_rent": "16800.50", "occupancy": "2",
        "status": "available", "description": "Harbour view"})
    unit = session.query(Unit).filter_by(code="03-07").one()
    assert response.status_code == 302 and response.location.endswith(f"/manage/housing/units/{unit.id}")
    assert (unit.unit_type, unit.floor, str(unit.monthly_rent), unit.occupancy) == ("suite", 3, "16800.50", 2)
    page = client.get(response.location).get_data(as_text=True)
    assert "Unit 03-07 created." in page and "HK$16,800.50" in page


def test_unit_edit_saves_changes(client, login, manager, units, session):
    login(manager)
    unit = units["01-02"]
    form = client.get(f"/manage/housing/units/{unit.id}/edit").get_data(as_text=True)
    assert 'value="01-02"' in form
    response = client.post(f"/manage/housing/units/{unit.id}/edit", data={
        "code": "01-02", "unit_type": "solo", "floor": "1", "monthly_rent": "10500", "occupancy": "1",
        "status": "available"})
    assert response.status_code == 302
    session.refresh(unit)
    assert str(unit.monthly_rent) == "10500.00"


def test_out_of_service_period_needs_a_reason_and_is_listed(client, login, manager, units, lease, session):
    login(manager)
    unit = units["01-02"]
    response = client.post(f"/manage/housing/units/{unit.id}/outages",
                           data={"start": "2027-01-10", "end": "2027-01-05", "reason": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Say why" in html and "The end must be after the start" in html
    assert session.query(UnitOutage).count() == 0

    response = client.post(f"/manage/housing/units/{unit.id}/outages",
                           data={"start": "2027-01-05", "end": "2027-01-10", "reason": "Water damage"})
    assert response.status_code == 302
    page = client.get(f"/manage/housing/units/{unit.id}").get_data(as_text=True)
    outages = page.split('data-testid="outages"')[1].split("</table>")[0]
    assert "5 Jan 2027" in outages and "10 Jan 2027" in outages and "Water damage" in outages

    # Over a lease: refused with the reason, nothing written.
    response = client.post(f"/manage/housing/units/{units['01-01'].id}/outages",
                           data={"start": "2027-01-05", "end": "2027-01-10", "reason": "Paint"})
    assert response.status_code == 422
    assert "Unit 01-01 is not free" in response.get_data(as_text=True)
    assert session.query(UnitOutage).count() == 1


def test_record_a_lease_by_unit_code_and_email(client, login, manager, units, tenant, lease, session):
    login(manager)
    response = client.post("/manage/housing/leases/new", data={
        "unit_code": "09-99", "email": "nobody@example.test", "start": "2027-01-01", "end": "2027-07-01"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is no unit 09-99." in html and "No resident has that email." in html

    response = client.post("/manage/housing/leases/new", data={
        "unit_code": "01-01", "email": "TINA@example.test", "start": "2027-01-01", "end": "2027-07-01"})
    assert response.status_code == 422
    assert "Unit 01-01 is not free from 1 Jan 2027 to 1 Jul 2027" in response.get_data(as_text=True)
    assert session.query(Lease).count() == 1

    # Back to back with the existing lease (which ends on 1 Jun 2027) is fine.
    response = client.post("/manage/housing/leases/new", data={
        "unit_code": "01-01", "email": "tina@example.test", "start": "2027-06-01", "end": "2027-12-01",
        "monthly_rent": "9500"})
    assert response.status_code == 302
    new = session.query(Lease).filter_by(start_date=date(2027, 6, 1)).one()
    assert (new.unit_id, new.user_id, str(new.monthly_rent)) == (units["01-01"].id, tenant.id, "9500.00")
    history = client.get(f"/manage/housing/units/{units['01-01'].id}").get_data(as_text=True)
    history = history.split('data-testid="lease-history"')[1]
    assert history.count("Tina Tenant") == 2 and "1 Dec 2027" in history


def test_terminate_needs_date_reason_and_confirmation(client, login, manager, lease, session):
    login(manager)
    page = client.get(f"/manage/housing/leases/{lease.id}/terminate").get_data(as_text=True)
    assert "Terminate lease early" in page and "Tina Tenant" in page
    response = client.post(f"/manage/housing/leases/{lease.id}/terminate",
                           data={"on": "2027-02-01", "reason": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the reason; it is recorded." in html and "Tick the box to confirm the termination." in html
    session.refresh(lease)
    assert lease.status == "active"

    response = client.post(f"/manage/housing/leases/{lease.id}/terminate",
                           data={"on": "2027-02-01", "reason": "Company moved out", "confirm": "y"})
    assert response.status_code == 302
    session.refresh(lease)
    assert (lease.status, lease.end_date, lease.termination_reason) == ("terminated", date(2027, 2, 1),
                                                                        "Company moved out")
    page = client.get(response.location).get_data(as_text=True)
    assert "the unit is free from 1 Feb 2027" in page and "Company moved out" in page
    # Terminating again is refused with the reason.
    again = client.post(f"/manage/housing/leases/{lease.id}/terminate",
                        data={"on": "2027-01-15", "reason": "again", "confirm": "y"})
    assert again.status_code == 422 and "already terminated" in again.get_data(as_text=True)


def test_leases_list_filters(client, login, manager, units, lease, make_user, session):
    other = make_user("resident", name="Oscar Other")
    hs.create_lease(session, unit_id=units["02-01"].id, user_id=other.id, start=date(2027, 1, 1),
                    end=date(2027, 7, 1), actor=manager, now=FIXED_NOW)
    login(manager)
    both = client.get("/manage/housing/leases").get_data(as_text=True)
    assert "Tina Tenant" in both and "Oscar Other" in both
    twins = client.get("/manage/housing/leases?unit_type=twin").get_data(as_text=True)
    assert "Oscar Other" in twins and "Tina Tenant" not in twins
    by_name = client.get("/manage/housing/leases?q=tina").get_data(as_text=True)
    assert "Tina Tenant" in by_name and "Oscar Other" not in by_name
    assert "No leases match." in client.get("/manage/housing/leases?status=ended").get_data(as_text=True)


@pytest.fixture
def twin_queue(session, manager, make_user, units):
    """Three residents waiting for a twin (both twins let for years): tiers 1, 2, 3."""
    for code in ("01-03", "02-01"):  # two tenants: one home a person a night
        hs.create_lease(session, unit_id=units[code].id, user_id=make_user("resident").id, start=date(2026, 1, 1),
                        end=date(2030, 1, 1), actor=manager, now=FIXED_NOW)
    people = [make_user("resident", name=f"Waiting {tier}", priority_tier=tier) for tier in (1, 2, 3)]
    for person in people:
        apply(session, person, "twin")
    hs.commit_round(session, actor=manager, now=FIXED_NOW)
    return people


def test_waitlists_show_positions_and_explanations(client, login, manager, twin_queue):
    login(manager)
    html = client.get("/manage/housing/waitlists?unit_type=twin").get_data(as_text=True)
    section = html.split('data-testid="waitlist-twin"')[1]
    assert section.index("Waiting 1") < section.index("Waiting 2") < section.index("Waiting 3")
    assert "Tier 3; 2 applicants ahead: 1 of tier 1, 1 of tier 2." in section


def test_reorder_needs_a_recorded_reason(client, login, manager, twin_queue, session):
    login(manager)
    last = session.query(WaitlistEntry).filter_by(user_id=twin_queue[2].id).one()
    response = client.post(f"/manage/housing/waitlists/{last.id}/reorder", data={"new_position": "1", "reason": ""})
    assert response.status_code == 422
    assert "A reorder needs a recorded reason." in response.get_data(as_text=True)
    assert hs.waitlist_position(session, last)[0] == 3
    assert session.query(AuditEvent).filter_by(action="waitlist.reorder").count() == 0

    response = client.post(f"/manage/housing/waitlists/{last.id}/reorder",
                           data={"new_position": "1", "reason": "Medical priority"})
    assert response.status_code == 302
    session.expire_all()
    assert hs.waitlist_position(session, session.get(WaitlistEntry, last.id))[0] == 1
    event = session.query(AuditEvent).filter_by(action="waitlist.reorder").one()
    assert (event.actor_id, event.target_id, event.reason) == (manager.id, last.id, "Medical priority")
    html = client.get("/manage/housing/waitlists").get_data(as_text=True)
    assert html.index("Waiting 3") < html.index("Waiting 1")


def test_offers_page_lists_open_offers_by_default(client, login, manager, make_user, units, session):
    resident = make_user("resident", name="Olive Offered")
    apply(session, resident, "solo")
    hs.commit_round(session, actor=manager, now=FIXED_NOW)
    login(manager)
    html = client.get("/manage/housing/offers").get_data(as_text=True)
    assert "1 offer open." in html and "Olive Offered" in html and "8 Dec 2026" in html
    assert "No offers declined." in client.get("/manage/housing/offers?status=declined").get_data(as_text=True)


def test_empty_building_shows_empty_states(client, login, manager):
    login(manager)
    assert "There are no units yet." in client.get("/manage/housing/units").get_data(as_text=True)
    assert "No units yet." in client.get("/manage/housing").get_data(as_text=True)
    assert "Nobody is waiting" in client.get("/manage/housing/waitlists").get_data(as_text=True)
    assert "No application can be placed now." in client.get("/manage/housing/round/preview").get_data(as_text=True)
