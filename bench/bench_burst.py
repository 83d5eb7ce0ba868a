"""A selection-day burst (issue 16, benchmark 2): 500 residents open a lab's availability and
2,000 booking attempts go for the same morning's slots at once, through gunicorn on PostgreSQL.

1. A throw-away database (the HTTP benchmark's, bench_booking_http.py), migrated; 20 labs of
   capacity one with hourly slots and 500 residents with API tokens (bulk-made: the burst, not
   password hashing, is measured).
2. gunicorn (--workers N x 4 threads) on loopback; BURST_THREADS client threads, each with its
   own keep-alive connection, send the 500 availability reads and then the 2,000 booking
   attempts, each for one of tomorrow's 08:00-12:00 slots on one of the labs (80 slots), as
   fast as the server answers.
3. Afterwards: every answer was 200, 201 or 409 (no error), and every slot is held by exactly
   one booking (checked in SQL).

    .venv/bin/python bench/bench_burst.py [--workers 4]

Targets: no error, p99 under one second, every slot taken exactly once; the time the whole
burst took is printed beside the issue's ten seconds.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_booking_http import (DSN, URL, free_port, fresh_database, overbookings, start_gunicorn,  # noqa: E402
                                stop, target, warm_up)

LABS, RESIDENTS, READS, ATTEMPTS = 20, 500, 500, 2000
REFUSALS = ("1,920 of the 2,000 attempts are refusals, each searching every lab of the kind for the nearest free "
            "times, CPU-bound on two cores shared with the load generator")
BURST_THREADS = 32
FIRST_HOUR, LAST_HOUR = 8, 12  # the morning's slots: 08:00-12:00 local, tomorrow


def seed(now: datetime) -> tuple[list[int], list[str]]:
    """Migrate; 20 labs and 500 residents with tokens, bulk-made; (lab ids, tokens)."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import insert, select, update

    from innocell import create_app
    from innocell.extensions import db
    from innocell.models import Space, SpaceKind, User
    from innocell.services.accounts import issue_token

    logging.getLogger("innocell.extensions").setLevel(logging.ERROR)  # the bulk load writes outside services
    app = create_app({"DATABASE_URL": URL, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        db.session.execute(update(SpaceKind).values(quota_hours=5000, simultaneous=5000))
        always = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        labs = [Space(code=f"B{i:02d}", name=f"Burst Lab {i}", kind="wet_lab", capacity=1, created_at=now,
                      opening_hours=always, max_days_ahead=30, slot_minutes=60, min_minutes=60, max_minutes=240,
                      buffer_minutes=0) for i in range(LABS)]
        db.session.add_all(labs)
        db.session.execute(insert(User), [
            {"email": f"b{i}@burst.test", "name": f"Resident {i}", "role": "resident", "priority_tier": 3,
             "password_hash": "x", "active": True, "session_token": f"s{i}", "created_at": now,
             "email_verified_at": now} for i in range(RESIDENTS)])
        db.session.flush()
        tokens = [issue_token(db.session, user, now=now, hours=24)[0]
                  for user in db.session.execute(select(User).order_by(User.id)).scalars()]
        db.session.commit()
        ids = [lab.id for lab in labs]
        db.engine.dispose()
    return ids, tokens


def burst(port: int, jobs: list[tuple[str, str, str, dict | None]]) -> dict:
    """Send every (method, path, token, body) from BURST_THREADS threads; latencies and statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock, position = threading.Lock(), [0]
    barrier = threading.Barrier(BURST_THREADS)

    def body():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        while True:
            with lock:
                if position[0] >= len(jobs):
                    break
                method, path, token, payload = jobs[position[0]]
                position[0] += 1
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            data = None
            if payload is not None:
                headers["Content-Type"] = "application/json"
                data = json.dumps(payload)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=headers)
                answer = conn.getresponse()
                answer.read()
                status = answer.status
            except OSError:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=body) for _ in range(BURST_THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    flat = sorted(latencies)
    return {"took": took, "statuses": statuses, "p50": 1000 * statistics.median(flat),
            "p99": 1000 * flat[min(len(flat) - 1, int(len(flat) * 0.99))]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    args = parser.parse_args()
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    hk = timezone(timedelta(hours=8))
    tomorrow = (now.astimezone(hk) + timedelta(days=1)).date()
    print(f"Load average before: {os.getloadavg()[0]:.1f} (other work on the machine slows the figures)")
    print(f"Selection-day burst: {READS} availability reads then {ATTEMPTS} booking attempts on {LABS} labs x "
          f"{LAST_HOUR - FIRST_HOUR} morning slots, {BURST_THREADS} connections, gunicorn {args.workers} workers "
          f"x 4 threads", flush=True)
    fresh_database()
    labs, tokens = seed(now)
    rng = random.Random(7)
    day = f"start={tomorrow}T00:00:00%2B08:00&end={tomorrow + timedelta(days=1)}T00:00:00%2B08:00"
    reads = [("GET", f"/api/v1/spaces/{rng.choice(labs)}/availability?{day}", tokens[i % RESIDENTS], None)
             for i in range(READS)]
    attempts = []
    for i in range(ATTEMPTS):
        hour = rng.randrange(FIRST_HOUR, LAST_HOUR)
        attempts.append(("POST", "/api/v1/bookings", tokens[rng.randrange(RESIDENTS)], {
            "space_id": rng.choice(labs), "start": f"{tomorrow}T{hour:02d}:00:00+08:00",
            "end": f"{tomorrow}T{hour + 1:02d}:00:00+08:00"}))
    port = free_port()
    server = start_gunicorn(port, args.workers, Path(tempfile.mkdtemp(prefix="innocell-burst-")) / "gunicorn.log")
    try:
        warm_up(port)
        opened = burst(port, reads)
        booked = burst(port, attempts)
    finally:
        stop(server)
    slots = LABS * (LAST_HOUR - FIRST_HOUR)
    with psycopg.connect(DSN) as conn:
        held = conn.execute("SELECT count(*), count(DISTINCT (space_id, start_at)) FROM bookings "
                            "WHERE status <> 'cancelled'").fetchone()
    over = overbookings()
    for name, run in (("availability reads", opened), ("booking attempts", booked)):
        print(f"  {name:<18} {run['took']:6.1f} s  p50 {run['p50']:7.1f} ms  p99 {run['p99']:7.1f} ms  "
              f"answers {dict(sorted(run['statuses'].items()))}")
    print(f"  slots held: {held[0]} bookings on {held[1]} distinct slots of {slots}; overbookings {over}")
    errors = sum(n for status, run in ((s, r) for r in (opened, booked) for s in r["statuses"])
                 for n in [run["statuses"][status]] if status not in (200, 201, 409))
    target("burst: no error", errors == 0, f"{errors} answers other than 200/201/409")
    worst = max(opened["p99"], booked["p99"])
    target("burst: p99 < 1 s", worst < 1000, f"p99 {worst:.0f} ms (reads {opened['p99']:.0f}, "
                                             f"bookings {booked['p99']:.0f})", REFUSALS)
    target("burst: every slot taken exactly once", held[0] == held[1] == slots and over == 0,
           f"{held[0]} bookings, {held[1]} distinct of {slots} slots, {over} overlaps")
    target("burst: served within 10 s", opened["took"] + booked["took"] <= 10,
           f"{opened['took'] + booked['took']:.1f} s for {READS + ATTEMPTS} requests", REFUSALS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
