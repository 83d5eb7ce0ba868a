"""Deciding on several booking requests at once, and what a manager needs to see to decide.

`decide_many` approves or declines a batch in ONE guarded transaction, all or nothing: when any
selected request can no longer be decided (someone decided it meanwhile, it was cancelled, it
does not exist), nothing changes and the refusal names each such request, so the manager sees the
fresh queue and chooses again. The spaces are locked in ascending id order (every other writer
locks one space, or a person then a space), so two batches never deadlock.

`queue_context` reads, for a page of requests, what else is booked on the same space that day
(with holders) and each holder's recent history, in two queries whatever the page's length."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ...models import Booking, Space, User
from .. import BadRequest, Conflict, Forbidden
from ..guard import lock_resource
from ..roles import MANAGER_ROLES
from ..tx import transaction
from .common import UTC
from .write import approve, reject
from ..phrasing import gettext, ngettext

MAX_BATCH = 200
HISTORY = 10  # the holder's last bookings that a request's row sums up
NO_SHOW = "no-show"


def clean_ids(raw) -> list[int]:
    """The ids of a batch: a non-empty list of whole numbers (duplicates dropped, order kept)."""
    if not isinstance(raw, list) or not raw:
        raise BadRequest(gettext("Send 'ids' as a non-empty list of booking ids."))
    if len(raw) > MAX_BATCH:
        raise BadRequest(gettext("At most %(max_batch)s bookings can be decided at once.", max_batch=MAX_BATCH))
    ids: list[int] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(gettext("Each booking id must be a whole number."))
        if value not in ids:
            ids.append(value)
    return ids


@transaction
def decide_many(session: Session, booking_ids, *, approve_them: bool, actor: User, now: datetime,
                reason: str | None = None) -> list[Booking]:
    """Approve (or decline, with one optional reason for all) every listed pending request, or
    none: a Conflict with `refused` [{"id", "message"}] when any cannot be decided."""
    if actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only managers decide on bookings."))
    ids = clean_ids(booking_ids)
    if reason is not None and not isinstance(reason, str):
        raise BadRequest(gettext("'reason' must be text."))
    found = {b.id: b for b in session.execute(select(Booking).where(Booking.id.in_(ids))).scalars()}
    for space_id in sorted({b.space_id for b in found.values()}):
        lock_resource(session, Space, space_id)
    refused = []
    for booking_id in ids:
        booking = found.get(booking_id)
        if booking is None:
            refused.append({"id": booking_id, "message": gettext("There is no booking %(booking_id)s.", booking_id=booking_id)})
            continue
        session.refresh(booking)
        if booking.status != "pending":
            refused.append({"id": booking_id, "message": gettext("Booking %(booking_id)s is already %(status)s; it was decided or withdrawn meanwhile.", booking_id=booking_id, status=gettext(booking.status))})
    if refused:
        facts = {"refused": len(refused), "problems": " ".join(r["message"] for r in refused)}
        message = ngettext("Nothing was approved: %(refused)s of the %(num)s selected request can no longer be "
                           "decided. %(problems)s", "Nothing was approved: %(refused)s of the %(num)s selected "
                           "requests can no longer be decided. %(problems)s", len(ids), **facts) if approve_them \
            else ngettext("Nothing was declined: %(refused)s of the %(num)s selected request can no longer be "
                          "decided. %(problems)s", "Nothing was declined: %(refused)s of the %(num)s selected "
                          "requests can no longer be decided. %(problems)s", len(ids), **facts)
        raise Conflict(message, refused=refused)
    decided = []
    for booking_id in sorted(ids, key=lambda i: (found[i].space_id, i)):
        if approve_them:
            decided.append(approve(session, booking_id, actor=actor, now=now))
        else:
            decided.append(reject(session, booking_id, actor=actor, now=now, reason=reason))
    return sorted(decided, key=lambda b: ids.index(b.id))


# ---------------------------------------------------------------------------- the queue's context


@dataclass
class History:
    total: int = 0
    attended: int = 0
    no_show: int = 0
    cancelled: int = 0
    late: int = 0


@dataclass
class RequestContext:
    around: list[tuple] = field(default_factory=list)  # (start, end, status, holder, title)
    history: History = field(default_factory=History)


def _day_bounds(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    day = at.astimezone(tz).date()
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)


def queue_context(session: Session, requests: list[Booking], *, now: datetime, tz: ZoneInfo,
                  history: int = HISTORY) -> dict[int, RequestContext]:
    """Per request: the other live bookings of its space on its local day, and the holder's last
    `history` bookings that began before now summed up (attended, no-show, cancelled by them)."""
    context = {b.id: RequestContext() for b in requests}
    if not requests:
        return context
    windows = {b.id: (b.space_id, *_day_bounds(b.start_at, tz)) for b in requests}
    around = session.execute(
        select(Booking.id, Booking.space_id, Booking.start_at, Booking.end_at, Booking.status, Booking.title,
               User.name)
        .join(User, User.id == Booking.user_id)
        .where(Booking.status != "cancelled",
               or_(*[and_(Booking.space_id == space_id, Booking.start_at < hi, Booking.end_at > lo)
                     for space_id, lo, hi in set(windows.values())]))
        .order_by(Booking.start_at, Booking.id)).all()
    for b in requests:
        space_id, lo, hi = windows[b.id]
        context[b.id].around = [(s, e, status, name, title) for bid, sid, s, e, status, title, name in around
                                if sid == space_id and bid != b.id and s < hi and e > lo]
    holders = {b.user_id for b in requests}
    rank = func.row_number().over(partition_by=Booking.user_id,
                                  order_by=(Booking.start_at.desc(), Booking.id.desc())).label("rank")
    recent = select(Booking.user_id, Booking.status, Booking.end_at, Booking.cancelled_by_id, Booking.cancel_reason,
                    Booking.end_reason, Booking.late_cancel, rank) \
        .where(Booking.user_id.in_(holders), Booking.start_at < now, Booking.status != "pending").subquery()
    per_user: dict[int, History] = {}
    for user_id, status, end_at, cancelled_by, cancel_reason, end_reason, late, _ in session.execute(
            select(recent).where(recent.c.rank <= history)).all():
        h = per_user.setdefault(user_id, History())
        h.total += 1
        if end_reason == NO_SHOW or cancel_reason == NO_SHOW:
            h.no_show += 1
        elif status == "cancelled":
            if cancelled_by == user_id:
                h.cancelled += 1
                h.late += bool(late)
        elif end_at.replace(tzinfo=end_at.tzinfo or UTC) <= now:
            h.attended += 1
    for b in requests:
        context[b.id].history = per_user.get(b.user_id, History())
    return context
