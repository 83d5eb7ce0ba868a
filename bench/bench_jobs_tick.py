"""Benchmark 6: one tick of every scheduled job over 20,000 leases and 10,000 waitlist entries,
target under 5 s, and twice the data in about twice the time (the ratio is printed).

    .venv/bin/python bench/bench_jobs_tick.py [--leases 20000] [--waitlist 10000] [--sqlite-only]

The park is bulk-loaded in a steady state, as if every earlier tick had run: each unit has a
past lease and a current one ending some day of the coming year; leases within the renewal
window already have their renewal offer (open, or expired with the lease 'ending'); units
whose lease is ending are already offered to the waitlist (open, or accepted with the next
tenant's lease); earlier months are charged. So the tick at the fixed instant does one day's
share of work (leases ending today, renewals entering the window, offers expiring now, the
units those free, leavers reaching the retention age, the hourly charge check of three
months) over all the rows. It runs on a SQLite file and on a throwaway PostgreSQL database at
127.0.0.1:5432 (created and dropped here), at the given size and at twice the size; the
baseline in the same run is the smaller size. Prints per-job seconds and SQL statements.
"""
from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2027, 3, 15, 2, 0, tzinfo=timezone.utc)  # 10:00 in Hong Kong
TZ = ZoneInfo("Asia/Hong_Kong")
TODAY = NOW.astimezone(TZ).date()
TYPES = ("solo", "twin", "suite", "powerhub")
TYPE_SHARE = (0.5, 0.25, 0.15, 0.10)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 5.0
TARGET_RATIO = 2.5  # "about twice": linear growth (with noise from a shared machine), nothing worse


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, dtime(hour), TZ).astimezone(timezone.utc)


