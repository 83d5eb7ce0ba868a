"""The reconciliation on generated data for a year (SQLite and PostgreSQL): for every month the
charge lines add up to exactly what the reports' own figures make due per source, the only
difference from a report's totals row is the rounding it lists, and a change after the fact
shows as records to adjust until the next run adjusts them."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from innocell.allocation import usage
from innocell.jobs.runner import run_job
from innocell.models import Booking, Charge, Lease, Unit
from innocell.services.ledger.charges import charge_month
from innocell.services.ledger.reconcile import reconcile
from sqlalchemy import func, select

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MONTHS = usage.month_starts(date(2025, 12, 1), date(2026, 12, 1))  # twelve finished months


def generate(session, make_user, new_space, seed):
    rng = random.Random(seed)
    labs = [new_space(hourly_rate=f"{rng.randrange(0, 30000) / 100:.2f}", capacity=rng.choice([1, 2]))
            for _ in range(3)]
    people = [make_user("resident") for _ in range(6)]
    for i in range(5):
        unit = Unit(code=f"02-{i:02d}", unit_type=rng.choice(["solo", "twin"]), floor=2,
                    monthly_rent=Decimal("8000"), status="available", created_at=NOW)
        session.add(unit)
        session.flush()
        cursor = date(2025, 11, 1) + timedelta(days=rng.randrange(0, 40))
        holder = people[i]
        while cursor < date(2026, 12, 20):
            a = cursor + timedelta(days=rng.randrange(0, 25))
            b = a + timedelta(days=rng.choice([1, 2, 5, 17, 31, 60, 95, 200]))
            session.add(Lease(unit_id=unit.id, user_id=holder.id, start_date=a, end_date=b,
                              monthly_rent=Decimal(rng.randrange(500000, 2500000)) / 100,
                              status=rng.choice(["active", "ended", "ended", "terminated"]), created_at=NOW))
            cursor = b
    for _ in range(160):
        lab = rng.choice(labs)
        day = date(2025, 11, 25) + timedelta(days=rng.randrange(0, 380))
        start = datetime(day.year, day.month, day.day, rng.randrange(6, 23), rng.choice([0, 30]), tzinfo=HK)
        end = start + timedelta(minutes=30 * rng.randrange(1, 9))
        status = rng.choice(["confirmed"] * 5 + ["pending", "cancelled"])
        late = status == "cancelled" and rng.random() < 0.5
        session.add(Booking(space_id=lab.id, user_id=rng.choice(people).id, start_at=start.astimezone(UTC),
                            end_at=end.astimezone(UTC), hold_end_at=end.astimezone(UTC), status=status,
                            created_at=NOW, late_cancel=late,
                            late_cancel_fee=Decimal(rng.randrange(100, 9000)) / 100 if late else None))
    session.commit()
    return labs


def assert_reconciles(session, month):
    rec = reconcile(session, month, tz=HK)
    assert rec.agrees, (month, rec.unsettled)
    assert rec.unsettled == []
    for line in rec.lines:
        assert line.due_exact == line.report_exact, (month, line.basis)  # same figures, source by source
        assert line.charged == line.due_rounded, (month, line.basis)
        assert line.difference == line.rounding + line.pending
        sources = session.execute(select(func.count(func.distinct(Charge.source)))
                                  .where(Charge.service_month == month, Charge.basis == line.basis)).scalar_one()
        # each source rounds once, each report row once (a handful of unit types or spaces)
        assert abs(line.rounding) <= Decimal("0.005") * (sources + 10)
    return rec


def test_a_year_of_generated_leases_and_bookings_reconciles_every_month(session, make_user, new_space):
    labs = generate(session, make_user, new_space, seed=18)
    for month in MONTHS:
        charge_month(session, month, now=NOW, tz=HK)
    charged = session.execute(select(func.count()).select_from(Charge)).scalar_one()
    assert charged > 60
    for month in MONTHS:
        assert_reconciles(session, month)
    total_rent = sum((line.charged for m in MONTHS for line in reconcile(session, m, tz=HK).lines
                      if line.basis == "rent"), Decimal(0))
    assert total_rent > 0

    # Changes after the fact: a rate changes, a lease is cut short. The reconciliation names the
    # records until the next run adjusts them.
    labs[0].hourly_rate += Decimal("10.00")
    cut = session.execute(select(Lease).where(Lease.end_date > date(2026, 9, 20), Lease.start_date < date(2026, 9, 1),
                                              Lease.status != "terminated")).scalars().first()
    if cut is not None:
        cut.end_date, cut.status = date(2026, 9, 10), "terminated"
    session.commit()
    september = reconcile(session, date(2026, 9, 1), tz=HK)
    assert not september.agrees and september.unsettled
    for month in MONTHS:
        charge_month(session, month, now=NOW, tz=HK)
    for month in MONTHS:
        assert_reconciles(session, month)
    assert session.execute(select(func.count()).select_from(Charge).where(Charge.kind == "adjustment")).scalar_one() > 0


def test_the_charges_job_charges_last_month_once_across_ticks(app, session, make_user, new_space):
    generate(session, make_user, new_space, seed=7)
    first = run_job(app, "charges", NOW, "cli")
    assert first.status == "ran" and first.counts["charge lines"] > 0
    made = session.execute(select(func.count()).select_from(Charge)).scalar_one()
    assert session.execute(select(func.min(Charge.service_month))).scalar_one() == date(2026, 9, 1)
    soon = run_job(app, "charges", NOW + timedelta(minutes=5), "cli")  # within the hour: not recomputed
    assert soon.status == "ran" and soon.counts == {"checked within the last minutes": 60}
    again = run_job(app, "charges", NOW + timedelta(minutes=61), "cli")
    assert again.status == "ran" and again.counts == {"charge lines": 0, "adjustments": 0}
    assert session.execute(select(func.count()).select_from(Charge)).scalar_one() == made
    assert_reconciles(session, date(2026, 11, 1))
