"""The charge run on real rows (SQLite and PostgreSQL): one line per lease-month and used
booking, exactly as the reports compute them; a second run writes nothing; changes after the
fact are adjustment lines; a frozen month's changes post in the open month."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.models import Booking, Charge, Lease, Unit
from innocell.services import BadRequest
from innocell.services import reports
from innocell.services.ledger.charges import charge_month

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOV, OCT, SEP, DEC = date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1), date(2026, 12, 1)


def hk(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=HK).astimezone(UTC)


@pytest.fixture
def unit_maker(session, now):
    counter = {"n": 0}

    def _make(rent="9000.00"):
        counter["n"] += 1
        unit = Unit(code=f"01-{counter['n']:02d}", unit_type="solo", floor=1, monthly_rent=Decimal(rent),
                    status="available", created_at=now)
        session.add(unit)
        session.commit()
        return unit

    return _make


def lease(session, unit, user, a, b, rent, now, status="active"):
    row = Lease(unit_id=unit.id, user_id=user.id, start_date=a, end_date=b, monthly_rent=Decimal(rent),
                status=status, created_at=now)
    session.add(row)
    session.commit()
    return row


def booking(session, space, user, start, end, now, status="confirmed", **fields):
    row = Booking(space_id=space.id, user_id=user.id, start_at=start, end_at=end, hold_end_at=end, status=status,
                  created_at=now, **fields)
    session.add(row)
    session.commit()
    return row


def lines(session, **where):
    stmt = select(Charge).order_by(Charge.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(Charge, key) == value)
    return session.execute(stmt).scalars().all()


def count(session):
    return session.execute(select(func.count()).select_from(Charge)).scalar_one()


def test_a_month_charged_twice_changes_nothing_the_second_time(session, now, alice, bob, unit_maker, new_space):
    lease(session, unit_maker(), alice, date(2026, 10, 15), date(2027, 1, 10), "9000.00", now)
    lease(session, unit_maker(), bob, date(2026, 11, 20), date(2026, 11, 27), "10000.00", now)
    lab = new_space(hourly_rate="120.00")
    booking(session, lab, alice, hk(2026, 11, 3, 10), hk(2026, 11, 3, 12), now)
    booking(session, lab, bob, hk(2026, 11, 4, 20), hk(2026, 11, 4, 23), now)  # one hour after closing
    booking(session, lab, bob, hk(2026, 11, 5, 10), hk(2026, 11, 5, 11), now, status="pending")
    booking(session, lab, bob, hk(2026, 11, 6, 10), hk(2026, 11, 6, 11), now, status="cancelled")

    first = charge_month(session, NOV, now=now, tz=HK)
    assert (first.charged, first.adjusted) == (4, 0)
    by_kind = {(c.kind, c.user_id): c.amount for c in lines(session)}
    assert by_kind == {("rent", alice.id): Decimal("9000.00"),
                       ("rent", bob.id): Decimal("2333.33"),  # 10000 × 7 / 30 nights
                       ("booking", alice.id): Decimal("240.00"),
                       ("booking", bob.id): Decimal("240.00")}  # 20:00-22:00 inside opening hours
    assert all(c.month == NOV and c.service_month == NOV for c in lines(session))
    assert {c.company_id for c in lines(session)} == {alice.company_id}

    before = [(c.id, c.amount, c.key) for c in lines(session)]
    second = charge_month(session, NOV, now=now, tz=HK)
    assert (second.charged, second.adjusted, second.amount) == (0, 0, 0)
    assert [(c.id, c.amount, c.key) for c in lines(session)] == before


def test_proration_at_month_edges_and_for_a_short_lease(session, alice, bob, make_user, unit_maker):
    later = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
    carol = make_user("resident")
    lease(session, unit_maker(), alice, date(2027, 1, 31), date(2027, 3, 1), "3100.00", later)  # 1 night Jan, all Feb
    lease(session, unit_maker(), bob, date(2027, 2, 27), date(2027, 3, 1), "2800.00", later)  # the last 2 nights
    lease(session, unit_maker(), carol, date(2027, 1, 1), date(2027, 2, 1), "3100.00", later)  # ends as Feb begins
    for month in (date(2027, 1, 1), date(2027, 2, 1)):
        charge_month(session, month, now=later, tz=HK)
    got = {(c.user_id, c.service_month.month): c.amount for c in lines(session)}
    assert got == {(alice.id, 1): Decimal("100.00"), (alice.id, 2): Decimal("3100.00"),
                   (bob.id, 2): Decimal("200.00"), (carol.id, 1): Decimal("3100.00")}


def test_an_unfinished_month_is_refused(session, now):
    with pytest.raises(BadRequest, match="not over yet"):
        charge_month(session, DEC, now=now, tz=HK)
    assert count(session) == 0


def test_an_early_lease_end_makes_the_right_negative_adjustments(session, now, alice, unit_maker):
    row = lease(session, unit_maker(), alice, SEP, date(2027, 1, 1), "6000.00", now)
    for month in (SEP, OCT, NOV):
        charge_month(session, month, now=now, tz=HK)
    originals = [(c.id, c.amount) for c in lines(session)]
    assert [a for _, a in originals] == [Decimal("6000.00")] * 3

    row.end_date, row.status = date(2026, 10, 16), "terminated"  # 15 nights of October used
    session.commit()
    oct_run = charge_month(session, OCT, now=now, tz=HK)
    nov_run = charge_month(session, NOV, now=now, tz=HK)
    assert (oct_run.adjusted, nov_run.adjusted) == (1, 1)
    adjustments = lines(session, kind="adjustment")
    assert [(a.service_month, a.month, a.amount, a.lease_id) for a in adjustments] == [
        (OCT, OCT, Decimal("-3096.77"), row.id),  # 6000 × 15/31 = 2903.23 due, 6000 charged
        (NOV, NOV, Decimal("-6000.00"), row.id)]
    assert [(c.id, c.amount) for c in lines(session) if c.kind == "rent"] == originals  # never edited
    assert charge_month(session, OCT, now=now, tz=HK).adjusted == 0


def test_a_frozen_month_gets_its_adjustments_in_the_open_month(session, now, alice, new_space):
    lab = new_space(hourly_rate="100.00")
    held = booking(session, lab, alice, hk(2026, 11, 10, 9), hk(2026, 11, 10, 13), now)
    charge_month(session, NOV, now=now, tz=HK)
    reports.freeze_month(session, month=NOV, actor=None, now=now, tz=HK)
    lab.hourly_rate = Decimal("110.00")
    held.end_at = held.hold_end_at = hk(2026, 11, 10, 12)  # ended an hour early
    session.commit()

    run = charge_month(session, NOV, now=now, tz=HK)
    assert run.adjusted == 1
    first, adjustment = lines(session, booking_id=held.id)
    assert (first.month, first.amount) == (NOV, Decimal("400.00"))
    assert (adjustment.kind, adjustment.month, adjustment.service_month, adjustment.amount) == (
        "adjustment", DEC, NOV, Decimal("-70.00"))  # 3 h × 110 = 330 due now
    assert lines(session, month=NOV) == [first]  # the frozen month's own lines are as they were


def test_late_cancellation_fees_are_charged_and_waived_back(session, now, alice, new_space):
    lab = new_space(hourly_rate="50.00", late_cancel_hours=24, late_cancel_fee="35.00")
    late = booking(session, lab, alice, hk(2026, 11, 12, 10), hk(2026, 11, 12, 11), now, status="cancelled",
                   late_cancel=True, late_cancel_fee=Decimal("35.00"))
    charge_month(session, NOV, now=now, tz=HK)
    assert [(c.kind, c.amount) for c in lines(session)] == [("late_cancellation", Decimal("35.00"))]
    late.late_cancel = False  # waived
    session.commit()
    charge_month(session, NOV, now=now, tz=HK)
    assert [(c.kind, c.basis, c.amount) for c in lines(session)] == [
        ("late_cancellation", "late_cancellation", Decimal("35.00")),
        ("adjustment", "late_cancellation", Decimal("-35.00"))]
