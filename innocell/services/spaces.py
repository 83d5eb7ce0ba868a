"""Spaces booked by the hour: inventory, blackouts (one-off and weekly) and authorisations.
One transaction per function; `now` is passed in; every manager action is audited."""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from ..allocation.hours import WEEKDAYS, WeeklyWindow, parse_hhmm, validate_opening_hours, weekly_windows
from ..models import DEFAULT_OPENING_HOURS, Authorisation, Blackout, Booking, RecurringBlackout, Space, User
from . import BadRequest, Conflict, NotFound, RuleViolation
from .audit import record
from .guard import lock_resource
from .notifications import notify
from .settings import setting, zone  # noqa: F401  (bookings imports them from here)


def end_read(session: Session) -> None:
    """Close the read transaction the caller may have opened (works on db.session too)."""
    real = session() if isinstance(session, scoped_session) else session
    if real.in_transaction():
        real.commit()


def space_json(space: Space) -> dict:
    rate = space.hourly_rate if space.hourly_rate is not None else Decimal("0")
    rate = float(rate)
    return {
        "id": space.id,
        "code": space.code,
        "name": space.name,
        "kind": space.kind,
        "capacity": space.capacity,
        "opening_hours": space.opening_hours,
        "slot_minutes": space.slot_minutes,
        "min_minutes": space.min_minutes,
        "max_minutes": space.max_minutes,
        "buffer_minutes": space.buffer_minutes,
        "max_days_ahead": space.max_days_ahead,
        "hourly_rate": int(rate) if rate == int(rate) else rate,
        "requires_approval": bool(space.requires_approval),
        "active": bool(space.active),
        # Beyond the contract (extensions):
        "description": space.description or "",
        "requires_authorisation": bool(space.requires_authorisation),
        "requires_checkin": bool(space.requires_checkin),
        "closed_on_holidays": bool(space.closed_on_holidays),
    }


def list_spaces(session: Session, *, kind: str | None = None, include_inactive: bool = False) -> list[Space]:
    stmt = select(Space).order_by(Space.kind, Space.name, Space.id)
    if kind:
        stmt = stmt.where(Space.kind == kind)
    if not include_inactive:
        stmt = stmt.where(Space.active.is_(True))
    return list(session.execute(stmt).scalars())


def space_kinds(session: Session) -> list[str]:
    return list(session.execute(select(Space.kind).distinct().order_by(Space.kind)).scalars())


def get_space(session: Session, space_id) -> Space:
    if not isinstance(space_id, int) or isinstance(space_id, bool):
        raise NotFound("There is no such space.")
    space = session.get(Space, space_id)
    if space is None:
        raise NotFound(f"There is no space {space_id}.")
    return space


# ---------------------------------------------------------------------------- validation

_INT_FIELDS = {
    "capacity": (1, 10_000, "Capacity"),
    "slot_minutes": (1, 24 * 60, "The slot length"),
    "min_minutes": (1, None, "The shortest booking"),
    "max_minutes": (1, None, "The longest booking"),
    "buffer_minutes": (0, None, "The buffer"),
    "max_days_ahead": (0, 3650, "The booking horizon"),
}
_BOOL_FIELDS = ("requires_approval", "active", "requires_authorisation", "requires_checkin", "closed_on_holidays")
_TEXT_FIELDS = {"code": (40, True), "name": (200, True), "kind": (40, True), "description": (5000, False)}
EDITABLE = set(_INT_FIELDS) | set(_BOOL_FIELDS) | set(_TEXT_FIELDS) | {"opening_hours", "hourly_rate"}


