"""One home a night, on SQLite and PostgreSQL: a person holds at most one lease on any night,
on every path that makes or extends a lease (a manager's lease, accepting an allocation,
waitlist or renewal offer, the offers themselves), with a manager's recorded exception; an
application overlapping the applicant's own lease is a transfer, and accepting it ends that
lease the day the new one starts. And offers are never answered after their move-in day."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from innocell.allocation import homes as homes_core
from innocell.models import AuditEvent, Lease, Offer, WaitlistEntry
from innocell.services import BadRequest, Conflict, Forbidden, RuleViolation
from innocell.services import housing as h
from innocell.services import waitlist_promotion
from innocell.services.housing.leases import homes_of
from innocell.services.housing.offers import transfer_ends
from innocell.services.renewals import offer_renewal
from innocell.services.tx import transaction

HK = ZoneInfo("Asia/Hong_Kong")


@pytest.fixture
def rita(make_user):
    return make_user("resident", name="Rita")


@pytest.fixture
def unit(session, manager, now):
    counter = {"n": 0}

    def _make(unit_type="twin", rent="12000"):
        counter["n"] += 1
        return h.create_unit(session, {"code": f"05-{counter['n']:02d}", "unit_type": unit_type, "floor": 5,
                                       "monthly_rent": rent}, actor=manager, now=now)

    return _make


def lease(session, manager, now, unit, user, start, end, **kw):
    return h.create_lease(session, unit_id=unit.id, user_id=user.id, start=start, end=end, actor=manager, now=now,
                          **kw)


def nights_held_twice(session, user_id) -> list:
    """Every pair of the person's leases that share a night (what must never exist unless allowed)."""
    rows = session.execute(select(Lease).where(Lease.user_id == user_id, Lease.end_date > Lease.start_date)
                           .order_by(Lease.id)).scalars().all()
    return [(a.id, b.id) for i, a in enumerate(rows) for b in rows[i + 1:]
            if a.start_date < b.end_date and b.start_date < a.end_date and not (a.overlap_allowed or b.overlap_allowed)]


def count(session, model, *where):
    return session.execute(select(func.count(model.id)).where(*where)).scalar_one()


def move_in_day_begins(day: date) -> datetime:
    return datetime.combine(day, time.min, HK)


# --- a manager's lease ------------------------------------------------------------------------------

def test_a_second_overlapping_lease_of_one_person_is_409_and_writes_nothing(session, manager, rita, unit, now):
    first = lease(session, manager, now, unit(), rita, date(2027, 1, 1), date(2027, 7, 1))
    other = unit()
    leases_before, audits_before = count(session, Lease), count(session, AuditEvent)
    with pytest.raises(Conflict) as refused:
        lease(session, manager, now, other, rita, date(2027, 6, 1), date(2027, 12, 1))
    assert "Rita already holds a lease" in refused.value.message and "1 Jan 2027 to 1 Jul 2027" in refused.value.message
    assert refused.value.extra["conflicts"][0]["id"] == first.id
    assert (count(session, Lease), count(session, AuditEvent)) == (leases_before, audits_before)
    # Back to back (moving out and in on the same day) is one home a night.
    lease(session, manager, now, unit(), rita, date(2027, 7, 1), date(2028, 1, 1))
    assert nights_held_twice(session, rita.id) == []


def test_a_lease_ended_early_keeps_only_its_nights(session, manager, rita, unit, now):
    first = lease(session, manager, now, unit(), rita, date(2027, 1, 1), date(2027, 12, 1))
    h.terminate_lease(session, first.id, on=date(2027, 4, 1), reason="Moving", actor=manager, now=now)
    lease(session, manager, now, unit(), rita, date(2027, 4, 1), date(2027, 10, 1))
    with pytest.raises(Conflict):
        lease(session, manager, now, unit(), rita, date(2027, 3, 31), date(2027, 4, 2))


