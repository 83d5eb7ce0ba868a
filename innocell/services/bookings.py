"""Booking use cases: the guarded write around the pure allocation core.

Every write locks the space first (`guard.lock_resource`: BEGIN IMMEDIATE on SQLite,
SELECT ... FOR UPDATE on PostgreSQL), then reads the claims that overlap the window, checks
with the pure core, inserts and commits; racing writers for one space serialise there. On
PostgreSQL the exclusion constraint `ex_bookings_no_overlap` backs up capacity-one spaces;
its SQLSTATE 23P01 is answered as a conflict.

Reads are bounded: a hold is never longer than BOOKING_MAX_SCAN_HOURS (enforced on the
space's max_minutes + buffer_minutes), so the overlap query filters
`start_at >= window_start - BOOKING_MAX_SCAN_HOURS` on the (space_id, start_at) index and
its cost does not grow with the history of the park.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..allocation.availability import availability as core_availability
from ..allocation.hours import WEEKDAYS, WeeklyWindow, open_windows, parse_hhmm, public_holidays, weekly_windows
from ..allocation.intervals import merge
from ..allocation.rules import (
    LENGTH_RULES,
    SpaceSpec,
    SpaceState,
    UserContext,
    conflicts as core_conflicts,
    rule_violations,
    week_minutes,
    week_start_of,
)
from ..allocation.suggestions import suggest
from ..models import Blackout, Booking, RecurringBlackout, Space, User
from . import BadRequest, Conflict, Forbidden, NotFound, RuleViolation
from .audit import record
from .guard import is_overlap_violation, lock_resource
from .notifications import notify
from .spaces import cancel_for_blackout, end_read, get_space, is_authorised, setting, zone

UTC = timezone.utc
STAFF_ROLES = ("manager", "admin", "finance")
MANAGER_ROLES = ("manager", "admin")
BOOKER_ROLES = ("resident", "manager", "admin")
SUGGESTION_SEARCH = timedelta(days=7)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def fmt_span(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    s, e = start.astimezone(tz), end.astimezone(tz)
    if s.date() == e.date():
        return f"{s.strftime('%a %d %b %Y %H:%M')}-{e.strftime('%H:%M')}"
    return f"{s.strftime('%a %d %b %Y %H:%M')} to {e.strftime('%a %d %b %Y %H:%M')}"


def iso(dt: datetime, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).isoformat(timespec="seconds")


def booking_json(booking: Booking, tz: ZoneInfo) -> dict:
    return {
        "id": booking.id,
        "space_id": booking.space_id,
        "user_id": booking.user_id,
        "start": iso(booking.start_at, tz),
        "end": iso(booking.end_at, tz),
        "status": booking.status,
        "title": booking.title or "",
        # Beyond the contract (extensions):
        "series_id": booking.series_id,
        "cancelled_at": iso(booking.cancelled_at, tz) if booking.cancelled_at else None,
        "cancel_reason": booking.cancel_reason,
    }


def _scan() -> timedelta:
    return timedelta(hours=int(setting("BOOKING_MAX_SCAN_HOURS")))


def spec_of(space: Space) -> SpaceSpec:
    return SpaceSpec(
        id=space.id, code=space.code, name=space.name, kind=space.kind, capacity=space.capacity,
        opening_hours=space.opening_hours or {}, slot_minutes=space.slot_minutes, min_minutes=space.min_minutes,
        max_minutes=space.max_minutes, buffer_minutes=space.buffer_minutes, max_days_ahead=space.max_days_ahead,
        active=bool(space.active), requires_authorisation=bool(space.requires_authorisation),
        closed_on_holidays=bool(space.closed_on_holidays),
    )


# ---------------------------------------------------------------------------- bounded reads


def _holds(session: Session, space_id: int, start: datetime, end: datetime,
           exclude_ids: tuple[int, ...] = ()) -> list[tuple[datetime, datetime]]:
    """Holds [start_at, hold_end_at) of non-cancelled bookings overlapping [start, end)."""
    stmt = select(Booking.start_at, Booking.hold_end_at).where(
        Booking.space_id == space_id,
        Booking.start_at >= start - _scan(),
        Booking.start_at < end,
        Booking.hold_end_at > start,
        Booking.status != "cancelled",
    )
    if exclude_ids:
        stmt = stmt.where(Booking.id.not_in(exclude_ids))
    return [(s, e) for s, e in session.execute(stmt).all()]


def _blackouts(session: Session, space_id: int, start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple]:
    one_off = session.execute(
        select(Blackout.start_at, Blackout.end_at).where(
            Blackout.space_id == space_id, Blackout.lifted_at.is_(None), Blackout.start_at < end,
            Blackout.end_at > start)
    ).all()
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    rules = session.execute(
        select(RecurringBlackout).where(
            RecurringBlackout.space_id == space_id, RecurringBlackout.lifted_at.is_(None),
            (RecurringBlackout.valid_until.is_(None)) | (RecurringBlackout.valid_until > first_day))
    ).scalars().all()
    weekly = weekly_windows([WeeklyWindow(r.weekday, r.start_time, r.end_time, r.valid_from, r.valid_until)
                             for r in rules], start, end, tz) if rules else []
    return merge([(s, e) for s, e in one_off] + weekly)


def _holidays(space: Space, start: datetime, end: datetime, tz: ZoneInfo) -> dict:
    if not space.closed_on_holidays:
        return {}
    first = start.astimezone(tz).year - 1 if start.astimezone(tz).month == 1 else start.astimezone(tz).year
    last = end.astimezone(tz).year
    return public_holidays(range(first, last + 1))


def _state(session: Session, space: Space, start: datetime, end: datetime, tz: ZoneInfo,
           exclude_ids: tuple[int, ...] = ()) -> SpaceState:
    spec = spec_of(space)
    return SpaceState(spec=spec, holds=_holds(session, space.id, start, end + spec.buffer, exclude_ids),
                      blackouts=_blackouts(session, space.id, start, end + spec.buffer, tz),
                      holidays=_holidays(space, start, end, tz))


def _quota_minutes(user: User, kind: str) -> int | None:
    if user.role != "resident":
        return None
    per_kind = setting("QUOTA_HOURS_PER_WEEK") or {}
    hours = per_kind.get(kind, setting("QUOTA_DEFAULT_HOURS_PER_WEEK"))
    return int(round(float(hours) * 60))


def _used_minutes(session: Session, user: User, kind: str, start: datetime, end: datetime, tz: ZoneInfo,
                  exclude_ids: tuple[int, ...] = ()) -> dict:
    """Minutes per local ISO week the user holds in spaces of `kind`, over the weeks [start, end) touches."""
    week_from = week_start_of(start, tz)
    week_to = week_start_of(end, tz) + timedelta(days=8)
    stmt = (select(Booking.start_at, Booking.end_at).join(Space, Space.id == Booking.space_id).where(
        Booking.user_id == user.id, Space.kind == kind, Booking.status != "cancelled",
        Booking.start_at >= week_from - _scan(), Booking.start_at < week_to, Booking.end_at > week_from))
    if exclude_ids:
        stmt = stmt.where(Booking.id.not_in(exclude_ids))
    rows = session.execute(stmt).all()
    return week_minutes([(s, e) for s, e in rows], tz)


def _user_context(session: Session, user: User, space: Space, start: datetime, end: datetime, now: datetime,
                  tz: ZoneInfo, extra: list[tuple[datetime, datetime]] = ()) -> UserContext:
    quota = _quota_minutes(user, space.kind)
    used = {}
    if quota is not None:
        used = _used_minutes(session, user, space.kind, start, end, tz)
        for week, minutes in week_minutes(list(extra), tz).items():
            used[week] = used.get(week, 0) + minutes
    authorised = True
    if space.requires_authorisation and user.role not in MANAGER_ROLES:
        authorised = is_authorised(session, user.id, space.id, now)
    return UserContext(quota_minutes=quota, used_minutes=used, authorised=authorised)


# ---------------------------------------------------------------------------- check


@dataclass
class CheckResult:
    violations: list[dict] = field(default_factory=list)
    conflicts: list[tuple[datetime, datetime]] = field(default_factory=list)
    suggestions: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations and not self.conflicts


def _validate_times(start, end) -> None:
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise BadRequest("Give the start and the end as dates with times.")
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRequest("Times must carry a time zone.")
    if not start < end:
        raise BadRequest("The end must be after the start.")
    if not (EARLIEST <= start and end <= LATEST):
        raise BadRequest("Times must lie between the years 2000 and 2200.")


def _evaluate(session: Session, user: User, space: Space, start: datetime, end: datetime, now: datetime,
              tz: ZoneInfo, extra: list[tuple[datetime, datetime]] = ()) -> tuple[list[dict], list[tuple]]:
    state = _state(session, space, start, end, tz)
    ctx = _user_context(session, user, space, start, end, now, tz, extra)
    violations = rule_violations(state.spec, start, end, now, tz, user=ctx, holidays=state.holidays)
    found = core_conflicts(state.spec, start, end, state.holds, state.blackouts)
    return violations, found


def suggestions_for(session: Session, *, user: User, space: Space, start: datetime, end: datetime, now: datetime,
                    tz: ZoneInfo | None = None, limit: int | None = None) -> list[dict]:
    """Nearest alternatives of the same length (this space and other active spaces of its kind)."""
    tz = tz or zone()
    limit = int(setting("SUGGESTION_COUNT")) if limit is None else limit
    duration = end - start
    spaces = [space] + [s for s in session.execute(
        select(Space).where(Space.kind == space.kind, Space.active.is_(True), Space.id != space.id)
        .order_by(Space.id)).scalars()]
    lo, hi = start - SUGGESTION_SEARCH, end + SUGGESTION_SEARCH
    states, users = [], {}
    quota_ctx = None
    for candidate in spaces:
        states.append(_state(session, candidate, lo, hi, tz))
        if quota_ctx is None:
            quota_ctx = _user_context(session, user, candidate, lo, hi, now, tz)
        authorised = True
        if candidate.requires_authorisation and user.role not in MANAGER_ROLES:
            authorised = is_authorised(session, user.id, candidate.id, now)
        users[candidate.id] = UserContext(quota_minutes=quota_ctx.quota_minutes, used_minutes=quota_ctx.used_minutes,
                                          authorised=authorised)
    by_id = {s.id: s for s in spaces}
    found = suggest(states, space.id, start, start + duration, now, tz, users=users, limit=limit,
                    search=SUGGESTION_SEARCH)
    return [{"space_id": s.space_id, "space_code": by_id[s.space_id].code, "space_name": by_id[s.space_id].name,
             "start": s.start, "end": s.end} for s in found]


def check(session: Session, *, user: User, space_id: int, start: datetime, end: datetime,
          now: datetime) -> CheckResult:
    """Every violation, the conflicts and (when another time could do) suggestions. Writes nothing."""
    _validate_times(start, end)
    tz = zone()
    space = get_space(session, space_id)
    violations, found = _evaluate(session, user, space, start, end, now, tz)
    result = CheckResult(violations=violations, conflicts=found)
    if (found or violations) and not any(v["rule"] in LENGTH_RULES for v in violations):
        result.suggestions = suggestions_for(session, user=user, space=space, start=start, end=end, now=now, tz=tz)
    return result


# ---------------------------------------------------------------------------- book


def _conflict_error(session: Session, user: User, space: Space, start: datetime, end: datetime, now: datetime,
                    tz: ZoneInfo, found: list[tuple]) -> Conflict:
    suggestions = suggestions_for(session, user=user, space=space, start=start, end=end, now=now, tz=tz)
    return Conflict(
        f"{space.name} is already taken for part of {fmt_span(start, end, tz)}."
        + (" Here are the nearest free times." if suggestions else ""),
        conflicts=[{"start": iso(s, tz), "end": iso(e, tz)} for s, e in found],
        suggestions=[{"space_id": s["space_id"], "space_code": s["space_code"], "space_name": s["space_name"],
                      "start": iso(s["start"], tz), "end": iso(s["end"], tz)} for s in suggestions],
    )


def _check_booker(user: User) -> None:
    if user.role not in BOOKER_ROLES:
        raise Forbidden("Your role can look at bookings but not make them.")


def _clean_title(title) -> str:
    if title is None:
        return ""
    if not isinstance(title, str):
        raise BadRequest("The title must be text.")
    title = title.strip()
    if len(title) > 200:
        raise BadRequest("The title can be at most 200 characters.")
    return title


def _insert(session: Session, bookings: list[Booking]) -> None:
    """Flush the new rows; the exclusion constraint's refusal becomes a Conflict."""
    session.add_all(bookings)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if is_overlap_violation(exc):
            raise Conflict("Someone else has just booked this time.",
                           conflicts=[], suggestions=[]) from None
        raise