def _clean(data: dict, base: dict) -> tuple[dict, list[dict]]:
    """Validate `data` over `base` (current or default values). Returns (values, violations)."""
    violations: list[dict] = []
    values = dict(base)

    def bad(field: str, message: str):
        violations.append({"rule": field, "message": message})

    for field, value in data.items():
        if field not in EDITABLE:
            if field in ("id",):
                continue
            bad(field, f"'{field}' is not a field of a space.")
            continue
        if field in _TEXT_FIELDS:
            limit, required = _TEXT_FIELDS[field]
            if value is None and not required:
                values[field] = ""
                continue
            if not isinstance(value, str):
                bad(field, f"'{field}' must be text.")
                continue
            value = value.strip()
            if required and not value:
                bad(field, f"'{field}' cannot be empty.")
            elif len(value) > limit:
                bad(field, f"'{field}' can be at most {limit} characters.")
            else:
                values[field] = value
        elif field in _INT_FIELDS:
            low, high, label = _INT_FIELDS[field]
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    bad(field, f"{label} ('{field}') must be a whole number.")
                    continue
            if value < low or (high is not None and value > high):
                span = f"between {low} and {high}" if high is not None else f"at least {low}"
                bad(field, f"{label} ('{field}') must be {span}.")
                continue
            values[field] = value
        elif field in _BOOL_FIELDS:
            if not isinstance(value, bool):
                bad(field, f"'{field}' must be true or false.")
                continue
            values[field] = value
        elif field == "hourly_rate":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                bad(field, "The hourly rate must be a number.")
                continue
            try:
                rate = Decimal(str(value))
            except InvalidOperation:
                bad(field, "The hourly rate must be a number.")
                continue
            if not rate.is_finite() or rate < 0 or rate >= Decimal("100000000"):
                bad(field, "The hourly rate must be a number of at least 0.")
                continue
            values[field] = rate.quantize(Decimal("0.01"))
        elif field == "opening_hours":
            problems = validate_opening_hours(value)
            if problems:
                for problem in problems:
                    bad("opening_hours", problem)
                continue
            values[field] = {day: [list(w) for w in value.get(day, [])] for day in WEEKDAYS if value.get(day)}

    fields_with_errors = {v["rule"] for v in violations}
    slot = values.get("slot_minutes")
    if "slot_minutes" not in fields_with_errors and isinstance(slot, int) and (24 * 60) % slot:
        bad("slot_minutes", "The slot length must divide a day evenly (e.g. 15, 30 or 60 minutes).")
    mn, mx = values.get("min_minutes"), values.get("max_minutes")
    if not fields_with_errors & {"min_minutes", "max_minutes"} and isinstance(mn, int) and isinstance(mx, int) \
            and mx < mn:
        bad("max_minutes", "The longest booking must be at least as long as the shortest.")
    scan = int(setting("BOOKING_MAX_SCAN_HOURS")) * 60
    buf = values.get("buffer_minutes") or 0
    if not fields_with_errors & {"max_minutes", "buffer_minutes"} and isinstance(mx, int) and mx + buf > scan:
        bad("max_minutes", f"The longest booking plus its buffer can be at most {scan // 60} hours.")
    return values, violations


def _defaults() -> dict:
    return {
        "code": None, "name": None, "kind": None, "description": "",
        "capacity": 1, "opening_hours": copy.deepcopy(DEFAULT_OPENING_HOURS),
        "slot_minutes": 30, "min_minutes": 30, "max_minutes": 480, "buffer_minutes": 0,
        "max_days_ahead": int(setting("BOOKING_HORIZON_DAYS")), "hourly_rate": Decimal("0"),
        "requires_approval": False, "active": True, "requires_authorisation": False,
        "requires_checkin": False, "closed_on_holidays": False,
    }


def _current(space: Space) -> dict:
    return {field: getattr(space, field) for field in EDITABLE}


def create_space(session: Session, data: dict, *, actor: User, now: datetime) -> Space:
    if not isinstance(data, dict):
        raise BadRequest("Send the space as a JSON object.")
    values, violations = _clean(data, _defaults())
    for field in ("code", "name", "kind"):
        if field not in data:
            violations.append({"rule": field, "message": f"'{field}' is required."})
    if violations:
        raise RuleViolation("The space was not saved: " + " ".join(v["message"] for v in violations),
                            violations=violations)
    end_read(session)
    if session.execute(select(Space.id).where(Space.code == values["code"])).first():
        raise Conflict(f"A space with the code '{values['code']}' already exists.")
    space = Space(created_at=now, **values)
    session.add(space)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"A space with the code '{values['code']}' already exists.") from None
    record(session, actor_id=actor.id, action="space.create", target_type="space", target_id=space.id, now=now,
           code=space.code)
    session.commit()
    return space


def update_space(session: Session, space_id: int, data: dict, *, actor: User, now: datetime) -> Space:
    if not isinstance(data, dict):
        raise BadRequest("Send the changes as a JSON object.")
    space = lock_resource(session, Space, space_id)
    if space is None:
        session.rollback()
        raise NotFound(f"There is no space {space_id}.")
    values, violations = _clean(data, _current(space))
    if violations:
        session.rollback()
        raise RuleViolation("The space was not saved: " + " ".join(v["message"] for v in violations),
                            violations=violations)
    if values["code"] != space.code and session.execute(
            select(Space.id).where(Space.code == values["code"], Space.id != space.id)).first():
        session.rollback()
        raise Conflict(f"A space with the code '{values['code']}' already exists.")
    if values["capacity"] < space.capacity:
        _refuse_capacity_below_future_use(session, space, values["capacity"], now)
    changed = {}
    for field, value in values.items():
        if getattr(space, field) != value:
            old = getattr(space, field)
            changed[field] = [str(old) if isinstance(old, Decimal) else old,
                              str(value) if isinstance(value, Decimal) else value]
            setattr(space, field, value)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"A space with the code '{values['code']}' already exists.") from None
    if changed:
        record(session, actor_id=actor.id, action="space.update", target_type="space", target_id=space.id, now=now,
               changes=changed)
    session.commit()
    return space