def park(n_leases: int, n_waiting: int, seed: int = 6) -> dict[str, list[dict]]:
    """Rows for every table, in a steady state (see the module docstring)."""
    rnd = random.Random(seed)
    rows: dict[str, list[dict]] = {k: [] for k in ("users", "units", "leases", "offers", "waitlist_entries",
                                                   "housing_applications")}
    n_units = max(int(n_leases / 2.107), 1)  # a past and a current lease each, a next one for ~10%
    cutoff = NOW - timedelta(days=730)

    def user(active=True, deactivated=None, tier=3):
        uid = len(rows["users"]) + 1
        anonymised = deactivated if deactivated is not None and deactivated < cutoff - timedelta(days=1) else None
        rows["users"].append({"id": uid, "email": f"u{uid}@example.test", "name": f"Person {uid}",
                              "role": "resident" if uid > 1 else "manager", "password_hash": "x",
                              "session_token": f"s{uid}", "priority_tier": tier, "active": active,
                              "created_at": NOW - timedelta(days=1500), "deactivated_at": deactivated,
                              "anonymised_at": anonymised, "email_reminders": True, "pending_approval": False})
        return uid

    def lease(unit_id, user_id, start, end, status):
        rows["leases"].append({"id": len(rows["leases"]) + 1, "unit_id": unit_id, "user_id": user_id,
                               "start_date": start, "end_date": end, "monthly_rent": Decimal("9000.00"),
                               "status": status, "created_at": at(start) - timedelta(days=30),
                               "overlap_allowed": False})
        return len(rows["leases"])

    def offer(kind, user_id, unit_id, start, end, created, expires, status, lease_id=None, entry_id=None):
        rows["offers"].append({"id": len(rows["offers"]) + 1, "kind": kind, "user_id": user_id, "unit_id": unit_id,
                               "lease_id": lease_id, "waitlist_entry_id": entry_id, "start_date": start,
                               "end_date": end, "monthly_rent": Decimal("9000.00"), "created_at": created,
                               "expires_at": expires, "status": status,
                               "responded_at": None if status == "open" else min(expires, NOW)})

    def entry(user_id, kind, status, joined, application_id=None, tier=3):
        rows["waitlist_entries"].append({"id": len(rows["waitlist_entries"]) + 1, "user_id": user_id,
                                         "application_id": application_id, "unit_type": kind,
                                         "priority_tier": tier, "joined_at": joined, "status": status})
        return len(rows["waitlist_entries"])

    user()  # the manager
    for uid in range(1, n_units + 1):
        kind = rnd.choices(TYPES, TYPE_SHARE)[0]
        rows["units"].append({"id": uid, "code": f"U{uid:06d}", "unit_type": kind, "floor": 1 + uid % 30,
                              "monthly_rent": Decimal("9000.00"), "occupancy": 2, "status": "available",
                              "created_at": NOW - timedelta(days=2000)})
        days_left = rnd.randint(0, 364)
        end = TODAY + timedelta(days=days_left)
        start = end - timedelta(days=365)
        past_end = start - timedelta(days=rnd.randint(0, 800))
        lease(uid, user(active=False, deactivated=at(past_end)), past_end - timedelta(days=365), past_end, "ended")
        tenant = user()
        renewal_made = end - timedelta(days=60)
        if days_left > 60:
            lease(uid, tenant, start, end, "active")
        elif days_left == 60:
            lease(uid, tenant, start, end, "active")  # enters the renewal window today
        elif days_left >= 46:  # renewal offer open (expiring now when 46 days are left)
            lid = lease(uid, tenant, start, end, "active")
            offer("renewal", tenant, uid, end, end + timedelta(days=365), at(renewal_made),
                  at(renewal_made) + timedelta(days=14), "open", lease_id=lid)
        else:  # renewal not taken: the lease is ending and the unit went to the waitlist
            lid = lease(uid, tenant, start, end, "ending")
            offer("renewal", tenant, uid, end, end + timedelta(days=365), at(renewal_made),
                  at(renewal_made) + timedelta(days=14), "expired", lease_id=lid)
            promoted = at(end - timedelta(days=46))
            next_tenant = user()
            if days_left >= 39:  # the waitlist offer is open (expiring now with 39 days left)
                eid = entry(next_tenant, kind, "offered", promoted - timedelta(days=300))
                offer("waitlist", next_tenant, uid, end, end + timedelta(days=365), promoted,
                      promoted + timedelta(days=7), "open", entry_id=eid)
            else:  # accepted: the next tenant moves in the day the lease ends
                eid = entry(next_tenant, kind, "housed", promoted - timedelta(days=300))
                nid = lease(uid, next_tenant, end, end + timedelta(days=365), "active")
                offer("waitlist", next_tenant, uid, end, end + timedelta(days=365), promoted,
                      promoted + timedelta(days=7), "accepted", lease_id=nid, entry_id=eid)
    for _ in range(n_waiting):
        kind = rnd.choices(TYPES, TYPE_SHARE)[0]
        tier = rnd.choice((1, 2, 3, 3))
        uid = user(tier=tier)
        joined = NOW - timedelta(days=rnd.randint(1, 700), minutes=rnd.randint(0, 1440))
        app_id = None
        if rnd.random() < 0.5:
            app_id = len(rows["housing_applications"]) + 1
            rows["housing_applications"].append({
                "id": app_id, "user_id": uid, "unit_type": kind, "move_in": TODAY + timedelta(days=rnd.randint(0, 90)),
                "term_months": 12, "term_nights": 0, "occupants": 1, "preferred_unit_ids": [], "status": "waitlisted",
                "created_at": joined, "kind": "new"})
        entry(uid, kind, "waiting", joined, application_id=app_id, tier=tier)
    return rows


# --- loading ---------------------------------------------------------------------------------

def build(url: str, rows: dict[str, list[dict]]):
    from sqlalchemy import text

    from innocell import create_app
    from innocell.extensions import db
    from innocell.models import HousingApplication, Lease, Offer, Unit, User, WaitlistEntry

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "INNOCELL_TIMEZONE": str(TZ)})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        db.create_all()
        # Core inserts on a connection of their own: no ORM events, no audit rows for the fixture.
        with db.engine.begin() as conn:
            for model, key in ((User, "users"), (Unit, "units"), (Lease, "leases"),
                               (HousingApplication, "housing_applications"), (WaitlistEntry, "waitlist_entries"),
                               (Offer, "offers")):
                data = rows[key]
                for chunk in range(0, len(data), 5000):
                    conn.execute(model.__table__.insert(), data[chunk:chunk + 5000])
            if url.startswith("postgresql"):
                for table in ("users", "units", "leases", "offers", "waitlist_entries", "housing_applications"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT max(id) FROM {table}))"))
        _charge_earlier_months(app)
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    return app


def _charge_earlier_months(app) -> None:
    """The three months the charges job re-checks, charged as the job would have (its own dues)."""
    from innocell.extensions import db
    from innocell.models import Charge
    from innocell.services.ledger import charges
    from innocell.services.ledger.dues import month_dues

    with app.app_context():
        lines = []
        for month in charges.months_to_check(db.session, NOW, TZ, int(app.config["CHARGES_ADJUST_MONTHS"])):
            for due in month_dues(db.session, month, TZ):
                if due.rounded != 0:
                    lines.append({"kind": due.basis, "basis": due.basis, "month": month, "service_month": month,
                                  "amount": due.rounded, "lease_id": due.lease_id, "booking_id": due.booking_id,
                                  "user_id": due.user_id, "company_id": None, "source": due.source,
                                  "key": f"{due.source}#1", "description": due.description[:300],
                                  "created_at": datetime.combine(month, dtime(), timezone.utc)})
        db.session.rollback()
        with db.engine.begin() as conn:
            for chunk in range(0, len(lines), 5000):
                conn.execute(Charge.__table__.insert(), lines[chunk:chunk + 5000])


