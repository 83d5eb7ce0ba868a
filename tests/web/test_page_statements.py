"""Benchmark 7's statement counts (issue 16): the SQL statements a page sends do not grow with
the data (no N+1). The demo park is seeded at scale 1 and at scale 2 (twice the residents,
units, spaces and bookings), the week in view gets extra bookings by many people in the larger
park, and each page is loaded once warm and then counted: the week calendar (as a resident and
as a manager), the manager's home, the floor plan and the finance report for twelve months by
unit must send exactly as many statements in the larger park as in the smaller one."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from innocell import create_app
from innocell.extensions import db
from innocell.models import Booking, Space, Unit, User
from innocell.services import demo, space_kinds
from tests.conftest import FIXED_NOW

HK = ZoneInfo("Asia/Hong_Kong")
WEEK = "2026-11-30"  # the Monday of FIXED_NOW's week
PAGES = {
    "week calendar (resident)": ("resident", "/spaces/{space}?week=" + WEEK),
    "week calendar (manager)": ("manager", "/spaces/{space}?week=" + WEEK),
    "manager home": ("manager", "/home"),
    "floor plan": ("manager", "/manage/housing/units?floor={floor}"),
    "finance report, 12 months by unit": ("finance", "/reports?period=custom&from=2025-12-01&to=2026-12-01"
                                                     "&occupancy_group=unit"),
}


def demo_park(path, scale: int):
    """An app on a demo park seeded at `scale` on its own SQLite file, on the pinned clock
    (bench/bench_pages.py times the same pages on the same park)."""
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test-secret", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "INNOCELL_SCHEDULER": False, "CLOCK": lambda: FIXED_NOW})
    with app.app_context():
        db.create_all()
        space_kinds.seed_kinds(db.session, now=FIXED_NOW)
        demo.seed(db.session, now=FIXED_NOW, tz=HK, scale=scale)
        db.session.commit()
        db.session.remove()
    return app


def _park(path, scale: int) -> dict:
    """A demo park at `scale` on its own SQLite file; {page: statements}, and what it holds."""
    app = demo_park(path, scale)
    with app.app_context():
        space = db.session.execute(select(Space.id).order_by(Space.id)).scalars().first()
        floor = db.session.execute(select(Unit.floor).order_by(Unit.floor)).scalars().first()
        if scale > 1:  # the week in view fills up: a booking an hour by many different people
            people = db.session.execute(select(User.id).where(User.role == "resident").order_by(User.id)
                                        .limit(40)).scalars().all()
            start = datetime(2026, 12, 3, 7, 0, tzinfo=HK).astimezone(timezone.utc)
            taken = [(b.start_at, b.end_at) for b in db.session.execute(
                select(Booking).where(Booking.space_id == space, Booking.status.in_(("confirmed", "pending")))).scalars()]
            for k, person in enumerate(people):
                s = start + timedelta(hours=k % 14, days=k // 14)
                if any(a < s + timedelta(hours=1) and s < b for a, b in taken):
                    continue
                db.session.add(Booking(space_id=space, user_id=person, start_at=s, end_at=s + timedelta(hours=1),
                                       hold_end_at=s + timedelta(hours=1), exclusive=True, status="confirmed",
                                       title="", created_at=FIXED_NOW))
            db.session.commit()
        held = {
            "units on the floor": db.session.execute(select(func.count(Unit.id)).where(Unit.floor == floor)).scalar_one(),
            "units": db.session.execute(select(func.count(Unit.id))).scalar_one(),
            "bookings in the week": db.session.execute(select(func.count(Booking.id)).where(
                Booking.space_id == space, Booking.start_at >= datetime(2026, 11, 29, 16, tzinfo=timezone.utc),
                Booking.start_at < datetime(2026, 12, 6, 16, tzinfo=timezone.utc))).scalar_one(),
        }
        engine = db.engine
        db.session.remove()
    # Each request in a context of its own (one held open would carry `g`, the signed-in
    # person among it, from one request to the next).
    logins = {role: (email, password) for role, email, password, *_ in demo.DEMO_LOGINS}
    counts = {}
    for name, (role, path) in PAGES.items():
        client = app.test_client()
        email, password = logins[role]
        assert client.post("/login", data={"email": email, "password": password}).status_code == 302
        url = path.format(space=space, floor=floor)
        assert client.get(url).status_code == 200  # warm: caches of settings, kinds, templates
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(" ".join(statement.split())[:140])

        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = statements
    engine.dispose()
    return {"counts": counts, "held": held}


@pytest.fixture(scope="module")
def parks(tmp_path_factory):
    base = tmp_path_factory.mktemp("page-statements")
    return {scale: _park(base / f"demo{scale}.db", scale) for scale in (1, 2)}


def test_the_larger_park_really_holds_more_on_every_page(parks):
    small, large = parks[1]["held"], parks[2]["held"]
    assert large["units"] == 2 * small["units"]
    assert large["units on the floor"] >= 2 * small["units on the floor"]
    assert large["bookings in the week"] >= small["bookings in the week"] + 20


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_sends_as_many_statements_whatever_the_size_of_the_park(parks, page):
    small, large = parks[1]["counts"][page], parks[2]["counts"][page]
    assert len(large) == len(small), (f"{page}: {len(small)} statements at scale 1, {len(large)} at scale 2; "
                                      f"the most repeated at scale 2: "
                                      f"{max(set(large), key=large.count)} x{large.count(max(set(large), key=large.count))}")
    assert len(small) <= 45  # and a handful, not hundreds
