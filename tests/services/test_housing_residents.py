"""Housing for residents on SQLite and PostgreSQL: a changed application keeps its queue place
(a change of type says what it costs and needs confirming), preferences by floor, what unit
types offer, agreement to an offer's terms recorded, and the estimated wait reproducible from
the records at a given instant."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from innocell.models import AuditEvent, HousingApplication, Lease, Offer, WaitlistEntry
from innocell.services import Conflict, NotFound, RuleViolation
from innocell.services import housing as h
from innocell.services.housing.changes import change_application
from innocell.services.housing.unit_types import offer_terms, update_type_info
from innocell.services.housing.wait_estimates import estimate_for, forecast
from innocell.services.housing.waitlists import waitlist_position


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def unit_factory(session, manager, now):
    counter = {"n": 0}

    def _make(unit_type="solo", floor=3, rent="9800", **extra):
        counter["n"] += 1
        data = {"code": f"{floor:02d}-{counter['n']:02d}", "unit_type": unit_type, "floor": floor,
                "monthly_rent": rent, **extra}
        return h.create_unit(session, data, actor=manager, now=now)

    return _make


def waitlisted(session, user, unit_type, now, joined_days_ago, move_in=date(2027, 3, 1)):
    app = h.submit_application(session, user=user, unit_type=unit_type, move_in=move_in, term_months=12, now=now)
    entry = h.join_waitlist(session, application=app, now=now, joined_at=now - timedelta(days=joined_days_ago))
    return app, entry


def position(session, entry):
    return waitlist_position(session, session.get(WaitlistEntry, entry.id))[0]


# --- changing an application -------------------------------------------------------------------

def test_changing_dates_term_and_preferences_keeps_the_queue_place(session, make_user, unit_factory, now):
    solo_a, solo_b = unit_factory(floor=3), unit_factory(floor=4)
    first, me, last = make_user(), make_user(), make_user()
    waitlisted(session, first, "solo", now, 30)
    app, entry = waitlisted(session, me, "solo", now, 20)
    waitlisted(session, last, "solo", now, 10)
    joined = session.get(WaitlistEntry, entry.id).joined_at
    assert position(session, entry) == 2

    later = now + timedelta(days=3)
    changed = change_application(session, app.id, {"move_in": "2027-02-01", "term_months": 6,
                                                   "preferred_unit_ids": [solo_b.id, solo_a.id]},
                                 user=me, now=later)
    assert (changed.move_in, changed.term_months, changed.preferred_unit_ids) == (
        date(2027, 2, 1), 6, [solo_b.id, solo_a.id])
    again = session.get(WaitlistEntry, entry.id)
    assert (again.status, again.joined_at, again.unit_type) == ("waiting", joined, "solo")
    assert position(session, entry) == 2  # the place and the waiting time are kept
    assert changed.status == "waitlisted" and changed.created_at == app.created_at
    assert session.execute(select(func.count()).select_from(WaitlistEntry)
                           .where(WaitlistEntry.user_id == me.id)).scalar_one() == 1
    # A preference for a floor: any solo there.
    changed = change_application(session, app.id, {"preferred_floor": 4}, user=me, now=later)
    assert changed.preferred_floor == 4 and position(session, entry) == 2


def test_changing_the_type_says_what_it_costs_and_needs_confirmation(session, make_user, unit_factory, now):
    unit_factory("solo"), unit_factory("twin", floor=5)
    waitlisted(session, make_user(), "solo", now, 30)
    me = make_user()
    app, entry = waitlisted(session, me, "solo", now, 20)
    waitlisted(session, make_user(), "twin", now, 40)
    waitlisted(session, make_user(), "twin", now, 1)
    with pytest.raises(RuleViolation) as exc:
        change_application(session, app.id, {"unit_type": "twin"}, user=me, now=now)
    cost = exc.value.extra["cost"]
    assert (cost["old_position"], cost["new_position"], cost["ahead"]) == (2, 3, 2)
    assert "you will join the twin queue at position 3" in cost["message"]
    assert "your place in the solo queue (2)" in cost["message"] and "is given up" in cost["message"]
    assert exc.value.extra["violations"][0]["rule"] == "confirm_type_change"
    session.expire_all()
    assert session.get(HousingApplication, app.id).unit_type == "solo"  # nothing changed before confirming
    assert position(session, entry) == 2

    later = now + timedelta(hours=1)
    changed = change_application(session, app.id, {"unit_type": "twin"}, user=me, now=later, confirm_type_change=True)
    assert changed.unit_type == "twin" and changed.created_at == later
    old = session.get(WaitlistEntry, entry.id)
    assert old.status == "removed" and "twin" in old.reason
    new = session.execute(select(WaitlistEntry).where(WaitlistEntry.application_id == app.id,
                                                      WaitlistEntry.status == "waiting")).scalar_one()
    assert (new.unit_type, new.joined_at) == ("twin", later)
    assert position(session, new) == 3


def test_only_an_open_application_of_ones_own_changes_and_bad_input_writes_nothing(session, make_user, unit_factory,
                                                                                 manager, now):
    solo = unit_factory("solo", floor=3)
    twin = unit_factory("twin", floor=5)
    me, other = make_user(), make_user()
    app, entry = waitlisted(session, me, "solo", now, 5)
    with pytest.raises(NotFound):
        change_application(session, app.id, {"move_in": "2027-04-01"}, user=other, now=now)
    with pytest.raises(RuleViolation) as exc:
        change_application(session, app.id, {"move_in": "2026-01-01", "preferred_unit_ids": [twin.id],
                                             "preferred_floor": 5, "occupants": 3}, user=me, now=now)
    rules = {v["rule"] for v in exc.value.extra["violations"]}
    assert rules == {"move_in", "preferred_unit_ids", "preferred_floor", "occupants"}
    with pytest.raises(RuleViolation):
        change_application(session, app.id, {"status": "housed"}, user=me, now=now)
    session.expire_all()
    assert session.get(HousingApplication, app.id).move_in == date(2027, 3, 1)
    # With an open offer, the offer is answered first.
    h.make_offer(session, kind="waitlist", user_id=me.id, unit_id=solo.id, start=date(2027, 3, 1),
                 end=date(2028, 3, 1), monthly_rent=solo.monthly_rent, expires_at=now + timedelta(days=7), now=now,
                 waitlist_entry_id=entry.id)
    with pytest.raises(Conflict):
        change_application(session, app.id, {"move_in": "2027-04-01"}, user=me, now=now)
    h.withdraw_application(session, app.id, user=me, now=now)
    with pytest.raises(Conflict):
        change_application(session, app.id, {"move_in": "2027-04-01"}, user=me, now=now)


def test_a_preference_for_a_floor_leads_the_round_to_that_floor(session, make_user, unit_factory, manager, now):
    unit_factory("solo", floor=3)
    high = unit_factory("solo", floor=9)
    me = make_user()
    app = h.submit_application(session, user=me, unit_type="solo", move_in=date(2027, 1, 1), term_months=6,
                               preferred_floor=9, now=now)
    assert app.preferred_floor == 9
    h.commit_round(session, actor=manager, now=now)
    offer = session.execute(select(Offer).where(Offer.user_id == me.id)).scalar_one()
    assert offer.unit_id == high.id
    with pytest.raises(RuleViolation):
        h.submit_application(session, user=make_user(), unit_type="solo", move_in=date(2027, 1, 1), term_months=6,
                             preferred_floor=5, now=now)


# --- what a type offers, and the terms of an offer ----------------------------------------------

def test_managers_set_what_a_unit_type_offers_audited_and_checked(session, manager, now):
    info = update_type_info(session, "suite", {"size_sqm": "32", "furnishings": "Bed, desk, sofa",
                                               "photo_url": "https://example.test/suite.jpg"}, actor=manager, now=now)
    assert (info.size_sqm, info.furnishings, info.photo_url, info.plan_url) == (
        32, "Bed, desk, sofa", "https://example.test/suite.jpg", None)
    assert session.execute(select(AuditEvent).where(AuditEvent.action == "unit_type.update")).scalar_one()
    with pytest.raises(RuleViolation) as exc:
        update_type_info(session, "suite", {"plan_url": "javascript:alert(1)", "size_sqm": 0}, actor=manager, now=now)
    assert {v["rule"] for v in exc.value.extra["violations"]} == {"plan_url", "size_sqm"}
    with pytest.raises(NotFound):
        update_type_info(session, "palace", {}, actor=manager, now=now)


def test_accepting_records_the_agreement_time_and_the_terms_name_deposit_and_rules(session, make_user, unit_factory,
                                                                                 now):
    unit = unit_factory(rent="10000")
    me = make_user()
    offer = h.make_offer(session, kind="allocation", user_id=me.id, unit_id=unit.id, start=date(2027, 1, 1),
                         end=date(2027, 7, 1), monthly_rent=unit.monthly_rent, expires_at=now + timedelta(days=7),
                         now=now)
    terms = offer_terms(offer)
    assert terms["deposit"] == 10000 and "Quiet hours" in terms["house_rules"]
    assert offer.agreed_at is None
    later = now + timedelta(hours=5)
    h.accept_offer(session, offer.id, user=me, now=later)
    assert session.get(Offer, offer.id).agreed_at == later


# --- the estimated wait ----------------------------------------------------------------------------

def _park(session, make_user, unit_factory, manager, now):
    """Three solos let (ending Mar, Jun, Sep 2027), one with a declined renewal; two renewals
    answered in the past year (one accepted); two people waiting."""
    units = [unit_factory("solo", floor=2) for _ in range(3)]
    tenants = [make_user() for _ in units]
    past = now - timedelta(days=200)
    ends = [date(2027, 3, 1), date(2027, 6, 1), date(2027, 9, 1)]
    leases = [h.create_lease(session, unit_id=u.id, user_id=t.id, start=date(2026, 9, 1), end=end, actor=manager,
                             now=past) for u, t, end in zip(units, tenants, ends)]
    declined = h.make_offer(session, kind="renewal", user_id=tenants[0].id, unit_id=units[0].id, start=ends[0],
                            end=date(2028, 3, 1), monthly_rent="9800", lease_id=leases[0].id,
                            expires_at=now + timedelta(days=10), now=now - timedelta(days=5))
    h.decline_offer(session, declined.id, user=tenants[0], now=now - timedelta(days=4))
    _, first = waitlisted(session, make_user(), "solo", now, 20)
    _, second = waitlisted(session, make_user(), "solo", now, 10)
    return units, tenants, leases, first, second


def test_the_estimate_is_reproducible_from_the_records_at_an_instant(session, make_user, unit_factory, manager, now):
    units, tenants, leases, first, second = _park(session, make_user, unit_factory, manager, now)
    entry = session.get(WaitlistEntry, second.id)
    at_now = estimate_for(session, entry, 1, now=now)
    assert at_now.earliest is not None and at_now.earliest >= date(2027, 3, 1)
    assert "1 person is ahead of you" in at_now.sentence and "3 solo leases end" in at_now.sentence
    assert at_now.sentence.endswith(f"{at_now.range_text}.")

    # Later records: a renewal offered and accepted, a new lease; read at `now` they do not count.
    later = now + timedelta(days=2)
    renewal = h.make_offer(session, kind="renewal", user_id=tenants[1].id, unit_id=units[1].id,
                           start=date(2027, 6, 1), end=date(2028, 6, 1), monthly_rent="9800", lease_id=leases[1].id,
                           expires_at=later + timedelta(days=10), now=later)
    h.accept_offer(session, renewal.id, user=tenants[1], now=later)
    extra = unit_factory("solo", floor=6)
    h.create_lease(session, unit_id=extra.id, user_id=make_user().id, start=date(2026, 12, 1), end=date(2027, 2, 1),
                   actor=manager, now=later)
    session.expire_all()
    entry = session.get(WaitlistEntry, second.id)
    assert estimate_for(session, entry, 1, now=now) == at_now
    # Read at the later instant, they do: the renewed lease no longer frees its unit.
    after = estimate_for(session, entry, 1, now=later)
    assert after != at_now and "1 of 1 renewal offers" not in after.sentence


def test_the_forecast_sets_expected_vacancies_against_demand(session, make_user, unit_factory, manager, now):
    _park(session, make_user, unit_factory, manager, now)
    rows = {r["unit_type"]: r for r in forecast(session, now=now)}
    solo = rows["solo"]
    assert solo["waiting"] == 2 and (solo["offered"], solo["accepted"]) == (1, 0)
    by_month = dict(solo["months"])
    assert len(solo["months"]) == 12 and solo["months"][0][0] == date(2026, 12, 1)
    assert by_month[date(2027, 3, 1)] == 1.0  # the declined renewal frees for certain
    rate = solo["rate"]  # (0 accepted + 0.5 * 2) / (1 + 2)
    assert rate == pytest.approx(1 / 3)
    assert by_month[date(2027, 6, 1)] == pytest.approx(round(1 - rate, 2))
    assert solo["expected_total"] == pytest.approx(1 + 2 * round(1 - rate, 2), abs=0.02)