def _prepare(session: Session, user: User, space_id, start: datetime, end: datetime,
             title: str) -> tuple[Space, str, ZoneInfo]:
    """Validate the request's shape, then begin the guarded write holding the space."""
    _validate_times(start, end)
    _check_booker(user)
    title = _clean_title(title)
    if not isinstance(space_id, int) or isinstance(space_id, bool):
        raise NotFound("There is no such space.")
    space = lock_resource(session, Space, space_id)
    if space is None:
        session.rollback()
        raise NotFound(f"There is no space {space_id}.")
    return space, title, zone()


def _new_booking(space: Space, user: User, start: datetime, end: datetime, title: str, now: datetime,
                 series_id: str | None = None) -> Booking:
    """The row that holds [start, end + buffer); `exclusive` arms PostgreSQL's backstop."""
    return Booking(space_id=space.id, user_id=user.id, start_at=start, end_at=end,
                   hold_end_at=end + timedelta(minutes=space.buffer_minutes), exclusive=space.capacity == 1,
                   status="pending" if space.requires_approval else "confirmed", title=title,
                   series_id=series_id, created_at=now)


def book(session: Session, *, user: User, space_id: int, start: datetime, end: datetime, title: str = "",
         now: datetime) -> Booking:
    space, title, tz = _prepare(session, user, space_id, start, end, title)
    violations, found = _evaluate(session, user, space, start, end, now, tz)
    if violations:
        session.rollback()
        raise RuleViolation("This booking breaks the rules of " + space.name + ": "
                            + " ".join(v["message"] for v in violations), violations=violations)
    if found:
        session.rollback()
        raise _conflict_error(session, user, space, start, end, now, tz, found)
    booking = _new_booking(space, user, start, end, title, now)
    _insert(session, [booking])
    session.commit()
    return booking


