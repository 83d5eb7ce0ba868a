"""Room changes on SQLite and PostgreSQL: a resident with a lease asks to move (type, floor,
reason); it queues as an application of its own kind; accepting the offer ends the old lease the
day the new one starts in one transaction, also while a manager races to record another lease
for the same person: never two homes a night, never none."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from innocell.extensions import db
from innocell.models import HousingApplication, Lease, Offer, User
from innocell.services import Conflict, NotFound, RuleViolation
from innocell.services import housing as h
from innocell.services.housing.room_changes import remaining_term, request_room_change

OCCUPYING = ("active", "ending", "ended", "terminated")


@pytest.fixture
def manager(make_user):
    return make_user("manager")


def _setup(session, manager, make_user, now):
    rita = make_user(name="Rita Resident")
    old = h.create_unit(session, {"code": "03-01", "unit_type": "solo", "floor": 3, "monthly_rent": 9000},
                        actor=manager, now=now)
    new = h.create_unit(session, {"code": "08-01", "unit_type": "suite", "floor": 8, "monthly_rent": 15000},
                        actor=manager, now=now)
    other = h.create_unit(session, {"code": "05-01", "unit_type": "solo", "floor": 5, "monthly_rent": 9000},
                          actor=manager, now=now)
    lease = h.create_lease(session, unit_id=old.id, user_id=rita.id, start=date(2026, 9, 1), end=date(2027, 9, 1),
                           actor=manager, now=now)
    return rita, old, new, other, lease


def nights_held(session, user_id, first: date, last: date) -> dict[date, int]:
    """How many leases of the person hold each night from `first` to `last` (exclusive)."""
    leases = session.execute(select(Lease).where(Lease.user_id == user_id, Lease.status.in_(OCCUPYING))).scalars().all()
    out, day = {}, first
    while day < last:
        out[day] = sum(1 for x in leases if x.start_date <= day < x.end_date)
        day += timedelta(days=1)
    return out


def test_remaining_term_counts_months_then_nights():
    assert remaining_term(date(2027, 2, 1), date(2027, 9, 1)) == (7, 0)
    assert remaining_term(date(2027, 2, 10), date(2027, 9, 1)) == (6, 22)


def test_a_room_change_queues_as_its_own_kind_and_accepting_hands_over_without_a_gap(session, manager, make_user,
                                                                                    now):
    rita, old, new, _, lease = _setup(session, manager, make_user, now)
    app = request_room_change(session, user=rita, lease_id=lease.id, unit_type="suite", move_on="2027-02-01",
                              preferred_floor=8, reason="Our team grew to three.", now=now)
    assert (app.kind, app.change_reason, app.transfer_from_lease_id) == ("room_change", "Our team grew to three.",
                                                                          lease.id)
    assert (app.move_in, app.term_months, app.term_nights) == (date(2027, 2, 1), 7, 0)
    h.commit_round(session, actor=manager, now=now)
    offer = session.execute(select(Offer).where(Offer.user_id == rita.id)).scalar_one()
    assert (offer.unit_id, offer.start_date, offer.end_date) == (new.id, date(2027, 2, 1), date(2027, 9, 1))
    moved = h.accept_offer(session, offer.id, user=rita, now=now)
    session.expire_all()
    ended = session.get(Lease, lease.id)
    assert ended.end_date == moved.start_date == date(2027, 2, 1)  # old end = new start
    assert set(nights_held(session, rita.id, date(2026, 12, 1), date(2027, 9, 1)).values()) == {1}


def test_a_room_change_needs_a_current_lease_of_ones_own_a_day_inside_it_and_a_reason(session, manager, make_user,
                                                                                    now):
    rita, *_ , lease = _setup(session, manager, make_user, now)
    with pytest.raises(NotFound):
        request_room_change(session, user=make_user(), lease_id=lease.id, unit_type="suite", move_on="2027-02-01",
                            reason="x", now=now)
    with pytest.raises(RuleViolation) as exc:
        request_room_change(session, user=rita, lease_id=lease.id, unit_type="suite", move_on="2027-10-01",
                            reason=" ", now=now)
    assert {v["rule"] for v in exc.value.extra["violations"]} == {"move_on", "reason"}
    assert session.execute(select(HousingApplication)).first() is None


def _race(app, barrier, kind, offer_id, resident_id, manager_id, unit_id, now):
    with app.app_context():
        session = db.session
        resident, manager = session.get(User, resident_id), session.get(User, manager_id)
        session.commit()
        barrier.wait(timeout=300)
        try:
            if kind == "accept":
                h.accept_offer(session, offer_id, user=resident, now=now)
            else:
                # Another home for the same person over nights of both the old and the new lease.
                h.create_lease(session, unit_id=unit_id, user_id=resident_id, start=date(2027, 1, 15),
                               end=date(2027, 4, 1), actor=manager, now=now)
            return "ok"
        except Conflict:
            return "conflict"
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            return repr(exc)
        finally:
            db.session.remove()


def test_accepting_a_room_change_while_a_manager_adds_a_lease_never_gives_two_homes_or_none(
        backend, app, session, manager, make_user, now):
    rita, old, new, other, lease = _setup(session, manager, make_user, now)
    request_room_change(session, user=rita, lease_id=lease.id, unit_type="suite", move_on="2027-02-01",
                        reason="A bigger unit for the team.", now=now)
    h.commit_round(session, actor=manager, now=now)
    offer = session.execute(select(Offer).where(Offer.user_id == rita.id)).scalar_one()
    ids = (offer.id, rita.id, manager.id, other.id)
    session.commit()
    kinds = ["accept"] * 4 + ["lease"] * 3
    barrier = threading.Barrier(len(kinds))
    results: list = [None] * len(kinds)

    def run(i):
        results[i] = _race(app, barrier, kinds[i], *ids, now)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(kinds))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(results) <= {"ok", "conflict"}, results
    assert results[:4].count("ok") == 1, results
    assert results[4:] == ["conflict"] * 3, results
    session.rollback()  # see the racers' commits
    held = nights_held(session, rita.id, date(2026, 12, 1), date(2027, 9, 1))
    assert set(held.values()) == {1}, {d: n for d, n in held.items() if n != 1}
    assert session.get(Lease, lease.id).end_date == date(2027, 2, 1)
    assert [x.unit_id for x in session.execute(select(Lease).where(Lease.user_id == rita.id,
                                                                   Lease.start_date == date(2027, 2, 1))).scalars()] \
        == [new.id]