def _refuse_capacity_below_future_use(session: Session, space: Space, capacity: int, now: datetime) -> None:
    from ..allocation.availability import Occupancy

    holds = session.execute(
        select(Booking.start_at, Booking.hold_end_at).where(
            Booking.space_id == space.id, Booking.status != "cancelled", Booking.hold_end_at > now)
    ).all()
    occupancy = Occupancy([(s, e) for s, e in holds])
    if occupancy.times and occupancy.peak(now, max(occupancy.times)) > capacity:
        session.rollback()
        raise Conflict(f"Upcoming bookings of {space.name} overlap more than {capacity} at a time; cancel or move "
                       f"them before lowering the capacity.")


def set_space_active(session: Session, space_id: int, active: bool, *, actor: User, now: datetime) -> Space:
    space = lock_resource(session, Space, space_id)
    if space is None:
        session.rollback()
        raise NotFound(f"There is no space {space_id}.")
    if bool(space.active) != bool(active):
        space.active = bool(active)
        record(session, actor_id=actor.id, action="space.activate" if active else "space.deactivate",
               target_type="space", target_id=space.id, now=now)
    session.commit()
    return space


# ---------------------------------------------------------------------------- blackouts


def cancel_for_blackout(session: Session, space: Space, bookings: list[Booking], *, reason: str, actor: User,
                        now: datetime, tz) -> list[Booking]:
    """Cancel bookings a blackout covers and notify their holders (inside the caller's transaction)."""
    from .bookings import fmt_span

    for booking in bookings:
        booking.status = "cancelled"
        booking.cancelled_at = now
        booking.cancelled_by_id = actor.id
        booking.cancel_reason = f"Blackout: {reason}" if reason else "Blackout"
        notify(session, user_id=booking.user_id, kind="booking_cancelled",
               subject=f"Your booking of {space.name} was cancelled",
               body=(f"Your booking of {space.name} on {fmt_span(booking.start_at, booking.end_at, tz)} was cancelled "
                     f"because the space is unavailable then{': ' + reason if reason else ''}. "
                     f"We are sorry for the trouble; please book another time."),
               now=now, link="/bookings", dedupe_key=f"booking-cancelled-{booking.id}")
    return bookings


def _bad_time(value: str, message: str):
    return {"rule": value, "message": message}


def add_recurring_blackout(session: Session, space_id: int, *, weekday: int, start_time: str, end_time: str,
                           valid_from: date | None, valid_until: date | None, reason: str, actor: User,
                           now: datetime) -> tuple[RecurringBlackout, list[Booking]]:
    violations = []
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        violations.append(_bad_time("weekday", "The weekday must be 0 (Monday) to 6 (Sunday)."))
    try:
        s = parse_hhmm(start_time)
        e = parse_hhmm(end_time, allow_24=True)
        if e <= s:
            violations.append(_bad_time("end_time", "The blackout must end after it starts."))
    except ValueError as exc:
        violations.append(_bad_time("start_time", f"{exc}."))
    if valid_from and valid_until and valid_until <= valid_from:
        violations.append(_bad_time("valid_until", "'Valid until' must be after 'valid from'."))
    reason = (reason or "").strip()
    if len(reason) > 300:
        violations.append(_bad_time("reason", "The reason can be at most 300 characters."))
    if violations:
        raise RuleViolation("The weekly blackout was not saved.", violations=violations)
    tz = zone()
    space = lock_resource(session, Space, space_id)
    if space is None:
        session.rollback()
        raise NotFound(f"There is no space {space_id}.")
    rule = RecurringBlackout(space_id=space.id, weekday=weekday, start_time=start_time, end_time=end_time,
                             valid_from=valid_from, valid_until=valid_until, reason=reason, created_by_id=actor.id,
                             created_at=now)
    session.add(rule)
    session.flush()
    upcoming = list(session.execute(
        select(Booking).where(Booking.space_id == space.id, Booking.status != "cancelled", Booking.end_at > now)
        .order_by(Booking.start_at)).scalars())
    affected: list[Booking] = []
    if upcoming:
        last = max(b.end_at for b in upcoming)
        windows = weekly_windows([WeeklyWindow(weekday, start_time, end_time, valid_from, valid_until)],
                                 now - timedelta(days=1), last + timedelta(days=1), tz)
        for booking in upcoming:
            if any(ws < booking.end_at and booking.start_at < we for ws, we in windows):
                affected.append(booking)
    cancel_for_blackout(session, space, affected, reason=reason, actor=actor, now=now, tz=tz)
    record(session, actor_id=actor.id, action="blackout.recurring.create", target_type="space", target_id=space.id,
           now=now, reason=reason or None, weekday=weekday, start_time=start_time, end_time=end_time,
           cancelled_bookings=[b.id for b in affected])
    session.commit()
    return rule, affected


