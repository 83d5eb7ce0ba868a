"""The booking check: read what the pure core needs (the space's claims, the person's quota
use, whether they may use the space), let the core judge, and find the nearest alternatives.
It writes nothing; the guarded write (write.py) runs the same evaluation under the lock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, join, outerjoin, select
from sqlalchemy.orm import Session

from ...allocation.rules import (
    LENGTH_RULES,
    SpaceState,
    UserContext,
    conflicts as core_conflicts,
    rule_violations,
    week_minutes,
    week_start_of,
)
from ...allocation.suggestions import suggest
from ...models import Booking, Space, SpaceKind, User
from ..authorisations import usable_spaces
from ..guard import key_of
from ..phrasing import current
from .. import space_kinds
from ..settings import setting, zone
from ..spaces import get_space
from .common import scan_bound, validate_times
from .reads import space_state, space_states

SUGGESTION_SEARCH = timedelta(days=7)


@dataclass
class CheckResult:
    violations: list[dict] = field(default_factory=list)
    conflicts: list[tuple[datetime, datetime]] = field(default_factory=list)
    suggestions: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations and not self.conflicts


# ---------------------------------------------------------------------------- the person's side


def _own_filter(user_id: int, kind: str, start: datetime, end: datetime, tz: ZoneInfo):
    """The user's live bookings of spaces of `kind` over the local ISO weeks [start, end) touches
    (which covers every booking overlapping [start, end) itself)."""
    week_from = week_start_of(start, tz)
    week_to = week_start_of(end, tz) + timedelta(days=8)
    return and_(Booking.user_id == user_id, Space.kind == kind, Booking.status != "cancelled",
                Booking.start_at >= week_from - scan_bound(), Booking.start_at < week_to, Booking.end_at > week_from)


def _own_bookings(session: Session, user: User, kind: str, start: datetime, end: datetime,
                  tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The user's live bookings of the kind over the weeks [start, end) touches, as pairs."""
    rows = session.execute(select(Booking.start_at, Booking.end_at).join(Space, Space.id == Booking.space_id)
                           .where(_own_filter(key_of(user), kind, start, end, tz))).all()
    return [(s, e) for s, e in rows]


def _limits_and_own(session: Session, user: User, kind: str, start: datetime, end: datetime,
                    tz: ZoneInfo) -> tuple[Decimal, int, list[tuple[datetime, datetime]]]:
    """(quota hours, simultaneous limit, own bookings) in ONE round trip: the kind's row left
    joined to the person's bookings of that kind. A kind with no row (a space kept from before
    the managed list) takes the configured defaults and a second read."""
    own = join(Booking.__table__, Space.__table__, Space.id == Booking.space_id)
    rows = session.execute(
        select(SpaceKind.quota_hours, SpaceKind.simultaneous, Booking.start_at, Booking.end_at)
        .select_from(outerjoin(SpaceKind.__table__, own,
                               and_(Space.kind == SpaceKind.key, _own_filter(key_of(user), kind, start, end, tz))))
        .where(SpaceKind.key == kind)).all()
    if not rows:
        return (space_kinds.default_quota_hours(kind), space_kinds.default_simultaneous(kind),
                _own_bookings(session, user, kind, start, end, tz))
    quota, simultaneous = rows[0][0], rows[0][1]
    return Decimal(quota), int(simultaneous), [(s, e) for _, _, s, e in rows if s is not None]


def person_context(session: Session, user: User, kind: str, start: datetime, end: datetime, tz: ZoneInfo,
                   extra: list[tuple[datetime, datetime]] = ()) -> dict:
    """The person's limits in spaces of `kind` (from the kind's row) and what they already hold
    there, as UserContext fields. `extra` are intervals of the same request not yet written (the
    earlier occurrences of a series): they count against the quota and the simultaneous limit.
    Staff have neither limit."""
    if user.role != "resident":
        return {}
    quota_hours, simultaneous, own = _limits_and_own(session, user, kind, start, end, tz)
    own = own + list(extra)
    return {"quota_minutes": int(round(float(quota_hours) * 60)), "used_minutes": week_minutes(own, tz),
            "simultaneous_limit": simultaneous, "own_bookings": own}


