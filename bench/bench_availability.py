"""Availability and conflict checks with 1k vs 100k historic bookings: the cost must not grow
with history (the overlap reads are bounded by BOOKING_MAX_SCAN_HOURS on the
(space_id, start_at) index).

    .venv/bin/python bench/bench_availability.py                 # SQLite in a temp dir
    .venv/bin/python bench/bench_availability.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The PostgreSQL database must exist (and have btree_gist); its tables are dropped and recreated.
Prints the median time per call for each history size and the ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from innocell import create_app  # noqa: E402
from innocell.extensions import db  # noqa: E402
from innocell.models import Booking, Space, User  # noqa: E402
from innocell.services import bookings as svc  # noqa: E402

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def build(url: str, history: int):
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
        space = Space(code="B1", name="Bench Lab", kind="wet_lab", capacity=1, created_at=NOW,
                      opening_hours={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
        db.session.add_all([user, manager, space])
        db.session.commit()
        rows = []
        # Back-to-back one-hour bookings going back from yesterday: 100k is over eleven years.
        cursor = NOW - timedelta(days=1)
        for _ in range(history):
            start = cursor - timedelta(hours=1)
            rows.append({"space_id": space.id, "user_id": user.id, "start_at": start, "end_at": cursor,
                         "hold_end_at": cursor, "exclusive": True, "status": "confirmed", "title": "",
                         "created_at": start})
            cursor = start
            if len(rows) == 5000:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (args.small, args.large):
            url = args.database_url or f"sqlite:///{tmp}/bench_{size}.db"
            t0 = time.perf_counter()
            app, space_id, user_id = build(url, size)
            print(f"built {size:>7} historic bookings in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
            measure(app, space_id, user_id, 3)  # warm up
            results[size] = measure(app, space_id, user_id, args.repeats)
    print()
    print(f"{'operation':<32}{args.small:>12,}{args.large:>12,}   ratio (large/small)")
    for name in results[args.small]:
        small, large = results[args.small][name], results[args.large][name]
        print(f"{name:<32}{small * 1000:>10.2f}ms{large * 1000:>10.2f}ms   {large / small:>6.2f}x")


if __name__ == "__main__":
    main()