def _plus_weeks(instant: datetime, weeks: int, tz: ZoneInfo) -> datetime:
    """The same local wall-clock time `weeks` weeks later."""
    local = instant.astimezone(tz)
    wall = local.replace(tzinfo=None) + timedelta(weeks=weeks)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def book_recurring(session: Session, *, user: User, space_id: int, start: datetime, end: datetime, title: str = "",
                   repeat_weeks: int, now: datetime) -> list[Booking]:
    """The booking and the same local time on the following weeks: `repeat_weeks` bookings in
    all, all or nothing. Every week with a problem is named."""
    if isinstance(repeat_weeks, bool) or not isinstance(repeat_weeks, int) or not 1 <= repeat_weeks <= 52:
        raise BadRequest("'repeat_weeks' must be a whole number from 1 to 52.")
    space, title, tz = _prepare(session, user, space_id, start, end, title)
    occurrences = [(_plus_weeks(start, i, tz), _plus_weeks(end, i, tz)) for i in range(repeat_weeks)]
    violations: list[dict] = []
    conflicting: list[tuple] = []
    accepted: list[tuple[datetime, datetime]] = []
    for s, e in occurrences:
        if not s < e:
            raise BadRequest("The end must be after the start in every week.")
        found_violations, found = _evaluate(session, user, space, s, e, now, tz, extra=accepted)
        label = s.astimezone(tz).strftime("%a %d %b %Y")
        for v in found_violations:
            violations.append({"rule": v["rule"], "message": f"{label}: {v['message']}", "start": iso(s, tz)})
        for c in found:
            conflicting.append((s, e, c))
        accepted.append((s, e))
    if violations:
        session.rollback()
        raise RuleViolation(f"{len({v['start'] for v in violations})} of the {repeat_weeks} weeks break the rules "
                            f"of {space.name}; nothing was booked.", violations=violations)
    if conflicting:
        session.rollback()
        weeks = sorted({s for s, _, _ in conflicting})
        names = ", ".join(s.astimezone(tz).strftime("%a %d %b %Y") for s in weeks)
        first_s, first_e = weeks[0], next(e for s, e, _ in conflicting if s == weeks[0])
        suggestions = suggestions_for(session, user=user, space=space, start=first_s, end=first_e, now=now, tz=tz)
        raise Conflict(
            f"{space.name} is already taken in {len(weeks)} of the {repeat_weeks} weeks ({names}); nothing was booked.",
            conflicts=[{"start": iso(c[0], tz), "end": iso(c[1], tz), "week": s.astimezone(tz).date().isoformat()}
                       for s, _, c in conflicting],
            suggestions=[{"space_id": x["space_id"], "space_code": x["space_code"], "space_name": x["space_name"],
                          "start": iso(x["start"], tz), "end": iso(x["end"], tz)} for x in suggestions],
        )
    series = str(uuid.uuid4())
    rows = [_new_booking(space, user, s, e, title, now, series_id=series) for s, e in occurrences]
    _insert(session, rows)
    session.commit()
    return rows


