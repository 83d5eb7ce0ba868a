"""Each scheduled job at chosen instants (no sleeping, no real clock), on SQLite and PostgreSQL:
renewals, lease ends, offer expiry, waitlist promotion, reminders, no-show release and the slot
waitlist, each run through `run_job` as the scheduler and `run-jobs` do."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.jobs.runner import run_job
from innocell.models import Booking, JobRun, Lease, Notification, Offer, SlotRequest, Unit, WaitlistEntry
from innocell.services import Conflict, RuleViolation
from innocell.services import blackouts as blackout_svc
from innocell.services import bookings as booking_svc
from innocell.services import housing as housing_svc
from innocell.services import no_show as no_show_svc
from innocell.services import slot_waitlist as slot_svc
from innocell.services import spaces as space_svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tue 1 Dec 2026 10:00 in Hong Kong


def hk(day, hour, minute=0, month=12, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


def run(app, session, name, at):
    """Run one job as the scheduler would, then start the test's session afresh to see its effect."""
    result = run_job(app, name, at, "scheduler")
    session.rollback()
    return result


def count(session, model, *where):
    return session.execute(select(func.count(model.id)).where(*where)).scalar_one()


def notices(session, kind, user_id=None):
    stmt = select(Notification).where(Notification.kind == kind)
    if user_id is not None:
        stmt = stmt.where(Notification.user_id == user_id)
    return list(session.execute(stmt.order_by(Notification.id)).scalars())


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def residents(make_user):
    return [make_user("resident", name=name) for name in ("Alice", "Bob", "Carol", "Dan")]


@pytest.fixture
def unit(session):
    counter = {"n": 0}

    def _make(unit_type="solo", rent="9000.00"):
        counter["n"] += 1
        item = Unit(code=f"01-{counter['n']:02d}", unit_type=unit_type, floor=1, monthly_rent=Decimal(rent),
                    occupancy=1, status="available", created_at=NOW)
        session.add(item)
        session.commit()
        return item

    return _make


@pytest.fixture
def lease(session):
    def _make(unit, user, start: date, end: date, status="active", previous=None):
        item = Lease(unit_id=unit.id, user_id=user.id, start_date=start, end_date=end, monthly_rent=unit.monthly_rent,
                     status=status, previous_lease_id=previous.id if previous else None, created_at=NOW)
        session.add(item)
        session.commit()
        return item

    return _make


@pytest.fixture
def space(session, manager):
    counter = {"n": 0}

    def _make(**fields):
        counter["n"] += 1
        data = {"code": f"LAB{counter['n']}", "name": f"Wet Lab {counter['n']}", "kind": "wet_lab"}
        data.update(fields)
        item = space_svc.create_space(session, data, actor=manager, now=NOW)
        session.commit()
        return item

    return _make


# ----------------------------------------------------------------------------- renewals


def test_renewal_offered_once_inside_the_window_and_never_twice(app, session, residents, unit, lease):
    alice, bob = residents[:2]
    soon = lease(unit(), alice, date(2026, 1, 15), date(2027, 1, 15))  # 45 days left: inside the 60-day window
    later = lease(unit(), bob, date(2026, 3, 1), date(2027, 3, 1))  # 90 days left: not yet

    first = run(app, session, "renewals", NOW)
    assert first.status == "ran" and first.counts["offered"] == 1
    offer = session.execute(select(Offer)).scalar_one()
    assert (offer.kind, offer.user_id, offer.lease_id, offer.status) == ("renewal", alice.id, soon.id, "open")
    assert (offer.start_date, offer.end_date) == (date(2027, 1, 15), date(2028, 1, 15))
    assert offer.expires_at == NOW + timedelta(days=14)
    assert len(notices(session, "offer_renewal", alice.id)) == 1

    assert run(app, session, "renewals", NOW).status == "skipped"  # same tick: claimed already
    assert run(app, session, "renewals", NOW + timedelta(hours=1)).counts["offered"] == 0
    assert run(app, session, "renewals", NOW + timedelta(days=10)).counts["offered"] == 0
    assert count(session, Offer, Offer.lease_id == soon.id) == 1

    # A month later Bob's lease enters the window: one offer for it, still one for Alice's.
    assert run(app, session, "renewals", NOW + timedelta(days=31)).counts["offered"] == 1
    assert count(session, Offer, Offer.lease_id == later.id) == 1
    assert count(session, Offer, Offer.lease_id == soon.id) == 1
    assert len(notices(session, "offer_renewal")) == 2


