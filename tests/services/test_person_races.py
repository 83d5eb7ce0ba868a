"""Racing writers for one person: one home a night and one lab at a time hold however many
requests race, on SQLite (threads, BEGIN IMMEDIATE) and PostgreSQL (threads, and separate
processes each with its own app and pool: the person's row lock, taken before the unit's or
the space's, plus for leases the exclusion constraint ex_leases_person_no_overlap). The losers
get a clean 409 or 422, never an error, and no second lease or booking is written."""
from __future__ import annotations

import multiprocessing
import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Booking, Lease, Offer, User
from innocell.services import Conflict, RuleViolation
from innocell.services import bookings as booking_svc
from innocell.services import housing as h
from innocell.services import spaces as space_svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
THREADS = 8
PROCESSES = 4
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # tests.conftest.FIXED_NOW
SLOT = (datetime(2026, 12, 8, 14, 0, tzinfo=HK).astimezone(UTC), datetime(2026, 12, 8, 16, 0, tzinfo=HK).astimezone(UTC))


@pytest.fixture
def app_config(app_config):
    options = {"pool_size": THREADS + 4, "max_overflow": 0}
    if app_config["DATABASE_URL"].startswith("sqlite"):
        options["connect_args"] = {"timeout": 60, "check_same_thread": False}
    return {**app_config, "SQLALCHEMY_ENGINE_OPTIONS": options}


# ---------------------------------------------------------------------------- one racer


def _attempt(app, barrier, kind, ids, k, now):
    """One racer, inside its own app context: make a lease, accept an offer, or book a lab."""
    with app.app_context():
        session = db.session
        person = session.get(User, ids["person"])
        manager = session.get(User, ids["manager"])
        session.commit()
        barrier.wait(timeout=300)
        try:
            if kind == "lease":
                # Each racer a different unit, all over nights of Feb 2027.
                h.create_lease(session, unit_id=ids["units"][k], user_id=person.id,
                               start=date(2027, 1, 1) + timedelta(days=3 * k), end=date(2027, 3, 1) + timedelta(days=k),
                               actor=manager, now=now)
            elif kind == "accept":
                h.accept_offer(session, ids["offers"][k], user=person, now=now)
            else:
                booking_svc.book(session, user=person, space_id=ids["spaces"][k], start=SLOT[0], end=SLOT[1],
                                 now=now)
            return "ok"
        except Conflict:
            return "conflict"
        except RuleViolation as exc:
            return "refused:" + ",".join(v["rule"] for v in exc.extra["violations"])
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            return f"error: {exc!r}"
        finally:
            db.session.remove()


def _in_threads(app, kind, ids, racers, now) -> list[str]:
    barrier = threading.Barrier(racers)
    results: list = [None] * racers

    def run(k):
        results[k] = _attempt(app, barrier, kind, ids, k, now)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def _process_racer(url, barrier, queue, kind, ids, k, now):
    from innocell import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})
    try:
        queue.put((k, _attempt(app, barrier, kind, ids, k, now)))
    finally:
        with app.app_context():
            db.engine.dispose()