# ---------------------------------------------------------------------------- cancel, approve, reject


def _visible(booking: Booking | None, viewer: User) -> bool:
    return booking is not None and (viewer.role in STAFF_ROLES or booking.user_id == viewer.id)


def get_booking(session: Session, booking_id, *, viewer: User) -> Booking:
    booking = session.get(Booking, booking_id) if isinstance(booking_id, int) and not isinstance(booking_id, bool) else None
    if not _visible(booking, viewer):
        raise NotFound("There is no such booking.")
    return booking


def _locked_booking(session: Session, booking_id, viewer: User) -> tuple[Booking, Space]:
    booking = get_booking(session, booking_id, viewer=viewer)
    space = lock_resource(session, Space, booking.space_id)
    booking = session.get(Booking, booking.id, populate_existing=True)
    return booking, space


def cancel(session: Session, booking_id: int, *, actor: User, now: datetime, reason: str | None = None) -> Booking:
    end_read(session)
    booking = get_booking(session, booking_id, viewer=actor)
    if booking.user_id != actor.id and actor.role not in MANAGER_ROLES:
        raise Forbidden("Only the holder or a manager can cancel this booking.")
    booking, space = _locked_booking(session, booking_id, actor)
    tz = zone()
    if booking.status == "cancelled":
        session.rollback()
        raise Conflict("This booking is already cancelled.")
    if booking.end_at <= now:
        session.rollback()
        raise Conflict("This booking has already ended; it stays in the records.")
    reason = (reason or "").strip()[:300] or None
    booking.status = "cancelled"
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id
    booking.cancel_reason = reason or ("Cancelled by the holder" if actor.id == booking.user_id else "Cancelled by a manager")
    if actor.id != booking.user_id:
        notify(session, user_id=booking.user_id, kind="booking_cancelled",
               subject=f"Your booking of {space.name} was cancelled",
               body=f"A manager cancelled your booking of {space.name} on {fmt_span(booking.start_at, booking.end_at, tz)}"
                    + (f": {reason}" if reason else "."),
               now=now, link="/bookings", dedupe_key=f"booking-cancelled-{booking.id}")
        record(session, actor_id=actor.id, action="booking.cancel", target_type="booking", target_id=booking.id,
               now=now, reason=reason)
    session.commit()
    return booking


