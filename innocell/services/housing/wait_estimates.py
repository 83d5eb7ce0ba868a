"""Estimated waits: the records a forecast needs (leases of a type ending, renewals offered and
accepted over the past year, units free today), read as they stood at an instant `now`, fed to
the pure core (allocation.wait_estimate). Computed on read, so every page and API answer (and
every job tick) shows the estimate of that moment; the same records and `now` give the same
answer: only rows created by `now` count, and an offer counts as answered only if it was
answered by `now`."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation import wait_estimate as core
from ...allocation.dates import add_months
from ...models import UNIT_TYPES, Lease, Offer, Unit, WaitlistEntry
from .common import OCCUPYING, local_day
from .units import list_units
from .waitlists import waiting
from ..phrasing import current

HISTORY_DAYS = 365


def type_inputs(session: Session, unit_type: str, now: datetime) -> dict:
    """What the forecast of a unit type reads: free_now, ends, offered, accepted."""
    today = local_day(now)
    horizon = add_months(today, core.HORIZON_MONTHS)
    leases = list(session.execute(
        select(Lease).join(Unit, Unit.id == Lease.unit_id)
        .where(Unit.unit_type == unit_type, Unit.short_stay.is_(False), Lease.status.in_(OCCUPYING),
               Lease.end_date > Lease.start_date,
               Lease.created_at <= now, Lease.start_date < horizon, Lease.end_date > today)
        .order_by(Lease.unit_id, Lease.start_date, Lease.id)).scalars())
    starts = {(lease.unit_id, lease.start_date) for lease in leases}
    renewals = list(session.execute(
        select(Offer).join(Unit, Unit.id == Offer.unit_id)
        .where(Unit.unit_type == unit_type, Offer.kind == "renewal", Offer.created_at <= now,
               Offer.responded_at.is_not(None), Offer.responded_at <= now)).scalars())
    refused = {o.lease_id for o in renewals if o.status in ("declined", "expired")}
    ends = [core.LeaseEnd(end=lease.end_date, certain=lease.id in refused) for lease in leases
            if today < lease.end_date < horizon and (lease.unit_id, lease.end_date) not in starts]
    since = now - timedelta(days=HISTORY_DAYS)
    recent = [o for o in renewals if o.responded_at > since and o.status in ("accepted", "declined", "expired")]
    free_now = sum(1 for u in list_units(session, unit_type=unit_type, available_from=today, now=now)
                   if u.status == "available" and not u.short_stay)
    return {"free_now": free_now, "ends": sorted(ends, key=lambda e: e.end), "offered": len(recent),
            "accepted": sum(1 for o in recent if o.status == "accepted")}


def estimate_for(session: Session, entry: WaitlistEntry, ahead: int | None, *, now: datetime,
                 cache: dict | None = None) -> core.Estimate | None:
    """The estimated wait of a waiting entry with `ahead` people in front (None unless waiting)."""
    if entry.status != "waiting" or ahead is None:
        return None
    cache = {} if cache is None else cache
    if entry.unit_type not in cache:
        cache[entry.unit_type] = type_inputs(session, entry.unit_type, now)
    inputs = cache[entry.unit_type]
    rate = core.renewal_rate(inputs["offered"], inputs["accepted"])
    move_in = entry.application.move_in if entry.application is not None else None
    return core.estimate(today=local_day(now), unit_type=entry.unit_type, ahead=ahead, free_now=inputs["free_now"],
                         ends=inputs["ends"], rate=rate, offered=inputs["offered"], accepted=inputs["accepted"],
                         move_in=move_in, phrasing=current())


def forecast(session: Session, *, now: datetime) -> list[dict]:
    """Per unit type with units: expected vacancies per month over the next year against the
    number waiting, and the renewal rate used."""
    present = set(session.execute(select(Unit.unit_type).distinct()).scalars())
    rows = []
    for unit_type in [t for t in UNIT_TYPES if t in present]:
        inputs = type_inputs(session, unit_type, now)
        rate = core.renewal_rate(inputs["offered"], inputs["accepted"])
        months = core.monthly_forecast(today=local_day(now), free_now=inputs["free_now"], ends=inputs["ends"],
                                       rate=rate)
        rows.append({"unit_type": unit_type, "months": months, "expected_total": round(sum(m[1] for m in months), 2),
                     "waiting": len(waiting(session, unit_type)), "rate": rate, "offered": inputs["offered"],
                     "accepted": inputs["accepted"]})
    return rows
