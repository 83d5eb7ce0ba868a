"""Reads against history (issue 16, benchmark 3): a space's availability for a week and a
conflict check, with 10k and with 1M bookings of history (bulk-loaded, spread over the
SPACES spaces of one kind), on SQLite and on PostgreSQL. The cost must not grow with history:
the overlap reads are bounded by BOOKING_MAX_SCAN_HOURS on the (space_id, start_at) index.
Target: p50 at 1M at most 1.5 times p50 at 10k. Prints the query plan of the holds read.

    .venv/bin/python bench/bench_availability.py              # SQLite, then a throw-away PostgreSQL database
    .venv/bin/python bench/bench_availability.py --small 1000 --large 100000 --only sqlite

PostgreSQL: a database innocell_bench_history on 127.0.0.1:5432 (user postgres) is created and
dropped by the script.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from innocell import create_app  # noqa: E402
from innocell.extensions import db  # noqa: E402
from innocell.models import Booking, Space, User  # noqa: E402
from innocell.services import bookings as svc  # noqa: E402

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
SPACES = 20
PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "innocell_bench_history"


def build(url: str, history: int):
    logging.getLogger("innocell.extensions").setLevel(logging.ERROR)  # the bulk load writes outside services
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        db.drop_all()
        db.create_all()
        user = User(email="bench@example.test", name="Bench", role="resident", password_hash="x",
                    session_token="x", priority_tier=3, created_at=NOW)
        manager = User(email="m@example.test", name="M", role="manager", password_hash="x", session_token="y",
                       priority_tier=3, created_at=NOW)
        hours = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        spaces = [Space(code=f"B{k}", name=f"Bench Lab {k}", kind="wet_lab", capacity=1, created_at=NOW,
                        opening_hours=hours) for k in range(1, SPACES + 1)]
        db.session.add_all([user, manager, *spaces])
        db.session.commit()
        space = spaces[0]
        rows = []
        # Back-to-back one-hour bookings going back from yesterday on every space: 1M over 20
        # spaces is 50k hours (almost six years) each.
        per_space = history // SPACES
        for each in spaces:
            cursor = NOW - timedelta(days=1)
            for _ in range(per_space):
                start = cursor - timedelta(hours=1)
                rows.append({"space_id": each.id, "user_id": user.id, "start_at": start, "end_at": cursor,
                             "hold_end_at": cursor, "exclusive": True, "status": "confirmed", "title": "",
                             "created_at": start})
                cursor = start
                if len(rows) == 20_000:
                    db.session.execute(insert(Booking), rows)
                    rows = []
        if rows:
            db.session.execute(insert(Booking), rows)
        # A busy coming week too, so the checks have real work to do.
        day = NOW + timedelta(days=7)
        for i in range(0, 7 * 24, 3):
            s = day + timedelta(hours=i)
            db.session.add(Booking(space_id=space.id, user_id=user.id, start_at=s, end_at=s + timedelta(hours=1),
                                   hold_end_at=s + timedelta(hours=1), exclusive=True, status="confirmed", title="",
                                   created_at=NOW))
        db.session.commit()
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE bookings"))
        return app, space.id, user.id


def plan(app, space_id: int) -> str:
    """The database's plan for the holds read of a check (services/bookings/reads.py)."""
    start = NOW + timedelta(days=7)
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        sql = (explain + "SELECT start_at, hold_end_at FROM bookings WHERE space_id = :s AND start_at >= :lo "
               "AND start_at < :hi AND hold_end_at > :start AND status != 'cancelled'")
        params = {"s": space_id, "lo": start - timedelta(hours=24 * 7), "hi": start + timedelta(days=7), "start": start}
        rows = db.session.execute(text(sql), params).all()
        return "\n".join("    " + (str(r[-1]) if sqlite else str(r[0])) for r in rows)


def measure(app, space_id: int, user_id: int, repeats: int) -> dict[str, float]:
    timings = {"availability (1 week)": [], "check (free slot)": [], "check (taken: + suggestions)": []}
    start = NOW + timedelta(days=7)
    with app.app_context():
        user = db.session.get(User, user_id)
        manager = db.session.execute(text("SELECT id FROM users WHERE role = 'manager'")).scalar_one()
        manager = db.session.get(User, manager)
        for _ in range(repeats):
            t0 = time.perf_counter()
            svc.availability(db.session, space_id, start=start, end=start + timedelta(days=7), now=NOW)
            timings["availability (1 week)"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            result = svc.check(db.session, user=manager, space_id=space_id, start=start + timedelta(hours=1),
                               end=start + timedelta(hours=2), now=NOW)
            timings["check (free slot)"].append(time.perf_counter() - t0)
            assert result.ok
            t0 = time.perf_counter()
            result = svc.check(db.session, user=manager, space_id=space_id, start=start, end=start + timedelta(hours=1),
                               now=NOW)
            timings["check (taken: + suggestions)"].append(time.perf_counter() - t0)
            assert result.conflicts and result.suggestions
            db.session.commit()
    return {name: statistics.median(values) for name, values in timings.items()}


def pg_url() -> str | None:
    """A fresh PostgreSQL database for this run, or None (said why) when the server is away."""
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    except Exception as exc:  # noqa: BLE001 - any failure: no PostgreSQL figures this run
        print(f"PostgreSQL at {PG_SERVER} not usable ({exc.__class__.__name__}); SQLite only")
        return None
    finally:
        admin.dispose()
    return PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DB}"


def drop_pg() -> None:
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    admin.dispose()


def run(label: str, url_for_size, small: int, large: int, repeats: int) -> None:
    results = {}
    for size in (small, large):
        url = url_for_size(size)
        t0 = time.perf_counter()
        app, space_id, user_id = build(url, size)
        print(f"{label}: built {size:>9,} historic bookings in {time.perf_counter() - t0:.1f} s", flush=True)
        measure(app, space_id, user_id, 3)  # warm up
        results[size] = measure(app, space_id, user_id, repeats)
        print(f"{label}: plan of the holds read at {size:,}:\n{plan(app, space_id)}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print()
    print(f"{label + ': operation (p50)':<40}{small:>12,}{large:>12,}   ratio (large/small)")
    for name in results[small]:
        a, b = results[small][name], results[large][name]
        print(f"{label + ': ' + name:<40}{a * 1000:>10.2f}ms{b * 1000:>10.2f}ms   {b / a:>6.2f}x")
        met = b <= 1.5 * a
        print(f"TARGET | history {label}: {name} p50 at {large:,} <= 1.5x at {small:,} | "
              f"{'met' if met else 'not yet'} | {a * 1000:.2f} ms -> {b * 1000:.2f} ms = {b / a:.2f}x", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", lambda size: f"sqlite:///{tmp}/bench_{size}.db", args.small, args.large, args.repeats)
    if args.only != "sqlite":
        url = pg_url()
        if url is not None:
            try:
                run("PostgreSQL", lambda size: url, args.small, args.large, args.repeats)
            finally:
                drop_pg()


if __name__ == "__main__":
    main()
