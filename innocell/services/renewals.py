"""Lease renewals.

- A lease 'active' whose end date falls within RENEWAL_NOTICE_DAYS gets exactly one 'renewal'
  offer for that end date (ever: a declined or lapsed offer is not repeated), open for
  RENEWAL_RESPONSE_DAYS (never past the lease's last day), for RENEWAL_TERM_MONTHS or the
  months left under MAX_TENURE_MONTHS, whichever is shorter. Accepting goes through
  housing.offers.accept_offer (the allocator: a later lease of the unit makes it a 409).
- A holder whose tenure (this lease and the leases it continues) has reached
  MAX_TENURE_MONTHS gets a notice instead, once, and the lease becomes 'ending'; so does a
  holder whose unit is already promised after the lease's end (a later lease, an open offer,
  an outage): the notice gives the reason.
- A renewal offer that expires, or was declined, sets the lease 'ending' (offers.expire_offers
  and offers.decline_offer do that in the same transaction; the `offer_expiry` job runs the
  former).

Each lease is one transaction (@transaction): its unit and then the lease are locked (the
order every lease write takes) and the lease re-checked; the offer itself goes through
housing.offers.make_offer, which joins that transaction and refuses (409) an offer that
overlaps another open offer, so racing runners add one renewal offer per lease at most."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..allocation.dates import add_months, months_between
from ..models import Lease, Offer, Unit
from . import Conflict
from .guard import lock_resource
from .housing.offers import make_offer
from .notifications import notify
from .wording import Day, _
from .tx import transaction


def tenure_start(session: Session, lease: Lease) -> date:
    """The first day of the holder's continuous stay: follow previous_lease_id, and leases of
    the same holder that end the day this one starts."""
    start = lease.start_date
    current = lease
    seen = {lease.id}
    while True:
        prev = None
        if current.previous_lease_id and current.previous_lease_id not in seen:
            prev = session.get(Lease, current.previous_lease_id)
        if prev is None:
            prev = session.execute(
                select(Lease).where(Lease.user_id == lease.user_id, Lease.end_date == current.start_date,
                                    Lease.status != "terminated", Lease.id.not_in(seen))
            ).scalars().first()
        if prev is None:
            return start
        seen.add(prev.id)
        start = min(start, prev.start_date)
        current = prev


def _renewal_offer_exists(session: Session, lease: Lease) -> bool:
    return session.execute(
        select(Offer.id).where(Offer.kind == "renewal", Offer.lease_id == lease.id,
                               Offer.start_date == lease.end_date)
    ).first() is not None


def due_lease_ids(session: Session, today: date, notice_days: int) -> list[int]:
    """Active leases ending within the notice window, with no renewal offer for that end yet."""
    offered = select(Offer.id).where(Offer.kind == "renewal", Offer.lease_id == Lease.id,
                                     Offer.start_date == Lease.end_date).exists()
    return list(session.execute(
        select(Lease.id)
        .where(Lease.status == "active", Lease.kind == "home", Lease.end_date > today,
               Lease.end_date <= today + timedelta(days=notice_days), ~offered)
        .order_by(Lease.end_date, Lease.id)
    ).scalars())


@transaction
def offer_renewal(session: Session, lease_id: int, *, now: datetime, tz: ZoneInfo, config) -> str | None:
    """Offer (or refuse by notice) the renewal of one lease, in one transaction. Returns
    'offered', 'notice' or None when nothing was due (already done by another run)."""
    unit_id = session.execute(select(Lease.unit_id).where(Lease.id == lease_id)).scalar()
    if unit_id is not None:
        lock_resource(session, Unit, unit_id)
    lease = lock_resource(session, Lease, lease_id)
    today = now.astimezone(tz).date()
    notice_days = int(config["RENEWAL_NOTICE_DAYS"])
    if (lease is None or lease.status != "active" or not (today < lease.end_date <= today + timedelta(days=notice_days))
            or _renewal_offer_exists(session, lease)):
        return None
    max_tenure = int(config["MAX_TENURE_MONTHS"])
    served = months_between(tenure_start(session, lease), lease.end_date)
    left = max_tenure - served
    code = lease.unit.code
    if left < 1:
        lease.status = "ending"
        notify(session, user_id=lease.user_id, kind="renewal_notice", now=now,
               subject=_("Your lease of unit %(unit)s ends on %(end)s", unit=code, end=Day(lease.end_date, iso=True)),
               body=_("Your stay reaches the maximum tenure of %(months)s months, so your lease of unit %(unit)s "
                      "cannot be renewed. It ends on %(end)s (the last night is the night before). Please talk to "
                      "the housing team about moving on.", months=max_tenure, unit=code,
                      end=Day(lease.end_date, iso=True)),
               link="/housing", dedupe_key=f"renewal-notice:{lease.id}:{lease.end_date.isoformat()}")
        return "notice"
    term = min(int(config["RENEWAL_TERM_MONTHS"]), left)
    # Open for the response window, but never past the lease's last day (local midnight of its end).
    last_moment = datetime.combine(lease.end_date, time.min, tz).astimezone(now.tzinfo)
    expires_at = min(now + timedelta(days=int(config["RENEWAL_RESPONSE_DAYS"])), last_moment)
    lease_id, user_id, unit_id, end_date, rent = lease.id, lease.user_id, lease.unit_id, lease.end_date, lease.monthly_rent
    try:
        make_offer(session, kind="renewal", user_id=user_id, unit_id=unit_id, start=end_date,
                   end=add_months(end_date, term), monthly_rent=rent, expires_at=expires_at, now=now,
                   lease_id=lease_id)
    except Conflict as exc:
        # The unit is promised to someone else after this lease (a later lease, an offer, an
        # outage): say so once and let the lease end, rather than offering what cannot be had.
        # make_offer refuses before it writes anything, so this transaction goes on.
        lease.status = "ending"
        notify(session, user_id=user_id, kind="renewal_notice", now=now,
               subject=_("Your lease of unit %(unit)s cannot be renewed", unit=code),
               body=_("Your lease of unit %(unit)s ends on %(end)s and cannot be renewed: %(why)s Please talk to "
                      "the housing team about another unit.", unit=code, end=Day(end_date, iso=True),
                      why=exc.message),
               link="/housing", dedupe_key=f"renewal-notice:{lease_id}:{end_date.isoformat()}")
        return "notice"
    return "offered"
