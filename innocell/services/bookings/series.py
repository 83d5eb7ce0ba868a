"""Series of bookings: a recurrence rule (allocation.recurrence) booked as one object.

- preview       each occurrence as free, conflicting (with what) or breaking a rule (which);
                writes nothing
- book_series   one guarded transaction through the same check as a single booking (write.py's
                locks and rows): `on_conflict="fail"` books all or nothing, `"skip"` books
                exactly the free occurrences and lists the skipped ones with the reason
- book_recurring  the old "repeat N weeks" (all or nothing): a weekly rule with a count
- cancel_series   cancel one occurrence, it and every later one, or the whole series, each
                through the single cancel (an occurrence under way is ended early)

Every occurrence of a series shares one `series_id`. Earlier occurrences of the same request
count against the person's quota and simultaneous limit when later ones are judged.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation.hours import public_holidays
from ...allocation.recurrence import RecurrenceError, Rule, Skipped, describe, expand
from ...models import Booking, Space, User
from ...timeutil import iso_local
from .. import BadRequest, Conflict, Forbidden, RuleViolation
from ..roles import MANAGER_ROLES
from ..settings import zone
from ..spaces import get_space
from ..tx import transaction
from .check import evaluate, suggestions_for
from .common import clean_title, validate_times
from .conflicts import explained
from .queries import get_booking
from .write import _insert, _new_booking, _prepare, _suggestions_json, cancel, cancelled_notice, made_notice
from ..phrasing import gettext

ON_CONFLICT = ("fail", "skip")
SCOPES = ("one", "following", "series")


@dataclass
class Occurrence:
    start: datetime
    end: datetime
    violations: list[dict] = field(default_factory=list)
    conflicts: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "rule_violation" if self.violations else "conflict" if self.conflicts else "free"


@dataclass
class SeriesResult:
    bookings: list[Booking]
    series_id: str | None
    skipped: list[dict]
    description: str = ""


def _holiday_lookup():
    """Public holiday names by date, read from the `holidays` package a year at a time."""
    years: dict[int, dict] = {}

    def name(day: date) -> str | None:
        if day.year not in years:
            years[day.year] = public_holidays([day.year])
        return years[day.year].get(day)

    return name


def expand_rule(rule: Rule, start: datetime, end: datetime, tz: ZoneInfo):
    """The rule's occurrences and the dates it passes over (holidays, months without the date);
    a bad rule is a BadRequest with the core's message."""
    validate_times(start, end)
    try:
        return expand(rule, start, end, tz, holidays=_holiday_lookup())
    except RecurrenceError as exc:
        raise BadRequest(gettext(exc.msgid, **exc.params)) from None


def skipped_json(item: Skipped, tz: ZoneInfo) -> dict:
    return {"start": iso_local(item.start, tz), "end": iso_local(item.end, tz), "reason": item.reason,
            "date": item.day.isoformat()}


def _judge_all(session: Session, user: User, space: Space, occurrences, now: datetime,
               tz: ZoneInfo) -> list[Occurrence]:
    """Each occurrence judged as a single booking would be; the free ones before it count as
    already held by this person (they would be booked together)."""
    judged, free = [], []
    for s, e in occurrences:
        violations, found = evaluate(session, user, space, s, e, now, tz, extra=free)
        judged.append(Occurrence(s, e, violations, found))
        if not violations and not found:
            free.append((s, e))
    return judged


def preview(session: Session, *, user: User, space_id: int, start: datetime, end: datetime, rule: Rule,
            now: datetime) -> tuple[list[Occurrence], list[Skipped]]:
    """(every occurrence judged, the dates the rule passes over). Writes nothing."""
    tz = zone()
    space = get_space(session, space_id)
    expansion = expand_rule(rule, start, end, tz)
    return _judge_all(session, user, space, expansion.occurrences, now, tz), expansion.skipped


