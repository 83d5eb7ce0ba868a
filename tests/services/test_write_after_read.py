"""A transaction that read first and writes later must not fail because another connection
wrote in between (SQLite's deferred transactions fail at once with 'database is locked')."""
from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from innocell.extensions import db
from innocell.models import Notification
from innocell.services.notifications import notify


def test_read_then_write_survives_a_concurrent_writer(app, make_user, now):
    user_id = make_user("resident").id
    db.session.rollback()  # end the fixture's read snapshot so the check below sees both writes
    with Session(db.engine) as first, Session(db.engine) as second:
        first.execute(select(func.count(Notification.id))).scalar_one()  # first now holds a read snapshot
        notify(second, user_id=user_id, kind="test", subject="from second", body="", now=now)
        second.commit()
        notify(first, user_id=user_id, kind="test", subject="from first", body="", now=now)
        first.commit()
    subjects = sorted(db.session.execute(select(Notification.subject)).scalars())
    assert subjects == ["from first", "from second"]


def test_many_threads_reading_then_writing_all_succeed(app, make_user, now):
    user_id = make_user("resident").id
    db.session.rollback()
    engine = db.engine
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            with Session(engine) as s:
                s.execute(select(func.count(Notification.id))).scalar_one()
                barrier.wait()
                notify(s, user_id=user_id, kind="test", subject=f"n{n}", body="", now=now)
                s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.execute(select(func.count(Notification.id))).scalar_one() == 8
