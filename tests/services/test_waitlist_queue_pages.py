"""The waitlist job reads a queue a page at a time (services.waitlist_promotion.queue_ids) and
promotes only units that look free (candidate_unit_ids): the order is exactly the queue's order
(allocation.waitlist.order over every waiting entry), whatever the tiers, equal joining times,
entries a manager moved, deactivated people and the page size; and a free unit still goes to
the first eligible person even when the first pages are all passed over."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from innocell.allocation.waitlist import natural_value, order
from innocell.jobs.runner import run_job
from innocell.models import Lease, Offer, Unit, WaitlistEntry
from innocell.services import waitlist_promotion as wp
from innocell.services.housing.waitlists import queue_entry, waiting

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def full_order(session, unit_type):
    return [q.id for q in order(queue_entry(e) for e in waiting(session, unit_type))]


@pytest.fixture
def crowd(session, make_user):
    """Five people (one deactivated) holding 140 entries of mixed tiers and times."""
    people = [make_user("resident", priority_tier=t) for t in (1, 2, 3, 3)]
    people.append(make_user("resident", active=False))
    rnd = random.Random(16)
    base = NOW - timedelta(days=400)
    entries = []
    for k in range(140):
        joined = base + timedelta(hours=rnd.choice((0, 5, 5, 17)) + 24 * rnd.randint(0, 300))
        entries.append(WaitlistEntry(user_id=rnd.choice(people).id, unit_type=rnd.choice(("twin", "twin", "solo")),
                                     priority_tier=rnd.choice((1, 2, 3, 3)), joined_at=joined,
                                     status=rnd.choice(("waiting",) * 6 + ("offered", "removed"))))
    session.add_all(entries)
    session.commit()
    # A manager moved some: ranks between neighbours, before everyone, after everyone.
    twins = [e for e in entries if e.unit_type == "twin" and e.status == "waiting"]
    values = sorted(natural_value(e.priority_tier, e.joined_at) for e in twins)
    for e, rank in zip(twins[::9], [values[0] - 1, values[-1] + 1, values[10] + 0.5, values[40] - 0.25,
                                    values[40] - 0.25, values[3]]):
        e.manual_rank = rank
    session.commit()
    return people


@pytest.mark.parametrize("page", [1, 7, 50, 500])
def test_the_paged_queue_is_the_whole_queue_in_order(session, crowd, page):
    expected = full_order(session, "twin")
    assert len(expected) > 50  # some of them a deactivated person's, left out
    assert list(wp.queue_ids(session, "twin", page=page)) == expected
    assert list(wp.queue_ids(session, "solo", page=page)) == full_order(session, "solo")
    assert list(wp.queue_ids(session, "suite", page=page)) == []


def test_joining_times_outside_the_tier_span_are_sorted_whole(session, crowd):
    # A joining time before 1970 breaks "tier first, then time" in the natural value: the
    # queue is read whole and sorted by the core, as it always was.
    odd = WaitlistEntry(user_id=crowd[0].id, unit_type="twin", priority_tier=3, status="waiting",
                        joined_at=datetime(1960, 1, 1, tzinfo=timezone.utc))
    session.add(odd)
    session.commit()
    expected = full_order(session, "twin")
    assert list(wp.queue_ids(session, "twin", page=5)) == expected


def test_a_free_unit_goes_to_the_first_eligible_entry_past_several_pages(app, session, make_user):
    holders = [make_user("resident") for _ in range(4)]
    unit = Unit(code="T-1", unit_type="twin", floor=1, monthly_rent=Decimal("8000.00"), occupancy=2,
                status="available", created_at=NOW)
    busy_unit = Unit(code="T-2", unit_type="twin", floor=1, monthly_rent=Decimal("8000.00"), occupancy=2,
                     status="available", created_at=NOW)
    session.add_all([unit, busy_unit])
    session.flush()
    # The first three people in line already hold an open offer: they are passed over.
    entries = []
    for k, person in enumerate(holders):
        for j in range(3):
            entries.append(WaitlistEntry(user_id=person.id, unit_type="twin", priority_tier=1 if k < 3 else 2,
                                         status="waiting", joined_at=NOW - timedelta(days=100 - 10 * k - j)))
    session.add_all(entries)
    for person in holders[:3]:
        session.add(Offer(kind="allocation", user_id=person.id, unit_id=busy_unit.id, start_date=date(2027, 1, 1),
                          end_date=date(2027, 7, 1), monthly_rent=Decimal("8000.00"), status="open",
                          expires_at=NOW + timedelta(days=3), created_at=NOW))
    session.commit()
    assert wp.candidate_unit_ids(session, date(2026, 12, 1)) == [unit.id]  # T-2 is held by open offers
    result = run_job(app, "waitlist", NOW, "scheduler")
    session.rollback()
    assert result.counts == {"offered": 1}
    offer = session.query(Offer).filter(Offer.kind == "waitlist").one()
    assert (offer.unit_id, offer.user_id, offer.waitlist_entry_id) == (unit.id, holders[3].id, entries[9].id)


def test_units_let_or_offered_are_not_candidates_but_a_unit_whose_lease_is_ending_is(session, make_user):
    tenant = make_user("resident")
    waiter = make_user("resident")
    units = [Unit(code=f"S-{k}", unit_type="solo", floor=1, monthly_rent=Decimal("7000.00"), occupancy=1,
                  status=status, created_at=NOW) for k, status in enumerate(("available",) * 4 + ("out_of_service",))]
    session.add_all(units)
    session.flush()
    session.add_all([
        Lease(unit_id=units[0].id, user_id=tenant.id, start_date=date(2026, 6, 1), end_date=date(2027, 6, 1),
              monthly_rent=Decimal("7000.00"), status="active", created_at=NOW),
        Lease(unit_id=units[1].id, user_id=tenant.id, start_date=date(2026, 1, 1), end_date=date(2027, 1, 15),
              monthly_rent=Decimal("7000.00"), status="ending", created_at=NOW, overlap_allowed=True),
        Lease(unit_id=units[2].id, user_id=tenant.id, start_date=date(2025, 1, 1), end_date=date(2025, 6, 1),
              monthly_rent=Decimal("7000.00"), status="ended", created_at=NOW, overlap_allowed=True),
        Offer(kind="waitlist", user_id=tenant.id, unit_id=units[3].id, start_date=date(2027, 1, 1),
              end_date=date(2027, 7, 1), monthly_rent=Decimal("7000.00"), status="open",
              expires_at=NOW + timedelta(days=3), created_at=NOW),
        WaitlistEntry(user_id=waiter.id, unit_type="solo", priority_tier=3, status="waiting", joined_at=NOW),
    ])
    session.commit()
    assert wp.candidate_unit_ids(session, date(2026, 12, 1)) == [units[1].id, units[2].id]
    # The same answer, unit by unit, as promote_unit's own check under the lock.
    assert [u.id for u in units if wp.free_from(session, u, date(2026, 12, 1)) is not None] == [units[1].id,
                                                                                                 units[2].id]