def _decide(session: Session, booking_id: int, *, actor: User, now: datetime, approve_it: bool,
            reason: str | None) -> Booking:
    if actor.role not in MANAGER_ROLES:
        raise Forbidden("Only managers decide on bookings.")
    end_read(session)
    booking, space = _locked_booking(session, booking_id, actor)
    tz = zone()
    if booking.status != "pending":
        session.rollback()
        raise Conflict(f"Only a pending booking can be {'approved' if approve_it else 'rejected'}; this one is "
                       f"{booking.status}.")
    reason = (reason or "").strip()[:300] or None
    booking.decided_at = now
    booking.decided_by_id = actor.id
    span = fmt_span(booking.start_at, booking.end_at, tz)
    if approve_it:
        booking.status = "confirmed"
        notify(session, user_id=booking.user_id, kind="booking_approved",
               subject=f"Your booking of {space.name} is confirmed",
               body=f"Your booking of {space.name} on {span} was approved.", now=now, link="/bookings",
               dedupe_key=f"booking-approved-{booking.id}")
    else:
        booking.status = "cancelled"
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
        booking.cancel_reason = f"Rejected: {reason}" if reason else "Rejected"
        notify(session, user_id=booking.user_id, kind="booking_rejected",
               subject=f"Your booking of {space.name} was not approved",
               body=f"Your request for {space.name} on {span} was not approved" + (f": {reason}" if reason else "."),
               now=now, link="/bookings", dedupe_key=f"booking-rejected-{booking.id}")
    record(session, actor_id=actor.id, action="booking.approve" if approve_it else "booking.reject",
           target_type="booking", target_id=booking.id, now=now, reason=reason)
    session.commit()
    return booking


def approve(session: Session, booking_id: int, *, actor: User, now: datetime) -> Booking:
    return _decide(session, booking_id, actor=actor, now=now, approve_it=True, reason=None)


