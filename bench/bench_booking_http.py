"""Booking writes through the real HTTP stack on PostgreSQL, against the raw guarded write
measured in the same run, then two app instances on one database (issue 16, benchmark 1 and
"Several instances").

1. A throw-away database on 127.0.0.1:5432 (user postgres, trust), migrated with Alembic,
   seeded with 200 spaces (capacity one, open round the clock) and 40 residents with API
   tokens.
2. gunicorn (`innocell.wsgi:app`, --workers N, gthread) on loopback; 16 client threads, each
   with its own keep-alive connection, POST /api/v1/bookings for random hours for DURATION s.
3. The raw guarded write done directly with psycopg for the same time and the same 16
   connections: lock the space row, count overlapping holds, insert.
4. Zero overbookings, checked with a raw SQL self-join over every live booking.
5. Two instances (ports P and P+1) against the same database race for 20 slots; then
   `flask --app innocell run-jobs --at T` from both at the same instant: every job tick runs
   once (one job_runs row per job), every due booking gets exactly one reminder.

    .venv/bin/python bench/bench_booking_http.py [--quick] [--workers 4] [--seconds 10]

Prints bookings/s, p50 and p99 of both, their ratio, and TARGET lines that bench/run_all.py
gathers into its table. Targets: app >= 1/3 of raw, p99 < 250 ms at 16 connections, zero
overbookings, two instances: zero overbookings and each job effect once.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
DB = "innocell_bench_http"
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
DSN = f"host=127.0.0.1 port=5432 user=postgres dbname={DB}"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}"
CONNECTIONS = 16
SPACES, RESIDENTS = 200, 40
SLOTS = 10  # raced by every client thread across two instances
OVERBOOKED = """
    SELECT count(*) FROM bookings a JOIN bookings b
      ON a.space_id = b.space_id AND a.id < b.id
     AND a.status <> 'cancelled' AND b.status <> 'cancelled'
     AND a.start_at < b.hold_end_at AND b.start_at < a.hold_end_at"""


CPU_BOUND = ("each booking costs several ms of Python CPU (Flask, SQLAlchemy, the rule check, audit and webhook "
             "rows) and the two cores are shared with the load generator; more instances scale it")


def target(name: str, met: bool, figure: str, why: str = "") -> None:
    """One line of bench/run_all.py's table; `why` is said only when the target is not met."""
    print(f"TARGET | {name} | {'met' if met else 'not yet'} | {figure}{'' if met or not why else ' (why: ' + why + ')'}",
          flush=True)


# ---------------------------------------------------------------------------- the database