def test_past_max_tenure_gets_a_notice_instead_of_an_offer(app, session, residents, unit, lease):
    alice, bob = residents[:2]
    home = unit()
    first = lease(home, alice, date(2024, 1, 15), date(2025, 1, 15), status="ended")
    second = lease(home, alice, date(2025, 1, 15), date(2027, 1, 15), previous=first)  # 36 months by its end
    near_limit = lease(unit(), bob, date(2024, 7, 15), date(2027, 1, 15))  # 30 months: 6 more allowed

    result = run(app, session, "renewals", NOW)
    assert result.counts == {"offered": 1, "notices": 1}
    assert count(session, Offer, Offer.lease_id == second.id) == 0
    notice = notices(session, "renewal_notice", alice.id)
    assert len(notice) == 1 and "36 months" in notice[0].body
    assert session.get(Lease, second.id).status == "ending"
    capped = session.execute(select(Offer).where(Offer.lease_id == near_limit.id)).scalar_one()
    assert capped.end_date == date(2027, 7, 15)  # the term stops at the maximum tenure

    run(app, session, "renewals", NOW + timedelta(days=2))
    assert len(notices(session, "renewal_notice", alice.id)) == 1


def test_lapsed_or_declined_renewal_sets_the_lease_ending(app, session, residents, unit, lease):
    alice, bob = residents[:2]
    lapsing = lease(unit(), alice, date(2026, 1, 15), date(2027, 1, 15))
    declining = lease(unit(), bob, date(2026, 1, 20), date(2027, 1, 20))
    run(app, session, "renewals", NOW)
    offer_a = session.execute(select(Offer).where(Offer.lease_id == lapsing.id)).scalar_one()
    offer_b = session.execute(select(Offer).where(Offer.lease_id == declining.id)).scalar_one()

    housing_svc.decline_offer(session, offer_b.id, user=bob, now=NOW + timedelta(days=1))
    assert session.get(Lease, declining.id).status == "ending"

    assert run(app, session, "offer_expiry", NOW + timedelta(days=13)).counts["renewal offers expired"] == 0
    assert session.get(Lease, lapsing.id).status == "active"
    result = run(app, session, "offer_expiry", NOW + timedelta(days=14, minutes=1))
    assert result.counts["renewal offers expired"] == 1
    assert session.get(Offer, offer_a.id).status == "expired"
    assert session.get(Lease, lapsing.id).status == "ending"
    assert len(notices(session, "offer_expired", alice.id)) == 1

    # Neither lease is offered a renewal again for that end date.
    run(app, session, "renewals", NOW + timedelta(days=15))
    assert count(session, Offer) == 2


# ----------------------------------------------------------------------------- lease end + waitlist


def _entry(session, user, unit_type, joined, tier):
    entry = WaitlistEntry(user_id=user.id, unit_type=unit_type, priority_tier=tier, joined_at=joined, status="waiting")
    session.add(entry)
    session.commit()
    return entry


def test_lease_end_marks_it_ended_and_frees_the_unit(app, session, residents, unit, lease):
    alice, bob = residents[:2]
    home = unit()
    ending = lease(home, alice, date(2025, 12, 5), date(2026, 12, 5))
    waiting = _entry(session, bob, "solo", NOW - timedelta(days=30), tier=3)

    assert run(app, session, "lease_end", NOW).counts["ended"] == 0
    assert run(app, session, "waitlist", NOW).counts["offered"] == 0  # an active lease may still be renewed

    at_end = hk(5, 9)
    assert run(app, session, "lease_end", at_end).counts["ended"] == 1
    assert session.get(Lease, ending.id).status == "ended"
    assert len(notices(session, "lease_ended", alice.id)) == 1
    assert run(app, session, "lease_end", at_end + timedelta(hours=1)).counts["ended"] == 0

    # The unit is free: the waitlist offers it, from the first day after the week Bob has to
    # answer (the answer-by time is never after the move-in day), and a manager could let it.
    assert run(app, session, "waitlist", at_end).counts["offered"] == 1
    offer = session.execute(select(Offer)).scalar_one()
    assert (offer.kind, offer.unit_id, offer.user_id, offer.start_date) == ("waitlist", home.id, bob.id,
                                                                            date(2026, 12, 13))
    assert offer.expires_at == at_end + timedelta(days=7) <= hk(13, 0)
    assert offer.waitlist_entry_id == waiting.id


