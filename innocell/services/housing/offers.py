"""Offers: a unit held for one resident over dates until a deadline (allocation rounds,
waitlist promotion, renewals make them), and the resident's answer.

Renewals: accepting a renewal offer makes a NEW lease row from the old end date (back to back,
`previous_lease_id` pointing at the renewed lease), so each term keeps its own rent and dates and
the history reads term by term; the offer's `lease_id` stays the renewed lease. For allocation
and waitlist offers, `lease_id` becomes the lease made on acceptance.

One home a night: an offer is not made over dates the person already holds a lease on, and
accepting one checks it again under the person's lock (taken before the unit's). The one
exception is a transfer: an allocation or waitlist offer from an application whose dates overlap
the applicant's own lease. Accepting it ends each overlapping lease of the person the day the
new one starts (in the same transaction; the new lease continues the tenure of the one it
replaces), so the round never leaves anyone with two homes.

The answer-by time is never after the move-in day: an offer expires at the latest when the
local day of its start begins.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ...allocation import homes as homes_core
from ...allocation.dates import add_months
from ...allocation.rounds import human_date
from ...models import HousingApplication, Lease, Offer, Unit, User, WaitlistEntry
from .. import BadRequest, Conflict, Forbidden, NotFound
from ..guard import lock_person, lock_resource
from ..notifications import notify
from ..settings import zone
from ..tx import transaction
from ..wording import FULL, N_, Day, Money, Text, When, _, sentences
from .common import LIVE_LEASES, OPEN_APPLICATIONS, is_staff, term_label
from .leases import check_free, check_one_home, end_lease, homes_of, insert_lease
from ..phrasing import current, gettext

OFFER_SUBJECTS = {
    "allocation": N_("You have been offered unit %(code)s"),
    "waitlist": N_("A unit came free for you: %(code)s"),
    "renewal": N_("Renew your lease of unit %(code)s?"),
}


def answer_by_limit(start: date) -> datetime:
    """The latest an offer starting on `start` may be answered: when the local move-in day begins."""
    return datetime.combine(start, time.min, zone()).astimezone(timezone.utc)


def is_transfer(offer_kind: str, application: HousingApplication | None) -> bool:
    """An allocation or waitlist offer made for an application: if its dates overlap the person's
    own lease, it is a transfer (accepting it ends that lease the day the new one starts)."""
    return offer_kind != "renewal" and application is not None


def add_offer(session: Session, *, kind: str, user_id: int, unit: Unit, start: date, end: date, monthly_rent,
              expires_at: datetime, now: datetime, application: HousingApplication | None = None,
              waitlist_entry: WaitlistEntry | None = None, lease_id: int | None = None,
              round_id: int | None = None) -> Offer:
    """Write an offer the caller has checked (inside its transaction) and tell the resident. The
    answer-by time is cut to the start of the move-in day (`answer_by_limit`)."""
    offer = new_offer(session, kind=kind, user_id=user_id, unit=unit, start=start, end=end,
                      monthly_rent=monthly_rent, expires_at=expires_at, now=now, application=application,
                      waitlist_entry=waitlist_entry, lease_id=lease_id, round_id=round_id)
    session.flush()
    notify(session, now=now, **offer_notice(offer, unit))
    return offer


def new_offer(session: Session, *, kind: str, user_id: int, unit: Unit, start: date, end: date, monthly_rent,
              expires_at: datetime, now: datetime, application: HousingApplication | None = None,
              waitlist_entry: WaitlistEntry | None = None, lease_id: int | None = None,
              round_id: int | None = None) -> Offer:
    """`add_offer` without the flush and the notice: a round adds all its offers, flushes once,
    then sends every `offer_notice` with notify_many."""
    expires_at = min(expires_at, answer_by_limit(start))
    offer = Offer(kind=kind, user_id=user_id, unit_id=unit.id, start_date=start, end_date=end,
                  monthly_rent=monthly_rent, expires_at=expires_at, status="open", created_at=now,
                  lease_id=lease_id, application_id=application.id if application else None,
                  waitlist_entry_id=waitlist_entry.id if waitlist_entry else None, round_id=round_id)
    session.add(offer)
    if application is not None:
        application.status = "offered"
        application.updated_at = now
    if waitlist_entry is not None:
        waitlist_entry.status = "offered"
    return offer


def offer_notice(offer: Offer, unit: Unit) -> dict:
    """The resident's notice of a flushed offer (it names the offer's id), for notify."""
    values = {"start": Day(offer.start_date), "end": Day(offer.end_date), "rent": Money(offer.monthly_rent),
              "deadline": When(offer.expires_at, FULL, zone())}
    body = (_("You can renew from %(start)s to %(end)s (move-out day) at %(rent)s a month. Accept or decline by "
              "%(deadline)s; after that the offer passes to the next person.", **values) if offer.kind == "renewal"
            else _("You can live there from %(start)s to %(end)s (move-out day) at %(rent)s a month. Accept or "
                   "decline by %(deadline)s; after that the offer passes to the next person.", **values))
    return {"user_id": offer.user_id, "kind": f"offer_{offer.kind}",
            "subject": Text(OFFER_SUBJECTS[offer.kind], code=unit.code), "body": body,
            "link": "/housing", "dedupe_key": f"offer:{offer.id}"}


@transaction
def make_offer(session: Session, *, kind: str, user_id: int, unit_id: int, start: date, end: date, monthly_rent,
               expires_at: datetime, now: datetime, lease_id: int | None = None, application_id: int | None = None,
               waitlist_entry_id: int | None = None, round_id: int | None = None) -> Offer:
    """Offer a unit over [start, end) to a resident until `expires_at` (renewal, waitlist or
    allocation), cut to the start of the move-in day. Guarded like a lease: 409 if the unit is
    not free then (a renewal's own lease ends at `start`, so it does not clash), or the person
    already holds a lease over the dates (unless the offer is a transfer: see the module
    docstring); every refusal comes before anything is written. Notifies the resident."""
    if kind not in OFFER_SUBJECTS:
        raise BadRequest(gettext("Unknown offer kind %(kind)s.", kind=repr(kind)))
    if not (isinstance(start, date) and isinstance(end, date)) or end <= start:
        raise BadRequest(gettext("An offer needs dates with the end after the start."))
    if min(expires_at, answer_by_limit(start)) <= now:
        raise BadRequest(gettext("An offer must expire in the future, and before its move-in day begins."))
    unit = lock_resource(session, Unit, unit_id)
    if unit is None:
        raise NotFound(gettext("There is no unit %(unit_id)s.", unit_id=unit_id))
    check_free(session, unit, start, end, now=now)
    application = session.get(HousingApplication, application_id) if application_id else None
    entry = session.get(WaitlistEntry, waitlist_entry_id) if waitlist_entry_id else None
    if entry is not None and application is None and entry.application_id:
        application = session.get(HousingApplication, entry.application_id)
    if not is_transfer(kind, application):
        check_one_home(session, user_id, start, end)
    return add_offer(session, kind=kind, user_id=user_id, unit=unit, start=start, end=end,
                     monthly_rent=Decimal(monthly_rent), expires_at=expires_at, now=now, application=application,
                     waitlist_entry=entry, lease_id=lease_id, round_id=round_id)


def get_offer(session: Session, offer_id, *, viewer: User) -> Offer:
    offer = session.get(Offer, offer_id) if isinstance(offer_id, int) else None
    if offer is None or (not is_staff(viewer) and offer.user_id != viewer.id):
        raise NotFound(gettext("There is no offer %(offer_id)s.", offer_id=offer_id))
    return offer


def list_offers(session: Session, *, viewer: User, status: str | None = None, kind: str | None = None) -> list[Offer]:
    q = select(Offer)
    if not is_staff(viewer):
        q = q.where(Offer.user_id == viewer.id)
    if status:
        q = q.where(Offer.status == status)
    if kind:
        q = q.where(Offer.kind == kind)
    return list(session.execute(q.order_by(Offer.created_at.desc(), Offer.id.desc())).scalars())


# --- answers --------------------------------------------------------------------------------------

def _answerable(session: Session, offer_id, user: User, now: datetime, *,
                for_accept: bool = False) -> tuple[Offer, Unit]:
    """Lock the person, then the offer's unit (and, accepting a transfer, the units of the leases
    it ends, all in id order), and return the offer re-read under the lock, if `user` may still
    answer it; otherwise raise."""
    offer = session.get(Offer, offer_id) if isinstance(offer_id, int) else None
    if offer is None or (offer.user_id != user.id and not is_staff(user)):
        raise NotFound(gettext("There is no offer %(offer_id)s.", offer_id=offer_id))
    if offer.user_id != user.id:
        raise Forbidden(gettext("Only the resident it was made to can answer an offer."))
    lock_person(session, offer.user_id)
    unit_ids = {offer.unit_id}
    if for_accept:
        unit_ids |= {h.unit_id for h, _ in transfer_ends(session, offer)}
    units = {uid: lock_resource(session, Unit, uid) for uid in sorted(unit_ids)}
    # Lock the offer row too, so an answer and the expiry job (which locks due offers) cannot
    # both change it: whichever comes second re-reads the first one's outcome.
    offer = session.execute(select(Offer).where(Offer.id == offer.id).with_for_update()
                            .execution_options(populate_existing=True)).scalar_one()
    tz = zone()
    if offer.status != "open":
        when = gettext(" on %(moment)s", moment=current().stamp(offer.responded_at.astimezone(tz))) \
            if offer.responded_at else ""
        raise Conflict(gettext("This offer was already %(status)s%(when)s; it cannot be answered again.", status=gettext(offer.status), when=when))
    if offer.expires_at <= now:
        deadline = current().stamp(offer.expires_at.astimezone(tz))
        raise Conflict(gettext("This offer expired on %(deadline)s; it cannot be answered any more.", deadline=deadline))
    return offer, units[offer.unit_id]


def offer_term(offer: Offer) -> str:
    """The offered stay as people say it: '12 months', '6 months and 3 nights', '40 nights'."""
    months = 0
    while add_months(offer.start_date, months + 1) <= offer.end_date:
        months += 1
    return term_label(months, (offer.end_date - add_months(offer.start_date, months)).days)


def transfer_ends(session: Session, offer: Offer) -> list[tuple[homes_core.Home, date]]:
    """What accepting the offer ends: for a transfer, each lease of the person overlapping the
    offered dates and the day it would end; nothing for any other offer. Reads only (the
    confirmation page shows it before the resident accepts)."""
    application = session.get(HousingApplication, offer.application_id) if offer.application_id else None
    if not is_transfer(offer.kind, application) or offer.user_id != application.user_id:
        return []  # a joint application's partner transfers nothing: one home a night refuses instead
    homes = homes_of(session, offer.user_id, offer.start_date, offer.end_date)
    return homes_core.transfer_ends(homes, offer.start_date, offer.end_date)


def _entries_of(session: Session, offer: Offer) -> list[WaitlistEntry]:
    """The open waitlist places the offer was made for (its entry, or its application's)."""
    return list(session.execute(select(WaitlistEntry).where(
        or_(WaitlistEntry.id == offer.waitlist_entry_id,
            and_(WaitlistEntry.application_id.is_not(None),
                 WaitlistEntry.application_id == offer.application_id)),
        WaitlistEntry.status.in_(("waiting", "offered")))).scalars())


@transaction
def accept_offer(session: Session, offer_id: int, *, user: User, now: datetime) -> Lease:
    """Accept: an allocation or waitlist offer makes a lease; a renewal offer makes the next
    lease, back to back with the renewed one. Conflict-checked under the person's lock and the
    unit's: an offer that has become impossible (the unit was let or taken out of service
    meanwhile, or the person holds another lease over the dates) answers 409 with the reason and
    changes nothing. A transfer first ends the person's overlapping leases the day it starts."""
    offer, unit = _answerable(session, offer_id, user, now, for_accept=True)
    previous = None
    if offer.kind == "renewal":
        previous = session.get(Lease, offer.lease_id) if offer.lease_id else None
        if previous is None or previous.status not in LIVE_LEASES:
            state = previous.status if previous is not None else "gone"
            raise Conflict(gettext("The lease this renewal was for is %(state)s; the renewal can no longer be accepted.", state=state))
    ended = []
    for home, on in transfer_ends(session, offer):
        old = session.get(Lease, home.lease_id, populate_existing=True)
        end_lease(session, old, on, reason=f"Moved to unit {unit.code} (transfer from {human_date(offer.start_date)})",
                  now=now)
        ended.append((home, on))
        if on == offer.start_date and home.start < on:
            previous = old  # the new lease continues this one's tenure
    app = session.get(HousingApplication, offer.application_id) if offer.application_id else None
    joint = app.id if app is not None and app.partner_id is not None else None
    try:
        lease = insert_lease(session, unit, user_id=offer.user_id, start=offer.start_date, end=offer.end_date,
                             monthly_rent=offer.monthly_rent, now=now, exclude_offer_id=offer.id,
                             previous_lease_id=previous.id if previous else None, joint_application_id=joint)
    except Conflict as exc:
        raise Conflict(gettext("This offer can no longer be accepted: %(message)s", message=exc.message), **exc.extra) from None
    offer.status = "accepted"
    offer.responded_at = now
    offer.agreed_at = now  # agreement to the terms shown (the page asks for it; the API call is it)
    if offer.kind != "renewal":
        offer.lease_id = lease.id
    if app is not None:
        app.status = "housed"
        app.reason = None
        app.updated_at = now
        # Other open offers of the application end, but for the partner's of a joint one (each
        # of the pair accepts for themself).
        for other in session.execute(select(Offer).where(Offer.application_id == app.id, Offer.status == "open",
                                                         Offer.id != offer.id)).scalars():
            if joint is None or other.user_id == offer.user_id:
                other.status = "declined"
                other.responded_at = now
    for entry in _entries_of(session, offer):
        entry.status = "housed"
    moved = [_("Your lease of unit %(unit)s now ends on %(day)s (called off before move-in).", unit=home.unit_code,
                 day=Day(on)) if on <= home.start else
               _("Your lease of unit %(unit)s now ends on %(day)s (move-out day).", unit=home.unit_code, day=Day(on))
               for home, on in ended]
    notify(session, user_id=offer.user_id, kind="offer_accepted", now=now,
           subject=_("Unit %(unit)s: lease confirmed", unit=unit.code),
           body=sentences(_("Your lease of unit %(unit)s runs from %(start)s to %(end)s (move-out day) at %(rent)s a "
                            "month.", unit=unit.code, start=Day(lease.start_date), end=Day(lease.end_date),
                            rent=Money(lease.monthly_rent)), *moved),
           link="/housing", dedupe_key=f"offer-accepted:{offer.id}")
    return lease


def _close_after_refusal(session: Session, offer: Offer, *, reason: str, now: datetime) -> None:
    """After a decline or expiry: the application and waitlist place end (the unit goes to the
    next person); a renewal's lease becomes 'ending'."""
    if offer.kind == "renewal" and offer.lease_id:
        lease = session.get(Lease, offer.lease_id)
        if lease is not None and lease.status == "active":
            lease.status = "ending"
        return
    if offer.application_id:
        app = session.get(HousingApplication, offer.application_id)
        if app is not None and app.status in OPEN_APPLICATIONS:
            app.status = "withdrawn"
            app.reason = reason
            app.updated_at = now
    for entry in _entries_of(session, offer):
        entry.status = "removed"
        entry.reason = reason


@transaction
def decline_offer(session: Session, offer_id: int, *, user: User, now: datetime) -> Offer:
    """Decline: the unit is free for the next person at once. Declining an allocation or
    waitlist offer closes the application (apply again to be considered anew); declining a
    renewal sets the lease 'ending'."""
    offer, unit = _answerable(session, offer_id, user, now)
    offer.status = "declined"
    offer.responded_at = now
    _close_after_refusal(session, offer, reason=f"You declined the offer of unit {unit.code}.", now=now)
    _decline_for_pair(session, offer, unit, user, now)
    return offer


def _decline_for_pair(session: Session, offer: Offer, unit: Unit, user: User, now: datetime) -> None:
    """A joint application's pair was offered the unit together: while neither has accepted, a
    decline by one ends the other's offer too (and the application); after one has accepted,
    the other's decline is theirs alone."""
    app = session.get(HousingApplication, offer.application_id) if offer.application_id else None
    if app is None or app.partner_id is None:
        return
    pair = list(session.execute(select(Offer).where(Offer.application_id == app.id, Offer.unit_id == offer.unit_id,
                                                    Offer.id != offer.id)).scalars())
    if any(o.status == "accepted" for o in pair):
        return
    for other in pair:
        if other.status == "open":
            other.status = "declined"
            other.responded_at = now
            notify(session, user_id=other.user_id, kind="joint_declined", now=now,
                   subject=_("The offer of unit %(unit)s for you both was declined", unit=unit.code),
                   body=_("%(name)s declined the offer of unit %(unit)s, so it has ended for you both and the joint "
                          "application is closed.", name=user.name or user.email, unit=unit.code), link="/housing",
                   dedupe_key=f"joint-declined:{other.id}")


@transaction
def expire_offers(session: Session, *, now: datetime) -> list[Offer]:
    """Mark every open offer whose deadline has passed as expired (idempotent; one transaction).
    The unit is free again; an expired renewal sets its lease 'ending'; an expired allocation or
    waitlist offer closes the application and the waitlist place, so the next person is offered."""
    due = list(session.execute(select(Offer).where(Offer.status == "open", Offer.expires_at <= now)
                               .order_by(Offer.id).with_for_update()).scalars())
    for offer in due:
        offer.status = "expired"
        offer.responded_at = now
        unit = session.get(Unit, offer.unit_id)
        _close_after_refusal(session, offer, reason=f"The offer of unit {unit.code} expired without an answer.",
                             now=now)
        notify(session, user_id=offer.user_id, kind="offer_expired", now=now,
               subject=_("Your offer of unit %(unit)s has expired", unit=unit.code),
               body=(_("The renewal offer expired; your lease ends as planned.") if offer.kind == "renewal" else
                     _("The offer of unit %(unit)s was not answered in time and has passed to the next person.",
                       unit=unit.code)),
               link="/housing", dedupe_key=f"offer-expired:{offer.id}")
    return due
