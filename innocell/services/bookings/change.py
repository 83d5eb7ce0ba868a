"""Change a booking (its time, length, space or title) and book on behalf of a resident: each
one guarded transaction through the same check as a new booking (check.evaluate, the pure
core's judge), never a rule of its own.

A change locks as a new booking does: the holder's users row first, then the spaces (the old
and the new one, in ascending id order, so two changes that swap spaces never wait on each
other in a cycle). Under those locks it *releases the booking's own hold inside the
transaction* (the row is flushed as cancelled, which every read of the check skips), judges the
new time with exactly the checks of a new booking (so the booking never conflicts with itself,
and its own hours are not counted twice against the quota), and then either writes the new
time on the same row (same id) or raises the same Conflict/RuleViolation as a new booking; the
raise rolls the whole transaction back, so a refused change leaves the row exactly as it was
and no other writer ever saw the old slot free.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Booking, Space, User
from ...timeutil import iso_local
from .. import Conflict, Forbidden, NotFound, RuleViolation
from ..audit import record
from ..guard import lock_person, lock_resource
from ..notifications import notify
from ..roles import BOOKER_ROLES, MANAGER_ROLES
from ..settings import zone
from ..standing import require_good_standing
from ..tx import transaction
from .check import evaluate, suggestions_for
from .common import clean_title, validate_times
from .conflicts import explained
from .queries import get_booking
from .series import book_recurring, book_series
from ..wording import _, span
from .write import _insert, _suggestions_json, book, bump
from ..phrasing import gettext

_KEEP = object()
_MAX_ID = 2**31 - 1  # PostgreSQL `integer`: a larger id names no row (and must not reach the query)


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_ID


def _snapshot(booking: Booking, tz) -> dict:
    return {"space_id": booking.space_id, "start": iso_local(booking.start_at, tz),
            "end": iso_local(booking.end_at, tz), "title": booking.title or "", "status": booking.status}


def _new_interval(booking: Booking, start, end) -> tuple[datetime, datetime]:
    """The asked interval: a new start alone moves the booking (its length kept), a new end
    alone changes its length, both set both."""
    if start is None and end is None:
        return booking.start_at, booking.end_at
    if end is None:
        return start, start + (booking.end_at - booking.start_at)
    if start is None:
        return booking.start_at, end
    return start, end


def _lock(session: Session, holder_id: int, space_ids: set[int], new_space_id: int) -> Space:
    """The holder's row, then every space in ascending id order; the new space (NotFound when
    there is none, as for a new booking)."""
    lock_person(session, holder_id)
    locked = {sid: lock_resource(session, Space, sid) for sid in sorted(space_ids)}
    if locked[new_space_id] is None:
        raise NotFound(gettext("There is no space %(new_space_id)s.", new_space_id=new_space_id))
    return locked[new_space_id]


@transaction
def change(session: Session, booking_id, *, actor: User, now: datetime, start: datetime | None = None,
           end: datetime | None = None, space_id=None, title=_KEEP) -> Booking:
    """Move, resize, re-space or retitle a booking that has not begun. Owner or manager only
    (another resident's booking is not found). The booking's rules are its holder's (quota,
    authorisation, simultaneous bookings), whoever asks. Moving into a space that needs
    approval makes it pending again, as a new booking would be. Refused with the same
    Conflict (conflicts, suggestions) or RuleViolation (violations) as a new booking, and then
    nothing changed."""
    booking = get_booking(session, booking_id, viewer=actor)
    if booking.user_id != actor.id and actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only the holder or a manager can change this booking."))
    if start is not None or end is not None:
        new_start, new_end = _new_interval(booking, start, end)
        validate_times(new_start, new_end)
    new_title = booking.title if title is _KEEP or title is None else clean_title(title)
    new_space_id = booking.space_id if space_id is None else space_id
    if not _is_id(new_space_id):
        raise NotFound(gettext("There is no such space."))
    holder = session.get(User, booking.user_id)
    space = _lock(session, holder.id, {booking.space_id, new_space_id}, new_space_id)
    booking = session.get(Booking, booking.id, populate_existing=True)
    tz = zone()
    if booking.status == "cancelled":
        raise Conflict(gettext("This booking is cancelled; book a new time instead."))
    if booking.start_at <= now:
        raise Conflict(gettext("This booking has already begun, so it cannot be changed; you can end it early instead."))
    new_start, new_end = _new_interval(booking, start, end)
    before = _snapshot(booking, tz)
    moved = (new_start, new_end, space.id) != (booking.start_at, booking.end_at, booking.space_id)
    if moved:
        if holder.role not in BOOKER_ROLES:
            raise Forbidden(gettext("This booking's holder can no longer make bookings."))
        require_good_standing(holder, "book")
        _move(session, booking, holder, space, new_start, new_end, now, tz)
    booking.title = new_title
    after = _snapshot(booking, tz)
    if after == before:
        return booking
    bump(booking)
    record(session, actor_id=actor.id, action="booking.change", target_type="booking", target_id=booking.id,
           now=now, before=before, after=after)
    changed_notice(session, [booking], by_holder=actor.id == booking.user_id, now=now, tz=tz)
    return booking


def changed_notice(session: Session, rows: list[Booking], *, by_holder: bool, now: datetime, tz) -> None:
    """The holder's notice of a change (one for several occurrences of a series); its email
    carries the updated .ics invite (a higher SEQUENCE, the same UID)."""
    first = rows[0]
    when = span(first.start_at, first.end_at, tz)
    state = (_("%(space)s on %(when)s (waiting for approval)", space=first.space.name, when=when)
             if first.status == "pending" else _("%(space)s on %(when)s", space=first.space.name, when=when))
    if len(rows) == 1:
        subject = _("Your booking of %(space)s was changed", space=first.space.name)
        body = (_("You changed your booking: it is now %(state)s.", state=state) if by_holder
                else _("A manager changed your booking: it is now %(state)s.", state=state))
    else:
        subject = _("Your bookings of %(space)s were changed", space=first.space.name)
        body = (_("You changed your %(num)s bookings of your series: the first is now %(state)s.", num=len(rows),
                  state=state) if by_holder else
                _("A manager changed your %(num)s bookings of your series: the first is now %(state)s.",
                  num=len(rows), state=state))
    notify(session, user_id=first.user_id, kind="booking_changed", subject=subject, body=body,
           now=now, link=f"/bookings/{first.id}", booking_id=first.id)


def _booked_for_you(actor: User, first: Booking, count: int, tz):
    when = span(first.start_at, first.end_at, tz)
    if count > 1:
        when = _("%(when)s and %(num)s more date(s)", when=when, num=count - 1)
    values = {"actor": actor.name, "space": first.space.name, "when": when}
    if first.status == "pending":
        return _("%(actor)s booked %(space)s for you on %(when)s (waiting for approval).", **values)
    return _("%(actor)s booked %(space)s for you on %(when)s.", **values)


def _move(session: Session, booking: Booking, holder: User, space: Space, start: datetime, end: datetime,
          now: datetime, tz) -> None:
    """Release the booking's own hold inside the transaction, judge the new time as a new
    booking, then write it on the same row (or raise, and the rollback restores the hold)."""
    booking.status = "cancelled"
    session.flush()
    violations, found = evaluate(session, holder, space, start, end, now, tz)
    if violations:
        raise RuleViolation(gettext("This change breaks the rules of %(name)s: %(problems)s The booking is unchanged.",
                                    name=space.name, problems=" ".join(v["message"] for v in violations)),
                            violations=violations)
    if found:
        suggestions = suggestions_for(session, user=holder, space=space, start=start, end=end, now=now, tz=tz)
        why, conflicts = explained(session, space, start, end, found, tz)
        raise Conflict(why + gettext(" The booking is unchanged.")
                       + (gettext(" Here are the nearest free times.") if suggestions else ""),
                       conflicts=conflicts, suggestions=_suggestions_json(suggestions, tz))
    place(booking, space, start, end)
    _insert(session, [booking])


def place(booking: Booking, space: Space, start: datetime, end: datetime) -> None:
    """Write a granted new time and space on the booking's own row (not flushed): its hold,
    whether the backstop covers it, and pending again where the space asks for approval."""
    booking.space_id = space.id
    booking.space = space
    booking.start_at, booking.end_at = start, end
    booking.hold_end_at = end + timedelta(minutes=space.buffer_minutes)
    booking.exclusive = space.capacity == 1
    booking.status = "pending" if space.requires_approval else "confirmed"
    if booking.status == "pending":
        booking.decided_at = booking.decided_by_id = None
    booking.reminder_sent_at = None


# ---------------------------------------------------------------------------- on behalf


def residents_to_book_for(session: Session, limit: int = 1000) -> list[User]:
    """The active residents a manager may book for, by name (the booking form's picker)."""
    return list(session.execute(select(User).where(User.role == "resident", User.active.is_(True))
                                .order_by(User.name, User.id).limit(limit)).scalars())


def resident_to_book_for(session: Session, user_id) -> User:
    """The active resident a manager books for; a RuleViolation naming `for_user_id` otherwise."""
    person = session.get(User, user_id) if _is_id(user_id) else None
    if person is None or not person.active or person.role != "resident":
        raise RuleViolation(gettext("'for_user_id' must be the id of an active resident."),
                            violations=[{"rule": "for_user_id", "field": "for_user_id",
                                         "message": gettext("'for_user_id' must be the id of an active resident.")}])
    return person


@transaction
def book_for(session: Session, *, actor: User, for_user_id, space_id: int, start: datetime, end: datetime,
             title: str = "", now: datetime, repeat_weeks: int | None = None, rule=None,
             on_conflict: str = "fail"):
    """A manager books for a resident: the booking is the resident's (their quota, training and
    simultaneous limit), and records who booked it. The same checks and locks as their own
    booking (book / book_recurring / book_series, joined into this transaction). Answers the
    bookings made, or with a `rule` the series result (its bookings, id and skipped dates)."""
    if actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only managers can book on behalf of someone else."))
    holder = resident_to_book_for(session, for_user_id)
    result = None
    if rule is not None:
        result = book_series(session, user=holder, space_id=space_id, start=start, end=end, title=title,
                             rule=rule, on_conflict=on_conflict, now=now, notice=False)
        rows = list(result.bookings)
    elif repeat_weeks is not None:
        rows = list(book_recurring(session, user=holder, space_id=space_id, start=start, end=end, title=title,
                                   repeat_weeks=repeat_weeks, now=now, notice=False))
    else:
        rows = [book(session, user=holder, space_id=space_id, start=start, end=end, title=title, now=now,
                     notice=False)]
    if not rows:
        return result
    for row in rows:
        row.booked_by_id = actor.id
    session.flush()
    tz = zone()
    first = rows[0]
    notify(session, user_id=holder.id, kind="booking_made_for_you",
           subject=_("%(actor)s booked %(space)s for you", actor=actor.name, space=first.space.name),
           body=_booked_for_you(actor, first, len(rows), tz),
           now=now, link=f"/bookings/{first.id}", booking_id=first.id)
    record(session, actor_id=actor.id, action="booking.book_for", target_type="booking", target_id=first.id,
           now=now, for_user_id=holder.id, bookings=[r.id for r in rows])
    return result if result is not None else rows