def _in_processes(url, kind, ids, racers, now) -> list[str]:
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(racers), ctx.Queue()
    procs = [ctx.Process(target=_process_racer, args=(url, barrier, queue, kind, ids, k, now)) for k in range(racers)]
    for p in procs:
        p.start()
    collected = dict(queue.get(timeout=400) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    return [collected[k] for k in range(racers)]


# ---------------------------------------------------------------------------- set-ups


def _people(session):
    from innocell.services.accounts import create_user

    manager = create_user(session, email="m@person-race.test", password="tram-harbour-7", role="manager", now=NOW,
                          name="M", company="", priority_tier=3)
    person = create_user(session, email="p@person-race.test", password="tram-harbour-7", role="resident", now=NOW,
                         name="P", company="", priority_tier=3)
    session.commit()
    return manager, person


def _units(session, manager, now, n):
    return [h.create_unit(session, {"code": f"11-{i:02d}", "unit_type": "solo", "floor": 11, "monthly_rent": 9000},
                          actor=manager, now=now).id for i in range(n)]


def _leases_of(session, person_id) -> list[Lease]:
    session.rollback()  # end the test's read snapshot; see the racers' commits
    return list(session.execute(select(Lease).where(Lease.user_id == person_id)).scalars())


def _assert_one_winner(results, loser_outcome):
    assert not [r for r in results if r.startswith("error")], results
    assert results.count("ok") == 1, results
    assert results.count(loser_outcome) == len(results) - 1, results


# ---------------------------------------------------------------------------- leases


def test_racing_leases_for_one_person_on_different_units_make_one(app, session, make_user, now):
    manager, person = make_user("manager"), make_user()
    ids = {"manager": manager.id, "person": person.id, "units": _units(session, manager, now, THREADS)}
    session.commit()
    _assert_one_winner(_in_threads(app, "lease", ids, THREADS, now), "conflict")
    assert len(_leases_of(session, person.id)) == 1


def test_racing_leases_for_one_person_from_processes_on_postgresql(pg_app):
    session = db.session
    manager, person = _people(session)
    ids = {"manager": manager.id, "person": person.id, "units": _units(session, manager, NOW, PROCESSES)}
    session.commit()
    _assert_one_winner(_in_processes(pg_app.config["DATABASE_URL"], "lease", ids, PROCESSES, NOW), "conflict")
    assert len(_leases_of(session, person.id)) == 1


def _open_offers(session, person, units, now) -> list[int]:
    """Overlapping offers of several units to one person (waitlist offers made without an
    application: no transfer), as two rounds of promotion could leave them."""
    offers = [h.make_offer(session, kind="waitlist", user_id=person.id, unit_id=unit_id, start=date(2027, 1, 1),
                           end=date(2027, 7, 1), monthly_rent=9000, expires_at=now + timedelta(days=7), now=now).id
              for unit_id in units]
    session.commit()
    return offers


def test_racing_accepts_of_several_offers_make_one_home(app, session, make_user, now):
    manager, person = make_user("manager"), make_user()
    units = _units(session, manager, now, THREADS)
    ids = {"manager": manager.id, "person": person.id, "offers": _open_offers(session, person, units, now)}
    results = _in_threads(app, "accept", ids, THREADS, now)
    _assert_one_winner(results, "conflict")
    leases = _leases_of(session, person.id)
    assert len(leases) == 1
    accepted = session.execute(select(Offer).where(Offer.status == "accepted")).scalars().all()
    assert [o.lease_id for o in accepted] == [leases[0].id]


def test_racing_accepts_from_processes_on_postgresql(pg_app):
    session = db.session
    manager, person = _people(session)
    units = _units(session, manager, NOW, PROCESSES)
    ids = {"manager": manager.id, "person": person.id, "offers": _open_offers(session, person, units, NOW)}
    _assert_one_winner(_in_processes(pg_app.config["DATABASE_URL"], "accept", ids, PROCESSES, NOW), "conflict")
    assert len(_leases_of(session, person.id)) == 1


# ---------------------------------------------------------------------------- one lab at a time


def _labs(session, manager, now, n) -> list[int]:
    return [space_svc.create_space(session, {"code": f"RL-{i}", "name": f"Race Lab {i}", "kind": "wet_lab"},
                                   actor=manager, now=now).id for i in range(n)]


def _bookings_of(session, person_id) -> int:
    session.rollback()
    return session.execute(select(func.count(Booking.id)).where(Booking.user_id == person_id,
                                                                Booking.status != "cancelled")).scalar_one()


def test_racing_bookings_of_one_person_in_several_labs_make_one(app, session, make_user, now):
    manager, person = make_user("manager"), make_user()
    ids = {"manager": manager.id, "person": person.id, "spaces": _labs(session, manager, now, THREADS)}
    session.commit()
    _assert_one_winner(_in_threads(app, "book", ids, THREADS, now), "refused:simultaneous")
    assert _bookings_of(session, person.id) == 1


def test_racing_bookings_from_processes_on_postgresql(pg_app):
    session = db.session
    manager, person = _people(session)
    ids = {"manager": manager.id, "person": person.id, "spaces": _labs(session, manager, NOW, PROCESSES)}
    session.commit()
    _assert_one_winner(_in_processes(pg_app.config["DATABASE_URL"], "book", ids, PROCESSES, NOW),
                       "refused:simultaneous")
    assert _bookings_of(session, person.id) == 1
