"""Pages on a large park (issue 16, benchmark 7): the week calendar, the manager's home, the
floor plan and the finance report for twelve months by unit, on the demo park seeded at
`--scale 10` (and at scale 1 for the baseline, in the same run), each page loaded warm
REPEATS times through the app in this process (no network); p50 and p95 per page and the SQL
statements it sends. Target: p50 under 50 ms each. The statement counts are held equal across
scales by tests/web/test_page_statements.py; this prints the time.

    .venv/bin/python bench/bench_pages.py [--scale 10] [--repeats 15]
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from innocell.extensions import db  # noqa: E402
from innocell.models import Space, Unit  # noqa: E402
from innocell.services.demo import DEMO_LOGINS  # noqa: E402
from tests.web.test_page_statements import PAGES, demo_park  # noqa: E402


WHY = {"finance report, 12 months by unit": "the page computes six exact reports from every unit's leases and every "
                                           "booking of the year on each load (no stored aggregates yet)"}


def park(path: Path, scale: int):
    app = demo_park(path, scale)
    with app.app_context():
        space = db.session.execute(select(Space.id).order_by(Space.id)).scalars().first()
        floor = db.session.execute(select(Unit.floor).order_by(Unit.floor)).scalars().first()
    return app, {"space": space, "floor": floor}


def measure(app, fill: dict, repeats: int) -> dict[str, tuple[float, float, int]]:
    """{page: (p50 ms, p95 ms, statements)}. Each request runs in a context of its own, as
    served (a context held open would carry the signed-in person from one request to the next)."""
    logins = {role: (email, password) for role, email, password, *_ in DEMO_LOGINS}
    with app.app_context():
        engine = db.engine
    out = {}
    for name, (role, path) in PAGES.items():
        client = app.test_client()
        email, password = logins[role]
        assert client.post("/login", data={"email": email, "password": password}).status_code == 302
        url = path.format(**fill)
        assert client.get(url).status_code == 200, url  # warm: templates compiled, caches filled
        statements = []
        record = lambda *args: statements.append(1)  # noqa: E731 - a counter
        event.listen(engine, "before_cursor_execute", record)
        times = []
        for _ in range(repeats):
            statements.clear()
            started = time.perf_counter()
            client.get(url)
            times.append(1000 * (time.perf_counter() - started))
        event.remove(engine, "before_cursor_execute", record)
        times.sort()
        out[name] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], len(statements))
    engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    logging.getLogger("innocell.requests").setLevel(logging.WARNING)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in (1, args.scale):
            started = time.perf_counter()
            app, fill = park(Path(tmp) / f"park_{scale}.db", scale)
            print(f"demo park at scale {scale} seeded in {time.perf_counter() - started:.1f} s", flush=True)
            results[scale] = measure(app, fill, args.repeats)
    print(f"\n{'page':<38}{'scale 1 p50':>12}{f'scale {args.scale} p50':>14}{'p95':>9}{'statements':>12}")
    for name in PAGES:
        small, (p50, p95, count) = results[1][name], results[args.scale][name]
        print(f"{name:<38}{small[0]:>10.1f}ms{p50:>12.1f}ms{p95:>7.1f}ms{count:>12}")
        print(f"TARGET | pages: {name} p50 < 50 ms at scale {args.scale} | {'met' if p50 < 50 else 'not yet'} | "
              f"{p50:.1f} ms (scale 1: {small[0]:.1f} ms), {count} statements"
              + (f" (why: {WHY[name]})" if p50 >= 50 and name in WHY else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