def test_waitlist_offer_goes_to_the_first_entry_then_the_next_on_expiry_and_decline(
        app, session, residents, unit):
    alice, bob, carol, dan = residents
    free = unit("twin")
    unit("solo")  # nobody waits for a solo
    e_bob = _entry(session, bob, "twin", NOW - timedelta(days=30), tier=2)
    e_carol = _entry(session, carol, "twin", NOW - timedelta(days=5), tier=1)  # tier 1 comes first
    e_dan = _entry(session, dan, "twin", NOW - timedelta(days=60), tier=3)

    assert run(app, session, "waitlist", NOW).counts["offered"] == 1
    offer = session.execute(select(Offer)).scalar_one()
    assert (offer.user_id, offer.unit_id, offer.kind, offer.waitlist_entry_id) == (carol.id, free.id, "waitlist",
                                                                                   e_carol.id)
    assert offer.expires_at == NOW + timedelta(days=7)
    # It starts the day after the week to answer ends (Tue 8 Dec 10:00): never answered after move-in.
    assert offer.start_date == date(2026, 12, 9)
    assert offer.end_date == date(2027, 12, 9)  # no application: the default 12-month term
    assert session.get(WaitlistEntry, e_carol.id).status == "offered"
    assert len(notices(session, "offer_waitlist", carol.id)) == 1
    # The unit is held by the open offer: nobody else is offered it.
    assert run(app, session, "waitlist", NOW + timedelta(days=1)).counts["offered"] == 0

    lapse = NOW + timedelta(days=7, minutes=1)
    assert run(app, session, "offer_expiry", lapse).counts["waitlist offers expired"] == 1
    assert session.get(WaitlistEntry, e_carol.id).status == "removed"
    assert run(app, session, "waitlist", lapse).counts["offered"] == 1
    second = session.execute(select(Offer).where(Offer.status == "open")).scalar_one()
    assert second.user_id == bob.id and second.waitlist_entry_id == e_bob.id

    housing_svc.decline_offer(session, second.id, user=bob, now=lapse + timedelta(hours=1))
    assert run(app, session, "waitlist", lapse + timedelta(hours=2)).counts["offered"] == 1
    third = session.execute(select(Offer).where(Offer.status == "open")).scalar_one()
    assert third.user_id == dan.id and third.waitlist_entry_id == e_dan.id
    assert count(session, Offer) == 3


def test_each_free_unit_goes_to_a_different_entry(app, session, residents, unit):
    alice, bob = residents[:2]
    unit("suite"), unit("suite")
    _entry(session, alice, "suite", NOW - timedelta(days=3), tier=3)
    _entry(session, bob, "suite", NOW - timedelta(days=2), tier=3)
    assert run(app, session, "waitlist", NOW).counts["offered"] == 2
    assert sorted(o.user_id for o in session.execute(select(Offer)).scalars()) == sorted([alice.id, bob.id])
    assert len({o.unit_id for o in session.execute(select(Offer)).scalars()}) == 2


# ----------------------------------------------------------------------------- bookings


def test_reminders_once_per_booking(app, session, residents, space):
    alice, bob = residents[:2]
    lab = space()
    soon = booking_svc.book(session, user=alice, space_id=lab.id, start=hk(1, 13), end=hk(1, 14), now=NOW)
    tomorrow = booking_svc.book(session, user=bob, space_id=lab.id, start=hk(2, 14), end=hk(2, 15), now=NOW)
    dropped = booking_svc.book(session, user=bob, space_id=lab.id, start=hk(1, 15), end=hk(1, 16), now=NOW)
    booking_svc.cancel(session, dropped.id, actor=bob, now=NOW)

    assert run(app, session, "reminders", NOW).counts["reminded"] == 1
    assert [n.user_id for n in notices(session, "reminder")] == [alice.id]
    assert session.get(Booking, soon.id).reminder_sent_at == NOW
    assert run(app, session, "reminders", NOW + timedelta(hours=1)).counts["reminded"] == 0
    # Bob's booking at 14:00 tomorrow comes within 24 hours at 15:00 today: reminded once.
    assert run(app, session, "reminders", hk(1, 15)).counts["reminded"] == 1
    assert run(app, session, "reminders", hk(1, 16)).counts["reminded"] == 0
    reminders = notices(session, "reminder")
    assert sorted(n.user_id for n in reminders) == sorted([alice.id, bob.id])
    assert session.get(Booking, tomorrow.id).reminder_sent_at == hk(1, 15)
    assert session.get(Booking, dropped.id).reminder_sent_at is None


