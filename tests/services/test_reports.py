"""The reports service on real rows (SQLite and PostgreSQL) equals the brute-force figures
computed night by night and minute by minute from the same records; frozen months keep
their figures when records change."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from innocell.allocation import usage
from innocell.allocation.hours import WeeklyWindow
from innocell.models import (
    Blackout,
    Booking,
    Lease,
    RecurringBlackout,
    ReportSnapshot,
    Space,
    SpaceActivePeriod,
    Unit,
    UnitOutage,
    WaitlistEntry,
)
from innocell.services import BadRequest, Conflict
from innocell.services import reports
from tests.unit.test_usage import brute_occupancy, brute_space

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HK_DECEMBER_2026_HOLIDAYS = {date(2026, 12, 25), date(2026, 12, 26)}  # Christmas, first weekday after


def hk(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=HK).astimezone(UTC)


# --------------------------------------------------------------------------- housing


def make_housing(session, user, seed: int, tenant=None):
    """Random units, outages and leases around February 2028; returns plain copies. Each unit's
    leases are held by one tenant of its own (`tenant()` makes one; one home a person a night)."""
    rng = random.Random(seed)
    base = date(2027, 12, 1)
    units, plain_units, outages, leases = [], [], defaultdict(list), defaultdict(list)
    for i in range(8):
        unit = Unit(code=f"{i // 4 + 1:02d}-{i:02d}", unit_type=rng.choice(["solo", "twin", "suite"]),
                    floor=i // 4 + 1, monthly_rent=Decimal(rng.randrange(800000, 3000000)) / 100,
                    status="out_of_service" if i == 7 else "available", created_at=NOW)
        session.add(unit)
        units.append(unit)
    session.flush()
    for unit in units:
        plain_units.append(usage.UnitInfo(unit.id, unit.code, unit.unit_type, unit.floor,
                                          unit.status == "out_of_service"))
        for _ in range(rng.randrange(0, 2)):
            a = base + timedelta(days=rng.randrange(0, 150))
            b = a + timedelta(days=rng.randrange(1, 30))
            session.add(UnitOutage(unit_id=unit.id, start_date=a, end_date=b, reason="paint", created_at=NOW))
            outages[unit.id].append((a, b))
        cursor = base - timedelta(days=rng.randrange(0, 60))
        holder = tenant() if tenant is not None else user
        for _ in range(rng.randrange(0, 4)):  # consecutive, non-overlapping leases
            a = cursor + timedelta(days=rng.randrange(0, 20))
            b = a + timedelta(days=rng.randrange(1, 120))
            rent = Decimal(rng.randrange(800000, 3000000)) / 100
            status = rng.choice(["active", "ending", "ended", "terminated"])
            session.add(Lease(unit_id=unit.id, user_id=holder.id, start_date=a, end_date=b, monthly_rent=rent,
                              status=status, created_at=NOW))
            leases[unit.id].append(usage.LeaseInfo(unit.id, a, b, rent, status))
            cursor = b
    session.commit()
    return plain_units, outages, leases


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_occupancy_on_real_rows_equals_night_by_night_count(session, make_user, seed):
    user = make_user()
    units, outages, leases = make_housing(session, user, seed, tenant=make_user)
    start, end = date(2028, 1, 17), date(2028, 3, 9)  # crosses the leap day
    for group in ("unit_type", "unit", "floor"):
        expected: dict[str, list] = {}
        for unit in units:
            label = {"unit": unit.code, "unit_type": unit.unit_type, "floor": str(unit.floor)}[group]
            a, o, r = brute_occupancy(unit, outages[unit.id], leases[unit.id], start, end)
            acc = expected.setdefault(label, [0, 0, Fraction(0)])
            acc[0], acc[1], acc[2] = acc[0] + a, acc[1] + o, acc[2] + r
        rows = reports.occupancy(session, start=start, end=end, group=group, tz=HK)
        got = {r["group"]: [r["available_unit_nights"], r["occupied_unit_nights"], r["rent_due"]] for r in rows}
        assert got == expected, group
        assert [r["group"] for r in rows] == sorted(expected, key=lambda g: int(g) if group == "floor" else g)
        for row in rows:
            a, o, _ = expected[row["group"]]
            assert row["occupancy_rate"] == (o / a if a else None)


def test_revenue_months_equal_brute_force_rent_and_fees(session, make_user):
    user = make_user()
    units, outages, leases = make_housing(session, user, 7, tenant=make_user)
    start, end = date(2028, 1, 10), date(2028, 3, 20)
    rows = reports.revenue(session, start=start, end=end, tz=HK)
    assert [r["group"] for r in rows] == ["2028-01", "2028-02", "2028-03"]
    for row, (month, a, b) in zip(rows, usage.month_pieces(start, end)):
        want = sum((brute_occupancy(u, outages[u.id], leases[u.id], a, b)[2] for u in units), Fraction(0))
        assert row["rent_due"] == want
        assert row["lab_fees"] == 0
        assert row["total"] == want


# --------------------------------------------------------------------------- spaces

OPENING = {
    "mon": [["08:00", "12:00"], ["13:00", "22:00"]], "tue": [["08:00", "22:00"]], "wed": [["00:00", "24:00"]],
    "thu": [["08:00", "22:00"]], "fri": [["20:00", "24:00"]], "sat": [["00:00", "02:00"], ["10:00", "16:30"]],
}


# When each space was open for booking: WL-2 was created mid-December, MR-1 was closed for a
# fortnight, OLD-1 was deactivated mid-December and OLD-2 in October.
PERIODS = {
    "WL-1": [(hk(2026, 11, 1), None)],
    "WL-2": [(hk(2026, 12, 10, 12), None)],
    "MR-1": [(hk(2026, 11, 1), hk(2026, 12, 5, 9, 30)), (hk(2026, 12, 19, 15), None)],
    "OLD-1": [(hk(2026, 11, 1), hk(2026, 12, 15))],
    "OLD-2": [(hk(2026, 9, 1), hk(2026, 10, 1))],
}


def make_spaces(session, user, seed: int):
    """Three active spaces (capacity 1, 2, 3; one closed on public holidays), an inactive one
    with bookings and one without, each active over its PERIODS, blackouts (one lifted), a
    recurring blackout (one lifted) and bookings of every status, some crossing midnight and
    opening edges."""
    rng = random.Random(seed)
    specs = [("WL-1", "wet_lab", 1, True, True), ("WL-2", "wet_lab", 2, False, True),
             ("MR-1", "meeting_room", 3, False, True), ("OLD-1", "meeting_room", 1, False, False),
             ("OLD-2", "dry_lab", 1, False, False)]
    spaces = []
    for code, kind, cap, holidays, active in specs:
        space = Space(code=code, name=f"Space {code}", kind=kind, capacity=cap, opening_hours=OPENING,
                      hourly_rate=Decimal(rng.randrange(0, 40000)) / 100, closed_on_holidays=holidays,
                      active=active, created_at=PERIODS[code][0][0])
        session.add(space)
        spaces.append(space)
    session.flush()
    for space in spaces:
        session.add_all(SpaceActivePeriod(space_id=space.id, start_at=a, end_at=b) for a, b in PERIODS[space.code])
    blackouts, recurring, bookings = defaultdict(list), defaultdict(list), []
    for space in spaces[:3]:
        s = hk(2026, 12, rng.randrange(1, 28), rng.randrange(0, 24))
        e = s + timedelta(minutes=30 * rng.randrange(1, 40))
        session.add(Blackout(space_id=space.id, start_at=s, end_at=e, reason="service", created_at=NOW))
        blackouts[space.id].append((s, e))
        ls = hk(2026, 12, 10, 9)
        session.add(Blackout(space_id=space.id, start_at=ls, end_at=ls + timedelta(hours=5), reason="lifted",
                             created_at=NOW, lifted_at=NOW))
    session.add(RecurringBlackout(space_id=spaces[1].id, weekday=1, start_time="09:00", end_time="11:30",
                                  valid_from=date(2026, 12, 5), valid_until=None, reason="clean", created_at=NOW))
    recurring[spaces[1].id].append(WeeklyWindow(1, "09:00", "11:30", date(2026, 12, 5), None))
    session.add(RecurringBlackout(space_id=spaces[0].id, weekday=3, start_time="08:00", end_time="22:00",
                                  reason="lifted on the 17th", created_at=NOW, lifted_at=hk(2026, 12, 17, 12)))
    recurring[spaces[0].id].append(WeeklyWindow(3, "08:00", "22:00", None, date(2026, 12, 17)))
    for space in spaces[:4]:
        for _ in range(12):
            s = hk(2026, 11, 30) + timedelta(minutes=30 * rng.randrange(0, 33 * 48))
            e = s + timedelta(minutes=30 * rng.randrange(1, 20))
            status = rng.choice(["pending", "confirmed", "confirmed", "cancelled"])
            session.add(Booking(space_id=space.id, user_id=user.id, start_at=s, end_at=e, hold_end_at=e,
                                status=status, title="t", created_at=NOW))
            bookings.append(usage.BookingInfo(space.id, s, e, status))
    # edge cases: across midnight into a closed day, across the end of the period
    for s, e in [(hk(2026, 12, 4, 21), hk(2026, 12, 5, 3)), (hk(2026, 12, 31, 20), hk(2027, 1, 1, 4))]:
        session.add(Booking(space_id=spaces[2].id, user_id=user.id, start_at=s, end_at=e, hold_end_at=e,
                            status="confirmed", title="edge", created_at=NOW))
        bookings.append(usage.BookingInfo(spaces[2].id, s, e, "confirmed"))
    session.commit()
    plain = [usage.SpaceInfo(s.id, s.code, s.kind, s.capacity, s.opening_hours, s.hourly_rate,
                             s.closed_on_holidays, tuple(PERIODS[s.code])) for s in spaces]
    return plain, blackouts, recurring, bookings


@pytest.mark.parametrize("seed", [11, 12])
def test_utilisation_on_real_rows_equals_minute_by_minute_count(session, make_user, seed):
    user = make_user()
    spaces, blackouts, recurring, bookings = make_spaces(session, user, seed)
    start, end = date(2026, 12, 1), date(2027, 1, 1)
    ws, we = usage.period_instants(start, end, HK)
    brute = {}
    for space in spaces:
        brute[space.code] = (*brute_space(space, bookings, ws, we, HK_DECEMBER_2026_HOLIDAYS, blackouts[space.id],
                                          recurring[space.id]), space)
    # OLD-2 was active only in the autumn and is unbooked: left out; OLD-1 was active until the 15th: kept
    rows = reports.utilisation(session, start=start, end=end, group="space", tz=HK)
    codes = [r["group"] for r in rows]
    assert codes == ["MR-1", "OLD-1", "WL-1", "WL-2"]
    for row in rows:
        open_min, booked_min, pending_min, space = brute[row["group"]]
        assert row["open_hours"] == Fraction(open_min, 60)
        assert row["booked_hours"] == Fraction(booked_min, 60)
        assert row["pending_hours"] == Fraction(pending_min, 60)
        assert row["fees"] == Fraction(booked_min, 60) * Fraction(space.hourly_rate)
        assert row["utilisation_rate"] == (booked_min / open_min if open_min else None)
    # a space created on 10 December is not given the nine days before it existed
    wl2 = brute["WL-2"][3]
    always = usage.SpaceInfo(wl2.id, wl2.code, wl2.kind, wl2.capacity, wl2.opening_hours, wl2.hourly_rate)
    assert rows[3]["open_hours"] < Fraction(brute_space(always, [], ws, we, set(), blackouts[wl2.id],
                                                        recurring[wl2.id])[0], 60)
    by_kind = {r["group"]: r for r in reports.utilisation(session, start=start, end=end, group="kind", tz=HK)}
    wet = [brute[c] for c in ("WL-1", "WL-2")]
    assert by_kind["wet_lab"]["open_hours"] == Fraction(sum(w[0] for w in wet), 60)
    assert by_kind["wet_lab"]["booked_hours"] == Fraction(sum(w[1] for w in wet), 60)
    assert by_kind["wet_lab"]["pending_hours"] == Fraction(sum(w[2] for w in wet), 60)


def test_revenue_lab_fees_are_utilisation_fees_month_by_month(session, make_user):
    user = make_user()
    make_spaces(session, user, 5)
    rows = reports.revenue(session, start=date(2026, 11, 15), end=date(2027, 1, 1), tz=HK)
    for row, (_, a, b) in zip(rows, usage.month_pieces(date(2026, 11, 15), date(2027, 1, 1))):
        fees = sum((r["fees"] for r in reports.utilisation(session, start=a, end=b, group="space", tz=HK)),
                   Fraction(0))
        assert row["lab_fees"] == fees


def test_heat_map_sums_to_the_utilisation_totals(session, make_user):
    user = make_user()
    make_spaces(session, user, 3)
    start, end = date(2026, 12, 1), date(2027, 1, 1)
    heat = reports.heat_map(session, start=start, end=end, tz=HK)
    rows = reports.utilisation(session, start=start, end=end, group="space", tz=HK)
    assert usage.hours(sum(heat.open.values())) == sum(r["open_hours"] for r in rows)
    assert usage.hours(sum(heat.booked.values())) == sum(r["booked_hours"] for r in rows)


# --------------------------------------------------------------------------- vacancy, waitlist


def test_vacancy_and_waitlist_from_rows(session, make_user):
    user, other_tenant = make_user(), make_user()
    free = Unit(code="A", unit_type="solo", floor=1, monthly_rent=Decimal("9000"), created_at=NOW)
    let = Unit(code="B", unit_type="solo", floor=1, monthly_rent=Decimal("9000"), created_at=NOW)
    session.add_all([free, let])
    session.flush()
    session.add_all([
        # let twice before: free since the later end
        Lease(unit_id=free.id, user_id=other_tenant.id, start_date=date(2025, 1, 1), end_date=date(2025, 6, 1),
              monthly_rent=Decimal("9000"), status="ended", created_at=NOW),
        Lease(unit_id=free.id, user_id=user.id, start_date=date(2026, 6, 1), end_date=date(2026, 11, 21),
              monthly_rent=Decimal("9000"), status="ended", created_at=NOW),
        Lease(unit_id=free.id, user_id=user.id, start_date=date(2027, 1, 1), end_date=date(2027, 7, 1),
              monthly_rent=Decimal("9000"), status="active", created_at=NOW),
        Lease(unit_id=let.id, user_id=other_tenant.id, start_date=date(2026, 6, 1), end_date=date(2027, 6, 1),
              monthly_rent=Decimal("9000"), status="active", created_at=NOW),
        WaitlistEntry(user_id=user.id, unit_type="suite", joined_at=NOW - timedelta(days=3), status="waiting"),
        WaitlistEntry(user_id=user.id, unit_type="suite", joined_at=NOW - timedelta(days=9), status="waiting"),
        WaitlistEntry(user_id=user.id, unit_type="suite", joined_at=NOW - timedelta(days=30), status="housed"),
    ])
    session.commit()
    rows = reports.vacancy(session, today=date(2026, 12, 1))
    assert [(r["unit"], r["free_since"], r["vacant_nights"], r["next_lease_start"], r["free_nights_ahead"])
            for r in rows] == [("A", date(2026, 11, 21), 10, date(2027, 1, 1), 31)]
    stats = {r["unit_type"]: r for r in reports.waitlist(session, now=NOW)}
    assert (stats["suite"]["waiting"], stats["suite"]["median_wait_days"]) == (2, 6.0)
    assert stats["twin"]["waiting"] == 0


# --------------------------------------------------------------------------- snapshots


def _one_lease_tower(session, user):
    unit = Unit(code="01-01", unit_type="solo", floor=1, monthly_rent=Decimal("9300"), created_at=NOW)
    session.add(unit)
    session.flush()
    session.add(Lease(unit_id=unit.id, user_id=user.id, start_date=date(2026, 10, 20), end_date=date(2027, 1, 1),
                      monthly_rent=Decimal("9300"), status="active", created_at=NOW))
    session.commit()
    return unit


def test_a_frozen_month_keeps_its_figures_and_shows_the_change(session, make_user):
    finance = make_user("finance")
    unit = _one_lease_tower(session, finance)
    nov = date(2026, 11, 1)
    snap = reports.freeze(session, report="occupancy", month=nov, group="unit_type", actor=finance, now=NOW, tz=HK)
    assert snap.rows == [{"group": "solo", "available_unit_nights": 30, "occupied_unit_nights": 30,
                          "occupancy_rate": 1.0, "rent_due": "9300.00"}]
    # records change afterwards: a second unit is let for ten nights of November
    other = Unit(code="01-02", unit_type="solo", floor=1, monthly_rent=Decimal("9000"), created_at=NOW)
    session.add(other)
    session.flush()
    session.add(Lease(unit_id=other.id, user_id=make_user().id, start_date=date(2026, 11, 21),
                      end_date=date(2027, 2, 1), monthly_rent=Decimal("9000"), status="active", created_at=NOW))
    session.commit()
    result = reports.report(session, "occupancy", start=nov, end=date(2026, 12, 1), group="unit_type", tz=HK)
    assert result.frozen and result.frozen_by == finance.name
    assert result.rows == [{"group": "solo", "available_unit_nights": 30, "occupied_unit_nights": 30,
                            "occupancy_rate": 1.0, "rent_due": Decimal("9300.00")}]
    assert result.current == [{"group": "solo", "available_unit_nights": 60, "occupied_unit_nights": 40,
                               "occupancy_rate": 0.6667, "rent_due": Decimal("12300.00")}]
    assert result.changes == [{"group": "solo", "available_unit_nights": 30, "occupied_unit_nights": 10,
                               "occupancy_rate": -0.3333, "rent_due": Decimal("3000.00")}]
    # another grouping of the same month, and another period, are not frozen
    assert not reports.report(session, "occupancy", start=nov, end=date(2026, 12, 1), group="unit", tz=HK).frozen
    assert not reports.report(session, "occupancy", start=nov, end=date(2026, 11, 30), group="unit_type",
                              tz=HK).frozen
    assert unit.id


def test_freezing_refuses_open_months_and_twice(session, make_user):
    finance = make_user("finance")
    _one_lease_tower(session, finance)
    with pytest.raises(BadRequest):
        reports.freeze(session, report="occupancy", month=date(2026, 12, 1), group="unit", actor=finance,
                       now=NOW, tz=HK)
    reports.freeze(session, report="occupancy", month=date(2026, 11, 1), group="unit", actor=finance, now=NOW, tz=HK)
    with pytest.raises(Conflict):
        reports.freeze(session, report="occupancy", month=date(2026, 11, 1), group="unit", actor=finance,
                       now=NOW, tz=HK)
    assert session.query(ReportSnapshot).count() == 1


def test_freeze_month_stores_every_report_and_grouping_once(session, make_user):
    finance = make_user("finance")
    _one_lease_tower(session, finance)
    reports.freeze(session, report="utilisation", month=date(2026, 11, 1), group="kind", actor=finance,
                   now=NOW, tz=HK)
    made = reports.freeze_month(session, month=date(2026, 11, 7), actor=finance, now=NOW, tz=HK)
    # occupancy ×4 (by company too), utilisation by space and by company, revenue (by kind was frozen before)
    assert made == 7
    stored = {(s.report, s.grouping) for s in session.query(ReportSnapshot).all()}
    assert stored == {("occupancy", "unit_type"), ("occupancy", "unit"), ("occupancy", "floor"),
                      ("occupancy", "company"), ("utilisation", "space"), ("utilisation", "kind"),
                      ("utilisation", "company"), ("revenue", "month")}
    with pytest.raises(Conflict):
        reports.freeze_month(session, month=date(2026, 11, 1), actor=finance, now=NOW, tz=HK)
    revenue = reports.report(session, "revenue", start=date(2026, 11, 1), end=date(2026, 12, 1), group=None, tz=HK)
    assert revenue.frozen and revenue.rows[0]["rent_due"] == Decimal("9300.00")


def test_bad_periods_and_groupings_are_refused(session):
    with pytest.raises(BadRequest):
        reports.occupancy(session, start=date(2026, 12, 1), end=date(2026, 12, 1), group="unit", tz=HK)
    with pytest.raises(BadRequest):
        reports.utilisation(session, start=date(2020, 1, 1), end=date(2026, 1, 1), group="space", tz=HK)
    with pytest.raises(BadRequest):
        reports.occupancy(session, start=date(2026, 11, 1), end=date(2026, 12, 1), group="space", tz=HK)
