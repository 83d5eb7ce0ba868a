"""Finance reports: occupancy, utilisation, revenue, vacancy, waitlist, month-end snapshots.

The figures come from the pure core (`innocell.allocation.usage`); this module only reads the
records they are computed from (tuples, not ORM objects; bookings streamed with `yield_per`
so a long period never sits in memory) and stores frozen months. Read functions return exact
figures; `present()` rounds them for people, files and the API (money and hours to cents,
rates to four places)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..allocation import usage
from ..allocation.hours import WeeklyWindow, public_holidays
from ..models import (
    UNIT_TYPES,
    Blackout,
    Booking,
    Lease,
    RecurringBlackout,
    ReportSnapshot,
    Space,
    Unit,
    UnitOutage,
    User,
    WaitlistEntry,
)
from . import BadRequest, Conflict, company_usage
from .audit import record
from .tx import transaction

MAX_PERIOD_DAYS = 366 * 5
BATCH = 1000

# Field kinds drive rounding, JSON, CSV and XLSX alike.
INT, RATE, MONEY, HOURS = "int", "rate", "money", "hours"


@dataclass(frozen=True)
class ReportSpec:
    name: str
    groups: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (key, kind)

    @property
    def default_group(self) -> str:
        return self.groups[0]


SPECS = {
    "occupancy": ReportSpec("occupancy", usage.OCCUPANCY_GROUPS + (company_usage.GROUP,), (
        ("available_unit_nights", INT), ("occupied_unit_nights", INT), ("occupancy_rate", RATE),
        ("rent_due", MONEY))),
    "utilisation": ReportSpec("utilisation", usage.UTILISATION_GROUPS + (company_usage.GROUP,), (
        ("open_hours", HOURS), ("booked_hours", HOURS), ("utilisation_rate", RATE), ("fees", MONEY))),
    "revenue": ReportSpec("revenue", ("month",), (
        ("rent_due", MONEY), ("lab_fees", MONEY), ("total", MONEY))),
}
FREEZABLE = tuple(SPECS)


# --------------------------------------------------------------------------- parameters


def check_period(start: date, end: date) -> None:
    if not isinstance(start, date) or not isinstance(end, date):
        raise BadRequest("Give the period as dates: from=YYYY-MM-DD and to=YYYY-MM-DD (to is exclusive).")
    if end <= start:
        raise BadRequest(f"The period must end after it starts: 'to' ({end}) is not after 'from' ({start}).")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise BadRequest(f"The period is too long: at most {MAX_PERIOD_DAYS} days at a time.")


def check_group(report: str, group: str | None) -> str:
    spec = SPECS[report]
    if group in (None, ""):
        return spec.default_group
    if group not in spec.groups:
        raise BadRequest(f"'{group}' is not a grouping of the {report} report; use one of: {', '.join(spec.groups)}.")
    return group


# --------------------------------------------------------------------------- loading


@dataclass
class HousingData:
    units: list[usage.UnitInfo]
    outages: dict[int, list[tuple[date, date]]]
    leases: dict[int, list[usage.LeaseInfo]]


def load_housing(session: Session, start: date | None, end: date | None) -> HousingData:
    """Units, and the outages and occupying leases that meet [start, end) (all when None)."""
    units = [usage.UnitInfo(id=i, code=c, unit_type=t, floor=f, out_of_service=(s == "out_of_service"))
             for i, c, t, f, s in session.execute(
                 select(Unit.id, Unit.code, Unit.unit_type, Unit.floor, Unit.status).order_by(Unit.code))]
    outage_q = select(UnitOutage.unit_id, UnitOutage.start_date, UnitOutage.end_date)
    lease_q = select(Lease.unit_id, Lease.start_date, Lease.end_date, Lease.monthly_rent, Lease.status).where(
        Lease.status.in_(usage.OCCUPYING_LEASE_STATUSES))
    if start is not None:
        outage_q = outage_q.where(UnitOutage.end_date > start)
        lease_q = lease_q.where(Lease.end_date > start)
    if end is not None:
        outage_q = outage_q.where(UnitOutage.start_date < end)
        lease_q = lease_q.where(Lease.start_date < end)
    outages: dict[int, list] = defaultdict(list)
    for unit_id, a, b in session.execute(outage_q):
        outages[unit_id].append((a, b))
    leases: dict[int, list] = defaultdict(list)
    for unit_id, a, b, rent, status in session.execute(lease_q.execution_options(yield_per=BATCH)):
        leases[unit_id].append(usage.LeaseInfo(unit_id, a, b, Decimal(rent), status))
    return HousingData(units, dict(outages), dict(leases))


@dataclass
class SpaceData:
    spaces: list[usage.SpaceInfo]
    active: dict[int, bool]
    blackouts: dict[int, list[tuple[datetime, datetime]]]
    recurring: dict[int, list[WeeklyWindow]]
    holidays: set[date]


def load_spaces(session: Session, ws: datetime, we: datetime, tz: ZoneInfo) -> SpaceData:
    spaces, active = [], {}
    for row in session.execute(select(Space.id, Space.code, Space.kind, Space.capacity, Space.opening_hours,
                                      Space.hourly_rate, Space.closed_on_holidays, Space.active)
                               .order_by(Space.code)):
        spaces.append(usage.SpaceInfo(id=row.id, code=row.code, kind=row.kind, capacity=row.capacity,
                                      opening_hours=row.opening_hours or {},
                                      hourly_rate=Decimal(row.hourly_rate or 0),
                                      closed_on_holidays=bool(row.closed_on_holidays)))
        active[row.id] = bool(row.active)
    blackouts: dict[int, list] = defaultdict(list)
    for space_id, s, e in session.execute(
            select(Blackout.space_id, Blackout.start_at, Blackout.end_at)
            .where(Blackout.lifted_at.is_(None), Blackout.start_at < we, Blackout.end_at > ws)):
        blackouts[space_id].append((s, e))
    recurring: dict[int, list] = defaultdict(list)
    for row in session.execute(select(RecurringBlackout.space_id, RecurringBlackout.weekday,
                                      RecurringBlackout.start_time, RecurringBlackout.end_time,
                                      RecurringBlackout.valid_from, RecurringBlackout.valid_until,
                                      RecurringBlackout.lifted_at)):
        until = row.valid_until
        if row.lifted_at is not None:  # lifted: it closed the space until the day it was lifted
            lifted_day = row.lifted_at.astimezone(tz).date()
            until = lifted_day if until is None else min(until, lifted_day)
        recurring[row.space_id].append(WeeklyWindow(row.weekday, row.start_time, row.end_time,
                                                    row.valid_from, until))
    holidays: set[date] = set()
    if any(s.closed_on_holidays for s in spaces):
        first, last = ws.astimezone(tz).year, we.astimezone(tz).year
        holidays = set(public_holidays(range(first - 1, last + 2)))
    return SpaceData(spaces, active, dict(blackouts), dict(recurring), holidays)


def stream_bookings(session: Session, ws: datetime, we: datetime):
    """Non-cancelled bookings meeting [ws, we), as BookingInfo, in batches."""
    stmt = (select(Booking.space_id, Booking.start_at, Booking.end_at, Booking.status)
            .where(Booking.status.in_(usage.ACTIVE_BOOKING_STATUSES), Booking.start_at < we, Booking.end_at > ws)
            .execution_options(yield_per=BATCH))
    for space_id, s, e, status in session.execute(stmt):
        yield usage.BookingInfo(space_id, s, e, status)


def _usages(data: SpaceData, ws: datetime, we: datetime, tz: ZoneInfo) -> dict[int, usage.SpaceUsage]:
    return {space.id: usage.SpaceUsage(space, ws, we, tz, holidays=data.holidays,
                                       blackouts=data.blackouts.get(space.id, ()),
                                       recurring=data.recurring.get(space.id, ()))
            for space in data.spaces}


# --------------------------------------------------------------------------- reports


def occupancy(session: Session, *, start: date, end: date, group: str = "unit_type",
              tz: ZoneInfo | None = None) -> list[dict]:
    """Rows {"group","available_unit_nights","occupied_unit_nights","occupancy_rate","rent_due"}
    (exact: rent_due is a Fraction)."""
    check_period(start, end)
    group = check_group("occupancy", group)
    data = load_housing(session, start, end)
    return _occupancy_rows(data, start, end, group, session)


def _occupancy_rows(data: HousingData, start: date, end: date, group: str,
                    session: Session | None = None) -> list[dict]:
    grouped = company_usage.occupancy(session, data.units, data.outages, start, end) if group == company_usage.GROUP \
        else usage.occupancy_by_group(data.units, data.outages, data.leases, start, end, group)
    return [{"group": label, "available_unit_nights": f.available_unit_nights,
             "occupied_unit_nights": f.occupied_unit_nights, "occupancy_rate": f.occupancy_rate,
             "rent_due": f.rent_due}
            for label, f in grouped]


def utilisation(session: Session, *, start: date, end: date, group: str = "space", tz: ZoneInfo) -> list[dict]:
    """Rows {"group","open_hours","booked_hours","utilisation_rate","fees"} (exact Fractions).
    Every active space counts; an inactive one only when it was booked in the period."""
    check_period(start, end)
    group = check_group("utilisation", group)
    ws, we = usage.period_instants(start, end, tz)
    data = load_spaces(session, ws, we, tz)
    usages = _usages(data, ws, we, tz)
    if group == company_usage.GROUP:
        grouped = company_usage.utilisation(session, usages, data.active, ws, we)
    else:
        for booking in stream_bookings(session, ws, we):
            if booking.space_id in usages:
                usages[booking.space_id].add_booking(booking)
        per_space = [(space, usages[space.id].figures()) for space in data.spaces
                     if data.active[space.id] or usages[space.id].booked_micros]
        grouped = usage.group_utilisation(per_space, group)
    return [{"group": label, "open_hours": f.open_hours, "booked_hours": f.booked_hours,
             "utilisation_rate": f.utilisation_rate, "fees": f.fees}
            for label, f in grouped]


def revenue(session: Session, *, start: date, end: date, group: str = "month", tz: ZoneInfo) -> list[dict]:
    """One row per calendar month of the period: {"group": "YYYY-MM", "month", "rent_due",
    "lab_fees", "total"}; a month cut by the period counts only its part inside."""
    check_period(start, end)
    check_group("revenue", group)
    pieces = usage.month_pieces(start, end)
    housing = load_housing(session, start, end)
    rent = {m: Fraction(0) for m, _, _ in pieces}
    for unit_leases in housing.leases.values():
        for lease in unit_leases:
            for month, a, b in pieces:
                rent[month] += usage.lease_rent_due(lease, a, b)
    ws, we = usage.period_instants(start, end, tz)
    data = load_spaces(session, ws, we, tz)
    monthly = []
    for month, a, b in pieces:
        ma, mb = usage.period_instants(a, b, tz)
        monthly.append((month, ma, mb, _usages(data, ma, mb, tz)))
    for booking in stream_bookings(session, ws, we):
        for month, ma, mb, usages in monthly:
            if booking.start < mb and booking.end > ma and booking.space_id in usages:
                usages[booking.space_id].add_booking(booking)
    rows = []
    for month, _, _, usages in monthly:
        fees = sum((u.figures().fees for u in usages.values()), Fraction(0))
        rows.append({"group": month.strftime("%Y-%m"), "month": month, "rent_due": rent[month],
                     "lab_fees": fees, "total": rent[month] + fees})
    return rows


def occupancy_trend(session: Session, *, months: list[date]) -> dict:
    """Occupancy rate per month (first days given) and unit type, for the dashboard's chart:
    {"months": [...], "series": {unit_type: [rate|None, ...]}, "rows": [...]}."""
    if not months:
        return {"months": [], "series": {}, "rows": []}
    data = load_housing(session, months[0], usage.next_month(months[-1]))
    series: dict[str, list] = {}
    rows = []
    for month in months:
        for row in _occupancy_rows(data, month, usage.next_month(month), "unit_type"):
            series.setdefault(row["group"], [None] * len(months))[months.index(month)] = row["occupancy_rate"]
            rows.append({"month": month, **row})
    return {"months": months, "series": dict(sorted(series.items())), "rows": rows}


def heat_map(session: Session, *, start: date, end: date, tz: ZoneInfo, space_id: int | None = None) -> usage.HeatMap:
    """Open and booked time per local weekday and hour over the period (one space, or all active)."""
    check_period(start, end)
    ws, we = usage.period_instants(start, end, tz)
    data = load_spaces(session, ws, we, tz)
    spaces = [s for s in data.spaces if (s.id == space_id if space_id else data.active[s.id])]
    heat = usage.HeatMap()
    openings = {}
    for space in spaces:
        u = usage.SpaceUsage(space, ws, we, tz, holidays=data.holidays,
                             blackouts=data.blackouts.get(space.id, ()), recurring=data.recurring.get(space.id, ()))
        heat.add_open(u.opened, tz, space.capacity)
        openings[space.id] = u.opening
    for booking in stream_bookings(session, ws, we):
        if booking.space_id in openings:
            heat.add_booked(openings[booking.space_id], booking, tz)
    return heat


def vacancy(session: Session, *, today: date) -> list[dict]:
    """Units free tonight: {"unit","unit_type","floor","monthly_rent","free_since",
    "vacant_nights","next_lease_start","free_nights_ahead"} (None: never let / no lease ahead)."""
    data = load_housing(session, None, None)
    rents = dict(session.execute(select(Unit.id, Unit.monthly_rent)).all())
    return [{"unit": v.unit.code, "unit_type": v.unit.unit_type, "floor": v.unit.floor,
             "monthly_rent": Decimal(rents[v.unit.id]), "free_since": v.free_since,
             "vacant_nights": v.vacant_nights_so_far(today), "next_lease_start": v.next_lease_start,
             "free_nights_ahead": v.free_nights_ahead(today)}
            for v in usage.vacancies(data.units, data.outages, data.leases, today)]


def waitlist(session: Session, *, now: datetime) -> list[dict]:
    """Per unit type: {"unit_type","waiting","median_wait_days","longest_wait_days"} (days so far)."""
    entries = session.execute(select(WaitlistEntry.unit_type, WaitlistEntry.joined_at)
                              .where(WaitlistEntry.status == "waiting")).all()
    return [{"unit_type": s.unit_type, "waiting": s.waiting, "median_wait_days": s.median_wait_days,
             "longest_wait_days": s.longest_wait_days}
            for s in usage.waitlist_stats(entries, now, UNIT_TYPES)]


def active_spaces(session: Session) -> list:
    """(id, code, name) of the active spaces, for pickers."""
    return session.execute(select(Space.id, Space.code, Space.name).where(Space.active.is_(True))
                           .order_by(Space.code)).all()


RUNNERS = {"occupancy": occupancy, "utilisation": utilisation, "revenue": revenue}


def run(session: Session, report: str, *, start: date, end: date, group: str | None, tz: ZoneInfo) -> list[dict]:
    return RUNNERS[report](session, start=start, end=end, group=check_group(report, group), tz=tz)


# --------------------------------------------------------------------------- presentation


def present_value(kind: str, value):
    if value is None:
        return None
    if kind == INT:
        return int(value)
    if kind == RATE:
        return round(float(value), 4)
    if kind in (MONEY, HOURS):
        return usage.to_decimal(value, 2)
    raise ValueError(kind)


def present(report: str, rows: list[dict]) -> list[dict]:
    """Rows rounded for people and files: money and hours to cents, rates to four places."""
    spec = SPECS[report]
    return [{"group": row["group"], **{key: present_value(kind, row[key]) for key, kind in spec.fields}}
            for row in rows]


def _to_json(report: str, rows: list[dict]) -> list[dict]:
    kinds = dict(SPECS[report].fields)
    return [{k: (str(v) if kinds.get(k) in (MONEY, HOURS) and v is not None else v) for k, v in row.items()}
            for row in rows]


def _from_json(report: str, rows: list[dict]) -> list[dict]:
    kinds = dict(SPECS[report].fields)
    return [{k: (Decimal(v) if kinds.get(k) in (MONEY, HOURS) and v is not None else v) for k, v in row.items()}
            for row in rows]


def differences(report: str, frozen: list[dict], current: list[dict]) -> list[dict]:
    """Per group, today's figure minus the frozen one (presented values; missing groups count 0)."""
    spec = SPECS[report]
    by_group_f = {r["group"]: r for r in frozen}
    by_group_c = {r["group"]: r for r in current}
    out = []
    for group in list(by_group_f) + [g for g in by_group_c if g not in by_group_f]:
        f, c = by_group_f.get(group, {}), by_group_c.get(group, {})
        row = {"group": group}
        for key, kind in spec.fields:
            a, b = f.get(key), c.get(key)
            if kind == RATE:
                row[key] = None if a is None or b is None else round(b - a, 4)
            else:
                zero = 0 if kind == INT else Decimal("0.00")
                row[key] = (b if b is not None else zero) - (a if a is not None else zero)
        out.append(row)
    return out


