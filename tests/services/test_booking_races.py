"""No double booking, ever: racing writers, for real, on SQLite and PostgreSQL.

- 30 threads of one app (each in its own app context, so its own session and connection)
  ask for the same slot at the same instant (a barrier releases them together).
- 30 requests from 6 separate processes (multiprocessing 'spawn', each building its own app
  from the database URL, 5 threads each), as several app instances would.
- A churn of bookings and cancellations over overlapping, not identical, intervals, after
  which an independent SQL query looks for any instant over capacity.
"""
from __future__ import annotations

import multiprocessing
import random
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from innocell.extensions import db
from innocell.models import Booking, User
from innocell.services import Conflict
from innocell.services import bookings as svc
from innocell.services import spaces as space_svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
SLOT_START = datetime(2026, 12, 8, 14, 0, tzinfo=HK).astimezone(UTC)
SLOT_END = SLOT_START + timedelta(hours=2)
REQUESTS = 30


@pytest.fixture
def app_config(app_config):
    # Enough connections that every racer holds its own at once.
    options = {"pool_size": REQUESTS + 5, "max_overflow": 0}
    if app_config["DATABASE_URL"].startswith("sqlite"):
        options["connect_args"] = {"timeout": 60, "check_same_thread": False}
    return {**app_config, "SQLALCHEMY_ENGINE_OPTIONS": options}


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def residents(make_user):
    return [make_user("resident") for _ in range(REQUESTS)]


def _outcome(fn) -> str:
    try:
        fn()
        return "ok"
    except Conflict:
        return "conflict"
    except Exception as exc:  # noqa: BLE001 - any other outcome fails the test below
        return f"error: {exc.__class__.__name__}: {exc}"


def race_in_threads(app, user_ids, space_id, start, end, now, barrier=None) -> list[str]:
    barrier = barrier or threading.Barrier(len(user_ids))
    results: list[str] = []
    lock = threading.Lock()

    def worker(uid):
        with app.app_context():
            user = db.session.get(User, uid)
            db.session.commit()  # end the read; the guarded write begins its own transaction
            barrier.wait(timeout=120)
            outcome = _outcome(lambda: svc.book(db.session, user=user, space_id=space_id, start=start, end=end,
                                                title="race", now=now))
            db.session.remove()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def live_bookings(space_id) -> int:
    return db.session.execute(
        text("SELECT COUNT(*) FROM bookings WHERE space_id = :s AND status <> 'cancelled'"), {"s": space_id}
    ).scalar_one()


@pytest.mark.parametrize("capacity", [1, 4])
def test_thirty_threads_one_slot(app, session, manager, residents, capacity):
    space = space_svc.create_space(session, {"code": "RACE", "name": "Race Lab", "kind": "wet_lab",
                                             "capacity": capacity}, actor=manager, now=NOW)
    results = race_in_threads(app, [u.id for u in residents], space.id, SLOT_START, SLOT_END, NOW)
    assert len(results) == REQUESTS
    assert results.count("ok") == capacity, results
    assert results.count("conflict") == REQUESTS - capacity, results
    session.commit()  # end the test session's old read snapshot
    assert live_bookings(space.id) == capacity


# ---------------------------------------------------------------------------- several processes


def _process_worker(url, user_ids, races, queue):
    """Runs in a spawned process: its own app, engine and connections, like another instance.
    `races` is a list of (space_id, barrier); each is raced in turn by this process's threads."""
    from innocell import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": len(user_ids) + 2, "max_overflow": 0}})
    try:
        for space_id, barrier in races:
            queue.put((space_id, race_in_threads(app, user_ids, space_id, SLOT_START, SLOT_END, NOW,
                                                 barrier=barrier)))
    except Exception as exc:  # noqa: BLE001
        queue.put((None, [f"error: {exc.__class__.__name__}: {exc}"]))


