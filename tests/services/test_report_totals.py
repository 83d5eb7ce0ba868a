"""Figures that reconcile, through the service (SQLite and PostgreSQL): every report's totals
row is the sum of its rows with rates recomputed, a month's figures add up to the records, a
space counts open hours only while it existed and was active (so a space made today adds
nothing to a frozen past month), pending time is apart and unbilled, and a unit with an open
offer is promised, not vacant."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from innocell.models import Booking, Offer, Space, Unit
from innocell.services import reports
from innocell.services import spaces as space_svc
from tests.services.test_reports import make_housing, make_spaces

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DECEMBER = (date(2026, 12, 1), date(2027, 1, 1))


@pytest.mark.parametrize("name,groups", [("occupancy", ("unit_type", "unit", "floor")),
                                         ("utilisation", ("space", "kind")), ("revenue", ("month",))])
def test_the_totals_row_is_the_sum_of_the_rows_with_rates_from_the_sums(session, make_user, name, groups):
    user = make_user()
    make_housing(session, user, 4, tenant=make_user)  # one home a person: a tenant per unit
    make_spaces(session, user, 4)
    start, end = (date(2027, 12, 20), date(2028, 3, 1)) if name == "occupancy" else (date(2026, 11, 20),
                                                                                       date(2027, 1, 1))
    for group in groups:
        result = reports.report(session, name, start=start, end=end, group=group, tz=HK)
        assert result.rows and result.totals["group"] == "Total"
        spec = reports.SPECS[name]
        for key in spec.summed:
            assert result.totals[key] == sum(row[key] for row in result.rows), (group, key)
        for rate, (part, whole) in spec.rates.items():
            want = round(float(result.totals[part]) / float(result.totals[whole]), 4)
            assert result.totals[rate] == want  # from the summed figures, not an average of the rows' rates


def test_the_months_fees_add_up_to_the_confirmed_bookings(session, make_user):
    """Utilisation by space sums to the records: each confirmed booking's hours inside opening
    hours × its space's rate; pending bookings in pending hours; cancelled ones nowhere."""
    user = make_user()
    hours = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    spaces = [Space(code=f"S{i}", name=f"S{i}", kind="wet_lab", capacity=1, opening_hours=hours,
                    hourly_rate=Decimal(rate), created_at=datetime(2026, 1, 1, tzinfo=UTC))
              for i, rate in enumerate(("120.50", "99.99", "0"))]
    session.add_all(spaces)
    session.flush()
    records = []
    for i in range(18):
        space = spaces[i % 3]
        s = datetime(2026, 12, 1 + i, 9, tzinfo=HK).astimezone(UTC)
        e = s + timedelta(minutes=30 * (1 + i % 5))
        status = ("confirmed", "pending", "cancelled")[i % 3 if i % 4 else 0]
        session.add(Booking(space_id=space.id, user_id=user.id, start_at=s, end_at=e, hold_end_at=e, status=status,
                            title="", created_at=NOW))
        records.append((space, e - s, status))
    session.commit()
    result = reports.report(session, "utilisation", start=DECEMBER[0], end=DECEMBER[1], group="space", tz=HK)
    confirmed = [(sp, d) for sp, d, st in records if st == "confirmed"]
    pending = [d for _, d, st in records if st == "pending"]
    assert result.totals["booked_hours"] == Decimal(sum(d.total_seconds() for _, d in confirmed) / 3600).quantize(
        Decimal("0.01"))
    assert result.totals["pending_hours"] == Decimal(sum(d.total_seconds() for d in pending) / 3600).quantize(
        Decimal("0.01"))
    fees = sum(Decimal(d.total_seconds()) / 3600 * sp.hourly_rate for sp, d in confirmed)
    assert result.totals["fees"] == sum(r["fees"] for r in result.rows)
    assert abs(result.totals["fees"] - fees) <= Decimal("0.01") * len(result.rows)  # cents rounded per row


def test_a_space_made_today_adds_nothing_to_past_months_and_stops_at_deactivation(session, make_user):
    manager = make_user("manager")
    made = NOW  # Tue 1 Dec 2026 10:00 in Hong Kong
    space = space_svc.create_space(session, {"code": "NEW", "name": "New", "kind": "wet_lab",
                                             "opening_hours": {d: [["08:00", "20:00"]] for d in
                                                               ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
                                   actor=manager, now=made)
    november = reports.utilisation(session, start=date(2026, 11, 1), end=date(2026, 12, 1), group="space", tz=HK)
    assert [r["group"] for r in november] == []
    snap = reports.freeze(session, report="utilisation", month=date(2026, 11, 1), group="space", actor=manager,
                          now=NOW, tz=HK)
    assert snap.rows == []
    space_svc.set_space_active(session, space.id, False, actor=manager, now=made + timedelta(days=2))  # 3 Dec 10:00
    december = {r["group"]: r for r in reports.utilisation(session, start=DECEMBER[0], end=DECEMBER[1],
                                                           group="space", tz=HK)}
    assert december["NEW"]["open_hours"] == 10 + 12 + 2  # 10:00-20:00, 08:00-20:00, 08:00-10:00


def test_a_unit_with_an_open_offer_is_promised_not_vacant(session, make_user):
    user = make_user()
    units = [Unit(code=f"09-0{i}", unit_type="solo", floor=9, monthly_rent=Decimal("9000"), created_at=NOW)
             for i in (1, 2, 3)]
    session.add_all(units)
    session.flush()
    today = date(2026, 12, 1)
    for unit, start, status in ((units[0], today - timedelta(days=2), "open"),
                                (units[1], today + timedelta(days=9), "open"),
                                (units[2], today - timedelta(days=2), "declined")):
        session.add(Offer(kind="waitlist", user_id=user.id, unit_id=unit.id, start_date=start,
                          end_date=start + timedelta(days=180), monthly_rent=Decimal("9000"), status=status,
                          expires_at=NOW + timedelta(days=5), created_at=NOW))
    session.commit()
    rows = reports.vacancy(session, today=today)
    assert [(r["unit"], r["promised_from"], r["free_nights_ahead"]) for r in rows] == [
        ("09-02", today + timedelta(days=9), 9), ("09-03", None, None)]
    totals = reports.vacancy_totals(rows)
    assert (totals["units"], totals["monthly_rent"], totals["free_nights_ahead"]) == (2, Decimal("18000"), 9)
