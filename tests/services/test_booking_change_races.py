"""A change races against new bookings of the same slot, for real (threads on SQLite and
PostgreSQL, several processes on PostgreSQL): never a double booking, and the original is never
lost: either the change wins (the booking holds the new slot and its old slot is free for the
others) or it loses (the booking is exactly as it was, and the old slot still its own)."""
from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import text

from innocell.extensions import db
from innocell.models import User
from innocell.services import Conflict
from innocell.services import bookings as svc
from innocell.services import spaces as space_svc

from tests.services.test_booking_races import OVER_CAPACITY_SQL
from tests.races import on_threads

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
OLD = (datetime(2026, 12, 8, 10, 0, tzinfo=HK).astimezone(UTC), datetime(2026, 12, 8, 12, 0, tzinfo=HK).astimezone(UTC))
NEW = (datetime(2026, 12, 8, 14, 0, tzinfo=HK).astimezone(UTC), datetime(2026, 12, 8, 16, 0, tzinfo=HK).astimezone(UTC))
FRESH, FOR_OLD = 10, 4  # racers booking the new slot fresh; racers trying the old slot


def _outcome(fn) -> str:
    try:
        fn()
        return "ok"
    except Conflict:
        return "conflict"
    except Exception as exc:  # noqa: BLE001 - any other outcome fails the test
        return f"error: {exc.__class__.__name__}: {exc}"


def race(app, jobs, barrier) -> list[tuple[str, str]]:
    """Run each (label, user_id, space_id, booking_id) job in its own thread and app context,
    all released together: label 'change' moves the booking to NEW, 'new'/'old' book NEW/OLD."""
    def worker(label, uid, space_id, booking_id):
        with app.app_context():
            user = db.session.get(User, uid)
            db.session.commit()
            barrier.wait(timeout=120)
            if label == "change":
                outcome = _outcome(lambda: svc.change(db.session, booking_id, actor=user, now=NOW, start=NEW[0],
                                                      end=NEW[1]))
            else:
                start, end = NEW if label == "new" else OLD
                outcome = _outcome(lambda: svc.book(db.session, user=user, space_id=space_id, start=start, end=end,
                                                    title="race", now=NOW))
            db.session.remove()
        return label, outcome

    return on_threads([lambda job=job: worker(*job) for job in jobs])


def _row(booking_id):
    return tuple(db.session.execute(text("SELECT * FROM bookings WHERE id = :id"), {"id": booking_id}).one())


def _live(space_id, start, end) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(
        text("SELECT id, user_id FROM bookings WHERE space_id = :s AND status <> 'cancelled' "
             "AND start_at < :e AND hold_end_at > :b"), {"s": space_id, "b": start, "e": end}).all()]


def judge(space_id, booking_id, before, results) -> str:
    """The invariants after one race; answers which side won."""
    assert not [o for _, o in results if o.startswith("error")], results
    db.session.commit()  # a fresh snapshot
    assert db.session.execute(text(OVER_CAPACITY_SQL)).all() == []
    changed = dict(results)["change"] == "ok"
    on_new, on_old = _live(space_id, *NEW), _live(space_id, *OLD)
    fresh_ok = sum(1 for label, o in results if label == "new" and o == "ok")
    old_ok = sum(1 for label, o in results if label == "old" and o == "ok")
    assert len(on_new) == 1 and len(on_old) <= 1
    if changed:
        assert on_new[0][0] == booking_id and fresh_ok == 0
        assert old_ok == len(on_old) and (not on_old or on_old[0][0] != booking_id)
        return "change won"
    assert _row(booking_id) == before  # exactly as it was
    assert [r[0] for r in on_old] == [booking_id] and old_ok == 0 and fresh_ok == 1
    return "change lost"


def _setup(session, manager, holder, code):
    space = space_svc.create_space(session, {"code": code, "name": f"Race {code}", "kind": "wet_lab"},
                                   actor=manager, now=NOW)
    booking = svc.book(session, user=holder, space_id=space.id, start=OLD[0], end=OLD[1], now=NOW)
    session.commit()
    return space.id, booking.id


