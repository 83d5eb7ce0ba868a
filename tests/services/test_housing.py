"""Housing services on SQLite and PostgreSQL: leases through the allocator, rounds, offers,
waitlists."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from innocell.models import (
    AllocationRound,
    AuditEvent,
    HousingApplication,
    Lease,
    Notification,
    Offer,
    WaitlistEntry,
)
from innocell.services import Conflict, NotFound, RuleViolation
from innocell.services import housing as h
from innocell.services.housing import leases as lease_svc
from innocell.web.api.housing_json import lease_json, round_json, waitlist_entry_json


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def unit_factory(session, manager, now):
    counter = {"n": 0}

    def _make(unit_type="twin", floor=3, rent="12000", **extra):
        counter["n"] += 1
        data = {"code": f"{floor:02d}-{counter['n']:02d}", "unit_type": unit_type, "floor": floor,
                "monthly_rent": rent, **extra}
        return h.create_unit(session, data, actor=manager, now=now)

    return _make


def counts(session):
    return {model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Lease, Offer, AllocationRound, WaitlistEntry, Notification, AuditEvent)}


def lease(session, manager, now, unit, user, start, end):
    return h.create_lease(session, unit_id=unit.id, user_id=user.id, start=start, end=end, actor=manager, now=now)


# --- leases ---------------------------------------------------------------------------------------

def test_overlapping_lease_is_refused_with_the_clashing_dates(session, manager, make_user, unit_factory, now):
    unit = unit_factory()
    a, b = make_user(), make_user()
    first = lease(session, manager, now, unit, a, date(2027, 1, 1), date(2027, 7, 1))
    before = counts(session)
    with pytest.raises(Conflict) as exc:
        lease(session, manager, now, unit, b, date(2027, 6, 1), date(2027, 9, 1))
    assert "1 Jan 2027 to 1 Jul 2027" in exc.value.message
    assert exc.value.extra["conflicts"][0]["id"] == first.id
    assert counts(session) == before  # nothing written on refusal
    # Contained, containing and identical intervals clash too.
    for start, end in [(date(2027, 2, 1), date(2027, 3, 1)), (date(2026, 12, 1), date(2027, 12, 1)),
                       (date(2027, 1, 1), date(2027, 7, 1))]:
        with pytest.raises(Conflict):
            lease(session, manager, now, unit, b, start, end)


def test_back_to_back_leases_are_accepted(session, manager, make_user, unit_factory, now):
    unit = unit_factory()
    a, b, c = make_user(), make_user(), make_user()
    lease(session, manager, now, unit, a, date(2027, 1, 1), date(2027, 7, 1))
    lease(session, manager, now, unit, b, date(2027, 7, 1), date(2027, 8, 1))
    lease(session, manager, now, unit, c, date(2026, 12, 1), date(2027, 1, 1))
    assert [x.start_date for x in h.lease_history(session, unit.id)] == [
        date(2027, 7, 1), date(2027, 1, 1), date(2026, 12, 1)]


def test_lease_audited_and_rent_defaults_to_the_units(session, manager, make_user, unit_factory, now):
    unit = unit_factory(rent="9800.50")
    x = lease(session, manager, now, unit, make_user(), date(2027, 1, 1), date(2027, 2, 1))
    assert lease_json(x)["monthly_rent"] == 9800.5
    assert session.execute(select(AuditEvent).where(AuditEvent.action == "lease.create",
                                                    AuditEvent.target_id == x.id)).scalar_one().actor_id == manager.id


def test_bad_lease_input_is_a_rule_violation_and_writes_nothing(session, manager, make_user, unit_factory, now):
    unit = unit_factory()
    user = make_user()
    before = counts(session)
    with pytest.raises(RuleViolation) as exc:
        h.create_lease(session, unit_id=unit.id, user_id=user.id, start="2027-02-01", end="2027-01-01",
                       actor=manager, now=now)
    assert exc.value.extra["violations"][0]["rule"] == "end"
    with pytest.raises(RuleViolation):
        h.create_lease(session, unit_id=unit.id, user_id=user.id, start="soon", end="2027-01-01", actor=manager,
                       now=now)
    with pytest.raises(NotFound):
        h.create_lease(session, unit_id=9999, user_id=user.id, start="2027-01-01", end="2027-02-01", actor=manager,
                       now=now)
    assert counts(session) == before


def test_terminate_frees_the_unit_from_that_date(session, manager, make_user, unit_factory, now):
    unit = unit_factory()
    a, b = make_user(), make_user()
    first = lease(session, manager, now, unit, a, date(2027, 1, 1), date(2027, 12, 1))
    ended = h.terminate_lease(session, first.id, on=date(2027, 4, 1), reason="Company moved", actor=manager, now=now)
    assert (ended.status, ended.end_date) == ("terminated", date(2027, 4, 1))
    # The nights it occupied stay taken; from the termination date the unit is free.
    with pytest.raises(Conflict):
        lease(session, manager, now, unit, b, date(2027, 3, 1), date(2027, 5, 1))
    second = lease(session, manager, now, unit, b, date(2027, 4, 1), date(2027, 10, 1))
    assert second.status == "active"
    with pytest.raises(Conflict):  # already terminated
        h.terminate_lease(session, first.id, on=date(2027, 2, 1), reason="again", actor=manager, now=now)
    assert session.execute(select(AuditEvent).where(AuditEvent.action == "lease.terminate")).scalar_one().reason \
        == "Company moved"


def test_terminate_needs_a_reason_and_a_date_inside_the_lease(session, manager, make_user, unit_factory, now):
    unit = unit_factory()
    x = lease(session, manager, now, unit, make_user(), date(2027, 1, 1), date(2027, 3, 1))
    for on, reason in [(date(2027, 2, 1), " "), (date(2027, 3, 1), "r"), (date(2027, 4, 1), "r")]:
        with pytest.raises(RuleViolation):
            h.terminate_lease(session, x.id, on=on, reason=reason, actor=manager, now=now)
    assert session.get(Lease, x.id).status == "active"


def test_a_lease_called_off_before_move_in_keeps_no_night_and_frees_the_unit(session, manager, make_user,
                                                                             unit_factory, now):
    unit = unit_factory()
    backing_out, next_in_line = make_user(), make_user()
    planned = lease(session, manager, now, unit, backing_out, date(2027, 1, 1), date(2028, 1, 1))
    called_off = h.terminate_lease(session, planned.id, on=date(2026, 12, 15), reason="Start-up folded",
                                   actor=manager, now=now)
    assert (called_off.status, called_off.start_date, called_off.end_date) == \
        ("terminated", date(2027, 1, 1), date(2027, 1, 1))
    # The whole period is free again, for a lease over exactly the same dates.
    replacement = lease(session, manager, now, unit, next_in_line, date(2027, 1, 1), date(2028, 1, 1))
    assert replacement.status == "active"
    note = session.execute(select(Notification).where(Notification.kind == "lease_terminated")).scalar_one()
    assert "called off before move-in" in note.body


def test_outage_takes_a_unit_out_of_service_and_blocks_leases(session, manager, make_user, unit_factory, now):
    unit = unit_factory(floor=5)
    user = make_user()
    h.add_outage(session, unit.id, start=date(2027, 1, 1), end=date(2027, 2, 1), reason="Renovation", actor=manager,
                 now=now)
    with pytest.raises(Conflict) as exc:
        lease(session, manager, now, unit, user, date(2027, 1, 20), date(2027, 3, 1))
    assert "Renovation" in exc.value.message
    plan = h.floor_plan(session, floor=5, day=date(2027, 1, 10))
    assert [(row["unit"].id, row["state"]) for row in plan] == [(unit.id, "out_of_service")]
    lease(session, manager, now, unit, user, date(2027, 2, 1), date(2027, 3, 1))
    with pytest.raises(Conflict):  # an outage cannot be laid over a lease
        h.add_outage(session, unit.id, start=date(2027, 2, 10), end=date(2027, 2, 12), reason="x", actor=manager,
                     now=now)


def test_floor_plan_summary_and_availability_filter(session, manager, make_user, unit_factory, now):
    let, free = unit_factory("solo", floor=2), unit_factory("solo", floor=2, rent="15000")
    lease(session, manager, now, let, make_user(), date(2026, 11, 1), date(2026, 12, 15))
    plan = {row["unit"].id: row for row in h.floor_plan(session, floor=2, day=date(2026, 12, 1))}
    assert plan[let.id]["state"] == "occupied" and plan[let.id]["lease"] is not None
    assert plan[free.id]["state"] == "free"
    summary = {row["unit_type"]: row for row in h.unit_type_summary(session, day=date(2026, 12, 1))}
    assert summary["solo"]["count"] == 2 and summary["solo"]["free_now"] == 1
    assert summary["solo"]["free_next_month"] == 2
    assert str(summary["solo"]["rent_min"]) == "12000.00" and str(summary["solo"]["rent_max"]) == "15000.00"
    ids = [u.id for u in h.list_units(session, unit_type="solo", available_from=date(2026, 12, 10),
                                      available_to=date(2027, 1, 1))]
    assert ids == [free.id]
    assert h.floors(session) == [2]


# --- applications and rounds ---------------------------------------------------------------------

def apply(session, user, now, unit_type="twin", move_in=date(2027, 1, 1), months=12, **kw):
    return h.submit_application(session, user=user, unit_type=unit_type, move_in=move_in, term_months=months,
                                now=now, **kw)


def test_application_rules(session, make_user, unit_factory, now):
    unit_factory("twin", occupancy=2)
    user = make_user()
    with pytest.raises(RuleViolation) as exc:
        h.submit_application(session, user=user, unit_type="castle", move_in="2020-01-01", term_months=0,
                             occupants=0, now=now)
    rules = {v["rule"] for v in exc.value.extra["violations"]}
    assert {"unit_type", "move_in", "term_months", "occupants"} <= rules
    with pytest.raises(RuleViolation):
        apply(session, user, now, occupants=3)
    app = apply(session, user, now, occupants=2)
    assert app.status == "submitted"
    with pytest.raises(Conflict):  # one open application at a time
        apply(session, user, now)
    h.withdraw_application(session, app.id, user=user, now=now)
    assert session.get(HousingApplication, app.id).status == "withdrawn"
    with pytest.raises(Conflict):
        h.withdraw_application(session, app.id, user=user, now=now)
    with pytest.raises(NotFound):
        h.withdraw_application(session, app.id, user=make_user(), now=now)
    short = apply(session, user, now, months=0, term_nights=3)
    assert (short.term_months, short.term_nights) == (0, 3)


def test_preview_writes_nothing_and_commit_makes_offers_and_waitlist(session, manager, make_user, unit_factory, now):
    u1, u2 = unit_factory("twin"), unit_factory("twin")
    solo = unit_factory("solo")
    lease(session, manager, now, u2, make_user(), date(2026, 11, 1), date(2027, 6, 1))
    tier1, tier2, tier3 = make_user(priority_tier=1), make_user(priority_tier=2), make_user(priority_tier=3)
    a1 = apply(session, tier1, now)
    a2 = apply(session, tier2, now)
    a3 = apply(session, tier3, now, unit_type="solo", months=0, term_nights=5)
    before = counts(session)
    preview = h.preview_round(session, actor=manager, now=now)
    assert counts(session) == before
    assert session.get(HousingApplication, a1.id).status == "submitted"
    assert {(a["application_id"], a["unit_id"]) for a in preview["assignments"]} == {(a1.id, u1.id), (a3.id, solo.id)}
    assert preview["unassigned"] == [{
        "application_id": a2.id, "user_id": tier2.id, "user_name": tier2.name, "unit_type": "twin", "priority_tier": 2,
        "reason": "The only twin unit free from 1 Jan 2027 for 12 months went to applicants placed first: "
                  "1 of a higher tier."}]

    rnd = h.commit_round(session, actor=manager, now=now)
    assert round_json(rnd)["assignments"] == preview["assignments"]
    assert rnd.score == preview["score"]
    offers = session.execute(select(Offer).order_by(Offer.id)).scalars().all()
    assert [(o.kind, o.user_id, o.unit_id, o.round_id) for o in offers] == [
        ("allocation", tier1.id, u1.id, rnd.id), ("allocation", tier3.id, solo.id, rnd.id)]
    assert offers[0].expires_at == now + timedelta(days=7)
    assert (offers[1].start_date, offers[1].end_date) == (date(2027, 1, 1), date(2027, 1, 6))
    assert session.get(HousingApplication, a1.id).status == "offered"
    waiting = session.get(HousingApplication, a2.id)
    assert waiting.status == "waitlisted" and "higher tier" in waiting.reason
    entry = session.execute(select(WaitlistEntry)).scalar_one()
    assert (entry.user_id, entry.unit_type, entry.priority_tier, entry.status) == (tier2.id, "twin", 2, "waiting")
    subjects = {n.user_id: n.subject for n in session.execute(select(Notification)).scalars()}
    assert "offered unit" in subjects[tier1.id] and "waitlist" in subjects[tier2.id]
    # The offer holds the unit: a second round offers it to no one else, a direct lease is refused.
    again = h.preview_round(session, actor=manager, now=now)
    assert again["assignments"] == [] and [u["application_id"] for u in again["unassigned"]] == [a2.id]
    with pytest.raises(Conflict) as exc:
        lease(session, manager, now, u1, make_user(), date(2027, 3, 1), date(2027, 4, 1))
    assert "open offer" in exc.value.message


def test_round_is_deterministic(session, manager, make_user, unit_factory, now):
    for _ in range(4):
        unit_factory("solo")
    for tier in (3, 2, 3, 1, 2, 3):
        apply(session, make_user(priority_tier=tier), now, unit_type="solo")
    first = h.preview_round(session, actor=manager, now=now)
    assert h.preview_round(session, actor=manager, now=now) == first
    assert len(first["assignments"]) == 4 and len(first["unassigned"]) == 2
    assert all(u["priority_tier"] == 3 for u in first["unassigned"])


# --- offers ----------------------------------------------------------------------------------------

def offered(session, manager, make_user, unit_factory, now, tier=2):
    unit = unit_factory("twin")
    user = make_user(priority_tier=tier)
    app = apply(session, user, now)
    h.commit_round(session, actor=manager, now=now)
    offer = session.execute(select(Offer).where(Offer.application_id == app.id)).scalar_one()
    return unit, user, app, offer


def test_accepting_an_offer_makes_the_lease(session, manager, make_user, unit_factory, now):
    unit, user, app, offer = offered(session, manager, make_user, unit_factory, now)
    made = h.accept_offer(session, offer.id, user=user, now=now + timedelta(days=1))
    assert (made.unit_id, made.user_id, made.start_date, made.end_date, made.status) == (
        unit.id, user.id, date(2027, 1, 1), date(2028, 1, 1), "active")
    offer = session.get(Offer, offer.id)
    assert (offer.status, offer.lease_id) == ("accepted", made.id)
    assert session.get(HousingApplication, app.id).status == "housed"
    with pytest.raises(Conflict) as exc:  # answered already
        h.accept_offer(session, offer.id, user=user, now=now + timedelta(days=1))
    assert "already accepted" in exc.value.message
    with pytest.raises(Conflict):
        h.decline_offer(session, offer.id, user=user, now=now + timedelta(days=1))


def test_expired_offer_cannot_be_answered(session, manager, make_user, unit_factory, now):
    unit, user, app, offer = offered(session, manager, make_user, unit_factory, now)
    before = counts(session)
    with pytest.raises(Conflict) as exc:
        h.accept_offer(session, offer.id, user=user, now=offer.expires_at)
    assert "expired" in exc.value.message
    assert counts(session) == before
    assert h.expire_offers(session, now=offer.expires_at)[0].id == offer.id
    assert h.expire_offers(session, now=offer.expires_at) == []  # idempotent
    assert session.get(Offer, offer.id).status == "expired"
    with pytest.raises(Conflict):
        h.decline_offer(session, offer.id, user=user, now=offer.expires_at)
    # Expired, it no longer holds the unit.
    lease(session, manager, now, unit, make_user(), date(2027, 1, 1), date(2027, 2, 1))


def test_offer_whose_unit_was_let_meanwhile_answers_409_with_the_reason(session, manager, make_user, unit_factory,
                                                                         now):
    unit, user, app, offer = offered(session, manager, make_user, unit_factory, now)
    # A lease recorded behind the allocator's back (e.g. an import) takes part of the dates.
    session.add(Lease(unit_id=unit.id, user_id=make_user().id, start_date=date(2027, 3, 1), end_date=date(2027, 4, 1),
                      monthly_rent=unit.monthly_rent, status="active", created_at=now))
    session.commit()
    before = counts(session)
    with pytest.raises(Conflict) as exc:
        h.accept_offer(session, offer.id, user=user, now=now)
    assert exc.value.message.startswith("This offer can no longer be accepted: Unit")
    assert "1 Mar 2027 to 1 Apr 2027" in exc.value.message
    assert counts(session) == before
    assert session.get(Offer, offer.id).status == "open"


def test_offer_whose_unit_went_out_of_service_answers_409(session, manager, make_user, unit_factory, now):
    unit, user, app, offer = offered(session, manager, make_user, unit_factory, now)
    h.update_unit(session, unit.id, {"status": "out_of_service"}, actor=manager, now=now)
    with pytest.raises(Conflict) as exc:
        h.accept_offer(session, offer.id, user=user, now=now)
    assert "out of service" in exc.value.message
    assert session.execute(select(func.count(Lease.id))).scalar_one() == 0


def test_only_the_offers_resident_answers_it(session, manager, make_user, unit_factory, now):
    unit, user, app, offer = offered(session, manager, make_user, unit_factory, now)
    with pytest.raises(NotFound):
        h.accept_offer(session, offer.id, user=make_user(), now=now)
    from innocell.services import Forbidden
    with pytest.raises(Forbidden):
        h.decline_offer(session, offer.id, user=manager, now=now)


def test_decline_frees_the_unit_for_the_next(session, manager, make_user, unit_factory, now):
    unit, user, app, offer = offered(session, manager, make_user, unit_factory, now)
    nxt = apply(session, make_user(priority_tier=3), now)
    assert h.preview_round(session, actor=manager, now=now)["assignments"] == []
    h.decline_offer(session, offer.id, user=user, now=now)
    assert session.get(HousingApplication, app.id).status == "withdrawn"
    preview = h.preview_round(session, actor=manager, now=now)
    assert [(a["application_id"], a["unit_id"]) for a in preview["assignments"]] == [(nxt.id, unit.id)]


def test_make_offer_renewal_and_accept_extends_with_a_new_lease(session, manager, make_user, unit_factory, now):
    unit = unit_factory("solo")
    user = make_user()
    current = lease(session, manager, now, unit, user, date(2026, 6, 1), date(2027, 1, 1))
    offer = h.make_offer(session, kind="renewal", user_id=user.id, unit_id=unit.id, start=date(2027, 1, 1),
                         end=date(2028, 1, 1), monthly_rent=unit.monthly_rent, expires_at=now + timedelta(days=14),
                         now=now, lease_id=current.id)
    assert session.execute(select(Notification).where(Notification.kind == "offer_renewal")).scalar_one()
    with pytest.raises(Conflict):  # the open renewal holds the unit
        lease(session, manager, now, unit, make_user(), date(2027, 6, 1), date(2027, 7, 1))
    renewed = h.accept_offer(session, offer.id, user=user, now=now)
    assert (renewed.previous_lease_id, renewed.start_date, renewed.end_date) == (current.id, date(2027, 1, 1),
                                                                                  date(2028, 1, 1))
    assert session.get(Offer, offer.id).lease_id == current.id


def test_make_offer_refuses_a_unit_that_is_not_free(session, manager, make_user, unit_factory, now):
    unit = unit_factory("solo")
    lease(session, manager, now, unit, make_user(), date(2027, 1, 1), date(2027, 6, 1))
    with pytest.raises(Conflict):
        h.make_offer(session, kind="waitlist", user_id=make_user().id, unit_id=unit.id, start=date(2027, 5, 1),
                     end=date(2027, 8, 1), monthly_rent=unit.monthly_rent, expires_at=now + timedelta(days=7),
                     now=now)
    assert session.execute(select(func.count(Offer.id))).scalar_one() == 0


def test_declined_renewal_sets_the_lease_ending(session, manager, make_user, unit_factory, now):
    unit = unit_factory("solo")
    user = make_user()
    current = lease(session, manager, now, unit, user, date(2026, 6, 1), date(2027, 1, 1))
    offer = h.make_offer(session, kind="renewal", user_id=user.id, unit_id=unit.id, start=date(2027, 1, 1),
                         end=date(2028, 1, 1), monthly_rent=unit.monthly_rent, expires_at=now + timedelta(days=14),
                         now=now, lease_id=current.id)
    h.decline_offer(session, offer.id, user=user, now=now)
    assert session.get(Lease, current.id).status == "ending"


# --- waitlists --------------------------------------------------------------------------------------

def waitlisted(session, manager, make_user, unit_factory, now, tiers):
    """No unit free: every application joins the waitlist, one round a day apart."""
    unit = unit_factory("suite")
    lease(session, manager, now, unit, make_user(), date(2026, 1, 1), date(2029, 1, 1))
    users = []
    for i, tier in enumerate(tiers):
        user = make_user(priority_tier=tier)
        apply(session, user, now, unit_type="suite")
        h.commit_round(session, actor=manager, now=now + timedelta(hours=i))
        users.append(user)
    return users


def test_waitlist_positions_and_explanations(session, manager, make_user, unit_factory, now):
    users = waitlisted(session, manager, make_user, unit_factory, now, [2, 2, 1, 3, 2])
    rows = h.waitlist(session, viewer=manager)
    assert [(row[0].user_id, row[1], row[2]) for row in rows] == [
        (users[2].id, 1, 0), (users[0].id, 2, 1), (users[1].id, 3, 2), (users[4].id, 4, 3), (users[3].id, 5, 4)]
    mine = h.waitlist(session, viewer=users[4])
    assert len(mine) == 1
    entry, position, ahead, text = mine[0]
    assert (position, ahead) == (4, 3)
    assert text == "Tier 2; 3 applicants ahead: 1 of tier 1, 2 of tier 2 who joined earlier."
    assert h.waitlist_position(session, entry) == (4, 3, text)
    assert waitlist_entry_json(entry, position, ahead)["priority_tier"] == 2


def test_reorder_needs_a_reason_and_is_audited(session, manager, make_user, unit_factory, now):
    users = waitlisted(session, manager, make_user, unit_factory, now, [1, 2, 3])
    entry = session.execute(select(WaitlistEntry).where(WaitlistEntry.user_id == users[2].id)).scalar_one()
    with pytest.raises(RuleViolation):
        h.reorder_waitlist(session, entry.id, new_position=1, reason="", actor=manager, now=now)
    assert session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "waitlist.reorder")) \
        .scalar_one() == 0
    h.reorder_waitlist(session, entry.id, new_position=1, reason="Medical need", actor=manager, now=now)
    assert [row[0].user_id for row in h.waitlist(session, viewer=manager)] == [users[2].id, users[0].id, users[1].id]
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "waitlist.reorder")).scalar_one()
    assert (event.actor_id, event.reason, event.details["old_position"], event.details["new_position"]) == (
        manager.id, "Medical need", 3, 1)
    _, position, ahead, text = h.waitlist(session, viewer=users[0])[0]
    assert (position, text) == (2, "Tier 1; 1 applicant ahead: 1 placed ahead by a manager.")


def test_a_later_round_places_a_waitlisted_application_when_a_unit_frees(session, manager, make_user, unit_factory,
                                                                          now):
    users = waitlisted(session, manager, make_user, unit_factory, now, [2])
    current = session.execute(select(Lease)).scalar_one()
    h.terminate_lease(session, current.id, on=date(2026, 12, 20), reason="Left early", actor=manager, now=now)
    rnd = h.commit_round(session, actor=manager, now=now)
    offer = session.execute(select(Offer).where(Offer.round_id == rnd.id)).scalar_one()
    assert offer.user_id == users[0].id
    entry = session.execute(select(WaitlistEntry)).scalar_one()
    assert entry.status == "offered"
    h.accept_offer(session, offer.id, user=users[0], now=now)
    assert session.get(WaitlistEntry, entry.id).status == "housed"


def test_visibility_resident_sees_only_own(session, manager, make_user, unit_factory, now):
    unit, user, app, offer = offered(session, manager, make_user, unit_factory, now)
    stranger = make_user()
    assert h.list_offers(session, viewer=stranger) == []
    assert [o.id for o in h.list_offers(session, viewer=user)] == [offer.id]
    assert h.list_applications(session, viewer=stranger) == []
    assert len(h.list_applications(session, viewer=manager)) == 1
    with pytest.raises(NotFound):
        h.get_offer(session, offer.id, viewer=stranger)


def test_database_refuses_an_overlap_the_checks_missed(backend, session, manager, make_user, unit_factory, now,
                                                      monkeypatch):
    """PostgreSQL's exclusion constraint is the backstop: with the service's own check switched
    off, an overlapping lease still fails, as a 409 and with nothing written. (SQLite has no such
    constraint; there the serialised check is the guarantee, exercised with the check on.)"""
    unit = unit_factory()
    lease(session, manager, now, unit, make_user(), date(2027, 1, 1), date(2027, 7, 1))
    if backend == "postgresql":
        monkeypatch.setattr(lease_svc, "check_free", lambda *a, **k: None)
    with pytest.raises(Conflict) as exc:
        lease(session, manager, now, unit, make_user(), date(2027, 6, 1), date(2027, 9, 1))
    assert unit.code in exc.value.message
    session.rollback()
    assert session.execute(select(func.count(Lease.id))).scalar_one() == 1
    # Back to back is still fine with the constraint alone.
    lease(session, manager, now, unit, make_user(), date(2027, 7, 1), date(2027, 9, 1))