def test_a_manager_may_allow_a_handover_night_with_a_recorded_reason(session, manager, rita, unit, now):
    old_home, new_home = unit(), unit()
    first = lease(session, manager, now, old_home, rita, date(2027, 1, 1), date(2027, 6, 2))
    with pytest.raises(RuleViolation) as no_reason:
        lease(session, manager, now, new_home, rita, date(2027, 6, 1), date(2027, 12, 1), allow_overlap=True)
    assert [v["rule"] for v in no_reason.value.extra["violations"]] == ["overlap_reason"]
    second = lease(session, manager, now, new_home, rita, date(2027, 6, 1), date(2027, 12, 1), allow_overlap=True,
                   overlap_reason="Handover night: moving from 05-01 to 05-02")
    assert (second.overlap_allowed, second.overlap_reason) == (True, "Handover night: moving from 05-01 to 05-02")
    audit = session.execute(select(AuditEvent).where(AuditEvent.action == "lease.allow_overlap")).scalar_one()
    assert (audit.actor_id, audit.target_id, audit.reason) == (manager.id, second.id, second.overlap_reason)
    assert audit.details["overlaps"] == [first.id] and audit.details["nights"] == [["2027-06-01", "2027-06-02"]]
    # The exception belongs to that lease: a third lease over those nights is still refused.
    with pytest.raises(Conflict):
        lease(session, manager, now, unit(), rita, date(2027, 5, 1), date(2027, 7, 1))


def test_the_overlap_flag_is_recorded_only_where_there_is_an_overlap(session, manager, rita, unit, now):
    alone = lease(session, manager, now, unit(), rita, date(2027, 1, 1), date(2027, 6, 1), allow_overlap=True,
                  overlap_reason="Just in case")
    assert alone.overlap_allowed is False and alone.overlap_reason is None
    assert count(session, AuditEvent, AuditEvent.action == "lease.allow_overlap") == 0


def test_only_a_manager_may_allow_an_overlap(session, make_user, rita, unit, now):
    finance = make_user("finance")
    with pytest.raises(Forbidden):
        h.create_lease(session, unit_id=unit().id, user_id=rita.id, start=date(2027, 1, 1), end=date(2027, 2, 1),
                       actor=finance, now=now, allow_overlap=True, overlap_reason="why not")


def test_postgresql_refuses_an_overlapping_lease_written_past_the_service(backend, session, manager, rita, unit,
                                                                          now):
    """The backstop: ex_leases_person_no_overlap refuses a second overlapping lease of the same
    person even when a write skips the allocator; a flagged exception passes."""
    a, b = unit(), unit()
    lease(session, manager, now, a, rita, date(2027, 1, 1), date(2027, 7, 1))

    @transaction
    def raw_insert(s, **extra):
        s.add(Lease(unit_id=b.id, user_id=rita.id, start_date=date(2027, 6, 1), end_date=date(2027, 9, 1),
                    monthly_rent=1, status="active", created_at=now, **extra))
        s.flush()

    if backend == "postgresql":
        with pytest.raises(IntegrityError) as refused:
            raw_insert(session)
        assert "ex_leases_person_no_overlap" in str(refused.value)
    raw_insert(session, overlap_allowed=True, overlap_reason="Handover")
    assert count(session, Lease, Lease.user_id == rita.id) == 2


# --- applications, rounds and transfers ----------------------------------------------------------------

def _apply_and_round(session, manager, user, now, move_in, months=12, unit_type="twin"):
    app = h.submit_application(session, user=user, unit_type=unit_type, move_in=move_in, term_months=months,
                               now=now)
    h.commit_round(session, actor=manager, now=now)
    return app, session.execute(select(Offer).where(Offer.kind == "allocation", Offer.user_id == user.id)
                                .order_by(Offer.id.desc())).scalars().first()


def test_an_application_overlapping_the_applicants_lease_is_a_transfer(session, manager, rita, unit, now):
    unit("twin")
    current = lease(session, manager, now, unit("solo"), rita, date(2026, 3, 1), date(2027, 3, 1))
    app = h.submit_application(session, user=rita, unit_type="twin", move_in=date(2027, 1, 1), term_months=12,
                               now=now)
    assert app.transfer_from_lease_id == current.id
    h.withdraw_application(session, app.id, user=rita, now=now)
    after = h.submit_application(session, user=rita, unit_type="twin", move_in=date(2027, 3, 1), term_months=12,
                                 now=now)
    assert after.transfer_from_lease_id is None  # moving in on the move-out day: not a transfer