def test_a_change_racing_fresh_bookings_in_threads(app, session, make_user, set_kind):
    set_kind("wet_lab", simultaneous=10)  # last round's winners may race again
    manager = make_user("manager")
    people = [make_user("resident") for _ in range(FRESH + FOR_OLD + 1)]
    holder, others = people[0], people[1:]
    seen = []
    # Two rounds where fresh bookings contest the new slot, one where only the old slot is
    # contested (the change then wins, and its old slot is taken by a racer only once it has).
    for round_no, fresh in enumerate((FRESH, FRESH, 0)):
        space_id, booking_id = _setup(session, manager, holder, f"T{round_no}")
        before = _row(booking_id)
        jobs = [("change", holder.id, space_id, booking_id)]
        jobs += [("new", u.id, space_id, None) for u in others[:fresh]]
        jobs += [("old", u.id, space_id, None) for u in others[FRESH:]]
        results = race(app, jobs, threading.Barrier(len(jobs)))
        assert len(results) == len(jobs)
        seen.append(judge(space_id, booking_id, before, results))
        if seen[-1] == "change won":  # the holder's next round starts from a fresh booking
            svc.cancel(session, booking_id, actor=holder, now=NOW)
            session.commit()
    assert seen[2] == "change won" and set(seen) <= {"change won", "change lost"}


# ---------------------------------------------------------------------------- several processes


def _process_worker(url, jobs, barrier, queue):
    from innocell import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": len(jobs) + 2, "max_overflow": 0}})
    try:
        queue.put(race(app, jobs, barrier))
    except Exception as exc:  # noqa: BLE001
        queue.put([("error", f"error: {exc.__class__.__name__}: {exc}")])


def test_a_change_racing_fresh_bookings_from_processes_on_postgresql(pg_app):
    from innocell.services.accounts import create_user

    session = db.session
    manager = create_user(session, email="m@change.test", password="tram-harbour-7", role="manager", now=NOW,
                          name="M", company="", priority_tier=3)
    people = [create_user(session, email=f"r{i}@change.test", password="tram-harbour-7", role="resident", now=NOW,
                          name=f"R{i}", company="", priority_tier=3) for i in range(FRESH + FOR_OLD + 1)]
    session.commit()
    holder, others = people[0], people[1:]
    space_id, booking_id = _setup(session, manager, holder, "P")
    before = _row(booking_id)
    jobs = [("change", holder.id, space_id, booking_id)]
    jobs += [("new", u.id, space_id, None) for u in others[:FRESH]]
    jobs += [("old", u.id, space_id, None) for u in others[FRESH:]]
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(len(jobs)), ctx.Queue()
    procs = [ctx.Process(target=_process_worker, args=(pg_app.config["DATABASE_URL"], jobs[i::5], barrier, queue))
             for i in range(5)]
    for p in procs:
        p.start()
    results = []
    for _ in procs:
        results.extend(queue.get(timeout=300))
    for p in procs:
        p.join(timeout=60)
    assert len(results) == len(jobs), results
    assert judge(space_id, booking_id, before, results) in ("change won", "change lost")


def test_changes_crossing_between_two_spaces_never_deadlock(app, session, make_user, set_kind):
    """Booking X moves from lab A to lab B while booking Y moves from B to A, again and again:
    both lock A then B (ascending ids), so neither ever waits on the other in a cycle."""
    set_kind("wet_lab", simultaneous=10)
    manager, first, second = make_user("manager"), make_user("resident"), make_user("resident")
    a = space_svc.create_space(session, {"code": "XA", "name": "Cross A", "kind": "wet_lab"}, actor=manager, now=NOW)
    b = space_svc.create_space(session, {"code": "XB", "name": "Cross B", "kind": "wet_lab"}, actor=manager, now=NOW)
    x = svc.book(session, user=first, space_id=a.id, start=OLD[0], end=OLD[1], now=NOW)
    y = svc.book(session, user=second, space_id=b.id, start=NEW[0], end=NEW[1], now=NOW)
    session.commit()
    plan = [(first.id, x.id, (b.id, a.id)), (second.id, y.id, (a.id, b.id))]
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(plan))

    def worker(uid, booking_id, targets):
        with app.app_context():
            user = db.session.get(User, uid)
            db.session.commit()
            barrier.wait(timeout=120)
            for i in range(8):
                outcome = _outcome(lambda: svc.change(db.session, booking_id, actor=user, now=NOW,
                                                      space_id=targets[i % 2]))
                with lock:
                    outcomes.append(outcome)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=job) for job in plan]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    # The two bookings never overlap in time, so every change is granted; none errs or hangs.
    assert outcomes == ["ok"] * 16, outcomes
    session.commit()
    assert session.execute(text(OVER_CAPACITY_SQL)).all() == []
    assert session.execute(text("SELECT space_id FROM bookings WHERE id = :id"), {"id": x.id}).scalar_one() == a.id
    assert session.execute(text("SELECT space_id FROM bookings WHERE id = :id"), {"id": y.id}).scalar_one() == b.id
