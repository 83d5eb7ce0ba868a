"""Spaces booked by the hour: the inventory (create, edit, open and close for booking).
Each change is one guarded transaction, audited; `now` is passed in. A change of the rules
applies to bookings still to come (space_changes.py: the bookings it breaks are listed, and
cancelled only when confirmed); activation and deactivation are recorded as the space's
active periods. Blackouts live in services/blackouts.py, authorisations in
services/authorisations.py."""
from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..allocation.hours import WEEKDAYS, validate_opening_hours
from ..models import DEFAULT_OPENING_HOURS, Booking, Space, User
from . import BadRequest, Conflict, NotFound, RuleViolation, space_kinds
from . import space_changes as changes
from .audit import record
from .guard import lock_resource
from .settings import setting, zone
from .tx import transaction
from . import fields
from . import space_attributes as attributes
from .phrasing import current, gettext, ngettext
from ..allocation.phrasing import ENGLISH


def list_spaces(session: Session, *, kind: str | None = None, include_inactive: bool = False) -> list[Space]:
    stmt = select(Space).order_by(Space.kind, Space.name, Space.id)
    if kind:
        stmt = stmt.where(Space.kind == kind)
    if not include_inactive:
        stmt = stmt.where(Space.active.is_(True))
    return list(session.execute(stmt).scalars())


def get_space(session: Session, space_id) -> Space:
    if not isinstance(space_id, int) or isinstance(space_id, bool):
        raise NotFound(gettext("There is no such space."))
    space = session.get(Space, space_id)
    if space is None:
        raise NotFound(gettext("There is no space %(space_id)s.", space_id=space_id))
    return space


def locked_space(session: Session, space_id) -> Space:
    """The space, locked for the rest of the caller's transaction (writers of one space
    serialise here); NotFound when there is none."""
    if not isinstance(space_id, int) or isinstance(space_id, bool):
        raise NotFound(gettext("There is no such space."))
    space = lock_resource(session, Space, space_id)
    if space is None:
        raise NotFound(gettext("There is no space %(space_id)s.", space_id=space_id))
    return space


def _flush_unique_code(session: Session, code: str) -> None:
    """Flush; the unique index's refusal (a racing writer took the code) becomes a Conflict."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(gettext("A space with the code '%(code)s' already exists.", code=code)) from None


# ---------------------------------------------------------------------------- validation

_INT_FIELDS = {
    "capacity": (1, 10_000, "Capacity"),
    "slot_minutes": (1, 24 * 60, "The slot length"),
    "min_minutes": (1, None, "The shortest booking"),
    "max_minutes": (1, None, "The longest booking"),
    "buffer_minutes": (0, None, "The buffer"),
    "max_days_ahead": (1, 3650, "The booking horizon"),
    "late_cancel_hours": (0, 24 * 30, "The late-cancellation window in hours"),
}
_MONEY_FIELDS = {"hourly_rate": "The hourly rate", "late_cancel_fee": "The late-cancellation fee"}
_BOOL_FIELDS = ("requires_approval", "active", "requires_authorisation", "requires_checkin", "closed_on_holidays")
_TEXT_FIELDS = {"code": (40, True), "name": (200, True), "kind": (40, True), "description": (5000, False)}
EDITABLE = set(_INT_FIELDS) | set(_BOOL_FIELDS) | set(_TEXT_FIELDS) | set(_MONEY_FIELDS) | {"opening_hours"} \
    | set(attributes.FIELDS)


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
        if field in attributes.FIELDS:  # equipment, seats, floor, photo_url
            value, problem = attributes.clean_attribute(field, value)
            if problem:
                bad(field, problem)
            else:
                values[field] = value
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
        elif field in _MONEY_FIELDS:
            try:
                values[field] = fields.money(value, label=_MONEY_FIELDS[field].removeprefix("The ").lower())
            except ValueError as exc:
                bad(field, str(exc))
                continue
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


def _check_kind(session: Session, data: dict, values: dict, violations: list[dict]) -> None:
    """A space's kind is one of the managed keys (space_kinds); checked when it is given."""
    if "kind" not in data or any(v["rule"] == "kind" for v in violations):
        return
    problem = space_kinds.unknown_kind_violation(session, values.get("kind"))
    if problem is not None:
        violations.append(problem)


def _defaults() -> dict:
    return {
        "code": None, "name": None, "kind": None, "description": "",
        "capacity": 1, "opening_hours": copy.deepcopy(DEFAULT_OPENING_HOURS),
        "slot_minutes": 30, "min_minutes": 30, "max_minutes": 480, "buffer_minutes": 0,
        "max_days_ahead": int(setting("BOOKING_HORIZON_DAYS")), "hourly_rate": Decimal("0"),
        "requires_approval": False, "active": True, "requires_authorisation": False,
        "requires_checkin": False, "closed_on_holidays": False, "late_cancel_hours": 0,
        "late_cancel_fee": Decimal("0"), **copy.deepcopy(attributes.DEFAULTS),
    }