# --------------------------------------------------------------------------- snapshots


def month_of(day: date) -> date:
    return day.replace(day=1)


def is_whole_month(start: date, end: date) -> bool:
    return start.day == 1 and end == usage.next_month(start)


def snapshot(session: Session, *, report: str, month: date, group: str) -> ReportSnapshot | None:
    return session.execute(select(ReportSnapshot).where(
        ReportSnapshot.report == report, ReportSnapshot.month == month_of(month),
        ReportSnapshot.grouping == group)).scalar_one_or_none()


def frozen_months(session: Session) -> list[dict]:
    """Frozen months, newest first: {"month","frozen_at","frozen_by","reports"}."""
    rows = session.execute(select(ReportSnapshot.month, ReportSnapshot.report, ReportSnapshot.frozen_at, User.name)
                           .outerjoin(User, User.id == ReportSnapshot.frozen_by_id)
                           .order_by(ReportSnapshot.month.desc(), ReportSnapshot.frozen_at)).all()
    months: dict[date, dict] = {}
    for month, report, frozen_at, name in rows:
        entry = months.setdefault(month, {"month": month, "frozen_at": frozen_at, "frozen_by": name, "reports": set()})
        entry["reports"].add(report)
    return list(months.values())


@transaction
def freeze(session: Session, *, report: str, month: date, group: str, actor: User | None, now: datetime,
           tz: ZoneInfo) -> ReportSnapshot:
    """Store a finished month's presented rows for one report and grouping. A month not yet
    over, or already frozen for that report and grouping, is refused."""
    if report not in SPECS:
        raise BadRequest(f"'{report}' cannot be frozen; use one of: {', '.join(FREEZABLE)}.")
    group = check_group(report, group)
    month = month_of(month)
    today = now.astimezone(tz).date()
    if usage.next_month(month) > today:
        raise BadRequest(f"{month:%B %Y} is not over yet; a month can be frozen from its last night on "
                         f"({usage.next_month(month)}).")
    if snapshot(session, report=report, month=month, group=group) is not None:
        raise Conflict(f"The {report} report by {group} for {month:%B %Y} is already frozen.")
    rows = present(report, run(session, report, start=month, end=usage.next_month(month), group=group, tz=tz))
    snap = ReportSnapshot(report=report, month=month, grouping=group, rows=_to_json(report, rows),
                          frozen_by_id=actor.id if actor else None, frozen_at=now)
    session.add(snap)
    record(session, actor_id=actor.id if actor else None, action="report.freeze", target_type="report_snapshot",
           target_id=None, now=now, report=report, month=month.isoformat(), grouping=group)
    try:
        session.flush()
    except IntegrityError:  # another freeze of the same month committed first
        raise Conflict(f"The {report} report by {group} for {month:%B %Y} was frozen by someone else just now.") \
            from None
    return snap


