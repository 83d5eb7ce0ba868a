"""The records the reports are computed from, read as plain tuples for the pure core
(`innocell.allocation.usage`): units with their outages and leases, open offers, spaces with
their active periods and closures, bookings streamed with `yield_per` so a long period never
sits in memory."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...allocation import usage
from ...allocation.hours import WeeklyWindow, public_holidays
from ...models import (
    Blackout,
    Booking,
    Lease,
    Offer,
    RecurringBlackout,
    Space,
    SpaceActivePeriod,
    Unit,
    UnitOutage,
)
from .common import BATCH


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
    lease_q = select(Lease.unit_id, Lease.start_date, Lease.end_date, Lease.monthly_rent, Lease.status,
                     Lease.nightly_rate).where(Lease.status.in_(usage.OCCUPYING_LEASE_STATUSES))
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
    for unit_id, a, b, rent, status, nightly in session.execute(lease_q.execution_options(yield_per=BATCH)):
        leases[unit_id].append(usage.LeaseInfo(unit_id, a, b, Decimal(rent), status,
                                               None if nightly is None else Decimal(nightly)))
    return HousingData(units, dict(outages), dict(leases))


def load_vacancy(session: Session, today: date) -> HousingData:
    """What the vacancy list reads: every unit, the outages over tonight, and per unit the
    occupying leases that end after today and the one that ended last (when it was last let),
    not the park's whole history of leases."""
    data = load_housing(session, today, None)
    last = (select(Lease.unit_id, func.max(Lease.end_date).label("end"))
            .where(Lease.status.in_(usage.OCCUPYING_LEASE_STATUSES), Lease.end_date <= today)
            .group_by(Lease.unit_id).subquery())
    for unit_id, a, b, rent, status, nightly in session.execute(
            select(Lease.unit_id, Lease.start_date, Lease.end_date, Lease.monthly_rent, Lease.status,
                   Lease.nightly_rate).join(last, (last.c.unit_id == Lease.unit_id) & (last.c.end == Lease.end_date))
            .where(Lease.status.in_(usage.OCCUPYING_LEASE_STATUSES))):
        data.leases.setdefault(unit_id, []).append(
            usage.LeaseInfo(unit_id, a, b, Decimal(rent), status, None if nightly is None else Decimal(nightly)))
    return data


def open_offers(session: Session, today: date) -> dict[int, list[tuple[date, date]]]:
    """[start, end) of the open offers per unit that reach past `today`: the unit is promised."""
    offers: dict[int, list] = defaultdict(list)
    for unit_id, a, b in session.execute(select(Offer.unit_id, Offer.start_date, Offer.end_date)
                                         .where(Offer.status == "open", Offer.end_date > today)):
        offers[unit_id].append((a, b))
    return dict(offers)


@dataclass
class SpaceData:
    spaces: list[usage.SpaceInfo]
    active: dict[int, bool]
    names: dict[str, str]  # code -> name
    blackouts: dict[int, list[tuple[datetime, datetime]]]
    recurring: dict[int, list[WeeklyWindow]]
    holidays: set[date]


def active_periods(session: Session) -> dict[int, list[tuple[datetime, datetime | None]]]:
    periods: dict[int, list] = defaultdict(list)
    for space_id, a, b in session.execute(select(SpaceActivePeriod.space_id, SpaceActivePeriod.start_at,
                                                 SpaceActivePeriod.end_at).order_by(SpaceActivePeriod.start_at)):
        periods[space_id].append((a, b))
    return dict(periods)


def load_spaces(session: Session, ws: datetime, we: datetime, tz: ZoneInfo) -> SpaceData:
    """Every space with its active periods (a space with none recorded counts from its
    creation while active, and not at all while inactive), blackouts and public holidays."""
    spaces, active, names = [], {}, {}
    periods = active_periods(session)
    for row in session.execute(select(Space.id, Space.code, Space.name, Space.kind, Space.capacity,
                                      Space.opening_hours, Space.hourly_rate, Space.closed_on_holidays, Space.active,
                                      Space.created_at).order_by(Space.code)):
        recorded = periods.get(row.id)
        if recorded is None:
            recorded = [(row.created_at, None)] if row.active else []
        spaces.append(usage.SpaceInfo(id=row.id, code=row.code, kind=row.kind, capacity=row.capacity,
                                      opening_hours=row.opening_hours or {},
                                      hourly_rate=Decimal(row.hourly_rate or 0),
                                      closed_on_holidays=bool(row.closed_on_holidays),
                                      active_periods=tuple(recorded)))
        active[row.id] = bool(row.active)
        names[row.code] = row.name
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
    return SpaceData(spaces, active, names, dict(blackouts), dict(recurring), holidays)


def stream_bookings(session: Session, ws: datetime, we: datetime):
    """Pending and confirmed bookings meeting [ws, we), as BookingInfo, in batches."""
    stmt = (select(Booking.space_id, Booking.start_at, Booking.end_at, Booking.status)
            .where(Booking.status.in_(usage.ACTIVE_BOOKING_STATUSES), Booking.start_at < we, Booking.end_at > ws)
            .execution_options(yield_per=BATCH))
    for space_id, s, e, status in session.execute(stmt):
        yield usage.BookingInfo(space_id, s, e, status)


def usages(data: SpaceData, ws: datetime, we: datetime, tz: ZoneInfo) -> dict[int, usage.SpaceUsage]:
    return {space.id: usage.SpaceUsage(space, ws, we, tz, holidays=data.holidays,
                                       blackouts=data.blackouts.get(space.id, ()),
                                       recurring=data.recurring.get(space.id, ()))
            for space in data.spaces}


def was_active(space: usage.SpaceInfo, ws: datetime, we: datetime) -> bool:
    """Did the space exist and was it active at some instant of [ws, we)?"""
    return bool(usage.active_intervals(space, ws, we))