def _current(space: Space) -> dict:
    return {field: getattr(space, field) for field in EDITABLE}


@transaction
def create_space(session: Session, data: dict, *, actor: User, now: datetime) -> Space:
    if not isinstance(data, dict):
        raise BadRequest(gettext("Send the space as a JSON object."))
    values, violations = _clean(data, _defaults())
    for field in ("code", "name", "kind"):
        if field not in data:
            violations.append({"rule": field, "message": gettext("'%(field)s' is required.", field=field)})
    _check_kind(session, data, values, violations)
    if violations:
        raise RuleViolation(gettext("The space was not saved: %(problems)s", problems=" ".join(v["message"] for v in violations)),
                            violations=violations)
    if session.execute(select(Space.id).where(Space.code == values["code"])).first():
        raise Conflict(gettext("A space with the code '%(code)s' already exists.", code=values['code']))
    space = Space(created_at=now, **values)
    session.add(space)
    _flush_unique_code(session, values["code"])
    if space.active:
        changes.open_period(session, space, now)
    record(session, actor_id=actor.id, action="space.create", target_type="space", target_id=space.id, now=now,
           code=space.code)
    return space


def _confirmed(data: dict) -> tuple[dict, bool]:
    """The changes without the `confirm` flag, and the flag (true or false only)."""
    data = dict(data)
    confirm = data.pop("confirm", False)
    if not isinstance(confirm, bool):
        raise RuleViolation(gettext("'confirm' must be true or false."),
                            violations=[{"rule": "confirm", "message": gettext("'confirm' must be true or false.")}])
    return data, confirm


@transaction
def change_space(session: Session, space_id: int, data: dict, *, actor: User,
                 now: datetime) -> tuple[Space, list[Booking]]:
    """Edit a space; returns it and the bookings the change cancelled.

    A change of the buffer, capacity, grid or opening hours applies to the bookings still to
    come. When it would break some (space_changes.broken_bookings), nothing is saved and the
    answer is a Conflict listing them (`affected_bookings`, each with its reasons), unless
    `"confirm": true` is sent: then they are cancelled and their holders notified, as a
    blackout does. The bookings kept take the new buffer and capacity."""
    if not isinstance(data, dict):
        raise BadRequest(gettext("Send the changes as a JSON object."))
    data, confirm = _confirmed(data)
    space = locked_space(session, space_id)
    values, violations = _clean(data, _current(space))
    _check_kind(session, data, values, violations)
    if violations:
        raise RuleViolation(gettext("The space was not saved: %(problems)s", problems=" ".join(v["message"] for v in violations)),
                            violations=violations)
    if values["code"] != space.code and session.execute(
            select(Space.id).where(Space.code == values["code"], Space.id != space.id)).first():
        raise Conflict(gettext("A space with the code '%(code)s' already exists.", code=values['code']))
    tz = zone()
    broken = changes.broken_bookings(session, space, values, now, tz)
    if broken and not confirm:
        if current() is not ENGLISH:  # the reasons in the reader's language (the holders' notices stay English)
            broken = changes.broken_bookings(session, space, values, now, tz, current())
        raise Conflict(ngettext('This change would cancel %(num)s upcoming booking of %(name)s that the new rules refuse; send it again with "confirm": true to cancel it and notify the holders.', 'This change would cancel %(num)s upcoming bookings of %(name)s that the new rules refuse; send it again with "confirm": true to cancel them and notify the holders.', len(broken), name=space.name),
                       affected_bookings=changes.broken_json(broken, tz))
    cancelled = changes.cancel_broken(session, space, broken, actor=actor, now=now, tz=tz)
    changed = {}
    for field, value in values.items():
        if getattr(space, field) != value:
            old = getattr(space, field)
            changed[field] = [str(old) if isinstance(old, Decimal) else old,
                              str(value) if isinstance(value, Decimal) else value]
            setattr(space, field, value)
    if "active" in changed:
        (changes.open_period if space.active else changes.close_period)(session, space, now)
    _flush_unique_code(session, values["code"])
    reholds = changes.rehold(session, space, now)
    if changed:
        record(session, actor_id=actor.id, action="space.update", target_type="space", target_id=space.id, now=now,
               changes=changed)
    changes.record_change(session, space, cancelled, actor=actor, now=now, reholds=reholds)
    return space, cancelled


@transaction
def update_space(session: Session, space_id: int, data: dict, *, actor: User, now: datetime) -> Space:
    """Edit a space (see change_space); returns the space."""
    return change_space(session, space_id, data, actor=actor, now=now)[0]


@transaction
def set_space_active(session: Session, space_id: int, active: bool, *, actor: User, now: datetime) -> Space:
    space = locked_space(session, space_id)
    if bool(space.active) != bool(active):
        space.active = bool(active)
        (changes.open_period if space.active else changes.close_period)(session, space, now)
        record(session, actor_id=actor.id, action="space.activate" if active else "space.deactivate",
               target_type="space", target_id=space.id, now=now)
    return space