def _contexts(session: Session, user: User, spaces: list[Space], start: datetime, end: datetime, now: datetime,
              tz: ZoneInfo, extra: list[tuple[datetime, datetime]] = ()) -> dict[int, UserContext]:
    """The person's rule context per space (all of one kind): one set of limits, and per space
    whether the person may book it."""
    person = person_context(session, user, spaces[0].kind, start, end, tz, extra)
    usable = usable_spaces(session, user, spaces, now)
    return {s.id: UserContext(authorised=s.id in usable, **person) for s in spaces}


# ---------------------------------------------------------------------------- the check


def evaluate(session: Session, user: User, space: Space, start: datetime, end: datetime, now: datetime,
             tz: ZoneInfo, extra: list[tuple[datetime, datetime]] = ()) -> tuple[list[dict], list[tuple]]:
    """(every rule violation, every conflicting interval) for this person, space and time.
    `extra` are intervals of the same request already accepted (the earlier weeks of a series)."""
    state = space_state(session, space, start, end, tz)
    ctx = _contexts(session, user, [space], start, end, now, tz, extra)[space.id]
    return judge(state, ctx, start, end, now, tz)


def judge(state: SpaceState, ctx: UserContext, start: datetime, end: datetime, now: datetime,
          tz: ZoneInfo) -> tuple[list[dict], list[tuple]]:
    """The pure core's verdict on one request, once the space's state and the person's context
    are read: every rule a booking must pass lives here, so the week calendar (week.py), which
    judges each cell with this function, offers exactly what the booking will accept."""
    violations = rule_violations(state.spec, start, end, now, tz, user=ctx, holidays=state.holidays,
                                 phrasing=current())
    return violations, core_conflicts(state.spec, start, end, state.holds, state.blackouts)


def user_context(session: Session, user: User, space: Space, start: datetime, end: datetime, now: datetime,
                 tz: ZoneInfo) -> UserContext:
    """The person's rule context for any request on `space` inside [start, end) (the week view
    judges every cell with it)."""
    return _contexts(session, user, [space], start, end, now, tz)[space.id]


def suggestions_for(session: Session, *, user: User, space: Space, start: datetime, end: datetime, now: datetime,
                    tz: ZoneInfo | None = None, limit: int | None = None) -> list[dict]:
    """Nearest alternatives of the same length (this space and other active spaces of its kind),
    each one this person could book: the same rules as the check, authorisation included."""
    tz = tz or zone()
    limit = int(setting("SUGGESTION_COUNT")) if limit is None else limit
    spaces = [space] + list(session.execute(
        select(Space).where(Space.kind == space.kind, Space.active.is_(True), Space.id != space.id)
        .order_by(Space.id)).scalars())
    lo, hi = start - SUGGESTION_SEARCH, end + SUGGESTION_SEARCH
    states = space_states(session, spaces, lo, hi, tz)
    users = _contexts(session, user, spaces, lo, hi, now, tz)
    by_id = {s.id: s for s in spaces}
    found = suggest(states, space.id, start, end, now, tz, users=users, limit=limit, search=SUGGESTION_SEARCH)
    return [{"space_id": s.space_id, "space_code": by_id[s.space_id].code, "space_name": by_id[s.space_id].name,
             "start": s.start, "end": s.end} for s in found]


def check(session: Session, *, user: User, space_id: int, start: datetime, end: datetime,
          now: datetime) -> CheckResult:
    """Every violation, the conflicts and (when another time could do) suggestions. Writes nothing."""
    validate_times(start, end)
    tz = zone()
    space = get_space(session, space_id)
    violations, found = evaluate(session, user, space, start, end, now, tz)
    result = CheckResult(violations=violations, conflicts=found)
    if (found or violations) and not any(v["rule"] in LENGTH_RULES for v in violations):
        result.suggestions = suggestions_for(session, user=user, space=space, start=start, end=end, now=now, tz=tz)
    return result
