"""Charge runs of one month racing (SQLite threads, PostgreSQL processes): every lease-month is
charged exactly once, and the runs that lost answer a conflict or find nothing to do."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Charge, Lease, Unit
from innocell.services import Conflict
from innocell.services.ledger.charges import charge_month
from tests.services.test_people_races import _race

NOV = date(2026, 11, 1)
RUNNERS = 4


def _charge(app, barrier, now):
    with app.app_context():
        db.session.commit()
        barrier.wait(timeout=300)
        try:
            return charge_month(db.session, NOV, now=now, tz=ZoneInfo("Asia/Hong_Kong")).charged
        except Conflict:
            return "conflict"
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            return f"error: {exc!r}"
        finally:
            db.session.remove()


def test_racing_charge_runs_charge_each_lease_month_once(backend, app, session, database_url, make_user, now):
    for i in range(6):
        unit = Unit(code=f"09-{i:02d}", unit_type="solo", floor=9, monthly_rent=Decimal("7000"), status="available",
                    created_at=now)
        session.add(unit)
        session.flush()
        session.add(Lease(unit_id=unit.id, user_id=make_user("resident").id, start_date=date(2026, 10, 1 + i),
                          end_date=date(2027, 2, 1), monthly_rent=Decimal("7000.00"), status="active", created_at=now))
    session.commit()
    results = _race(backend, app, database_url, _charge, lambda k: (now,), RUNNERS)
    assert not [r for r in results if isinstance(r, str) and r.startswith("error")], results
    assert sorted(r for r in results if isinstance(r, int) and r) == [6]  # one run charged all six
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Charge)).scalar_one() == 6
    assert session.execute(select(func.count(func.distinct(Charge.source)))).scalar_one() == 6