def test_no_show_releases_the_booking_and_notifies_the_holder(app, session, residents, space):
    alice, bob, carol = residents[:3]
    gated, gated2, plain = space(requires_checkin=True), space(requires_checkin=True), space()
    absent = booking_svc.book(session, user=alice, space_id=gated.id, start=hk(1, 10, 30), end=hk(1, 12), now=NOW)
    present = booking_svc.book(session, user=bob, space_id=gated2.id, start=hk(1, 10, 30), end=hk(1, 12), now=NOW)
    no_gate = booking_svc.book(session, user=carol, space_id=plain.id, start=hk(1, 10, 30), end=hk(1, 12), now=NOW)
    no_show_svc.check_in(session, present.id, user=bob, now=hk(1, 10, 35))
    session.commit()

    assert run(app, session, "no_show", hk(1, 10, 44)).counts["released"] == 0  # within the 15-minute grace
    assert run(app, session, "no_show", hk(1, 10, 45)).counts["released"] == 1
    # Time that was held is time that was used: the part before the release (to the next
    # point of the 30-minute grid) stays booked and billed, the rest is free.
    released = session.get(Booking, absent.id)
    assert (released.status, released.end_reason, released.ended_early_at) == ("confirmed", "no-show", hk(1, 10, 45))
    assert (released.start_at, released.end_at, released.booked_end_at) == (hk(1, 10, 30), hk(1, 11), hk(1, 12))
    assert session.get(Booking, present.id).status == "confirmed"
    assert session.get(Booking, no_gate.id).status == "confirmed"
    assert [n.user_id for n in notices(session, "no_show")] == [alice.id]
    assert run(app, session, "no_show", hk(1, 10, 50)).counts["released"] == 0

    # The time is free for someone else at once; the released holder can no longer check in.
    dan = residents[3]  # Carol already holds a wet lab then (one lab at a time)
    booking_svc.book(session, user=dan, space_id=gated.id, start=hk(1, 11), end=hk(1, 12), now=hk(1, 10, 50))
    with pytest.raises(Conflict):
        no_show_svc.check_in(session, absent.id, user=alice, now=hk(1, 10, 55))


def test_check_in_window_and_ownership(session, residents, space):
    alice, bob = residents[:2]
    lab = space(requires_checkin=True)
    booking = booking_svc.book(session, user=alice, space_id=lab.id, start=hk(1, 14), end=hk(1, 15), now=NOW)
    with pytest.raises(Conflict):
        no_show_svc.check_in(session, booking.id, user=alice, now=hk(1, 13, 30))  # too early
    session.rollback()
    from innocell.services import NotFound
    with pytest.raises(NotFound):
        no_show_svc.check_in(session, booking.id, user=bob, now=hk(1, 14))
    session.rollback()
    done = no_show_svc.check_in(session, booking.id, user=alice, now=hk(1, 13, 50))
    session.commit()
    assert done.checked_in_at == hk(1, 13, 50)


