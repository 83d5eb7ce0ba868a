"""API routes for spaces, blackouts and bookings (CONTRACT.md: Spaces, Bookings). Thin: parse
and validate input, call one service, answer JSON. Times without an offset are local time
in INNOCELL_TIMEZONE; answers carry that zone's offset."""
from __future__ import annotations

from decimal import Decimal

from flask import g, jsonify, request

from ...extensions import db
from ...models import BOOKING_STATUSES
from ...services import BadRequest
from ...services import blackouts as blackout_service
from ...services import bookings as booking_service
from ...services import spaces as space_service
from ...timeutil import iso_local, local_zone, parse_date, parse_instant, utcnow
from . import api_roles, bp, json_body, query_int

MANAGERS = ("manager", "admin")


def space_json(space) -> dict:
    rate = float(space.hourly_rate if space.hourly_rate is not None else Decimal("0"))
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
        "late_cancel_hours": space.late_cancel_hours or 0,
        "late_cancel_fee": _number(space.late_cancel_fee),
        # What it has (residents filter by these):
        "equipment": list(space.equipment or []),
        "seats": space.seats,
        "floor": space.floor,
        "photo_url": space.photo_url,
    }


def _number(value):
    """An amount as JSON: a whole number when it is one, else a float; None stays None."""
    if value is None:
        return None
    amount = float(value)
    return int(amount) if amount == int(amount) else amount


def booking_json(booking, tz) -> dict:
    return {
        "id": booking.id,
        "space_id": booking.space_id,
        "user_id": booking.user_id,
        "start": iso_local(booking.start_at, tz),
        "end": iso_local(booking.end_at, tz),
        "status": booking.status,
        "title": booking.title or "",
        # Beyond the contract (extensions):
        "series_id": booking.series_id,
        "cancelled_at": iso_local(booking.cancelled_at, tz),
        "cancel_reason": booking.cancel_reason,
        # Ended early while under way (the used part stays booked); `booked_end` as booked.
        "ended_early_at": iso_local(booking.ended_early_at, tz),
        "booked_end": iso_local(booking.booked_end_at, tz),
        "end_reason": booking.end_reason,
        # Cancelled by its holder inside the space's late-cancellation window, and the fee then.
        "late_cancel": bool(booking.late_cancel),
        "late_cancel_fee": _number(booking.late_cancel_fee),
    }


def _instant(value, name: str, *, required: bool = True):
    if value is None or value == "":
        if required:
            raise BadRequest(f"'{name}' is required: a date and time in ISO 8601, e.g. 2026-12-08T14:00.")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a date and time in ISO 8601 text, e.g. 2026-12-08T14:00.")
    try:
        return parse_instant(value, local_zone())
    except (ValueError, OverflowError) as exc:
        raise BadRequest(f"'{name}': {exc}.") from None


def _interval(start_raw, end_raw, *, required: bool = True):
    start = _instant(start_raw, "start", required=required)
    end = _instant(end_raw, "end", required=required)
    if start is not None and end is not None and not start < end:
        raise BadRequest("'end' must be after 'start'.")
    return start, end


def _int_field(data: dict, name: str, *, required: bool = True):
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequest(f"'{name}' is required (a whole number).")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be a whole number.")
    return value


def _text_field(data: dict, name: str, default: str = "") -> str:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be text.")
    return value


# ---------------------------------------------------------------------------- spaces


@bp.get("/spaces")
def list_spaces():
    kind = request.args.get("kind") or None
    include_inactive = g.user.role in ("manager", "admin", "finance")
    spaces = space_service.list_spaces(db.session, kind=kind, include_inactive=include_inactive)
    return jsonify({"spaces": [space_json(s) for s in spaces]})


@bp.post("/spaces")
@api_roles(*MANAGERS)
def create_space():
    space = space_service.create_space(db.session, json_body(), actor=g.user, now=utcnow())
    return jsonify({"space": space_json(space)}), 201


@bp.get("/spaces/<int:space_id>")
def get_space(space_id: int):
    return jsonify({"space": space_json(space_service.get_space(db.session, space_id))})


