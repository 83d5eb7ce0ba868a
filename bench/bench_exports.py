"""Memory and time of the raw bookings export (issue 16, benchmark 5): 10k vs 100k bookings,
as CSV and XLSX, on SQLite; then the CSV of 1M bookings on PostgreSQL against the database's
own `COPY (…) TO STDOUT` of the same rows in the same run. Targets: the CSV at least a third
of COPY's speed with a peak under 150 MB, and the XLSX of 100k rows in bounded memory (peak
under 150 MB, Python allocations not growing with the rows).

Each measurement runs in a fresh process (so peak RSS belongs to that export alone) against a
SQLite database filled once per size. It drives the same code as GET /reports/bookings.csv and
.xlsx: a generator with its own session and yield_per, CSV chunks, XlsxWriter in constant
memory into a temporary file. Bounded memory shows as a peak that hardly grows while the rows
grow tenfold (the ratios printed at the end).

    .venv/bin/python bench/bench_exports.py [--sizes 10000 100000] [--pg-rows 1000000]

PostgreSQL: a database innocell_bench_exports on 127.0.0.1:5432 (user postgres) is created and
dropped by the script (--pg-rows 0 skips it).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UTC = timezone.utc
START, END = date(2026, 1, 1), date(2027, 1, 1)


def _app(url: str):
    from innocell import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "INNOCELL_SCHEDULER": False})


def fill(url: str, count: int) -> None:
    """`count` bookings spread over 2026 across 50 spaces, titles included (bulk insert)."""
    from sqlalchemy import insert

    from innocell.extensions import db
    from innocell.models import Booking, Space, User

    import logging

    logging.getLogger("innocell.extensions").setLevel(logging.ERROR)  # the bulk load writes outside services
    app = _app(url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.execute(insert(User), [
            {"email": f"u{i}@bench.test", "name": f"User {i}", "role": "resident", "company": "Bench Ltd",
             "priority_tier": 3, "password_hash": "x", "active": True, "session_token": f"t{i}", "created_at": now}
            for i in range(200)])
        db.session.execute(insert(Space), [
            {"code": f"S-{i:02d}", "name": f"Space {i}", "kind": "wet_lab", "capacity": 4, "opening_hours": {},
             "hourly_rate": Decimal("120.00"), "created_at": now} for i in range(50)])
        batch = []
        minutes_in_year = 365 * 24 * 60
        for i in range(count):
            start = now + timedelta(minutes=(i * 7919) % (minutes_in_year - 600) // 30 * 30)
            end = start + timedelta(minutes=30 * (1 + i % 8))
            batch.append({"space_id": 1 + i % 50, "user_id": 1 + i % 200, "start_at": start, "end_at": end,
                          "hold_end_at": end, "exclusive": False, "status": "confirmed",
                          "title": f"Experiment {i} – culture run, bench {i % 17}", "created_at": now})
            if len(batch) == 5000:
                db.session.execute(insert(Booking), batch)
                batch = []
        if batch:
            db.session.execute(insert(Booking), batch)
        db.session.commit()
        db.engine.dispose()


def measure(url: str, fmt: str, traced: bool) -> dict:
    """One export in this process: rows, bytes, seconds, peak RSS; with `traced`, the peak of
    Python allocations too (tracemalloc slows the export several times, so the time of a traced
    run is not reported)."""
    from zoneinfo import ZoneInfo

    from innocell.extensions import db
    from innocell.services import exports

    app = _app(url)
    tz = ZoneInfo("Asia/Hong_Kong")
    with app.app_context():
        engine = db.engine
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        export = exports.bookings_export(engine, START, END, tz)
        size = rows = 0
        if fmt == "csv":
            for chunk in exports.csv_stream(export, tz):
                size += len(chunk)
                rows += chunk.count(b"\r\n")
            rows -= 1  # header
        else:
            path = exports.xlsx_tempfile(export, tz)
            size = os.path.getsize(path)
            os.unlink(path)
            rows = -1
        seconds = time.perf_counter() - started
        traced_peak = 0
        if traced:
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"fmt": fmt, "rows": rows, "bytes": size, "seconds": seconds, "traced_peak_kib": traced_peak / 1024,
            "rss_peak_mib": rss_after / 1024, "rss_growth_mib": (rss_after - rss_before) / 1024}


PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "innocell_bench_exports"
MAX_RSS_MIB = 150
COPY_SQL = """COPY (
  SELECT b.id, s.code, s.name, s.kind, u.email, u.name, (SELECT c.name FROM companies c WHERE c.id = u.company_id),
         b.start_at, b.end_at, b.status, b.title, s.hourly_rate, b.created_at
  FROM bookings b JOIN spaces s ON s.id = b.space_id JOIN users u ON u.id = b.user_id
  WHERE b.start_at < %(we)s AND b.end_at > %(ws)s ORDER BY b.start_at, b.id) TO STDOUT WITH (FORMAT csv, HEADER)"""


def target(name: str, met: bool, figure: str) -> None:
    print(f"TARGET | {name} | {'met' if met else 'not yet'} | {figure}", flush=True)


def one_run(url: str, fmt: str, traced: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", url, fmt, traced], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def copy_seconds(url: str) -> tuple[float, int]:
    """(seconds, bytes) of PostgreSQL's own COPY of the export's rows."""
    import psycopg
    from sqlalchemy.engine import make_url

    from innocell.allocation import usage
    from zoneinfo import ZoneInfo

    ws, we = usage.period_instants(START, END, ZoneInfo("Asia/Hong_Kong"))
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        started, size = time.perf_counter(), 0
        with cur.copy(COPY_SQL, {"ws": ws, "we": we}) as copy:
            for chunk in copy:
                size += len(chunk)
        return time.perf_counter() - started, size


def postgresql(rows: int) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL: say so, no figures
        print(f"PostgreSQL at {PG_SERVER} not usable ({exc.__class__.__name__}); no COPY comparison")
        return
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DB}"
    try:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        engine.dispose()
        t0 = time.perf_counter()
        fill(url, rows)
        print(f"PostgreSQL: filled {rows:,} bookings in {time.perf_counter() - t0:.1f} s", flush=True)
        app_run = one_run(url, "csv", "0")
        copy_s, copy_bytes = copy_seconds(url)
        app_rate, copy_rate = app_run["rows"] / app_run["seconds"], rows / copy_s
        print(f"  app CSV  {app_run['rows']:,} rows  {app_run['seconds']:6.2f} s  {app_rate:9,.0f} rows/s  "
              f"{app_run['bytes'] / 1e6:7.1f} MB  peak RSS {app_run['rss_peak_mib']:.1f} MiB")
        print(f"  COPY     {rows:,} rows  {copy_s:6.2f} s  {copy_rate:9,.0f} rows/s  {copy_bytes / 1e6:7.1f} MB")
        target(f"exports: CSV of {rows:,} rows >= 1/3 of COPY", app_rate >= copy_rate / 3,
               f"{app_rate:,.0f} vs {copy_rate:,.0f} rows/s = {app_rate / copy_rate:.2f}")
        target(f"exports: CSV of {rows:,} rows peak < {MAX_RSS_MIB} MB", app_run["rss_peak_mib"] < MAX_RSS_MIB,
               f"{app_run['rss_peak_mib']:.1f} MiB")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--one", nargs=3, metavar=("URL", "FMT", "TRACED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        url, fmt, traced = args.one
        print(json.dumps(measure(url, fmt, traced == "1")))
        return 0

    results: dict[tuple[int, str], dict] = {}
    with tempfile.TemporaryDirectory(prefix="innocell-bench-") as tmp:
        for size in args.sizes:
            url = args.database_url or f"sqlite:///{Path(tmp) / f'bench_{size}.db'}"
            t0 = time.perf_counter()
            fill(url, size)
            print(f"filled {size:,} bookings in {time.perf_counter() - t0:.1f} s", flush=True)
            for fmt in ("csv", "xlsx"):
                runs = []
                for traced in ("0", "1"):
                    runs.append(one_run(url, fmt, traced))
                result = {**runs[0], "traced_peak_kib": runs[1]["traced_peak_kib"]}
                results[(size, fmt)] = result
                print(f"  {fmt:4}  {size:>8,} bookings  {result['seconds']:6.2f} s  "
                      f"{result['bytes'] / 1e6:7.2f} MB file  traced peak {result['traced_peak_kib']:8.0f} KiB  "
                      f"peak RSS {result['rss_peak_mib']:6.1f} MiB (+{result['rss_growth_mib']:.1f} during export)",
                      flush=True)
    if len(args.sizes) >= 2:
        small, large = min(args.sizes), max(args.sizes)
        print(f"\n{large // small}x the bookings:")
        for fmt in ("csv", "xlsx"):
            a, b = results[(small, fmt)], results[(large, fmt)]
            print(f"  {fmt:4}  time x{b['seconds'] / a['seconds']:.1f}   traced peak x"
                  f"{b['traced_peak_kib'] / a['traced_peak_kib']:.2f}   peak RSS x"
                  f"{b['rss_peak_mib'] / a['rss_peak_mib']:.2f}")
        a, b = results[(small, "xlsx")], results[(large, "xlsx")]
        bounded = b["rss_peak_mib"] < MAX_RSS_MIB and b["traced_peak_kib"] <= 1.5 * a["traced_peak_kib"]
        target(f"exports: XLSX of {large:,} rows in bounded memory", bounded,
               f"peak RSS {b['rss_peak_mib']:.1f} MiB; Python allocations {a['traced_peak_kib']:.0f} -> "
               f"{b['traced_peak_kib']:.0f} KiB for {large // small}x the rows")
    if args.pg_rows:
        postgresql(args.pg_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