def _label(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%a %d %b %Y")


def _refuse(session: Session, user: User, space: Space, judged: list[Occurrence], now: datetime, tz: ZoneInfo,
            unit: str, outcome: str = "nothing was booked") -> None:
    """The all-or-nothing refusal naming every occurrence with a problem: rules first (422),
    then conflicts (409), as one booking is refused (a series change says `outcome`)."""
    total = len(judged)
    violations = [{"rule": v["rule"], "message": gettext("%(label)s: %(message)s", label=_label(o.start, tz), message=v['message']),
                   "start": iso_local(o.start, tz)} for o in judged for v in o.violations]
    if violations:
        raise RuleViolation(gettext("%(count)s of the %(total)s %(unit)s break the rules of %(name)s; %(outcome)s.", count=len({v['start'] for v in violations}), total=total, unit=unit, name=space.name, outcome=outcome), violations=violations)
    taken = [o for o in judged if o.conflicts]
    if taken:
        names = ", ".join(_label(o.start, tz) for o in taken)
        first = taken[0]
        suggestions = suggestions_for(session, user=user, space=space, start=first.start, end=first.end, now=now,
                                      tz=tz)
        raise Conflict(
            gettext("%(name)s is already taken in %(taken_count)s of the %(total)s %(unit)s (%(names)s); %(outcome)s.", name=space.name, taken_count=len(taken), total=total, unit=unit, names=names, outcome=outcome),
            conflicts=[{"start": iso_local(c[0], tz), "end": iso_local(c[1], tz),
                        "week": o.start.astimezone(tz).date().isoformat(), "occurrence": iso_local(o.start, tz)}
                       for o in taken for c in o.conflicts],
            suggestions=_suggestions_json(suggestions, tz))


def _skip_reason(session: Session, space: Space, occurrence: Occurrence, tz: ZoneInfo) -> str:
    if occurrence.violations:
        return "; ".join(v["message"] for v in occurrence.violations)
    why, _ = explained(session, space, occurrence.start, occurrence.end, occurrence.conflicts, tz)
    return why


def _book(session: Session, *, user: User, space_id, start: datetime, end: datetime, title: str, rule: Rule,
          on_conflict: str, now: datetime, unit: str = "occurrences", notice: bool = True) -> SeriesResult:
    if on_conflict not in ON_CONFLICT:
        raise BadRequest(gettext("'on_conflict' must be 'fail' (book all or nothing) or 'skip' (book only the free ones)."))
    space, title, tz = _prepare(session, user, space_id, start, end, title)
    expansion = expand_rule(rule, start, end, tz)
    judged = _judge_all(session, user, space, expansion.occurrences, now, tz)
    skipped = [skipped_json(s, tz) for s in expansion.skipped]
    if on_conflict == "fail":
        _refuse(session, user, space, judged, now, tz, unit)
    free = [o for o in judged if o.status == "free"]
    if not free:
        raise Conflict(gettext("None of the %(judged_count)s %(unit)s is free at %(name)s; nothing was booked.", judged_count=len(judged), unit=unit, name=space.name),
                       conflicts=[{"start": iso_local(o.start, tz), "end": iso_local(o.end, tz),
                                   "reason": _skip_reason(session, space, o, tz)} for o in judged],
                       suggestions=[])
    for o in judged:
        if o.status != "free":
            skipped.append({"start": iso_local(o.start, tz), "end": iso_local(o.end, tz),
                            "reason": _skip_reason(session, space, o, tz), "status": o.status,
                            "date": o.start.astimezone(tz).date().isoformat()})
    skipped.sort(key=lambda item: item["date"])
    series = str(uuid.uuid4())
    rows = [_new_booking(space, user, o.start, o.end, title, now, series_id=series) for o in free]
    _insert(session, rows)
    if notice:  # one notice for the series, its invite an event per occurrence
        made_notice(session, rows, now, tz)
    return SeriesResult(rows, series, skipped, describe(rule, start.astimezone(tz).date()))


@transaction
def book_series(session: Session, *, user: User, space_id: int, start: datetime, end: datetime, title: str = "",
                rule: Rule, on_conflict: str = "fail", now: datetime, notice: bool = True) -> SeriesResult:
    """Book the rule's occurrences as one series (see the module docstring)."""
    return _book(session, user=user, space_id=space_id, start=start, end=end, title=clean_title(title), rule=rule,
                 on_conflict=on_conflict, now=now, notice=notice)


@transaction
def book_recurring(session: Session, *, user: User, space_id: int, start: datetime, end: datetime, title: str = "",
                   repeat_weeks: int, now: datetime, notice: bool = True) -> list[Booking]:
    """The booking and the same local time on the following weeks: `repeat_weeks` bookings in
    all, all or nothing. Every week with a problem is named."""
    if isinstance(repeat_weeks, bool) or not isinstance(repeat_weeks, int) or not 1 <= repeat_weeks <= 52:
        raise BadRequest(gettext("'repeat_weeks' must be a whole number from 1 to 52."))
    return _book(session, user=user, space_id=space_id, start=start, end=end, title=title,
                 rule=Rule("weekly", count=repeat_weeks), on_conflict="fail", now=now, unit="weeks",
                 notice=notice).bookings


# ---------------------------------------------------------------------------- cancel


def scope_members(session: Session, booking: Booking, scope: str, now: datetime) -> list[Booking]:
    """The bookings `scope` covers from `booking`, oldest first: only live ones that have not
    ended (a cancelled or finished occurrence stays as it is)."""
    if scope not in SCOPES:
        raise BadRequest(gettext("'scope' must be one of one, following, series."))
    if scope == "one" or not booking.series_id:
        return [booking]
    query = select(Booking).where(Booking.series_id == booking.series_id, Booking.status != "cancelled",
                                  Booking.end_at > now)
    if scope == "following":
        query = query.where(Booking.start_at >= booking.start_at)
    return list(session.execute(query.order_by(Booking.start_at, Booking.id)).scalars())


@transaction
def cancel_series(session: Session, booking_id: int, *, actor: User, scope: str, now: datetime,
                  reason: str | None = None) -> list[Booking]:
    """Cancel (or end early, when under way) every booking of `scope`, in one transaction."""
    booking = get_booking(session, booking_id, viewer=actor)
    if booking.user_id != actor.id and actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only the holder or a manager can cancel this booking."))
    members = scope_members(session, booking, scope, now)
    if scope == "one" or not booking.series_id:
        return [cancel(session, booking.id, actor=actor, now=now, reason=reason)]
    if not members:
        raise Conflict(gettext("Nothing left to cancel in this series: every occurrence is cancelled or over."))
    done = [cancel(session, member.id, actor=actor, now=now, reason=reason, notice=False) for member in members]
    gone = [b for b in done if b.status == "cancelled"]
    if gone:  # one notice for all of it (an occurrence under way was ended early, not cancelled)
        cancelled_notice(session, gone, by_holder=actor.id == booking.user_id, reason=(reason or "").strip() or None,
                         now=now, tz=zone())
    return done