def tick(app) -> dict[str, tuple[float, int, str]]:
    """{job: (seconds, SQL statements, what it did)} for one run of every job at NOW."""
    from sqlalchemy import event

    from innocell.extensions import db
    from innocell.jobs.runner import JOBS, run_job

    out = {}
    logging.getLogger("innocell").setLevel(logging.WARNING)  # not a line per job and per email
    with app.app_context():
        engine = db.engine
    statements = []
    listener = (lambda *args: statements.append(1))
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for name in JOBS:
            statements.clear()
            t0 = time.perf_counter()
            result = run_job(app, name, NOW, trigger="bench")
            out[name] = (time.perf_counter() - t0, len(statements), result.summary)
            if result.status != "ran":
                raise SystemExit(f"job {name} {result.status}: {result.error or result.summary}")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return out


def measure(url: str, n_leases: int, n_waiting: int) -> tuple[dict, dict]:
    t0 = time.perf_counter()
    rows = park(n_leases, n_waiting)
    app = build(url, rows)
    built = time.perf_counter() - t0
    sizes = {"leases": len(rows["leases"]), "waiting": sum(1 for e in rows["waitlist_entries"]
                                                           if e["status"] == "waiting"),
             "units": len(rows["units"]), "users": len(rows["users"]), "built": built}
    figures = tick(app)
    with app.app_context():
        from innocell.extensions import db

        db.session.remove()
        db.engine.dispose()
    return sizes, figures


class PostgresDatabase:
    """A database of its own on the local server, dropped afterwards."""

    def __init__(self, tag: str):
        import os

        self.name = f"bench_jobs_{tag}_{os.getpid()}"

    def __enter__(self) -> str:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"

    def __exit__(self, *exc) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def report(db_name: str, results: list[tuple[dict, dict]]) -> None:
    (small_sizes, small), (large_sizes, large) = results
    t_small = sum(v[0] for v in small.values())
    t_large = sum(v[0] for v in large.values())
    print(f"\n{db_name}: {small_sizes['leases']:,} leases / {small_sizes['waiting']:,} waiting "
          f"(built in {small_sizes['built']:.0f} s) vs {large_sizes['leases']:,} / {large_sizes['waiting']:,} "
          f"(built in {large_sizes['built']:.0f} s)")
    print(f"  {'job':<15}{'s':>8}{'stmts':>8}{'s (2x)':>9}{'stmts':>8}   what the small tick did")
    for name in small:
        s, n, what = small[name]
        s2, n2, _ = large[name]
        print(f"  {name:<15}{s:>8.2f}{n:>8,}{s2:>9.2f}{n2:>8,}   {what}")
    ratio = t_large / t_small
    print(f"  {'one tick':<15}{t_small:>8.2f}{sum(v[1] for v in small.values()):>8,}{t_large:>9.2f}"
          f"{sum(v[1] for v in large.values()):>8,}   ratio (2x / 1x) {ratio:.2f}")
    state = "met" if t_small < TARGET_SECONDS else "not yet"
    print(f"TARGET | jobs tick {small_sizes['leases']:,} leases on {db_name} < {TARGET_SECONDS:.0f} s | {state} | "
          f"{t_small:.2f} s")
    state = "met" if ratio <= TARGET_RATIO else "not yet"
    print(f"TARGET | jobs tick twice the data on {db_name}: about twice the time | {state} | "
          f"{t_small:.2f} s -> {t_large:.2f} s, ratio {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=20_000)
    parser.add_argument("--waitlist", type=int, default=10_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    scales = [(args.leases, args.waitlist), (2 * args.leases, 2 * args.waitlist)]
    with tempfile.TemporaryDirectory() as tmp:
        report("SQLite", [measure(f"sqlite:///{tmp}/jobs_{n}.db", n, w) for n, w in scales])
    if args.sqlite_only:
        return
    results = []
    for n, w in scales:
        with PostgresDatabase(str(n)) as url:
            results.append(measure(url, n, w))
    report("PostgreSQL", results)


if __name__ == "__main__":
    main()
