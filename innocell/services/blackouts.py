"""Blackouts: times a space cannot be booked (one-off, or every week), set and lifted by
managers. Adding one cancels the bookings it covers (bookings.cancel_for_blackout) in the
same transaction, under the space's lock, so no booking slips in between; a booking already
under way is ended early instead (the part before the blackout stays booked). Each action is
audited. The booking check reads live blackouts itself (bookings/reads.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..allocation.hours import WeeklyWindow, parse_hhmm, weekly_windows
from ..models import Blackout, Booking, RecurringBlackout, Space, User
from . import BadRequest, Forbidden, NotFound, RuleViolation, bookings
from .audit import record
from .guard import lock_resource
from .roles import MANAGER_ROLES
from .settings import zone
from .spaces import locked_space
from .tx import transaction
from .phrasing import gettext


def _clean_reason(reason) -> str:
    if reason is not None and not isinstance(reason, str):
        raise BadRequest(gettext("The reason must be text."))
    return (reason or "").strip()


@transaction
def add_blackout(session: Session, space_id: int, *, start: datetime, end: datetime, reason: str, actor: User,
                 now: datetime) -> tuple[Blackout, list[Booking]]:
    """Close the space over [start, end); returns the blackout and the bookings it cancelled."""
    bookings.validate_times(start, end)
    if actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only managers set blackouts."))
    reason = _clean_reason(reason)
    if len(reason) > 300:
        raise BadRequest(gettext("The reason can be at most 300 characters."))
    if end <= now:
        raise RuleViolation(gettext("A blackout must end in the future."),
                            violations=[{"rule": "past", "message": gettext("A blackout must end in the future.")}])
    space = locked_space(session, space_id)
    blackout = Blackout(space_id=space.id, start_at=start, end_at=end, reason=reason, created_by_id=actor.id,
                        created_at=now)
    session.add(blackout)
    session.flush()
    affected = bookings.live_bookings_within(session, space.id, start, end, now)
    bookings.cancel_for_blackout(session, space, affected, reason=reason, actor=actor, now=now,
                                 cut_at={b.id: start for b in affected})
    record(session, actor_id=actor.id, action="blackout.create", target_type="blackout", target_id=blackout.id,
           now=now, reason=reason or None, space_id=space.id, start=start.isoformat(), end=end.isoformat(),
           cancelled_bookings=[b.id for b in affected])
    return blackout, affected


def _violation(rule: str, message: str) -> dict:
    return {"rule": rule, "message": message}


def _recurring_violations(weekday, start_time, end_time, valid_from, valid_until, reason: str) -> list[dict]:
    violations = []
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        violations.append(_violation("weekday", "The weekday must be 0 (Monday) to 6 (Sunday)."))
    try:
        s = parse_hhmm(start_time)
        e = parse_hhmm(end_time, allow_24=True)
        if e <= s:
            violations.append(_violation("end_time", "The blackout must end after it starts."))
    except ValueError as exc:
        violations.append(_violation("start_time", f"{exc}."))
    if valid_from and valid_until and valid_until <= valid_from:
        violations.append(_violation("valid_until", "'Valid until' must be after 'valid from'."))
    if len(reason) > 300:
        violations.append(_violation("reason", "The reason can be at most 300 characters."))
    return violations


@transaction
def add_recurring_blackout(session: Session, space_id: int, *, weekday: int, start_time: str, end_time: str,
                           valid_from: date | None, valid_until: date | None, reason: str, actor: User,
                           now: datetime) -> tuple[RecurringBlackout, list[Booking]]:
    """Close the space every `weekday` from start_time to end_time (local); returns the rule
    and the upcoming bookings it cancelled."""
    reason = (reason or "").strip()
    violations = _recurring_violations(weekday, start_time, end_time, valid_from, valid_until, reason)
    if violations:
        raise RuleViolation(gettext("The weekly blackout was not saved."), violations=violations)
    tz = zone()
    space = locked_space(session, space_id)
    rule = RecurringBlackout(space_id=space.id, weekday=weekday, start_time=start_time, end_time=end_time,
                             valid_from=valid_from, valid_until=valid_until, reason=reason, created_by_id=actor.id,
                             created_at=now)
    session.add(rule)
    session.flush()
    upcoming = bookings.upcoming_bookings(session, space.id, now)
    affected: list[Booking] = []
    cut_at = {}
    if upcoming:
        last = max(b.end_at for b in upcoming)
        windows = weekly_windows([WeeklyWindow(weekday, start_time, end_time, valid_from, valid_until)],
                                 now - timedelta(days=1), last + timedelta(days=1), tz)
        for b in upcoming:
            # Windows already over when the rule is added cut nothing (the time was used).
            starts = [ws for ws, we in windows if ws < b.end_at and b.start_at < we and we > now]
            if starts:
                affected.append(b)
                cut_at[b.id] = min(starts)
    bookings.cancel_for_blackout(session, space, affected, reason=reason, actor=actor, now=now, cut_at=cut_at)
    record(session, actor_id=actor.id, action="blackout.recurring.create", target_type="space", target_id=space.id,
           now=now, reason=reason or None, weekday=weekday, start_time=start_time, end_time=end_time,
           cancelled_bookings=[b.id for b in affected])
    return rule, affected


def _lift(session: Session, model, row_id: int, *, label: str, action: str, target_type: str, actor: User,
          now: datetime):
    """Lift a one-off or weekly blackout under the space's lock; lifting twice changes nothing."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(gettext("There is no %(label)s %(row_id)s.", label=label, row_id=row_id))
    lock_resource(session, Space, row.space_id)
    row = session.get(model, row_id, populate_existing=True)
    if row.lifted_at is None:
        row.lifted_at = now
        record(session, actor_id=actor.id, action=action, target_type=target_type, target_id=row.id, now=now,
               space_id=row.space_id)
    return row


@transaction
def lift_blackout(session: Session, blackout_id: int, *, actor: User, now: datetime) -> Blackout:
    return _lift(session, Blackout, blackout_id, label="blackout", action="blackout.lift", target_type="blackout",
                 actor=actor, now=now)


@transaction
def lift_recurring_blackout(session: Session, rule_id: int, *, actor: User, now: datetime) -> RecurringBlackout:
    return _lift(session, RecurringBlackout, rule_id, label="weekly blackout", action="blackout.recurring.lift",
                 target_type="recurring_blackout", actor=actor, now=now)


def list_blackouts(session: Session, space_id: int, *, now: datetime) -> tuple[list[Blackout], list[RecurringBlackout]]:
    """Live one-off blackouts not yet over, and weekly ones still valid, in time order."""
    one_off = list(session.execute(
        select(Blackout).where(Blackout.space_id == space_id, Blackout.lifted_at.is_(None), Blackout.end_at > now)
        .order_by(Blackout.start_at)).scalars())
    today = now.astimezone(zone()).date()
    recurring = list(session.execute(
        select(RecurringBlackout).where(
            RecurringBlackout.space_id == space_id, RecurringBlackout.lifted_at.is_(None),
            (RecurringBlackout.valid_until.is_(None)) | (RecurringBlackout.valid_until > today))
        .order_by(RecurringBlackout.weekday, RecurringBlackout.start_time)).scalars())
    return one_off, recurring
