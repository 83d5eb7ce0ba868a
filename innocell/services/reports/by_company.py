"""Reports grouped by company (`group=company` of the occupancy and utilisation reports,
services/reports/): the park's figures split by the company of the person who holds each
lease or booking, so the rows add up to the park's totals.

- occupancy: a company's row holds what its people's leases held in the period: the
  available unit-nights under those leases, the nights occupied and the rent due. The
  available nights nobody held are the row "(vacant)".
- utilisation: a company's row holds the hours its people booked (inside opening hours) as
  both open and booked hours (pending ones as open and pending hours), and the fees of the
  confirmed ones. The open hours nobody booked are the row "(free)".

People without a company are "(no company)". The report loads units, outages, spaces and
their usage accumulators as for any grouping and hands them here (no import back)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation import usage
from ...models import Booking, Company, Lease, User

GROUP = "company"
NO_COMPANY = "(no company)"
VACANT = "(vacant)"
FREE = "(free)"
BATCH = 1000


def _rows(groups: dict, tail: str, make) -> list[tuple[str, object]]:
    named = sorted((k for k in groups if k not in (NO_COMPANY, tail)), key=str.lower)
    return [(k, groups[k]) for k in named + [NO_COMPANY, tail] if k in groups and make(groups[k])]


def occupancy(session: Session, units: list[usage.UnitInfo], outages: dict, start: date,
              end: date) -> list[tuple[str, usage.OccupancyFigures]]:
    stmt = (select(Lease.unit_id, Lease.start_date, Lease.end_date, Lease.monthly_rent, Lease.status, Company.name,
                   Lease.nightly_rate)
            .join(User, User.id == Lease.user_id).outerjoin(Company, Company.id == User.company_id)
            .where(Lease.status.in_(usage.OCCUPYING_LEASE_STATUSES), Lease.end_date > start, Lease.start_date < end)
            .execution_options(yield_per=BATCH))
    by_unit: dict[int, list] = defaultdict(list)
    for unit_id, a, b, rent, status, company, nightly in session.execute(stmt):
        info = usage.LeaseInfo(unit_id, a, b, Decimal(rent), status, None if nightly is None else Decimal(nightly))
        by_unit[unit_id].append((info, company or NO_COMPANY))
    groups: dict[str, usage.OccupancyFigures] = defaultdict(usage.OccupancyFigures)
    for unit in units:
        unit_outages = outages.get(unit.id, ())
        free = usage.available_nights(unit, unit_outages, start, end)
        for lease, company in by_unit.get(unit.id, ()):
            held = usage.available_nights(unit, unit_outages, max(lease.start, start), min(lease.end, end))
            free -= held
            groups[company].add(usage.OccupancyFigures(held, usage.occupied_nights([lease], start, end),
                                                       usage.lease_rent_due(lease, start, end)))
        groups[VACANT].add(usage.OccupancyFigures(free, 0, Fraction(0)))
    return _rows(groups, VACANT, lambda f: f.available_unit_nights or f.occupied_unit_nights or f.rent_due)


def utilisation(session: Session, usages: dict[int, usage.SpaceUsage], counts, ws: datetime,
                we: datetime) -> list[tuple[str, usage.UtilisationFigures]]:
    """`usages` are fresh accumulators per space; `counts(space_id, space_usage)` says whether a
    space counts in the period, as for any grouping of the report."""
    stmt = (select(Booking.space_id, Booking.start_at, Booking.end_at, Booking.status, Company.name)
            .join(User, User.id == Booking.user_id).outerjoin(Company, Company.id == User.company_id)
            .where(Booking.status.in_(usage.ACTIVE_BOOKING_STATUSES), Booking.start_at < we, Booking.end_at > ws)
            .execution_options(yield_per=BATCH))
    groups: dict[str, usage.UtilisationFigures] = defaultdict(usage.UtilisationFigures)
    for space_id, s, e, status, company in session.execute(stmt):
        if space_id not in usages:
            continue
        used = usages[space_id].add_booking(usage.BookingInfo(space_id, s, e, status))
        rate = Fraction(usages[space_id].space.hourly_rate)
        if status == "confirmed":
            figures = usage.UtilisationFigures(used, used, usage.hours(used) * rate)
        else:
            figures = usage.UtilisationFigures(used, 0, Fraction(0), used)
        groups[company or NO_COMPANY].add(figures)
    counted = [u for i, u in usages.items() if counts(i, u)]
    open_total = sum(u.open_micros for u in counted)
    used_total = sum(u.booked_micros + u.pending_micros for u in counted)
    groups[FREE].add(usage.UtilisationFigures(open_total - used_total, 0, Fraction(0)))
    return _rows(groups, FREE, lambda f: f.open_micros or f.booked_micros or f.pending_micros)
