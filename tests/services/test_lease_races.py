"""Racing writers for one unit: exactly one lease wins, on SQLite (threads, BEGIN IMMEDIATE)
and on PostgreSQL (separate processes, each its own app and connection pool: row lock plus the
exclusion constraint). The losers get a clean 409 conflict, never an error or a second lease."""
from __future__ import annotations

import multiprocessing
import threading
from datetime import date, timedelta

from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import HousingApplication, Lease, Offer, User
from innocell.services import Conflict
from innocell.services import housing as h

WRITERS = 8  # threads on SQLite
PROCESSES = 4  # spawned processes on PostgreSQL (each imports the app: keep the suite quick)


def _race_lease(app, barrier, unit_id, user_id, manager_id, k, now):
    """One writer: a lease overlapping every other writer's (all cover 1-2 Mar 2027)."""
    with app.app_context():
        session = db.session
        manager = session.get(User, manager_id)
        session.commit()
        start = date(2027, 1, 1) + timedelta(days=7 * k)
        end = date(2027, 3, 2) + timedelta(days=k)
        barrier.wait(timeout=300)
        try:
            lease = h.create_lease(session, unit_id=unit_id, user_id=user_id, start=start, end=end, actor=manager,
                                   now=now)
            return ("ok", lease.id)
        except Conflict as exc:
            return ("conflict", exc.message)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            return ("error", repr(exc))
        finally:
            db.session.remove()


def _process_writer(url, barrier, queue, unit_id, user_id, manager_id, k, now):
    from innocell import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})
    try:
        queue.put((k, _race_lease(app, barrier, unit_id, user_id, manager_id, k, now)))
    finally:
        with app.app_context():
            db.engine.dispose()


def test_racing_lease_writers_make_exactly_one_lease(backend, app, session, database_url, make_user, now):
    manager = make_user("manager")
    unit = h.create_unit(session, {"code": "09-01", "unit_type": "solo", "floor": 9, "monthly_rent": 9000},
                         actor=manager, now=now)
    racers = WRITERS if backend == "sqlite" else PROCESSES
    tenants = [make_user().id for _ in range(racers)]
    ids = dict(unit_id=unit.id, manager_id=manager.id)
    session.commit()
    if backend == "sqlite":
        barrier = threading.Barrier(WRITERS)
        results: list = [None] * WRITERS

        def run(k):
            results[k] = _race_lease(app, barrier, ids["unit_id"], tenants[k], ids["manager_id"], k, now)

        threads = [threading.Thread(target=run, args=(k,)) for k in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    else:
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(racers)
        queue = ctx.Queue()
        procs = [ctx.Process(target=_process_writer,
                             args=(database_url, barrier, queue, ids["unit_id"], tenants[k], ids["manager_id"], k,
                                   now))
                 for k in range(racers)]
        for p in procs:
            p.start()
        collected = dict(queue.get(timeout=400) for _ in procs)
        for p in procs:
            p.join(timeout=60)
        results = [collected[k] for k in range(racers)]
    outcomes = [r[0] for r in results]
    assert "error" not in outcomes, results
    assert outcomes.count("ok") == 1, results
    assert outcomes.count("conflict") == racers - 1
    assert all("Unit 09-01" in r[1] for r in results if r[0] == "conflict")
    session.rollback()  # end the test's read snapshot; see the racers' commits
    assert session.execute(select(func.count(Lease.id)).where(Lease.unit_id == ids["unit_id"])).scalar_one() == 1


def _race_accept_vs_lease(app, barrier, kind, offer_id, resident_id, manager_id, unit_id, now):
    with app.app_context():
        session = db.session
        resident, manager = session.get(User, resident_id), session.get(User, manager_id)
        session.commit()
        barrier.wait(timeout=300)
        try:
            if kind == "accept":
                h.accept_offer(session, offer_id, user=resident, now=now)
            else:
                # The manager records a lease over the offered dates; the open offer holds the unit.
                h.create_lease(session, unit_id=unit_id, user_id=manager_id, start=date(2027, 1, 1),
                               end=date(2027, 2, 1), actor=manager, now=now)
            return "ok"
        except Conflict:
            return "conflict"
        except Exception as exc:  # noqa: BLE001
            return repr(exc)
        finally:
            db.session.remove()


def test_racing_accepts_of_one_offer_make_one_lease(backend, app, session, make_user, now):
    """Several requests accept the same offer at once (double click, two tabs) while a manager
    tries to record a lease over it: one lease, for the offer's resident."""
    manager = make_user("manager")
    resident = make_user()
    unit = h.create_unit(session, {"code": "09-02", "unit_type": "solo", "floor": 9, "monthly_rent": 9000},
                         actor=manager, now=now)
    h.submit_application(session, user=resident, unit_type="solo", move_in=date(2027, 1, 1), term_months=6, now=now)
    h.commit_round(session, actor=manager, now=now)
    offer = session.execute(select(Offer)).scalar_one()
    ids = (offer.id, resident.id, manager.id, unit.id)
    kinds = ["accept"] * 5 + ["lease"] * 2
    barrier = threading.Barrier(len(kinds))
    results: list = [None] * len(kinds)

    def run(i):
        results[i] = _race_accept_vs_lease(app, barrier, kinds[i], *ids, now)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(kinds))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(results) <= {"ok", "conflict"}, results
    assert results[:5].count("ok") == 1, results
    assert results[5:] == ["conflict", "conflict"], results
    session.rollback()  # end the test's read snapshot; see the racers' commits
    leases = session.execute(select(Lease)).scalars().all()
    assert [(x.user_id, x.unit_id) for x in leases] == [(resident.id, unit.id)]
    assert session.execute(select(HousingApplication)).scalar_one().status == "housed"
