"""Reports grouped by company, on SQLite and PostgreSQL: each company's row holds what its
people's leases and bookings held, the rest is "(vacant)" or "(free)", and the rows add up
exactly to the park's totals (the same report by unit type or by space)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from innocell.models import Booking, Lease, Space, Unit, UnitOutage
from innocell.services import reports

HK = ZoneInfo("Asia/Hong_Kong")
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo("UTC"))
NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


def _park(session, make_user, make_company):
    make_company("NanoBio Labs")
    nano = make_user(company="NanoBio Labs")
    nano_colleague = make_user(company="NanoBio Labs")  # one home a person: a colleague holds the second
    acme = make_user(company="Acme Bio")
    loner = make_user(company=None)
    units = [Unit(code=f"01-0{i}", unit_type="solo", floor=1, monthly_rent=Decimal("9000"), created_at=NOW)
             for i in range(1, 5)]
    session.add_all(units)
    session.flush()
    session.add_all([
        Lease(unit_id=units[0].id, user_id=nano.id, start_date=date(2026, 10, 1), end_date=date(2027, 1, 1),
              monthly_rent=Decimal("9000"), status="active", created_at=NOW),
        Lease(unit_id=units[1].id, user_id=nano_colleague.id, start_date=date(2026, 11, 11), end_date=date(2027, 1, 1),
              monthly_rent=Decimal("9300"), status="active", created_at=NOW),
        Lease(unit_id=units[2].id, user_id=acme.id, start_date=date(2026, 11, 1), end_date=date(2026, 11, 16),
              monthly_rent=Decimal("9000"), status="ended", created_at=NOW),
        Lease(unit_id=units[3].id, user_id=loner.id, start_date=date(2026, 11, 1), end_date=date(2026, 11, 6),
              monthly_rent=Decimal("6000"), status="active", created_at=NOW),
        UnitOutage(unit_id=units[0].id, start_date=date(2026, 11, 20), end_date=date(2026, 11, 25), reason="Paint",
                   created_at=NOW),
    ])
    lab = Space(code="WL-9", name="Lab 9", kind="wet_lab", capacity=1, opening_hours={
        d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}, slot_minutes=30,
        min_minutes=30, max_minutes=480, buffer_minutes=0, max_days_ahead=60, hourly_rate=Decimal("100"),
        requires_approval=False, requires_authorisation=False, requires_checkin=False, closed_on_holidays=False,
        active=True, created_at=datetime(2026, 10, 1, tzinfo=HK))  # open for the whole of November
    session.add(lab)
    session.flush()
    day = datetime(2026, 11, 3, 10, 0, tzinfo=HK)
    for user, hours in ((nano, 2), (acme, 3), (nano, 1)):
        session.add(Booking(space_id=lab.id, user_id=user.id, start_at=day, end_at=day + timedelta(hours=hours),
                            hold_end_at=day + timedelta(hours=hours), exclusive=True, status="confirmed", title="",
                            created_at=NOW))
        day += timedelta(days=1)
    session.commit()


def _sum(rows, key):
    return sum((row[key] for row in rows), type(rows[0][key])(0))


def test_occupancy_by_company_adds_up_to_the_park(session, make_user, make_company):
    _park(session, make_user, make_company)
    rows = reports.occupancy(session, start=NOV, end=DEC, group="company")
    by = {row["group"]: row for row in rows}
    assert [row["group"] for row in rows] == ["Acme Bio", "NanoBio Labs", "(no company)", "(vacant)"]
    # NanoBio: unit 1 all November less the 5-night outage (25 available, 30 occupied), unit 2 from the 11th (20).
    assert (by["NanoBio Labs"]["available_unit_nights"], by["NanoBio Labs"]["occupied_unit_nights"]) == (45, 50)
    assert by["NanoBio Labs"]["rent_due"] == Fraction(9000) + Fraction(9300 * 20, 30)
    assert (by["Acme Bio"]["occupied_unit_nights"], by["(no company)"]["occupied_unit_nights"]) == (15, 5)
    assert by["(vacant)"]["occupied_unit_nights"] == 0 and by["(vacant)"]["rent_due"] == 0
    whole = reports.occupancy(session, start=NOV, end=DEC, group="unit_type")[0]
    for key in ("available_unit_nights", "occupied_unit_nights", "rent_due"):
        assert _sum(rows, key) == whole[key], key


def test_utilisation_by_company_adds_up_to_the_park(session, make_user, make_company):
    _park(session, make_user, make_company)
    rows = reports.utilisation(session, start=NOV, end=DEC, group="company", tz=HK)
    by = {row["group"]: row for row in rows}
    assert [row["group"] for row in rows] == ["Acme Bio", "NanoBio Labs", "(free)"]
    assert (by["NanoBio Labs"]["booked_hours"], by["NanoBio Labs"]["fees"]) == (3, 300)
    assert (by["Acme Bio"]["booked_hours"], by["Acme Bio"]["fees"]) == (3, 300)
    assert by["(free)"]["booked_hours"] == 0
    whole = reports.utilisation(session, start=NOV, end=DEC, group="space", tz=HK)[0]
    assert whole["open_hours"] == 30 * 8
    for key in ("open_hours", "booked_hours", "fees"):
        assert _sum(rows, key) == whole[key], key


def test_exports_group_by_company_too(session, make_user, make_company, client, login):
    _park(session, make_user, make_company)
    login(make_user("finance", email="fiona@park.example"))
    csv = client.get("/reports/occupancy.csv?from=2026-11-01&to=2026-12-01&group=company")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).splitlines()
    assert [line.split(",")[0] for line in lines[1:5]] == ["Acme Bio", "NanoBio Labs", "(no company)", "(vacant)"]
    api = client.get("/api/v1/reports/utilisation?from=2026-11-01&to=2026-12-01&group=company")
    assert [row["group"] for row in api.get_json()["rows"]] == ["Acme Bio", "NanoBio Labs", "(free)"]
