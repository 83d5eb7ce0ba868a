"""The guarded write around the pure allocation core: book, cancel, approve, reject, and
cancel what a blackout covers (series of bookings: series.py). Each is one @transaction.

A new booking locks the booker's users row, then the space (`guard.lock_person`, then
`spaces.locked_space`: BEGIN IMMEDIATE on SQLite, SELECT ... FOR UPDATE on PostgreSQL; person
before resource, the fixed order), then reads the claims that overlap the window and the
person's own bookings of the kind, checks with the pure core and inserts: racing writers for
one space serialise on the space, and one person's racing bookings in several spaces on the
person (quota, simultaneous bookings). Cancelling and deciding lock the space only. On PostgreSQL
the exclusion constraint `ex_bookings_no_overlap` backs up capacity-one spaces; its SQLSTATE
23P01 is answered as a conflict.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...allocation.rules import end_early_at
from ...models import Booking, Space, User
from ...timeutil import iso_local
from .. import Conflict, Forbidden, RuleViolation
from ..audit import record
from ..guard import is_overlap_violation, key_of, lock_person, lock_resource
from ..notifications import notify
from ..roles import BOOKER_ROLES, MANAGER_ROLES
from ..settings import zone
from ..spaces import get_space, locked_space
from ..standing import require_good_standing
from ..tx import transaction
from .check import evaluate, suggestions_for
from .common import clean_title, validate_times
from .conflicts import explained
from .queries import get_booking
from ..stored_text import fit
from ..wording import When, _, span
from ..phrasing import gettext


def _suggestions_json(suggestions: list[dict], tz: ZoneInfo) -> list[dict]:
    return [{"space_id": s["space_id"], "space_code": s["space_code"], "space_name": s["space_name"],
             "start": iso_local(s["start"], tz), "end": iso_local(s["end"], tz)} for s in suggestions]


def _insert(session: Session, bookings: list[Booking]) -> None:
    """Flush the new rows; the exclusion constraint's refusal becomes a Conflict."""
    session.add_all(bookings)
    try:
        session.flush()
    except IntegrityError as exc:
        if is_overlap_violation(exc):
            raise Conflict(gettext("Someone else has just booked this time."), conflicts=[], suggestions=[]) from None
        raise


def _prepare(session: Session, user: User, space_id, start: datetime, end: datetime,
             title: str) -> tuple[Space, str, ZoneInfo]:
    """Validate the request's shape, then lock the person and the space (in that order) for the
    rest of the transaction."""
    validate_times(start, end)
    # Lock first: the lock's read refreshes the person's row (role, standing) in the same round
    # trip, so the checks below never load it again.
    lock_person(session, key_of(user))
    if user.role not in BOOKER_ROLES:
        raise Forbidden(gettext("Your role can look at bookings but not make them."))
    require_good_standing(user, "book")
    title = clean_title(title)
    return locked_space(session, space_id), title, zone()


def _new_booking(space: Space, user: User, start: datetime, end: datetime, title: str, now: datetime,
                 series_id: str | None = None) -> Booking:
    """The row that holds [start, end + buffer); `exclusive` arms PostgreSQL's backstop."""
    return Booking(space_id=space.id, user_id=user.id, start_at=start, end_at=end,
                   hold_end_at=end + timedelta(minutes=space.buffer_minutes), exclusive=space.capacity == 1,
                   status="pending" if space.requires_approval else "confirmed", title=title,
                   series_id=series_id, created_at=now)


# ---------------------------------------------------------------------------- book


class _Taken(Exception):
    """The time is taken: what the Conflict will say, before the nearest free times are found."""

    def __init__(self, why: str, conflicts: list[dict]):
        super().__init__(why)
        self.why, self.conflicts = why, conflicts


def made_notice(session: Session, rows: list[Booking], now: datetime, tz: ZoneInfo) -> None:
    """The holder's notice of bookings made (one for a whole series): its email carries the
    .ics invite of the booking, or of every occurrence of the series."""
    first = rows[0]
    pending = first.status == "pending"
    what = _("%(space)s on %(when)s", space=first.space.name, when=span(first.start_at, first.end_at, tz))
    if len(rows) > 1:
        what = _("%(space)s on %(when)s and %(num)s more date(s) of the series", space=first.space.name,
                 when=span(first.start_at, first.end_at, tz), num=len(rows) - 1)
    notify(session, user_id=first.user_id, kind="booking_made",
           subject=(_("Your request for %(space)s waits for approval", space=first.space.name) if pending
                    else _("Your booking of %(space)s is confirmed", space=first.space.name)),
           body=(_("%(what)s waits for a manager's approval; the time is held for you meanwhile.", what=what)
                 if pending else _("%(what)s is booked for you.", what=what)),
           now=now, link=f"/bookings/{first.id}", booking_id=first.id)