def _lift(session: Session, model, row_id: int, *, label: str, action: str, target_type: str, actor: User,
          now: datetime):
    """Lift a one-off or weekly blackout under the space's lock; lifting twice changes nothing."""
    end_read(session)
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"There is no {label} {row_id}.")
    lock_resource(session, Space, row.space_id)
    row = session.get(model, row_id, populate_existing=True)
    if row.lifted_at is None:
        row.lifted_at = now
        record(session, actor_id=actor.id, action=action, target_type=target_type, target_id=row.id, now=now,
               space_id=row.space_id)
    session.commit()
    return row


def lift_blackout(session: Session, blackout_id: int, *, actor: User, now: datetime) -> Blackout:
    return _lift(session, Blackout, blackout_id, label="blackout", action="blackout.lift", target_type="blackout",
                 actor=actor, now=now)


def lift_recurring_blackout(session: Session, rule_id: int, *, actor: User, now: datetime) -> RecurringBlackout:
    return _lift(session, RecurringBlackout, rule_id, label="weekly blackout", action="blackout.recurring.lift",
                 target_type="recurring_blackout", actor=actor, now=now)


def list_blackouts(session: Session, space_id: int, *, now: datetime) -> tuple[list[Blackout], list[RecurringBlackout]]:
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


# ---------------------------------------------------------------------------- authorisations


def is_authorised(session: Session, user_id: int, space_id: int, now: datetime) -> bool:
    return session.execute(
        select(Authorisation.id).where(
            Authorisation.user_id == user_id, Authorisation.space_id == space_id, Authorisation.revoked_at.is_(None),
            (Authorisation.expires_at.is_(None)) | (Authorisation.expires_at > now))
    ).first() is not None


def grant_authorisation(session: Session, *, user_id: int, space_id: int, expires_at: datetime | None, actor: User,
                        now: datetime, note: str = "") -> Authorisation:
    end_read(session)
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("There is no such person.")
    get_space(session, space_id)
    if expires_at is not None and expires_at <= now:
        raise RuleViolation("The authorisation must expire in the future.",
                            violations=[{"rule": "expires_at", "message": "The expiry must be in the future."}])
    note = (note or "").strip()[:300]
    auth = Authorisation(user_id=user_id, space_id=space_id, granted_by_id=actor.id, granted_at=now,
                         expires_at=expires_at, note=note)
    session.add(auth)
    session.flush()
    record(session, actor_id=actor.id, action="authorisation.grant", target_type="authorisation", target_id=auth.id,
           now=now, user_id=user_id, space_id=space_id,
           expires_at=expires_at.isoformat() if expires_at else None)
    session.commit()
    return auth


def revoke_authorisation(session: Session, authorisation_id: int, *, actor: User, now: datetime) -> Authorisation:
    end_read(session)
    auth = session.get(Authorisation, authorisation_id)
    if auth is None:
        raise NotFound(f"There is no authorisation {authorisation_id}.")
    if auth.revoked_at is None:
        auth.revoked_at = now
        record(session, actor_id=actor.id, action="authorisation.revoke", target_type="authorisation",
               target_id=auth.id, now=now, user_id=auth.user_id, space_id=auth.space_id)
    session.commit()
    return auth


def list_authorisations(session: Session, *, space_id: int | None = None) -> list[Authorisation]:
    stmt = select(Authorisation).order_by(Authorisation.revoked_at.is_not(None), Authorisation.granted_at.desc(),
                                          Authorisation.id.desc())
    if space_id is not None:
        stmt = stmt.where(Authorisation.space_id == space_id)
    return list(session.execute(stmt).scalars())