def test_thirty_requests_from_six_processes_on_postgresql(pg_app):
    """Six app processes, five racers each: capacity 1 gives one booking, capacity 3 three."""
    from innocell.services.accounts import create_user

    session = db.session
    manager = create_user(session, email="m@race.test", password="tram-harbour-7", role="manager", now=NOW,
                          name="M", company="", priority_tier=3)
    users = [create_user(session, email=f"r{i}@race.test", password="tram-harbour-7", role="resident", now=NOW,
                         name=f"R{i}", company="", priority_tier=3) for i in range(REQUESTS)]
    session.commit()
    one = space_svc.create_space(session, {"code": "P1", "name": "Process Race One", "kind": "wet_lab"},
                                 actor=manager, now=NOW)
    # Another kind: the winners of the first race may hold one wet lab at a time.
    three = space_svc.create_space(session, {"code": "P3", "name": "Process Race Three", "kind": "meeting_room",
                                             "capacity": 3}, actor=manager, now=NOW)
    capacities = {one.id: 1, three.id: 3}
    ctx = multiprocessing.get_context("spawn")
    races = [(space_id, ctx.Barrier(REQUESTS)) for space_id in capacities]
    queue = ctx.Queue()
    ids = [u.id for u in users]
    procs = [ctx.Process(target=_process_worker, args=(pg_app.config["DATABASE_URL"], ids[i::6], races, queue))
             for i in range(6)]
    for p in procs:
        p.start()
    results: dict = {space_id: [] for space_id in capacities}
    for _ in range(len(procs) * len(races)):
        space_id, outcomes = queue.get(timeout=300)
        assert space_id is not None, outcomes
        results[space_id].extend(outcomes)
    for p in procs:
        p.join(timeout=60)
    session.commit()
    for space_id, capacity in capacities.items():
        outcomes = results[space_id]
        assert len(outcomes) == REQUESTS, outcomes
        assert outcomes.count("ok") == capacity, outcomes
        assert outcomes.count("conflict") == REQUESTS - capacity, outcomes
        assert live_bookings(space_id) == capacity


# ---------------------------------------------------------------------------- churn


OVER_CAPACITY_SQL = """
SELECT b1.space_id, b1.start_at, COUNT(*) AS holds
FROM bookings b1
JOIN bookings b2
  ON b2.space_id = b1.space_id AND b2.status <> 'cancelled'
 AND b2.start_at <= b1.start_at AND b2.hold_end_at > b1.start_at
JOIN spaces s ON s.id = b1.space_id
WHERE b1.status <> 'cancelled'
GROUP BY b1.id, b1.space_id, b1.start_at, s.capacity
HAVING COUNT(*) > s.capacity
"""


def test_churn_never_exceeds_capacity(app, session, manager, residents, set_kind):
    """Many threads book overlapping intervals and cancel some; the peak of holds on any space
    never exceeds its capacity (the peak always occurs at some booking's start). Each racer
    may hold several dry labs at once here, so that capacity, not the person's limit, is what
    they contend for (test_simultaneous_races races the person's limit)."""
    set_kind("dry_lab", simultaneous=20)
    spaces = [
        space_svc.create_space(session, {"code": "C1", "name": "Churn One", "kind": "dry_lab", "capacity": 1,
                                         "buffer_minutes": 15}, actor=manager, now=NOW),
        space_svc.create_space(session, {"code": "C2", "name": "Churn Two", "kind": "dry_lab", "capacity": 2,
                                         "buffer_minutes": 30}, actor=manager, now=NOW),
    ]
    space_ids = [s.id for s in spaces]
    user_ids = [u.id for u in residents[:10]]
    day = datetime(2026, 12, 9, 8, 0, tzinfo=HK).astimezone(UTC)
    barrier = threading.Barrier(len(user_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(uid, seed):
        rng = random.Random(seed)
        mine: list[int] = []
        with app.app_context():
            user = db.session.get(User, uid)
            db.session.commit()
            barrier.wait(timeout=120)
            for _ in range(12):
                if mine and rng.random() < 0.3:
                    booking_id = mine.pop(rng.randrange(len(mine)))
                    outcome = _outcome(lambda: svc.cancel(db.session, booking_id, actor=user, now=NOW))
                else:
                    start = day + timedelta(minutes=30 * rng.randrange(0, 10))
                    end = start + timedelta(minutes=30 * rng.randint(1, 4))
                    space_id = rng.choice(space_ids)
                    try:
                        booking = svc.book(db.session, user=user, space_id=space_id, start=start, end=end, now=NOW)
                        mine.append(booking.id)
                        outcome = "booked"
                    except Conflict:
                        outcome = "conflict"
                    except Exception as exc:  # noqa: BLE001
                        outcome = f"error: {exc.__class__.__name__}: {exc}"
                with lock:
                    outcomes.append(outcome)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(uid, i)) for i, uid in enumerate(user_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(outcomes) == 12 * len(user_ids)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("booked") > 10 and outcomes.count("conflict") > 10  # it really contended
    session.commit()  # end the test session's old read snapshot
    over = session.execute(text(OVER_CAPACITY_SQL)).all()
    assert over == []
    # Every success wrote one row, every cancellation kept its row.
    cancelled = session.execute(text("SELECT COUNT(*) FROM bookings WHERE status = 'cancelled'")).scalar_one()
    assert cancelled == outcomes.count("ok") > 0
    assert session.query(Booking).count() == outcomes.count("booked")