def reject(session: Session, booking_id: int, *, actor: User, now: datetime, reason: str | None = None) -> Booking:
    return _decide(session, booking_id, actor=actor, now=now, approve_it=False, reason=reason)


def pending_bookings(session: Session) -> list[Booking]:
    return list(session.execute(
        select(Booking).where(Booking.status == "pending").order_by(Booking.start_at, Booking.id)).scalars())


# ---------------------------------------------------------------------------- blackouts


def add_blackout(session: Session, space_id: int, *, start: datetime, end: datetime, reason: str, actor: User,
                 now: datetime) -> tuple[Blackout, list[Booking]]:
    _validate_times(start, end)
    if actor.role not in MANAGER_ROLES:
        raise Forbidden("Only managers set blackouts.")
    if reason is not None and not isinstance(reason, str):
        raise BadRequest("The reason must be text.")
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise BadRequest("The reason can be at most 300 characters.")
    if end <= now:
        raise RuleViolation("A blackout must end in the future.",
                            violations=[{"rule": "past", "message": "A blackout must end in the future."}])
    if not isinstance(space_id, int) or isinstance(space_id, bool):
        raise NotFound("There is no such space.")
    tz = zone()
    space = lock_resource(session, Space, space_id)
    if space is None:
        session.rollback()
        raise NotFound(f"There is no space {space_id}.")
    blackout = Blackout(space_id=space.id, start_at=start, end_at=end, reason=reason, created_by_id=actor.id,
                        created_at=now)
    session.add(blackout)
    session.flush()
    affected = list(session.execute(
        select(Booking).where(Booking.space_id == space.id, Booking.status != "cancelled",
                              Booking.start_at >= start - _scan(), Booking.start_at < end, Booking.end_at > start,
                              Booking.end_at > now)
        .order_by(Booking.start_at, Booking.id)).scalars())
    cancel_for_blackout(session, space, affected, reason=reason, actor=actor, now=now, tz=tz)
    record(session, actor_id=actor.id, action="blackout.create", target_type="blackout", target_id=blackout.id,
           now=now, reason=reason or None, space_id=space.id, start=start.isoformat(), end=end.isoformat(),
           cancelled_bookings=[b.id for b in affected])
    session.commit()
    return blackout, affected


# ---------------------------------------------------------------------------- reads


def availability(session: Session, space_id: int, *, start: datetime, end: datetime,
                 now: datetime) -> list[dict]:
    _validate_times(start, end)
    if end - start > timedelta(days=62):
        raise BadRequest("Ask for availability over at most 62 days at a time.")
    tz = zone()
    space = get_space(session, space_id)
    spec = spec_of(space)
    length = spec.grid_length
    lo, hi = start - length, end + length + spec.buffer
    holds = _holds(session, space.id, lo, hi)
    blackouts = _blackouts(session, space.id, lo, hi, tz)
    holidays = _holidays(space, lo, hi, tz)
    return [{"start": s, "end": e, "capacity_left": left}
            for s, e, left in core_availability(spec, holds, blackouts, start, end, now, tz, holidays=holidays)]


def free_spaces(session: Session, *, kind: str, start: datetime, end: datetime, user: User,
                now: datetime) -> list[Space]:
    """Every active space of the kind where exactly [start, end) would be accepted for this user."""
    _validate_times(start, end)
    tz = zone()
    out = []
    for space in session.execute(select(Space).where(Space.kind == kind, Space.active.is_(True))
                                 .order_by(Space.name, Space.id)).scalars():
        violations, found = _evaluate(session, user, space, start, end, now, tz)
        if not violations and not found:
            out.append(space)
    return out