def test_slot_waitlist_books_the_first_valid_request_through_every_rule(app, set_kind, session, residents, space):
    set_kind("wet_lab", quota_hours=3)
    alice, bob, carol = residents[:3]
    lab, other = space(), space()
    taken = booking_svc.book(session, user=alice, space_id=lab.id, start=hk(3, 10), end=hk(3, 12), now=NOW)

    with pytest.raises(Conflict) as free:
        slot_svc.join_slot_waitlist(session, user=bob, space_id=lab.id, start=hk(3, 14), end=hk(3, 16), now=NOW)
    assert free.value.extra.get("free") is True
    session.rollback()
    with pytest.raises(RuleViolation) as bad:
        slot_svc.join_slot_waitlist(session, user=bob, space_id=lab.id, start=hk(3, 10, 10), end=hk(3, 12),
                                    now=NOW)
    assert "off_grid" in [v["rule"] for v in bad.value.extra["violations"]]
    session.rollback()

    first = slot_svc.join_slot_waitlist(session, user=bob, space_id=lab.id, start=hk(3, 10), end=hk(3, 12),
                                        title="Cell culture", now=NOW)
    session.commit()
    second = slot_svc.join_slot_waitlist(session, user=carol, space_id=lab.id, start=hk(3, 10), end=hk(3, 12),
                                         now=NOW + timedelta(minutes=1))
    session.commit()
    with pytest.raises(Conflict):  # once per person and slot
        slot_svc.join_slot_waitlist(session, user=bob, space_id=lab.id, start=hk(3, 11), end=hk(3, 12), now=NOW)
    session.rollback()
    assert slot_svc.position(session, first) == 1 and slot_svc.position(session, second) == 2

    assert run(app, session, "slot_waitlist", NOW + timedelta(minutes=5)).counts["booked"] == 0  # still taken

    # Bob uses up his weekly quota elsewhere; then the slot frees.
    booking_svc.book(session, user=bob, space_id=other.id, start=hk(4, 10), end=hk(4, 12), now=NOW)
    booking_svc.cancel(session, taken.id, actor=alice, now=NOW + timedelta(hours=1))

    result = run(app, session, "slot_waitlist", NOW + timedelta(hours=1, minutes=1))
    assert result.counts["booked"] == 1
    bob_request, carol_request = session.get(SlotRequest, first.id), session.get(SlotRequest, second.id)
    assert bob_request.status == "waiting" and "3 h of wet lab time a week" in (bob_request.reason or "")
    assert carol_request.status == "booked"
    booking = session.get(Booking, carol_request.booking_id)
    assert (booking.user_id, booking.space_id, booking.start_at, booking.end_at, booking.status) == (
        carol.id, lab.id, hk(3, 10), hk(3, 12), "confirmed")
    assert [n.user_id for n in notices(session, "slot_booked")] == [carol.id]
    live = count(session, Booking, Booking.space_id == lab.id, Booking.status != "cancelled")
    assert live == 1  # capacity one, never exceeded

    assert run(app, session, "slot_waitlist", NOW + timedelta(hours=2)).counts["booked"] == 0
    # Requests still waiting expire at the slot's start, with a notice.
    assert run(app, session, "slot_waitlist", hk(3, 10)).counts["expired"] == 1
    assert session.get(SlotRequest, first.id).status == "expired"
    assert [n.user_id for n in notices(session, "slot_request_expired")] == [bob.id]


def test_slot_waitlist_respects_blackouts(app, session, residents, space, manager):
    alice, bob = residents[:2]
    lab = space()
    taken = booking_svc.book(session, user=alice, space_id=lab.id, start=hk(3, 10), end=hk(3, 12), now=NOW)
    request = slot_svc.join_slot_waitlist(session, user=bob, space_id=lab.id, start=hk(3, 10), end=hk(3, 12), now=NOW)
    session.commit()
    booking_svc.cancel(session, taken.id, actor=alice, now=NOW)
    blackout_svc.add_blackout(session, lab.id, start=hk(3, 9), end=hk(3, 13), reason="Fume hood service",
                              actor=manager, now=NOW)
    assert run(app, session, "slot_waitlist", NOW + timedelta(minutes=1)).counts["booked"] == 0
    assert session.get(SlotRequest, request.id).status == "waiting"
    assert count(session, Booking, Booking.space_id == lab.id, Booking.status != "cancelled") == 0


def test_every_run_is_recorded(app, session):
    result = run(app, session, "lease_end", NOW)
    row = session.execute(select(JobRun)).scalar_one()
    assert (row.job, row.tick, row.trigger, row.error) == ("lease_end", NOW, "scheduler", None)
    assert row.finished_at is not None and row.counts == result.counts == {"ended": 0}


def test_a_unit_let_after_the_lease_gets_a_notice_with_the_reason(app, session, residents, unit, lease):
    alice, bob = residents[:2]
    home = unit()
    current = lease(home, alice, date(2026, 1, 15), date(2027, 1, 15))
    lease(home, bob, date(2027, 3, 1), date(2028, 3, 1))  # let to Bob from March
    result = run(app, session, "renewals", NOW)
    assert result.counts == {"offered": 0, "notices": 1}
    assert count(session, Offer) == 0
    notice = notices(session, "renewal_notice", alice.id)
    assert len(notice) == 1 and "cannot be renewed" in notice[0].subject and "not free" in notice[0].body
    assert session.get(Lease, current.id).status == "ending"
    assert run(app, session, "renewals", NOW + timedelta(hours=1)).counts == {"offered": 0, "notices": 0}
