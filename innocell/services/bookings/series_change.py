"""Change a series of bookings: this and every later occurrence, or the whole series (one
occurrence alone is change.py's `change`).

The change is asked as a change of one occurrence (the anchor): its new start, end, space and
title. Every selected occurrence that has not begun moves by the same shift of its local start
(wall-clock time, so a daylight-saving change never moves an occurrence off its hour) and takes
the same new length, space and title. Occurrences that have begun or ended, or are cancelled,
stay exactly as they are.

One guarded transaction, all or nothing, locked as a single change is (the holder's users row,
then every space involved in ascending id order): every selected occurrence's own hold is
released inside the transaction, each new time is judged with the checks of a new booking (the
occurrences granted before it count against the quota and simultaneous limit, as when a series
is booked), and any problem raises the refusal of a series booked with on_conflict=fail, naming
each occurrence; the raise rolls everything back, so nothing changed.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ...models import Booking, Space, User
from .. import BadRequest, Conflict, Forbidden, NotFound
from ..audit import record
from ..guard import lock_person, lock_resource
from ..roles import BOOKER_ROLES, MANAGER_ROLES
from ..settings import zone
from ..standing import require_good_standing
from ..tx import transaction
from .change import _KEEP, _is_id, _new_interval, _snapshot, change, changed_notice, place
from .check import evaluate
from .common import clean_title, validate_times
from .queries import get_booking
from .series import Occurrence, _refuse, scope_members
from .write import _insert, bump
from ..phrasing import gettext


def shifted(instant: datetime, shift, tz: ZoneInfo) -> datetime:
    """`instant` moved by `shift` of local wall-clock time."""
    local = instant.astimezone(tz).replace(tzinfo=None) + shift
    return local.replace(tzinfo=tz).astimezone(instant.tzinfo)


def plan(anchor: Booking, members: list[Booking], start, end, tz: ZoneInfo) -> dict[int, tuple[datetime, datetime]]:
    """Each member's new (start, end): the anchor's change of start (local time) and its new
    length, applied to every member."""
    new_start, new_end = _new_interval(anchor, start, end)
    validate_times(new_start, new_end)
    shift = new_start.astimezone(tz).replace(tzinfo=None) - anchor.start_at.astimezone(tz).replace(tzinfo=None)
    length = new_end - new_start
    intervals = {}
    for member in members:
        s = shifted(member.start_at, shift, tz)
        validate_times(s, s + length)
        intervals[member.id] = (s, s + length)
    return intervals


def _members(session: Session, anchor: Booking, scope: str, now: datetime) -> list[Booking]:
    """The live occurrences of `scope` that have not begun, oldest first."""
    return [m for m in scope_members(session, anchor, scope, now) if m.start_at > now]


def _locked(session: Session, holder_id: int, space_ids: set[int], new_space_id: int) -> Space:
    lock_person(session, holder_id)
    locked = {sid: lock_resource(session, Space, sid) for sid in sorted(space_ids | {new_space_id})}
    if locked[new_space_id] is None:
        raise NotFound(gettext("There is no space %(new_space_id)s.", new_space_id=new_space_id))
    return locked[new_space_id]


@transaction
def change_series(session: Session, booking_id, *, actor: User, scope: str, now: datetime,
                  start: datetime | None = None, end: datetime | None = None, space_id=None,
                  title=_KEEP) -> list[Booking]:
    """Apply a change of occurrence `booking_id` to every occurrence of `scope` ("following":
    it and every later one; "series": all of them) that has not begun. Answers the changed
    bookings, oldest first (a booking outside any series: `change` of it alone). Refused like a series booked all or nothing, and then nothing
    changed. Owner or manager only; the holder's rules apply, whoever asks."""
    anchor = get_booking(session, booking_id, viewer=actor)
    if anchor.user_id != actor.id and actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only the holder or a manager can change this booking."))
    if scope not in ("following", "series"):
        raise BadRequest(gettext("'scope' must be one of one, following, series."))
    if not anchor.series_id:  # a booking on its own is its whole series (as a scoped cancel treats it)
        return [change(session, anchor.id, actor=actor, now=now, start=start, end=end, space_id=space_id,
                       title=title)]
    tz = zone()
    new_space_id = anchor.space_id if space_id is None else space_id
    if not _is_id(new_space_id):
        raise NotFound(gettext("There is no such space."))
    members = _members(session, anchor, scope, now)
    holder = session.get(User, anchor.user_id)
    space = _locked(session, holder.id, {m.space_id for m in members}, new_space_id)
    anchor = session.get(Booking, anchor.id, populate_existing=True)
    fresh = _members(session, anchor, scope, now)
    if {m.space_id for m in fresh} - {m.space_id for m in members} - {new_space_id}:
        raise Conflict(gettext("This series changed while the change was being made; please try again."))
    members = [session.get(Booking, m.id, populate_existing=True) for m in fresh]
    if not members:
        raise Conflict(gettext("Nothing left to change in this series: every occurrence has begun, ended or is cancelled."))
    intervals = plan(anchor, members, start, end, tz)
    new_title = None if title is _KEEP or title is None else clean_title(title)
    before = {m.id: _snapshot(m, tz) for m in members}
    moving = [m for m in members if (*intervals[m.id], space.id) != (m.start_at, m.end_at, m.space_id)]
    if moving:
        if holder.role not in BOOKER_ROLES:
            raise Forbidden(gettext("This booking's holder can no longer make bookings."))
        require_good_standing(holder, "book")
        _move_all(session, holder, space, moving, intervals, now, tz)
    changed = []
    for member in members:
        if new_title is not None:
            member.title = new_title
        after = _snapshot(member, tz)
        if after != before[member.id]:
            changed.append(member)
            record(session, actor_id=actor.id, action="booking.change", target_type="booking",
                   target_id=member.id, now=now, before=before[member.id], after=after, scope=scope)
    for member in changed:
        bump(member)
    if changed:  # one notice for all of them, as for a series booked
        changed_notice(session, changed, by_holder=actor.id == holder.id, now=now, tz=tz)
    return changed


def _move_all(session: Session, holder: User, space: Space, moving: list[Booking],
              intervals: dict[int, tuple[datetime, datetime]], now: datetime, tz: ZoneInfo) -> None:
    """Release every moving occurrence's own hold, judge each new time as a new booking (the
    ones granted before it held by the same person), and refuse all of it if any fails."""
    for member in moving:
        member.status = "cancelled"
    session.flush()
    judged, granted = [], []
    for member in moving:
        s, e = intervals[member.id]
        violations, found = evaluate(session, holder, space, s, e, now, tz, extra=granted)
        judged.append(Occurrence(s, e, violations, found))
        if not violations and not found:
            granted.append((s, e))
    if len(granted) != len(judged):
        _refuse(session, holder, space, judged, now, tz, "occurrences", "nothing was changed")
    for member in moving:
        place(member, space, *intervals[member.id])
    _insert(session, moving)
