"""What is due for one month, per source, exactly (Fractions), computed by the very functions
the reports use: rent is `usage.lease_rent_due` (the occupancy report's rent_due), a booking's
fee is its time inside opening hours (`SpaceUsage.add_booking`, the utilisation report's
booked hours) times the space's rate, a late cancellation's fee is the fee recorded on the
booking (the revenue report's late_cancellation_fees, in the month the booking was for).

There is no no-show fee in the park's records (a no-show releases the rest of the booking and
the used part is billed as booked), so no source of that kind is made."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from ...allocation import usage
from ...allocation.dates import RANGE_MESSAGE, date_in_range
from ...models import Booking, Charge, Lease, Space, Unit, User
from .. import BadRequest
from ..reports.records import load_spaces, usages
from ..phrasing import gettext

CENT = Decimal("0.01")


@dataclass
class Due:
    source: str
    basis: str  # rent | booking | late_cancellation
    amount: Fraction  # exact
    user_id: int
    lease_id: int | None = None
    booking_id: int | None = None
    description: str = ""

    @property
    def rounded(self) -> Decimal:
        return usage.to_decimal(self.amount, 2)


def first_of(month: date) -> date:
    if not isinstance(month, date) or not date_in_range(month):
        raise BadRequest(gettext("Give the month as YYYY-MM. %(range_message)s", range_message=gettext(RANGE_MESSAGE)))
    return month.replace(day=1)


def parse_month(text: str | None) -> date:
    """'2026-11' (or a date in it) as its first day; anything else is a 400."""
    raw = (text or "").strip()
    try:
        year, mon = raw[:7].split("-")
        if len(raw) not in (7, 10) or len(year) != 4 or len(mon) != 2:
            raise ValueError
        return first_of(date(int(year), int(mon), 1))
    except (ValueError, TypeError):
        raise BadRequest(gettext("'%(raw)s' is not a month; write it as YYYY-MM, e.g. 2026-11.", raw=raw[:20])) from None


def rent_source(lease_id: int, month: date) -> str:
    return f"rent:lease:{lease_id}:{month:%Y-%m}"


def booking_source(booking_id: int, month: date) -> str:
    return f"booking:{booking_id}:{month:%Y-%m}"


def late_source(booking_id: int) -> str:
    return f"late_cancellation:booking:{booking_id}"


def _charged_ids(session: Session, month: date, column) -> set[int]:
    return set(session.execute(select(column).where(Charge.service_month == month, column.is_not(None)))
               .scalars())


def rent_dues(session: Session, month: date) -> list[Due]:
    """One due per lease meeting the month, and per lease already charged for it (a lease
    called off later is due 0 now)."""
    end = usage.next_month(month)
    # The leases charged for the month as a subquery, not thousands of ids bound one by one.
    charged = select(Charge.lease_id).where(Charge.service_month == month, Charge.lease_id.is_not(None))
    rows = session.execute(
        select(Lease.id, Lease.unit_id, Lease.user_id, Lease.start_date, Lease.end_date, Lease.monthly_rent,
               Lease.status, Unit.code, Lease.nightly_rate).join(Unit, Unit.id == Lease.unit_id)
        .where(or_(Lease.id.in_(charged), (Lease.start_date < end) & (Lease.end_date > month)))
        .order_by(Lease.id))
    out = []
    label, days = f"{month:%b %Y}", usage.days_in_month(month)  # once, not per lease
    for lid, unit_id, user_id, a, b, rent, status, code, nightly in rows:
        info = usage.LeaseInfo(unit_id, a, b, Decimal(rent), status, None if nightly is None else Decimal(nightly))
        due = usage.lease_rent_due(info, month, end)
        nights = max(0, (min(b, end) - max(a, month)).days) if status in usage.OCCUPYING_LEASE_STATUSES else 0
        what = (f"Short stay {code}, {label}: {nights} night{'s' if nights != 1 else ''} at "
                f"{Decimal(nightly):,.2f} a night") if nightly is not None else \
            f"Rent {code}, {label}: {nights} of {days} nights at {Decimal(rent):,.2f} a month"
        out.append(Due(rent_source(lid, month), "rent", due, user_id, lease_id=lid, description=what))
    return out


def booking_dues(session: Session, month: date, tz: ZoneInfo) -> list[Due]:
    """One due per confirmed booking meeting the month (its hours inside opening hours and the
    month, times the rate), per booking already charged for it, and per late cancellation of a
    booking that was for the month."""
    ws, we = usage.period_instants(month, usage.next_month(month), tz)
    data = load_spaces(session, ws, we, tz)
    per = usages(data, ws, we, tz)
    rates = {s.id: Fraction(s.hourly_rate) for s in data.spaces}
    charged = _charged_ids(session, month, Charge.booking_id)
    names = dict(session.execute(select(Space.id, Space.name)).all())
    out = []
    rows = session.execute(
        select(Booking.id, Booking.space_id, Booking.user_id, Booking.start_at, Booking.end_at, Booking.status,
               Booking.late_cancel, Booking.late_cancel_fee)
        .where(or_(Booking.id.in_(charged) if charged else false(),
                   (Booking.status == "confirmed") & (Booking.start_at < we) & (Booking.end_at > ws),
                   Booking.late_cancel.is_(True) & (Booking.start_at >= ws) & (Booking.start_at < we)))
        .order_by(Booking.id))
    for bid, space_id, user_id, start, end, status, late, late_fee in rows:
        when = f"{start.astimezone(tz):%d %b %Y %H:%M}–{end.astimezone(tz):%H:%M}"
        used = 0
        if status == "confirmed" and space_id in per:
            used = per[space_id].add_booking(usage.BookingInfo(space_id, start, end, status))
        hours = usage.hours(used)
        if status == "confirmed" or bid in charged:
            out.append(Due(booking_source(bid, month), "booking", hours * rates.get(space_id, Fraction(0)), user_id,
                           booking_id=bid, description=f"{names.get(space_id, 'Space')}, {when} "
                                                       f"({usage.to_decimal(hours, 2)} h)"))
        if late and late_fee is not None and ws <= start < we:
            out.append(Due(late_source(bid), "late_cancellation", Fraction(late_fee), user_id, booking_id=bid,
                           description=f"Late cancellation: {names.get(space_id, 'Space')}, {when}"))
    return out


def month_dues(session: Session, month: date, tz: ZoneInfo) -> list[Due]:
    month = first_of(month)
    return rent_dues(session, month) + booking_dues(session, month, tz)


def companies_of(session: Session, user_ids: set[int]) -> dict[int, int | None]:
    """{user id: company id or None}; for many people (a month's dues) one read of everyone
    with a company instead of thousands of ids bound one by one."""
    if not user_ids:
        return {}
    if len(user_ids) <= 500:
        return dict(session.execute(select(User.id, User.company_id).where(User.id.in_(user_ids))).all())
    with_company = dict(session.execute(select(User.id, User.company_id).where(User.company_id.is_not(None))).all())
    return {uid: with_company.get(uid) for uid in user_ids}


def instant_month(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date().replace(day=1)