@transaction
def freeze_month(session: Session, *, month: date, actor: User | None, now: datetime, tz: ZoneInfo) -> int:
    """Freeze every report in every grouping for a finished month, in one transaction;
    groupings frozen before are kept as they are. Returns how many were frozen now."""
    month = month_of(month)
    made = 0
    for report, spec in SPECS.items():
        for group in spec.groups:
            if snapshot(session, report=report, month=month, group=group) is None:
                freeze(session, report=report, month=month, group=group, actor=actor, now=now, tz=tz)
                made += 1
    if not made:
        raise Conflict(f"{month:%B %Y} is already frozen.")
    return made


@dataclass
class ReportResult:
    report: str
    start: date
    end: date
    group: str
    rows: list[dict]  # presented (frozen ones when the month is frozen)
    frozen_at: datetime | None = None
    frozen_by: str | None = None
    current: list[dict] | None = None  # today's presented figures, when frozen
    changes: list[dict] | None = None  # current - frozen, when frozen

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


def report(session: Session, name: str, *, start: date, end: date, group: str | None, tz: ZoneInfo) -> ReportResult:
    """A report as people see it: presented rows; for a frozen month, the frozen rows with
    today's figures and the difference alongside."""
    if name not in SPECS:
        raise BadRequest(f"There is no report called '{name}'.")
    group = check_group(name, group)
    check_period(start, end)
    current = present(name, run(session, name, start=start, end=end, group=group, tz=tz))
    snap = snapshot(session, report=name, month=start, group=group) if is_whole_month(start, end) else None
    if snap is None:
        return ReportResult(name, start, end, group, current)
    frozen = _from_json(name, snap.rows)
    by = session.get(User, snap.frozen_by_id).name if snap.frozen_by_id else None
    return ReportResult(name, start, end, group, frozen, snap.frozen_at, by, current,
                        differences(name, frozen, current))


def default_period(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return first, usage.next_month(first)


def last_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first