def _ended(booking: Booking, space: Space, tz: ZoneInfo) -> dict:
    """The values of an 'ended early' notice: the space, the new end, the part kept."""
    return {"space": space.name, "end": When(booking.end_at, "%H:%M", tz),
            "kept": span(booking.start_at, booking.end_at, tz)}


def bump(booking: Booking) -> None:
    """Raise the booking's iCalendar SEQUENCE: its event changed (time, title, status)."""
    booking.ics_sequence = (booking.ics_sequence or 0) + 1


@transaction
def _book_locked(session: Session, *, user: User, space_id: int, start: datetime, end: datetime, title: str,
                 now: datetime, notice: bool = True) -> Booking:
    space, title, tz = _prepare(session, user, space_id, start, end, title)
    violations, found = evaluate(session, user, space, start, end, now, tz)
    if violations:
        raise RuleViolation(gettext("This booking breaks the rules of %(name)s: %(problems)s", name=space.name,
                                    problems=" ".join(v["message"] for v in violations)), violations=violations)
    if found:
        raise _Taken(*explained(session, space, start, end, found, tz))
    booking = _new_booking(space, user, start, end, title, now)
    _insert(session, [booking])
    if notice:
        made_notice(session, [booking], now, tz)
    return booking


def book(session: Session, *, user: User, space_id: int, start: datetime, end: datetime, title: str = "",
         now: datetime, notice: bool = True) -> Booking:
    """One guarded transaction (_book_locked). When the time is taken, the nearest free times are
    searched after its rollback: that search reads every space of the kind, and holding the
    person's and the space's locks meanwhile made every racer for a popular slot wait for it.
    The holder is notified (with the .ics invite) unless `notice` is False: a caller that books
    for someone (book_for, the waitlist) writes its own notice."""
    try:
        return _book_locked(session, user=user, space_id=space_id, start=start, end=end, title=title, now=now,
                            notice=notice)
    except _Taken as taken:
        tz = zone()
        space = get_space(session, space_id)
        suggestions = suggestions_for(session, user=user, space=space, start=start, end=end, now=now, tz=tz)
        raise Conflict(taken.why + (gettext(" Here are the nearest free times.") if suggestions else ""),
                       conflicts=taken.conflicts, suggestions=_suggestions_json(suggestions, tz)) from None


# ---------------------------------------------------------------------------- cancel, approve, reject


def _locked_booking(session: Session, booking_id, viewer: User) -> tuple[Booking, Space]:
    """The booking (NotFound unless the viewer may see it), re-read under its space's lock."""
    booking = get_booking(session, booking_id, viewer=viewer)
    space = lock_resource(session, Space, booking.space_id)
    booking = session.get(Booking, booking.id, populate_existing=True)
    return booking, space


def shorten(booking: Booking, new_end: datetime, *, now: datetime, reason: str) -> bool:
    """End a booking under way at `new_end`: the used part [start, new_end) stays booked (status
    unchanged, billed as booked time), the rest and its buffer are free at once. False when
    there is nothing to free (it ends at `new_end` or earlier anyway)."""
    if new_end >= booking.end_at:
        return False
    buffer = booking.hold_end_at - booking.end_at
    booking.booked_end_at = booking.booked_end_at or booking.end_at
    booking.end_at = new_end
    booking.hold_end_at = new_end + buffer
    booking.ended_early_at = now
    booking.end_reason = reason[:300]
    bump(booking)
    return True


def is_late(space: Space, booking: Booking, now: datetime) -> bool:
    """Whether cancelling now is inside the space's late-cancellation window (off when
    late_cancel_hours is 0); pages warn with it before the holder confirms."""
    hours = space.late_cancel_hours or 0
    return hours > 0 and booking.start_at - now < timedelta(hours=hours)


def ends_early_at(booking: Booking, now: datetime) -> datetime | None:
    """Where cancelling now would end this booking if it is under way (None: not begun, so it
    would be cancelled whole; or already over)."""
    return end_early_at(booking.start_at, booking.end_at, now, booking.space.slot_minutes, zone())


