"""Waitlist promotion.

- Expiry (housing.offers.expire_offers, run by the `offer_expiry` job before this one): an expired or
  declined waitlist offer removes its entry from the queue and the unit passes to the next
  entry; an expired allocation offer frees the unit and its application lapses ('withdrawn'
  with the reason; the resident may apply again; it does not join the waitlist, since an
  applicant who did not answer is not assumed to be still looking).
- Promotion: a unit is free "from now on" when it is in service, has no 'active' lease from
  today on (an active lease may still be renewed), no open offer, and no outage over the
  offered term; a unit whose lease is 'ending' is free from that lease's end. The first
  waiting entry of its type (manual rank, tier, time joined, id: allocation.waitlist.order)
  that has no open offer and has not already let an offer of this unit go gets a 'waitlist'
  offer open OFFER_RESPONSE_DAYS, for its application's term (else RENEWAL_TERM_MONTHS). The
  answer-by time is never after the move-in day, so the stay starts on the first day that
  begins once the offer window has closed (or later, when the unit or the application says
  so): nobody's lease starts before they could have said yes. An entry
  without an application whose holder already has a lease over those dates is passed over (one
  home a night); one with an application is offered as a transfer (housing.offers).

Each unit is one transaction (@transaction): the unit is locked and re-checked, the entry is
claimed (waiting -> offered, conditional UPDATE, so a runner promoting another unit of the
type skips it) and housing.offers.make_offer joins the transaction, locking the unit again and
refusing (409) an overlapping offer. A refused or failed offer rolls the claim back with it, so
re-runs and racing runners converge on one offer per unit and per entry. An entry left
'offered' with no offer (by a version that committed the claim on its own, or by hand) is put
back in line by `release_orphaned_entry`."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import and_, literal, select, tuple_, update
from sqlalchemy.orm import Session

from ..allocation import homes as homes_core
from ..allocation.dates import add_months
from ..allocation.waitlist import TIER_SPAN, QueueEntry, order, sort_key
from ..models import HousingApplication, Lease, Offer, Unit, UnitOutage, WaitlistEntry
from .guard import lock_resource
from .housing.leases import homes_of
from .housing.offers import make_offer
from .housing.waitlists import waiting_select
from .tx import transaction


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# ----------------------------------------------------------------------------- promotion


def free_from(session: Session, unit: Unit, today: date) -> date | None:
    """The first day from which the unit is free for good, or None when it is not free."""
    if unit.status != "available":
        return None
    leases = session.execute(
        select(Lease.status, Lease.end_date).where(Lease.unit_id == unit.id, Lease.status.in_(("active", "ending")),
                                                   Lease.end_date > today)
    ).all()
    if any(status == "active" for status, _ in leases):
        return None
    open_offer = session.execute(
        select(Offer.id).where(Offer.unit_id == unit.id, Offer.status == "open")
    ).first()
    if open_offer is not None:
        return None
    return max([today] + [end for _, end in leases])


def first_day_after(instant: datetime, tz: ZoneInfo) -> date:
    """The first local day that begins at or after `instant`."""
    local = instant.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.date() if local == midnight else local.date() + timedelta(days=1)


def _term(entry: WaitlistEntry, start: date, config) -> tuple[date, date]:
    application = entry.application
    if application is not None:
        start = max(start, application.move_in)
        if application.term_months:
            return start, add_months(start, application.term_months)
        if application.term_nights:
            return start, start + timedelta(days=application.term_nights)
    return start, add_months(start, int(config["RENEWAL_TERM_MONTHS"]))


def _outage_overlaps(session: Session, unit_id: int, start: date, end: date) -> bool:
    return session.execute(
        select(UnitOutage.id).where(UnitOutage.unit_id == unit_id, UnitOutage.start_date < end,
                                    UnitOutage.end_date > start)
    ).first() is not None


def queue_ids(session: Session, unit_type: str, *, page: int = 50) -> Iterator[int]:
    """Ids of the waiting entries of a type, first in line first (allocation.waitlist.order),
    read as far as the caller iterates. Entries in their natural place (no manual_rank, joined
    within one TIER_SPAN of the epoch, so their natural value orders them by tier, then time)
    come a page at a time in SQL order (tier, joined_at, id); the few others (moved by a
    manager, or with an odd joining time) are read at once, and the two merged by the core's
    sort key: the same order as sorting the whole queue."""
    columns = (WaitlistEntry.id, WaitlistEntry.priority_tier, WaitlistEntry.joined_at, WaitlistEntry.manual_rank)

    def entries(stmt) -> list[QueueEntry]:
        return [QueueEntry(id=i, tier=tier, joined_at=joined, manual_rank=rank)
                for i, tier, joined, rank in session.execute(stmt).all()]

    natural = and_(WaitlistEntry.manual_rank.is_(None), WaitlistEntry.joined_at >= _EPOCH,
                   WaitlistEntry.joined_at < _EPOCH + timedelta(seconds=TIER_SPAN) - timedelta(days=1))
    others = order(entries(waiting_select(unit_type, *columns).where(~natural)))
    by = (WaitlistEntry.priority_tier, WaitlistEntry.joined_at, WaitlistEntry.id)
    stmt = waiting_select(unit_type, *columns).where(natural).order_by(*by).limit(page)
    after, m = None, 0
    while True:
        # Keyset paging: an entry leaving the queue meanwhile shifts nothing.
        if after is None:
            chunk = entries(stmt)
        else:
            chunk = entries(stmt.where(tuple_(*by) > tuple_(*(literal(v, c.type) for v, c in zip(after, by)))))
        if chunk:
            after = (chunk[-1].tier, chunk[-1].joined_at, chunk[-1].id)
        for entry in chunk:
            key = sort_key(entry)
            while m < len(others) and sort_key(others[m]) < key:
                yield others[m].id
                m += 1
            yield entry.id
        if len(chunk) < page:
            break
    yield from (q.id for q in others[m:])


def candidate_unit_ids(session: Session, today: date) -> list[int]:
    """Units of a type someone is waiting for that look free (`free_from`'s tests as a WHERE:
    in service, no 'active' lease ending after today, no open offer). Each is re-checked under
    its lock by promote_unit; a unit that frees up after this read waits for the next tick."""
    waiting_types = select(WaitlistEntry.unit_type).where(WaitlistEntry.status == "waiting").distinct()
    let = select(Lease.id).where(Lease.unit_id == Unit.id, Lease.status == "active", Lease.end_date > today).exists()
    offered = select(Offer.id).where(Offer.unit_id == Unit.id, Offer.status == "open").exists()
    return list(session.execute(
        select(Unit.id).where(Unit.status == "available", Unit.short_stay.is_(False),
                              Unit.unit_type.in_(waiting_types), ~let, ~offered)
        .order_by(Unit.id)
    ).scalars())


@transaction
def promote_unit(session: Session, unit_id: int, *, now: datetime, tz: ZoneInfo, config) -> Offer | None:
    """Offer one free unit to the first eligible waiting entry, in one transaction; None when
    the unit is not free or nobody eligible waits."""
    unit = lock_resource(session, Unit, unit_id)
    if unit is None or unit.short_stay:
        return None
    today = now.astimezone(tz).date()
    start = free_from(session, unit, today)
    if start is None:
        return None
    answer_by = now + timedelta(days=int(config["OFFER_RESPONSE_DAYS"]))
    for entry_id in queue_ids(session, unit.unit_type):
        entry = session.get(WaitlistEntry, entry_id)
        busy = session.execute(select(Offer.id).where(Offer.user_id == entry.user_id, Offer.status == "open")).first()
        if busy is not None:
            continue
        passed = session.execute(
            select(Offer.id).where(Offer.waitlist_entry_id == entry.id, Offer.unit_id == unit.id,
                                   Offer.status.in_(("declined", "expired")))
        ).first()
        if passed is not None:
            continue
        offer_start, offer_end = _term(entry, max(start, first_day_after(answer_by, tz)), config)
        if _outage_overlaps(session, unit.id, offer_start, offer_end):
            return None
        if entry.application_id is not None and session.get(HousingApplication, entry.application_id).partner_id:
            continue  # a joint application is placed for the pair by a round, never one by one
        if entry.application_id is None and homes_core.clashes(
                homes_of(session, entry.user_id, offer_start, offer_end), offer_start, offer_end):
            continue
        claimed = session.execute(
            update(WaitlistEntry).where(WaitlistEntry.id == entry.id, WaitlistEntry.status == "waiting")
            .values(status="offered").execution_options(synchronize_session=False)
        ).rowcount == 1
        if not claimed:
            continue
        return make_offer(session, kind="waitlist", user_id=entry.user_id, unit_id=unit.id, start=offer_start,
                          end=offer_end, monthly_rent=unit.monthly_rent,
                          expires_at=answer_by, now=now,
                          application_id=entry.application_id, waitlist_entry_id=entry.id)
    return None


def orphaned_entry_ids(session: Session) -> list[int]:
    """Entries marked 'offered' that have no offer at all (see the module docstring)."""
    has_offer = select(Offer.id).where(Offer.waitlist_entry_id == WaitlistEntry.id).exists()
    return list(session.execute(
        select(WaitlistEntry.id).where(WaitlistEntry.status == "offered", ~has_offer).order_by(WaitlistEntry.id)
    ).scalars())


@transaction
def release_orphaned_entry(session: Session, entry_id: int) -> bool:
    """Put an entry claimed for an offer that was never made back in line."""
    has_offer = select(Offer.id).where(Offer.waitlist_entry_id == WaitlistEntry.id).exists()
    return session.execute(
        update(WaitlistEntry).where(WaitlistEntry.id == entry_id, WaitlistEntry.status == "offered", ~has_offer)
        .values(status="waiting").execution_options(synchronize_session=False)
    ).rowcount == 1