def _local_grid_day(day: date, minute: int, tz: ZoneInfo) -> datetime:
    if minute >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    return datetime.combine(day, time(minute // 60, minute % 60), tz).astimezone(UTC)


def week_view(session: Session, space_id: int, *, week_start: date, user: User, now: datetime,
              tz: ZoneInfo | None = None) -> dict:
    """A week calendar on the space's slot grid over the union of that week's opening hours."""
    tz = tz or zone()
    space = get_space(session, space_id)
    spec = spec_of(space)
    days = [week_start + timedelta(days=i) for i in range(7)]
    span_start = datetime.combine(days[0], time(0, 0), tz).astimezone(UTC)
    span_end = datetime.combine(days[-1] + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    first, last = None, None
    for day in days:
        for s, e in (space.opening_hours or {}).get(WEEKDAYS[day.weekday()], []) or []:
            sh, sm = parse_hhmm(s)
            eh, em = parse_hhmm(e, allow_24=True)
            first = sh * 60 + sm if first is None else min(first, sh * 60 + sm)
            last = eh * 60 + em if last is None else max(last, eh * 60 + em)
    if first is None:
        return {"days": days, "rows": [], "space": space}
    slot = spec.slot_minutes
    first -= first % slot
    lo, hi = span_start - spec.grid_length, span_end + spec.grid_length + spec.buffer
    holds = _holds(session, space.id, lo, hi)
    blackouts = _blackouts(session, space.id, lo, hi, tz)
    holidays = _holidays(space, lo, hi, tz)
    closed_dates = list(holidays) if space.closed_on_holidays else []
    opens = open_windows(space.opening_hours or {}, span_start, span_end, tz, closed_dates=closed_dates)
    free = merge((s, e) for s, e, _ in core_availability(spec, holds, blackouts, span_start, span_end, now, tz,
                                                          holidays=holidays))
    mine = list(session.execute(
        select(Booking.id, Booking.start_at, Booking.end_at).where(
            Booking.space_id == space.id, Booking.user_id == user.id, Booking.status != "cancelled",
            Booking.start_at >= span_start - _scan(), Booking.start_at < span_end, Booking.end_at > span_start)
    ).all())

    def inside(pieces, s, e):
        return any(a <= s and e <= b for a, b in pieces)

    def touches(pieces, s, e):
        return any(a < e and s < b for a, b in pieces)

    rows = []
    for minute in range(first, last, slot):
        cells = []
        for day in days:
            s = _local_grid_day(day, minute, tz)
            e = _local_grid_day(day, minute + slot, tz)
            if not s < e:
                cells.append({"state": "closed", "start": s, "end": s, "booking_id": None})
                continue
            booking_id = next((bid for bid, bs, be in mine if bs < e and s < be), None)
            if not inside(opens, s, e):
                state = "closed"
            elif touches(blackouts, s, e):
                state = "blackout"
            elif booking_id is not None:
                state = "mine"
            elif s < now:
                state = "past"
            elif inside(free, s, e):
                state = "free"
            elif touches(holds, s, e):
                state = "busy"
            else:
                state = "unavailable"  # open, but no booking of the minimum length fits here
            cells.append({"state": state, "start": s, "end": e, "booking_id": booking_id if state == "mine" else None})
        rows.append({"time": f"{minute // 60:02d}:{minute % 60:02d}", "cells": cells})
    return {"days": days, "rows": rows, "space": space}


def _filtered(stmt, *, viewer: User, space_id=None, start=None, end=None, status=None, user_id=None):
    if viewer.role not in STAFF_ROLES:
        stmt = stmt.where(Booking.user_id == viewer.id)
    if user_id is not None:
        stmt = stmt.where(Booking.user_id == user_id)
    if space_id is not None:
        stmt = stmt.where(Booking.space_id == space_id)
    if start is not None:
        stmt = stmt.where(Booking.end_at > start)
    if end is not None:
        stmt = stmt.where(Booking.start_at < end)
    if start is not None and end is not None:
        stmt = stmt.where(Booking.start_at >= start - _scan())
    if status is not None:
        if isinstance(status, (list, tuple, set)):
            stmt = stmt.where(Booking.status.in_(list(status)))
        else:
            stmt = stmt.where(Booking.status == status)
    return stmt


def list_bookings(session: Session, *, viewer: User, space_id=None, start=None, end=None, status=None,
                  user_id=None, limit=None, offset=None, newest_first: bool = False) -> list[Booking]:
    """Bookings the viewer may see (a resident: only their own), optionally of one user."""
    stmt = _filtered(select(Booking), viewer=viewer, space_id=space_id, start=start, end=end, status=status,
                     user_id=user_id)
    stmt = stmt.order_by(Booking.start_at.desc(), Booking.id.desc()) if newest_first else \
        stmt.order_by(Booking.start_at, Booking.id)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())


def count_bookings(session: Session, *, viewer: User, space_id=None, start=None, end=None, status=None,
                   user_id=None) -> int:
    stmt = _filtered(select(func.count(Booking.id)), viewer=viewer, space_id=space_id, start=start, end=end,
                     status=status, user_id=user_id)
    return session.execute(stmt).scalar_one()