@bp.patch("/spaces/<int:space_id>")
@api_roles(*MANAGERS)
def update_space(space_id: int):
    """A change that would break upcoming bookings answers 409 with `affected_bookings`,
    unless the body says `"confirm": true`: then they are cancelled and listed."""
    space, cancelled = space_service.change_space(db.session, space_id, json_body(), actor=g.user, now=utcnow())
    tz = local_zone()
    return jsonify({"space": space_json(space), "affected_bookings": [booking_json(b, tz) for b in cancelled]})


@bp.get("/spaces/<int:space_id>/availability")
def space_availability(space_id: int):
    start, end = _interval(request.args.get("start"), request.args.get("end"))
    space_service.get_space(db.session, space_id)
    free = booking_service.availability(db.session, space_id, start=start, end=end, now=utcnow())
    tz = local_zone()
    return jsonify({"space_id": space_id, "free": [
        {"start": iso_local(f["start"], tz), "end": iso_local(f["end"], tz), "capacity_left": f["capacity_left"]}
        for f in free]})


def _blackout_json(blackout, tz) -> dict:
    return {"id": blackout.id, "space_id": blackout.space_id, "start": iso_local(blackout.start_at, tz),
            "end": iso_local(blackout.end_at, tz), "reason": blackout.reason or "",
            "lifted_at": iso_local(blackout.lifted_at, tz)}


def _recurring_json(rule) -> dict:
    return {"id": rule.id, "space_id": rule.space_id, "weekday": rule.weekday, "start_time": rule.start_time,
            "end_time": rule.end_time, "valid_from": rule.valid_from.isoformat() if rule.valid_from else None,
            "valid_until": rule.valid_until.isoformat() if rule.valid_until else None, "reason": rule.reason or ""}


@bp.post("/spaces/<int:space_id>/blackouts")
@api_roles(*MANAGERS)
def create_blackout(space_id: int):
    data = json_body()
    start, end = _interval(data.get("start"), data.get("end"))
    reason = _text_field(data, "reason")
    space_service.get_space(db.session, space_id)
    blackout, affected = blackout_service.add_blackout(db.session, space_id, start=start, end=end, reason=reason,
                                                       actor=g.user, now=utcnow())
    tz = local_zone()
    return jsonify({"blackout": _blackout_json(blackout, tz),
                    "affected_bookings": [booking_json(b, tz) for b in affected]}), 201


@bp.get("/spaces/<int:space_id>/blackouts")
def list_blackouts(space_id: int):
    space_service.get_space(db.session, space_id)
    one_off, recurring = blackout_service.list_blackouts(db.session, space_id, now=utcnow())
    tz = local_zone()
    return jsonify({"blackouts": [_blackout_json(b, tz) for b in one_off],
                    "recurring_blackouts": [_recurring_json(r) for r in recurring]})


@bp.post("/spaces/<int:space_id>/recurring-blackouts")
@api_roles(*MANAGERS)
def create_recurring_blackout(space_id: int):
    data = json_body()
    weekday = _int_field(data, "weekday")
    start_time, end_time = _text_field(data, "start_time"), _text_field(data, "end_time")
    dates = {}
    for name in ("valid_from", "valid_until"):
        raw = data.get(name)
        if raw in (None, ""):
            dates[name] = None
            continue
        try:
            dates[name] = parse_date(raw)
        except ValueError as exc:
            raise BadRequest(f"'{name}': {exc}.") from None
    space_service.get_space(db.session, space_id)
    rule, affected = blackout_service.add_recurring_blackout(
        db.session, space_id, weekday=weekday, start_time=start_time, end_time=end_time,
        valid_from=dates["valid_from"], valid_until=dates["valid_until"], reason=_text_field(data, "reason"),
        actor=g.user, now=utcnow())
    tz = local_zone()
    return jsonify({"recurring_blackout": _recurring_json(rule),
                    "affected_bookings": [booking_json(b, tz) for b in affected]}), 201