@transaction
def cancel(session: Session, booking_id: int, *, actor: User, now: datetime, reason: str | None = None,
           notice: bool = True) -> Booking:
    """Cancel a booking that has not begun (whole; inside the space's late-cancellation window a
    holder's cancellation is recorded as late, with the fee). A booking that has begun is ended
    early instead: its end moves to the first grid point at or after now, the used part stays
    booked and billed, the rest is free at once. The holder is notified of a cancellation (the
    email withdraws the event from their calendar) unless `notice` is False (a series cancel
    writes one notice for all of it)."""
    booking = get_booking(session, booking_id, viewer=actor)
    if booking.user_id != actor.id and actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only the holder or a manager can cancel this booking."))
    booking, space = _locked_booking(session, booking_id, actor)
    tz = zone()
    if booking.status == "cancelled":
        raise Conflict(gettext("This booking is already cancelled."))
    if booking.end_at <= now:
        raise Conflict(gettext("This booking has already ended; it stays in the records."))
    reason = (reason or "").strip()[:300] or None
    by_holder = actor.id == booking.user_id
    new_end = end_early_at(booking.start_at, booking.end_at, now, space.slot_minutes, tz)
    if new_end is not None:
        ended = shorten(booking, new_end, now=now,
                        reason=reason or ("Ended early by the holder" if by_holder else "Ended early by a manager"))
        if ended and not by_holder and notice:
            notify(session, user_id=booking.user_id, kind="booking_ended_early",
                   subject=_("Your booking of %(space)s was ended early", space=space.name),
                   body=(_("A manager ended your booking of %(space)s at %(end)s (%(kept)s stays booked): "
                           "%(reason)s", reason=reason, **_ended(booking, space, tz)) if reason else
                         _("A manager ended your booking of %(space)s at %(end)s (%(kept)s stays booked).",
                           **_ended(booking, space, tz))),
                   now=now, link="/bookings", dedupe_key=f"booking-ended-early-{booking.id}",
                   booking_id=booking.id)
        if ended and not by_holder:
            record(session, actor_id=actor.id, action="booking.end_early", target_type="booking",
                   target_id=booking.id, now=now, reason=reason, end=booking.end_at.isoformat())
        return booking
    booking.status = "cancelled"
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id
    booking.cancel_reason = reason or ("Cancelled by the holder" if by_holder else "Cancelled by a manager")
    bump(booking)
    if by_holder and is_late(space, booking, now):
        booking.late_cancel = True
        booking.late_cancel_fee = space.late_cancel_fee or Decimal("0")
    if notice:
        cancelled_notice(session, [booking], by_holder=by_holder, reason=reason, now=now, tz=tz)
    if not by_holder:
        record(session, actor_id=actor.id, action="booking.cancel", target_type="booking", target_id=booking.id,
               now=now, reason=reason)
    return booking


def cancelled_notice(session: Session, rows: list[Booking], *, by_holder: bool, reason: str | None, now: datetime,
                     tz: ZoneInfo) -> None:
    """The holder's notice of bookings cancelled (one for several occurrences of a series); its
    email carries the METHOD:CANCEL invite."""
    first = rows[0]
    space = first.space
    when = span(first.start_at, first.end_at, tz)
    if len(rows) > 1:
        subject = _("Your bookings of %(space)s were cancelled", space=space.name)
        what = _("your booking of %(space)s on %(when)s and %(num)s more date(s) of the series", space=space.name,
                 when=when, num=len(rows) - 1)
    else:
        subject = _("Your booking of %(space)s was cancelled", space=space.name)
        what = _("your booking of %(space)s on %(when)s", space=space.name, when=when)
    if by_holder:
        body = _("You cancelled %(what)s.", what=what)
    elif reason:
        body = _("A manager cancelled %(what)s: %(reason)s", what=what, reason=reason)
    else:
        body = _("A manager cancelled %(what)s.", what=what)
    notify(session, user_id=first.user_id, kind="booking_cancelled", subject=subject, body=body,
           now=now, link="/bookings", booking_id=first.id,
           dedupe_key=None if by_holder or len(rows) > 1 else f"booking-cancelled-{first.id}")


