"""The slot waitlist: a resident refused because a slot is taken asks to be booked when it frees.

- join: only for a slot that is taken now (a free slot is booked directly) and that breaks no
  booking rule (a request that could never be booked is refused with the violations).
- the job books the first waiting request (oldest first) whose slot is free, through
  bookings.book, so every allocator rule (hours, grid, quota, authorisation, capacity,
  blackouts) applies at that moment; the resident is notified. A request still refused stays
  waiting with the latest reason. Requests expire at the slot's start.
- once only: one transaction claims the request (conditional UPDATE waiting -> booked, which
  a second runner cannot also win), books it through bookings.book and links the booking; a
  refused booking is undone to a savepoint and the request stays waiting with the reason.
  A claim without a booking can only be left by the earlier, two-transaction version of this
  job; a later run repairs it: linked to the booking it made, or put back in line.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Booking, SlotRequest, Space
from . import Conflict, Forbidden, NotFound, RuleViolation, ServiceError, bookings
from .bookings import clean_title
from .notifications import notify
from .roles import BOOKER_ROLES, MANAGER_ROLES, STAFF_ROLES
from .standing import require_good_standing
from .tx import transaction
from .wording import _, sentences, span
from .phrasing import gettext

STALE_CLAIM = timedelta(minutes=10)


@transaction
def join_slot_waitlist(session: Session, *, user, space_id: int, start: datetime, end: datetime, title: str = "",
                       now: datetime) -> SlotRequest:
    """Queue a request for a taken slot."""
    if user.role not in BOOKER_ROLES:
        raise Forbidden(gettext("Your role can look at bookings but not make them."))
    require_good_standing(user, "book")
    bookings.validate_times(start, end)
    title = clean_title(title)
    if not isinstance(space_id, int) or isinstance(space_id, bool) or session.get(Space, space_id) is None:
        raise NotFound(gettext("There is no such space."))
    if start <= now:
        raise RuleViolation(gettext("This slot has already started."), violations=[
            {"rule": "past", "message": gettext("The slot has already started; you can only wait for a future slot.")}])
    result = bookings.check(session, user=user, space_id=space_id, start=start, end=end, now=now)
    if result.violations:
        raise RuleViolation(gettext("This slot breaks the booking rules: %(problems)s",
                                    problems=" ".join(v["message"] for v in result.violations)),
                            violations=result.violations)
    if not result.conflicts:
        raise Conflict(gettext("This slot is free right now: book it directly instead of waiting."), free=True)
    duplicate = session.execute(
        select(SlotRequest.id).where(SlotRequest.user_id == user.id, SlotRequest.space_id == space_id,
                                     SlotRequest.status == "waiting", SlotRequest.start_at < end,
                                     SlotRequest.end_at > start)
    ).first()
    if duplicate is not None:
        raise Conflict(gettext("You are already waiting for this time on this space."))
    request = SlotRequest(user_id=user.id, space_id=space_id, start_at=start, end_at=end, title=title,
                          status="waiting", created_at=now)
    session.add(request)
    session.flush()
    return request


@transaction
def cancel_request(session: Session, request_id: int, *, user, now: datetime) -> SlotRequest:
    """The requester (or a manager) withdraws a waiting request."""
    request = session.get(SlotRequest, request_id, populate_existing=True) if isinstance(request_id, int) else None
    if request is None or (request.user_id != user.id and user.role not in MANAGER_ROLES):
        raise NotFound(gettext("There is no such slot request of yours."))
    if request.status != "waiting":
        raise Conflict(gettext("This request is already %(status)s.", status=gettext(request.status)))
    request.status = "cancelled"
    request.resolved_at = now
    request.reason = "Withdrawn by the requester" if request.user_id == user.id else "Withdrawn by a manager"
    return request


def list_requests(session: Session, *, user, status: str | None = None) -> list[SlotRequest]:
    stmt = select(SlotRequest)
    if user.role not in STAFF_ROLES:
        stmt = stmt.where(SlotRequest.user_id == user.id)
    if status:
        stmt = stmt.where(SlotRequest.status == status)
    return list(session.execute(stmt.order_by(SlotRequest.start_at.desc(), SlotRequest.id.desc())).scalars())


def position(session: Session, request: SlotRequest) -> int:
    """1-based place among waiting requests overlapping the same time on the same space."""
    ahead = session.execute(
        select(SlotRequest.id).where(SlotRequest.space_id == request.space_id, SlotRequest.status == "waiting",
                                     SlotRequest.start_at < request.end_at, SlotRequest.end_at > request.start_at,
                                     (SlotRequest.created_at < request.created_at)
                                     | ((SlotRequest.created_at == request.created_at) & (SlotRequest.id < request.id)))
    ).all()
    return len(ahead) + 1


# ----------------------------------------------------------------------------- the job


def expired_request_ids(session: Session, now: datetime) -> list[int]:
    return list(session.execute(
        select(SlotRequest.id).where(SlotRequest.status == "waiting", SlotRequest.start_at <= now)
        .order_by(SlotRequest.id)
    ).scalars())


@transaction
def expire_request(session: Session, request_id: int, *, now: datetime, tz: ZoneInfo) -> bool:
    """A request still waiting when its slot starts expires, with a notice; True when this call did it."""
    result = session.execute(
        update(SlotRequest).where(SlotRequest.id == request_id, SlotRequest.status == "waiting",
                                  SlotRequest.start_at <= now)
        .values(status="expired", resolved_at=now, reason="The slot started before it freed up.")
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    request = session.get(SlotRequest, request_id, populate_existing=True)
    notify(session, user_id=request.user_id, kind="slot_request_expired", now=now,
           subject=_("No place freed up: %(space)s %(when)s", space=request.space.name,
                     when=span(request.start_at, request.end_at, tz)),
           body=_("Your waitlist request for %(space)s on %(when)s has expired: the slot did not free up before it "
                  "started.", space=request.space.name, when=span(request.start_at, request.end_at, tz)),
           link="/inbox", dedupe_key=f"slot-request-expired:{request.id}")
    return True


def waiting_request_ids(session: Session, now: datetime) -> list[int]:
    """Waiting requests oldest first (first in line books first), plus stale claims to repair."""
    waiting = list(session.execute(
        select(SlotRequest.id).where(SlotRequest.status == "waiting", SlotRequest.start_at > now)
        .order_by(SlotRequest.created_at, SlotRequest.id)
    ).scalars())
    stale = list(session.execute(
        select(SlotRequest.id).where(SlotRequest.status == "booked", SlotRequest.booking_id.is_(None),
                                     SlotRequest.resolved_at <= now - STALE_CLAIM)
    ).scalars())
    return stale + waiting


def _booked_notice(session: Session, request: SlotRequest, booking: Booking, now: datetime, tz: ZoneInfo) -> None:
    pending = booking.status == "pending"
    notify(session, user_id=request.user_id, kind="slot_booked", now=now,
           subject=_("Booked from the waitlist: %(space)s %(when)s", space=request.space.name,
                     when=span(booking.start_at, booking.end_at, tz)),
           body=sentences(_("The time you were waiting for freed up and we booked %(space)s on %(when)s for you (it "
                            "awaits a manager's approval).", space=request.space.name,
                            when=span(booking.start_at, booking.end_at, tz)) if pending else
                          _("The time you were waiting for freed up and we booked %(space)s on %(when)s for you.",
                            space=request.space.name, when=span(booking.start_at, booking.end_at, tz)),
                          _("Cancel it from your bookings if you no longer need it.")),
           link="/inbox", dedupe_key=f"slot-booked:{request.id}", booking_id=booking.id)


def _repair(session: Session, request: SlotRequest, now: datetime, tz: ZoneInfo) -> None:
    """A claim without a booking (left by a crash of the earlier two-transaction job): link the
    booking it made, or put the request back in line."""
    booking = session.execute(
        select(Booking).where(Booking.user_id == request.user_id, Booking.space_id == request.space_id,
                              Booking.start_at == request.start_at, Booking.end_at == request.end_at,
                              Booking.status != "cancelled", Booking.created_at >= request.created_at)
        .order_by(Booking.id)
    ).scalars().first()
    if booking is not None:
        request.booking_id = booking.id
        _booked_notice(session, request, booking, now, tz)
        return  # booked earlier, not by this run
    request.status = "waiting"
    request.resolved_at = None


@transaction
def try_book(session: Session, request_id: int, *, now: datetime, tz: ZoneInfo) -> Booking | None:
    """Book one waiting request if its slot is free now; the booking, or None."""
    request = session.get(SlotRequest, request_id, populate_existing=True)
    if request is None:
        return None
    if request.status == "booked" and request.booking_id is None:
        if request.resolved_at is not None and request.resolved_at <= now - STALE_CLAIM:
            _repair(session, request, now, tz)
        return None
    if request.status != "waiting" or request.start_at <= now:
        return None
    claimed = session.execute(
        update(SlotRequest).where(SlotRequest.id == request_id, SlotRequest.status == "waiting")
        .values(status="booked", resolved_at=now).execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        return None
    try:
        with session.begin_nested():
            booking = bookings.book(session, user=request.user, space_id=request.space_id, start=request.start_at,
                                    end=request.end_at, title=request.title, now=now, notice=False)
    except ServiceError as exc:
        session.execute(
            update(SlotRequest).where(SlotRequest.id == request_id)
            .values(status="waiting", resolved_at=None, reason=exc.message[:300])
            .execution_options(synchronize_session=False)
        )
        return None
    request = session.get(SlotRequest, request_id, populate_existing=True)
    request.booking_id = booking.id
    request.reason = None
    _booked_notice(session, request, booking, now, tz)
    return booking