@bp.delete("/blackouts/<int:blackout_id>")
@api_roles(*MANAGERS)
def lift_blackout(blackout_id: int):
    blackout = blackout_service.lift_blackout(db.session, blackout_id, actor=g.user, now=utcnow())
    return jsonify({"blackout": _blackout_json(blackout, local_zone())})


@bp.delete("/recurring-blackouts/<int:rule_id>")
@api_roles(*MANAGERS)
def lift_recurring_blackout(rule_id: int):
    rule = blackout_service.lift_recurring_blackout(db.session, rule_id, actor=g.user, now=utcnow())
    return jsonify({"recurring_blackout": _recurring_json(rule)})


# ---------------------------------------------------------------------------- bookings


@bp.post("/bookings")
@api_roles("resident", "manager", "admin")
def create_booking():
    data = json_body()
    space_id = _int_field(data, "space_id")
    start, end = _interval(data.get("start"), data.get("end"))
    title = _text_field(data, "title")
    repeat_weeks = data.get("repeat_weeks")
    if repeat_weeks is not None and (isinstance(repeat_weeks, bool) or not isinstance(repeat_weeks, int)):
        raise BadRequest("'repeat_weeks' must be a whole number.")
    space_service.get_space(db.session, space_id)
    now, tz = utcnow(), local_zone()
    if repeat_weeks is not None:
        rows = booking_service.book_recurring(db.session, user=g.user, space_id=space_id, start=start, end=end,
                                              title=title, repeat_weeks=repeat_weeks, now=now)
        return jsonify({"bookings": [booking_json(b, tz) for b in rows]}), 201
    booking = booking_service.book(db.session, user=g.user, space_id=space_id, start=start, end=end, title=title,
                                   now=now)
    return jsonify({"booking": booking_json(booking, tz)}), 201


@bp.get("/bookings")
def list_bookings():
    space_id = query_int("space_id")
    start, end = _interval(request.args.get("start"), request.args.get("end"), required=False)
    status = request.args.get("status") or None
    if status is not None and status not in BOOKING_STATUSES:
        raise BadRequest(f"'status' must be one of {', '.join(BOOKING_STATUSES)}.")
    limit, offset = query_int("limit"), query_int("offset")
    if (limit is not None and limit < 0) or (offset is not None and offset < 0):
        raise BadRequest("'limit' and 'offset' cannot be negative.")
    filters = dict(viewer=g.user, space_id=space_id, start=start, end=end, status=status)
    rows = booking_service.list_bookings(db.session, limit=limit, offset=offset, **filters)
    tz = local_zone()
    return jsonify({"bookings": [booking_json(b, tz) for b in rows],
                    "total": booking_service.count_bookings(db.session, **filters)})


@bp.get("/bookings/<int:booking_id>")
def get_booking(booking_id: int):
    booking = booking_service.get_booking(db.session, booking_id, viewer=g.user)
    return jsonify({"booking": booking_json(booking, local_zone())})


@bp.delete("/bookings/<int:booking_id>")
def cancel_booking(booking_id: int):
    data = request.get_json(silent=True) if request.data else None
    reason = data.get("reason") if isinstance(data, dict) and isinstance(data.get("reason"), str) else None
    booking = booking_service.cancel(db.session, booking_id, actor=g.user, now=utcnow(), reason=reason)
    return jsonify({"booking": booking_json(booking, local_zone())})


@bp.post("/bookings/<int:booking_id>/approve")
@api_roles(*MANAGERS)
def approve_booking(booking_id: int):
    booking = booking_service.approve(db.session, booking_id, actor=g.user, now=utcnow())
    return jsonify({"booking": booking_json(booking, local_zone())})


@bp.post("/bookings/<int:booking_id>/reject")
@api_roles(*MANAGERS)
def reject_booking(booking_id: int):
    data = request.get_json(silent=True) if request.data else None
    reason = data.get("reason") if isinstance(data, dict) and isinstance(data.get("reason"), str) else None
    booking = booking_service.reject(db.session, booking_id, actor=g.user, now=utcnow(), reason=reason)
    return jsonify({"booking": booking_json(booking, local_zone())})