def test_the_incident_accepting_the_transfer_ends_the_old_lease_and_the_renewal_cannot_follow(
        app, session, manager, rita, unit, now):
    """Rita holds 05-01 to 15 Jan 2027, gets a renewal offer and, from her application, an
    allocation offer from 1 Jan 2027. Accepting the allocation ends the old lease on 1 Jan and
    its renewal offer; she never holds two homes."""
    unit("twin")
    current = lease(session, manager, now, unit("solo"), rita, date(2026, 1, 15), date(2027, 1, 15))
    assert offer_renewal(session, current.id, now=now, tz=HK, config=app.config) == "offered"
    renewal = session.execute(select(Offer).where(Offer.kind == "renewal")).scalar_one()
    _, allocation = _apply_and_round(session, manager, rita, now, date(2027, 1, 1))
    assert allocation is not None and allocation.start_date == date(2027, 1, 1)
    assert [(home.lease_id, on) for home, on in transfer_ends(session, allocation)] == [(current.id, date(2027, 1, 1))]

    new = h.accept_offer(session, allocation.id, user=rita, now=now)
    old = session.get(Lease, current.id)
    assert (old.status, old.end_date) == ("terminated", date(2027, 1, 1))
    assert "transfer" in old.termination_reason
    assert new.previous_lease_id == current.id  # the tenure goes on
    assert session.get(Offer, renewal.id).status == "expired"
    with pytest.raises(Conflict):
        h.accept_offer(session, renewal.id, user=rita, now=now)
    assert nights_held_twice(session, rita.id) == []


def test_renewal_accepted_first_is_called_off_by_the_transfer(app, session, manager, rita, unit, now):
    unit("twin")
    current = lease(session, manager, now, unit("solo"), rita, date(2026, 1, 15), date(2027, 1, 15))
    offer_renewal(session, current.id, now=now, tz=HK, config=app.config)
    renewal = session.execute(select(Offer).where(Offer.kind == "renewal")).scalar_one()
    _, allocation = _apply_and_round(session, manager, rita, now, date(2027, 1, 1))
    renewed = h.accept_offer(session, renewal.id, user=rita, now=now)
    assert nights_held_twice(session, rita.id) == []
    ends = transfer_ends(session, allocation)
    assert [(home.lease_id, on) for home, on in ends] == [(current.id, date(2027, 1, 1)), (renewed.id, renewed.start_date)]
    h.accept_offer(session, allocation.id, user=rita, now=now)
    renewed = session.get(Lease, renewed.id)
    assert (renewed.status, renewed.end_date) == ("terminated", renewed.start_date)  # called off: no night
    assert nights_held_twice(session, rita.id) == []


def test_a_renewal_is_not_offered_over_a_lease_the_person_holds_elsewhere(app, session, manager, rita, unit, now):
    current = lease(session, manager, now, unit(), rita, date(2026, 1, 15), date(2027, 1, 15))
    elsewhere = unit()
    lease(session, manager, now, elsewhere, rita, date(2027, 1, 15), date(2028, 1, 15))
    assert offer_renewal(session, current.id, now=now, tz=HK, config=app.config) == "notice"
    assert count(session, Offer) == 0
    assert session.get(Lease, current.id).status == "ending"


def test_accepting_a_renewal_over_another_lease_is_409_and_changes_nothing(app, session, manager, rita, unit, now):
    current = lease(session, manager, now, unit(), rita, date(2026, 1, 15), date(2027, 1, 15))
    offer_renewal(session, current.id, now=now, tz=HK, config=app.config)
    renewal = session.execute(select(Offer)).scalar_one()
    lease(session, manager, now, unit(), rita, date(2027, 1, 15), date(2027, 6, 1))  # she moves elsewhere
    before = count(session, Lease)
    with pytest.raises(Conflict) as refused:
        h.accept_offer(session, renewal.id, user=rita, now=now)
    assert "You already hold a lease" in refused.value.message
    assert count(session, Lease) == before and session.get(Offer, renewal.id).status == "open"


