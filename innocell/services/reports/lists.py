"""The lists finance reads as of today: vacant units (a unit with an open offer is promised,
not free) and the waitlist by unit type, each with its totals row."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation import listings
from ...allocation.totals import total_of
from ...models import UNIT_TYPES, Space, Unit, WaitlistEntry
from .common import TOTAL
from .records import load_vacancy, open_offers

VACANCY_SUMMED = ("monthly_rent", "vacant_nights", "free_nights_ahead")


def vacancy(session: Session, *, today: date) -> list[dict]:
    """Units free tonight: {"unit","unit_type","floor","monthly_rent","free_since",
    "vacant_nights","next_lease_start","promised_from","free_nights_ahead"} (None: never let /
    no lease or offer ahead). A unit offered to someone over tonight is not listed."""
    data = load_vacancy(session, today)
    rents = dict(session.execute(select(Unit.id, Unit.monthly_rent)).all())
    return [{"unit": v.unit.code, "unit_type": v.unit.unit_type, "floor": v.unit.floor,
             "monthly_rent": Decimal(rents[v.unit.id]), "free_since": v.free_since,
             "vacant_nights": v.vacant_nights_so_far(today), "next_lease_start": v.next_lease_start,
             "promised_from": v.promised_from, "free_nights_ahead": v.free_nights_ahead(today)}
            for v in listings.vacancies(data.units, data.outages, data.leases, today, open_offers(session, today))]


def vacancy_totals(rows: list[dict]) -> dict:
    """How many units are free, the monthly rent they stand for, and the nights summed (free
    nights ahead over the units with a lease or offer ahead; open-ended ones have none)."""
    return {"unit": TOTAL, "units": len(rows), **{key: total_of(rows, key) for key in VACANCY_SUMMED}}


def _waiting(session: Session) -> list[tuple[str, datetime]]:
    return [tuple(r) for r in session.execute(select(WaitlistEntry.unit_type, WaitlistEntry.joined_at)
                                              .where(WaitlistEntry.status == "waiting"))]


def waitlist(session: Session, *, now: datetime) -> list[dict]:
    """Per unit type: {"unit_type","waiting","median_wait_days","longest_wait_days"} (days so
    far, from each application)."""
    return [{"unit_type": s.unit_type, "waiting": s.waiting, "median_wait_days": s.median_wait_days,
             "longest_wait_days": s.longest_wait_days}
            for s in listings.waitlist_stats(_waiting(session), now, UNIT_TYPES)]


def waitlist_totals(session: Session, *, now: datetime) -> dict:
    """Everyone waiting: the count, and the median and longest wait over all of them."""
    s = listings.waitlist_totals(_waiting(session), now)
    return {"unit_type": TOTAL, "waiting": s.waiting, "median_wait_days": s.median_wait_days,
            "longest_wait_days": s.longest_wait_days}


def active_spaces(session: Session) -> list:
    """(id, code, name) of the active spaces, for pickers."""
    return session.execute(select(Space.id, Space.code, Space.name).where(Space.active.is_(True))
                           .order_by(Space.code)).all()


def space_names(session: Session) -> dict[str, str]:
    """Space code -> name (the label beside a space's code in reports)."""
    return dict(session.execute(select(Space.code, Space.name)).all())


def unit_types(session: Session) -> dict[str, str]:
    """Unit code -> unit type (the label beside a unit's code in reports)."""
    return dict(session.execute(select(Unit.code, Unit.unit_type)).all())