def _decide(session: Session, booking_id: int, *, actor: User, now: datetime, approve_it: bool,
            reason: str | None) -> Booking:
    if actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only managers decide on bookings."))
    booking, space = _locked_booking(session, booking_id, actor)
    tz = zone()
    if booking.status != "pending":
        raise Conflict((gettext("Only a pending booking can be approved; this one is %(status)s.", status=gettext(booking.status)) if approve_it else gettext("Only a pending booking can be rejected; this one is %(status)s.", status=gettext(booking.status))))
    reason = (reason or "").strip()[:300] or None
    booking.decided_at = now
    booking.decided_by_id = actor.id
    bump(booking)
    when = span(booking.start_at, booking.end_at, tz)
    if approve_it:
        booking.status = "confirmed"
        notify(session, user_id=booking.user_id, kind="booking_approved",
               subject=_("Your booking of %(space)s is confirmed", space=space.name),
               body=_("Your booking of %(space)s on %(when)s was approved.", space=space.name, when=when),
               now=now, link="/bookings",
               dedupe_key=f"booking-approved-{booking.id}", booking_id=booking.id)
    else:
        booking.status = "cancelled"
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
        booking.cancel_reason = fit(f"Rejected: {reason}", 300) if reason else "Rejected"
        notify(session, user_id=booking.user_id, kind="booking_rejected",
               subject=_("Your booking of %(space)s was not approved", space=space.name),
               body=(_("Your request for %(space)s on %(when)s was not approved: %(reason)s", space=space.name,
                       when=when, reason=reason) if reason else
                     _("Your request for %(space)s on %(when)s was not approved.", space=space.name, when=when)),
               now=now, link="/bookings", dedupe_key=f"booking-rejected-{booking.id}", booking_id=booking.id)
    record(session, actor_id=actor.id, action="booking.approve" if approve_it else "booking.reject",
           target_type="booking", target_id=booking.id, now=now, reason=reason)
    return booking


@transaction
def approve(session: Session, booking_id: int, *, actor: User, now: datetime) -> Booking:
    return _decide(session, booking_id, actor=actor, now=now, approve_it=True, reason=None)


@transaction
def reject(session: Session, booking_id: int, *, actor: User, now: datetime, reason: str | None = None) -> Booking:
    return _decide(session, booking_id, actor=actor, now=now, approve_it=False, reason=reason)


# ---------------------------------------------------------------------------- blackouts' side


@transaction
def cancel_for_blackout(session: Session, space: Space, bookings: list[Booking], *, reason: str, actor: User,
                        now: datetime, cut_at: dict[int, datetime] | None = None) -> list[Booking]:
    """Free what a blackout covers and notify the holders (the blackout services call this inside
    their transaction, under the space's lock). `cut_at` maps a booking to where the blackout
    starts on it: a booking already under way keeps the part before that (or, when the blackout
    began earlier, up to the first grid point at or after now) and stays booked; any other is
    cancelled whole."""
    tz = zone()
    cut_at = cut_at or {}
    for booking in bookings:
        cut = cut_at.get(booking.id)
        if cut is not None and booking.start_at < now:
            new_end = cut if cut > now else end_early_at(booking.start_at, booking.end_at, now, space.slot_minutes, tz)
            if new_end is not None and shorten(booking, new_end, now=now,
                                               reason=f"Blackout: {reason}" if reason else "Blackout"):
                notify(session, user_id=booking.user_id, kind="booking_ended_early", booking_id=booking.id,
                       subject=_("Your booking of %(space)s ends early", space=space.name),
                       body=(_("Your booking of %(space)s now ends at %(end)s (%(kept)s stays booked) because the "
                               "space is unavailable after that: %(reason)s. We are sorry for the trouble.",
                               reason=reason, **_ended(booking, space, tz)) if reason else
                             _("Your booking of %(space)s now ends at %(end)s (%(kept)s stays booked) because the "
                               "space is unavailable after that. We are sorry for the trouble.",
                               **_ended(booking, space, tz))),
                       now=now, link="/bookings", dedupe_key=f"booking-ended-early-{booking.id}")
            continue
        booking.status = "cancelled"
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
        booking.cancel_reason = fit(f"Blackout: {reason}", 300) if reason else "Blackout"
        bump(booking)
        notify(session, user_id=booking.user_id, kind="booking_cancelled", booking_id=booking.id,
               subject=_("Your booking of %(space)s was cancelled", space=space.name),
               body=(_("Your booking of %(space)s on %(when)s was cancelled because the space is unavailable then: "
                       "%(reason)s. We are sorry for the trouble; please book another time.", space=space.name,
                       when=span(booking.start_at, booking.end_at, tz), reason=reason) if reason else
                     _("Your booking of %(space)s on %(when)s was cancelled because the space is unavailable then. "
                       "We are sorry for the trouble; please book another time.", space=space.name,
                       when=span(booking.start_at, booking.end_at, tz))),
               now=now, link="/bookings", dedupe_key=f"booking-cancelled-{booking.id}")
    return bookings