def fresh_database() -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def seed(now: datetime) -> tuple[list[int], list[str]]:
    """Migrate, then 200 spaces and 40 verified residents with tokens; (space ids, tokens)."""
    from flask_migrate import upgrade
    from sqlalchemy import update

    from innocell import create_app
    from innocell.extensions import db
    from innocell.models import Space, SpaceKind
    from innocell.services.accounts import create_user, issue_token
    from innocell.services.tx import begin_guarded

    app = create_app({"DATABASE_URL": URL, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        begin_guarded(db.session)
        db.session.execute(update(SpaceKind).values(quota_hours=5000, simultaneous=5000))
        always = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        spaces = [Space(code=f"L{i:03d}", name=f"Lab {i}", kind="wet_lab", capacity=1, created_at=now,
                        opening_hours=always, max_days_ahead=120, slot_minutes=60, min_minutes=60,
                        max_minutes=240, buffer_minutes=0)
                  for i in range(SPACES)]
        db.session.add_all(spaces)
        tokens = []
        for i in range(RESIDENTS):
            user = create_user(db.session, email=f"r{i}@bench.test", password="tram-harbour-7", role="resident",
                               now=now, name=f"Resident {i}", company="Bench", priority_tier=3)
            user.email_verified_at = now
            db.session.flush()
            token, _ = issue_token(db.session, user, now=now, hours=24)
            tokens.append(token)
        db.session.commit()
        ids = [s.id for s in spaces]
        db.engine.dispose()
    return ids, tokens


def overbookings() -> int:
    with psycopg.connect(DSN) as conn:
        return conn.execute(OVERBOOKED).fetchone()[0]


# ---------------------------------------------------------------------------- the servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(**extra) -> dict:
    return {**os.environ, "DATABASE_URL": URL, "SECRET_KEY": "bench-secret-" + "x" * 40,
            "INNOCELL_ENV": "development", **extra}


def start_gunicorn(port: int, workers: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", "4", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "innocell.wsgi:app"],
        cwd=ROOT, env=env(), stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"gunicorn did not answer on {port}: {log.read_text()[-2000:]}")


def warm_up(port: int, seconds: float = 2.0) -> None:
    """Let every worker import and connect before the clock starts (16 parallel GETs)."""
    def hit():
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
            except OSError:
                pass
    threads = [threading.Thread(target=hit) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---------------------------------------------------------------------------- the load


def run_threads(worker, seconds: float) -> dict:
    """16 threads run worker(index, deadline, latencies, outcomes) for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    outcomes: list[dict] = [{} for _ in range(CONNECTIONS)]
    barrier = threading.Barrier(CONNECTIONS)

    def body(i):
        barrier.wait()
        worker(i, time.perf_counter() + seconds, latencies[i], outcomes[i])

    threads = [threading.Thread(target=body, args=(i,)) for i in range(CONNECTIONS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for lat in latencies for x in lat)
    counts: dict = {}
    for o in outcomes:
        for k, v in o.items():
            counts[k] = counts.get(k, 0) + v
    booked = counts.get("booked", 0)
    return {"booked": booked, "per_s": booked / elapsed, "requests": len(flat), "counts": counts,
            "p50": 1000 * statistics.median(flat) if flat else 0.0,
            "p99": 1000 * flat[min(len(flat) - 1, int(len(flat) * 0.99))] if flat else 0.0}


def http_worker(ports: list[int], tokens: list[str], spaces: list[int], first_day: datetime, days: int,
                slots: list[tuple[int, datetime]] | None = None):
    def work(i, deadline, latencies, outcomes):
        rng = random.Random(i)
        port = ports[i % len(ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        queue = list(slots or [])  # a race: every thread asks for every slot, in the same order
        while time.perf_counter() < deadline and (slots is None or queue):
            if slots is None:
                space = rng.choice(spaces)
                start = first_day + timedelta(hours=rng.randrange(days * 24))
            else:
                space, start = queue.pop(0)
            body = json.dumps({"space_id": space, "start": start.isoformat(),
                               "end": (start + timedelta(hours=1)).isoformat()})
            headers = {"Authorization": f"Bearer {rng.choice(tokens)}", "Content-Type": "application/json"}
            t0 = time.perf_counter()
            status = None
            for _attempt in range(2):  # the server may have closed an idle keep-alive connection
                try:
                    conn.request("POST", "/api/v1/bookings", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    break
                except (OSError, http.client.HTTPException) as exc:
                    status = type(exc).__name__
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            latencies.append(time.perf_counter() - t0)
            key = {201: "booked", 409: "conflict"}.get(status, f"http {status}")
            outcomes[key] = outcomes.get(key, 0) + 1
        conn.close()
    return work


def raw_worker(spaces: list[int], user_id: int, first_day: datetime, days: int, now: datetime):
    def work(i, deadline, latencies, outcomes):
        rng = random.Random(1000 + i)
        with psycopg.connect(DSN) as conn:
            while time.perf_counter() < deadline:
                space = rng.choice(spaces)
                start = first_day + timedelta(hours=rng.randrange(days * 24))
                end = start + timedelta(hours=1)
                t0 = time.perf_counter()
                with conn.transaction():
                    conn.execute("SELECT id FROM spaces WHERE id = %s FOR UPDATE", (space,))
                    taken = conn.execute(
                        "SELECT count(*) FROM bookings WHERE space_id = %s AND status <> 'cancelled' "
                        "AND start_at < %s AND hold_end_at > %s", (space, end, start)).fetchone()[0]
                    if not taken:
                        conn.execute(
                            "INSERT INTO bookings (space_id, user_id, start_at, end_at, hold_end_at, exclusive, "
                            "status, title, created_at, late_cancel) "
                            "VALUES (%s, %s, %s, %s, %s, true, 'confirmed', '', %s, false)",
                            (space, user_id, start, end, end, now))
                latencies.append(time.perf_counter() - t0)
                key = "conflict" if taken else "booked"
                outcomes[key] = outcomes.get(key, 0) + 1
    return work


# ---------------------------------------------------------------------------- two instances


def jobs_once(at: datetime) -> tuple[bool, str]:
    """run-jobs from two processes at the same instant; each job tick once, one reminder each."""
    barrier_file = Path(tempfile.mkdtemp()) / "go"
    script = ("import os,sys,time,subprocess\n"
              f"while not os.path.exists({str(barrier_file)!r}): time.sleep(0.005)\n"
              f"sys.exit(subprocess.call([{str(BIN / 'flask')!r}, '--app', 'innocell', 'run-jobs', '--at', "
              f"{at.isoformat()!r}]))\n")
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    time.sleep(3)  # both are waiting at the barrier
    barrier_file.touch()
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    with psycopg.connect(DSN) as conn:
        runs = conn.execute("SELECT job, count(*) FROM job_runs GROUP BY job").fetchall()
        twice = [job for job, n in runs if n != 1]
        due = conn.execute("SELECT count(*) FROM bookings WHERE status = 'confirmed' AND start_at > %s "
                           "AND start_at <= %s", (at, at + timedelta(hours=24))).fetchone()[0]
        reminders = conn.execute("SELECT count(*), count(DISTINCT dedupe_key) FROM notifications "
                                 "WHERE kind = 'reminder'").fetchone()
    ok = not twice and runs and reminders[0] == reminders[1] == due
    figure = (f"{len(runs)} jobs, ticks run twice: {twice or 'none'}; {due} due bookings, "
              f"{reminders[0]} reminders ({reminders[1]} distinct)")
    if not ok:
        print(*outputs, sep="\n")
    return bool(ok), figure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s per phase instead of 10")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    args = parser.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    logs = Path(tempfile.mkdtemp(prefix="innocell-bench-"))
    print(f"Load average before: {os.getloadavg()[0]:.1f} (other work on the machine slows the figures)")
    print(f"Booking writes over HTTP: gunicorn {args.workers} workers x 4 threads, {CONNECTIONS} connections, "
          f"{seconds:.0f} s per phase, {os.cpu_count()} cores; PostgreSQL {DB}", flush=True)
    fresh_database()
    spaces, tokens = seed(now)
    with psycopg.connect(DSN) as conn:
        raw_user = conn.execute("SELECT min(id) FROM users").fetchone()[0]

    port = free_port()
    server = start_gunicorn(port, args.workers, logs / "gunicorn.log")
    try:
        warm_up(port)
        app = run_threads(http_worker([port], tokens, spaces, now + timedelta(days=2), 40), seconds)
    finally:
        stop(server)
    raw = run_threads(raw_worker(spaces, raw_user, now + timedelta(days=50), 40, now), seconds)
    over = overbookings()
    ratio = app["per_s"] / raw["per_s"] if raw["per_s"] else 0.0
    print(f"  app (HTTP): {app['per_s']:7.1f} bookings/s  p50 {app['p50']:6.1f} ms  p99 {app['p99']:6.1f} ms  "
          f"{app['counts']}")
    print(f"  raw write : {raw['per_s']:7.1f} bookings/s  p50 {raw['p50']:6.1f} ms  p99 {raw['p99']:6.1f} ms  "
          f"{raw['counts']}")
    print(f"  ratio app/raw: {ratio:.2f}; overbookings: {over}", flush=True)
    errors = {k: v for k, v in app["counts"].items() if k not in ("booked", "conflict")}
    target("booking writes: app >= 1/3 of raw", ratio >= 1 / 3,
           f"{app['per_s']:.0f}/s vs raw {raw['per_s']:.0f}/s = {ratio:.2f}", CPU_BOUND)
    target("booking writes: p99 < 250 ms at 16 connections", app["p99"] < 250 and not errors,
           f"p99 {app['p99']:.0f} ms, p50 {app['p50']:.0f} ms" + (f", errors {errors}" if errors else ""), CPU_BOUND)
    target("booking writes: zero overbookings", over == 0, f"{over} overlapping pairs")

    # Two instances on one database: race 20 slots within the reminder window, then both run the jobs.
    ports = [free_port(), free_port()]
    servers = [start_gunicorn(p, 2, logs / f"instance-{p}.log") for p in ports]
    soon = now + timedelta(hours=3)
    slots = [(spaces[i % 5], soon + timedelta(hours=i // 5)) for i in range(SLOTS)]
    try:
        warm_up(ports[0])
        warm_up(ports[1])
        race = run_threads(http_worker(ports, tokens, spaces, soon, 1, slots=slots), 300)
    finally:
        for s in servers:
            stop(s)
    over2 = overbookings()
    with psycopg.connect(DSN) as conn:
        taken = conn.execute("SELECT count(*) FROM bookings WHERE status <> 'cancelled' AND start_at >= %s "
                             "AND start_at < %s", (soon, soon + timedelta(hours=SLOTS // 5))).fetchone()[0]
    print(f"  two instances: {race['requests']} attempts on {SLOTS} slots -> {race['counts']}; "
          f"{taken} booked; overbookings {over2}")
    target("two instances: zero overbookings", over2 == 0 and taken == SLOTS and race["counts"].get("booked") == SLOTS,
           f"{race['requests']} attempts, {taken}/{SLOTS} slots booked once, {over2} overlaps")
    ok, figure = jobs_once(now + timedelta(minutes=30))
    print(f"  run-jobs from two processes at one instant: {figure}")
    target("two instances: each job effect once", ok, figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