def test_a_waitlist_entry_without_an_application_is_passed_over_while_its_holder_has_a_home(
        app, session, manager, rita, make_user, unit, now):
    free = unit("suite")
    lease(session, manager, now, unit(), rita, date(2026, 1, 1), date(2028, 1, 1))
    other = make_user("resident")
    session.add_all([WaitlistEntry(user_id=rita.id, unit_type="suite", priority_tier=1,
                                   joined_at=now - timedelta(days=30), status="waiting"),
                     WaitlistEntry(user_id=other.id, unit_type="suite", priority_tier=3,
                                   joined_at=now - timedelta(days=1), status="waiting")])
    session.commit()
    offer = waitlist_promotion.promote_unit(session, free.id, now=now, tz=HK, config=app.config)
    assert offer is not None and offer.user_id == other.id


# --- the answer-by time --------------------------------------------------------------------------------

def test_allocation_offers_are_answered_before_the_move_in_day(session, manager, rita, unit, now):
    unit("twin")
    _, offer = _apply_and_round(session, manager, rita, now, date(2026, 12, 4))  # in three days; a week to answer
    assert offer.start_date == date(2026, 12, 4)
    assert offer.expires_at == move_in_day_begins(date(2026, 12, 4))
    assert offer.expires_at > now


def test_an_allocation_offer_for_today_starts_tomorrow(session, manager, rita, unit, now):
    unit("twin")
    _, offer = _apply_and_round(session, manager, rita, now, date(2026, 12, 1))
    assert offer.start_date == date(2026, 12, 2)
    assert now < offer.expires_at <= move_in_day_begins(offer.start_date)


def test_waitlist_offers_start_after_the_week_to_answer(app, session, manager, rita, unit, now):
    free = unit("suite")
    session.add(WaitlistEntry(user_id=rita.id, unit_type="suite", priority_tier=2, joined_at=now, status="waiting"))
    session.commit()
    offer = waitlist_promotion.promote_unit(session, free.id, now=now, tz=HK, config=app.config)
    assert offer.expires_at == now + timedelta(days=7)
    assert offer.expires_at <= move_in_day_begins(offer.start_date)


def test_renewal_offers_close_before_the_renewal_starts(app, session, manager, rita, unit, now):
    current = lease(session, manager, now, unit(), rita, date(2026, 1, 5), date(2026, 12, 5))  # 4 days left
    offer_renewal(session, current.id, now=now, tz=HK, config=app.config)
    offer = session.execute(select(Offer)).scalar_one()
    assert offer.start_date == date(2026, 12, 5)
    assert offer.expires_at == move_in_day_begins(date(2026, 12, 5)) < now + timedelta(days=14)


def test_make_offer_cuts_any_deadline_to_the_move_in_day(session, rita, unit, now):
    free = unit()
    offer = h.make_offer(session, kind="waitlist", user_id=rita.id, unit_id=free.id, start=date(2026, 12, 3),
                         end=date(2027, 12, 3), monthly_rent=100, expires_at=now + timedelta(days=30), now=now)
    assert offer.expires_at == move_in_day_begins(date(2026, 12, 3))
    with pytest.raises(BadRequest):  # starting today, it could never be answered before its move-in day
        h.make_offer(session, kind="waitlist", user_id=rita.id, unit_id=unit().id, start=date(2026, 12, 1),
                     end=date(2027, 1, 1), monthly_rent=100, expires_at=now + timedelta(days=7), now=now)


def test_homes_of_reads_only_the_persons_leases_over_the_dates(session, manager, rita, make_user, unit, now):
    mine = lease(session, manager, now, unit(), rita, date(2027, 1, 1), date(2027, 6, 1))
    lease(session, manager, now, unit(), make_user(), date(2027, 1, 1), date(2027, 6, 1))
    found = homes_of(session, rita.id, date(2027, 5, 1), date(2027, 8, 1))
    assert found == [homes_core.Home(lease_id=mine.id, unit_code=mine.unit.code, start=date(2027, 1, 1),
                                     end=date(2027, 6, 1), unit_id=mine.unit_id)]
    assert homes_of(session, rita.id, date(2027, 6, 1), date(2027, 8, 1)) == []
