"""API routes for spaces, blackouts and bookings (CONTRACT.md: Spaces, Bookings). Thin: parse
and validate input, call one service, answer JSON. Times without an offset are local time
in INNOCELL_TIMEZONE; answers carry that zone's offset."""
from __future__ import annotations

from decimal import Decimal

from flask import g, jsonify, request

from ...extensions import db
from ...models import BOOKING_STATUSES
from ...services import BadRequest, Forbidden
from ...services import blackouts as blackout_service
from ...services import bookings as booking_service
from ...services import space_attributes as attributes
from ...services import spaces as space_service
from ...timeutil import iso_local, local_zone, parse_date, parse_instant, utcnow
from . import api_roles, bp, json_body, query_int
from .paging import page_of
from .declare import documented
from .schemas import INSTANT, INT, STR, array, enum, many, obj, one, ref
from .series_input import on_conflict, repeat_rule

MANAGERS = ("manager", "admin")
SERIES_ANSWER = obj({"bookings": array(ref("Booking")), "series_id": STR, "skipped": array(ref("Skipped"))},
                    ["bookings", "series_id", "skipped"])


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
        # Made by a manager on behalf of the holder (`user_id`): who booked it, else null.
        "booked_by_id": booking.booked_by_id,
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
@documented("List spaces (inactive ones for staff); ?equipment=a,b keeps those with every listed piece, "
            "?min_seats=N those with at least N seats", paged=True,
            query={"kind": STR, "equipment": {"type": "string", "description": "comma-separated equipment tags"},
                   "min_seats": {"type": "integer", "minimum": 0, "maximum": 10000}},
            answers={200: many("spaces", "Space", paged=True)})
def list_spaces():
    kind = request.args.get("kind") or None
    include_inactive = g.user.role in ("manager", "admin", "finance")
    spaces = space_service.list_spaces(db.session, kind=kind, include_inactive=include_inactive)
    equipment = attributes.parse_tags(request.args.get("equipment") or "")
    min_seats = query_int("min_seats", maximum=10_000)
    if equipment or min_seats is not None:
        spaces = [s for s in spaces if attributes.matches(s, equipment=equipment, min_seats=min_seats)]
    return jsonify(page_of(spaces, "spaces", space_json))


@bp.post("/spaces")
@api_roles(*MANAGERS)
@documented("Add a space", body="SpaceFields",
            answers={201: one("space", "Space"), 409: "ConflictError", 422: "RuleViolationError"})
def create_space():
    space = space_service.create_space(db.session, json_body(), actor=g.user, now=utcnow())
    return jsonify({"space": space_json(space)}), 201


@bp.get("/spaces/<int:space_id>")
@documented("One space", answers={200: one("space", "Space")})
def get_space(space_id: int):
    return jsonify({"space": space_json(space_service.get_space(db.session, space_id))})


@bp.patch("/spaces/<int:space_id>")
@api_roles(*MANAGERS)
@documented("Change a space; bookings it would break answer 409 unless confirmed", body="SpaceFields",
            answers={200: obj({"space": ref("Space"), "affected_bookings": array(ref("Booking"))}, ["space"])})
def update_space(space_id: int):
    """A change that would break upcoming bookings answers 409 with `affected_bookings`,
    unless the body says `"confirm": true`: then they are cancelled and listed."""
    space, cancelled = space_service.change_space(db.session, space_id, json_body(), actor=g.user, now=utcnow())
    tz = local_zone()
    return jsonify({"space": space_json(space), "affected_bookings": [booking_json(b, tz) for b in cancelled]})


@bp.get("/spaces/<int:space_id>/availability")
@documented("Free intervals of a space", query={"start": INSTANT, "end": INSTANT},
            answers={200: obj({"space_id": INT, "free": array(ref("FreeInterval"))}, ["space_id", "free"])})
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
@documented("Close a space for a while; the bookings it overlaps are cancelled", body="BlackoutCreate",
            answers={201: obj({"blackout": ref("Blackout"), "affected_bookings": array(ref("Booking"))}, ["blackout", "affected_bookings"])})
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
@documented("A space's blackouts", answers={200: obj({"blackouts": array(ref("Blackout")), "recurring_blackouts": array(ref("RecurringBlackout"))}, ["blackouts", "recurring_blackouts"])})
def list_blackouts(space_id: int):
    space_service.get_space(db.session, space_id)
    one_off, recurring = blackout_service.list_blackouts(db.session, space_id, now=utcnow())
    tz = local_zone()
    return jsonify({"blackouts": [_blackout_json(b, tz) for b in one_off],
                    "recurring_blackouts": [_recurring_json(r) for r in recurring]})


@bp.post("/spaces/<int:space_id>/recurring-blackouts")
@api_roles(*MANAGERS)
@documented("Close a space every week at a time", body="RecurringBlackoutCreate",
            answers={201: obj({"recurring_blackout": ref("RecurringBlackout"), "affected_bookings": array(ref("Booking"))}, ["recurring_blackout"])})
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
@documented("Lift a blackout", answers={200: one("blackout", "Blackout")})
def lift_blackout(blackout_id: int):
    blackout = blackout_service.lift_blackout(db.session, blackout_id, actor=g.user, now=utcnow())
    return jsonify({"blackout": _blackout_json(blackout, local_zone())})


@bp.delete("/recurring-blackouts/<int:rule_id>")
@api_roles(*MANAGERS)
@documented("Lift a weekly blackout", answers={200: one("recurring_blackout", "RecurringBlackout")})
def lift_recurring_blackout(rule_id: int):
    rule = blackout_service.lift_recurring_blackout(db.session, rule_id, actor=g.user, now=utcnow())
    return jsonify({"recurring_blackout": _recurring_json(rule)})


# ---------------------------------------------------------------------------- bookings


@bp.post("/bookings")
@api_roles("resident", "manager", "admin")
@documented("Book a space (with repeat_weeks or repeat: a series, all or nothing or only the free dates)",
            body="BookingCreate",
            answers={201: {"anyOf": [one("booking", "Booking"), many("bookings", "Booking"), SERIES_ANSWER]},
                     409: "ConflictError", 422: "RuleViolationError"})
def create_booking():
    data = json_body()
    if data.get("for_user_id") is not None:  # a manager books on behalf of a resident
        return _create_for(data)
    space_id = _int_field(data, "space_id")
    start, end = _interval(data.get("start"), data.get("end"))
    title = _text_field(data, "title")
    repeat_weeks = data.get("repeat_weeks")
    if repeat_weeks is not None and (isinstance(repeat_weeks, bool) or not isinstance(repeat_weeks, int)):
        raise BadRequest("'repeat_weeks' must be a whole number.")
    rule = repeat_rule(data)
    now, tz = utcnow(), local_zone()
    if rule is not None or repeat_weeks is not None:
        space_service.get_space(db.session, space_id)  # (a single booking's lock answers 404 itself)
    if rule is not None:
        made = booking_service.book_series(db.session, user=g.user, space_id=space_id, start=start, end=end,
                                           title=title, rule=rule, on_conflict=on_conflict(data), now=now)
        return jsonify({"bookings": [booking_json(b, tz) for b in made.bookings], "series_id": made.series_id,
                        "skipped": made.skipped}), 201
    if repeat_weeks is not None:
        rows = booking_service.book_recurring(db.session, user=g.user, space_id=space_id, start=start, end=end,
                                              title=title, repeat_weeks=repeat_weeks, now=now)
        return jsonify({"bookings": [booking_json(b, tz) for b in rows]}), 201
    booking = booking_service.book(db.session, user=g.user, space_id=space_id, start=start, end=end, title=title,
                                   now=now)
    return jsonify({"booking": booking_json(booking, tz)}), 201


@bp.get("/bookings")
@documented("List bookings (own; staff all)", paged=True, query={"space_id": INT, "user_id": INT, "start": INSTANT, "end": INSTANT, "status": enum("pending", "confirmed", "cancelled"), "offset": {"type": "integer", "minimum": 0}},
            answers={200: many("bookings", "Booking", paged=True, extra={"total": INT})})
def list_bookings():
    space_id = query_int("space_id")
    start, end = _interval(request.args.get("start"), request.args.get("end"), required=False)
    status = request.args.get("status") or None
    if status is not None and status not in BOOKING_STATUSES:
        raise BadRequest(f"'status' must be one of {', '.join(BOOKING_STATUSES)}.")
    user_id = query_int("user_id", minimum=1)
    filters = dict(viewer=g.user, space_id=space_id, start=start, end=end, status=status, user_id=user_id)
    rows = booking_service.list_bookings(db.session, **filters)
    tz = local_zone()
    return jsonify({**page_of(rows, "bookings", lambda b: booking_json(b, tz)), "total": len(rows)})


@bp.get("/bookings/<int:booking_id>")
@documented("One booking", answers={200: one("booking", "Booking")})
def get_booking(booking_id: int):
    booking = booking_service.get_booking(db.session, booking_id, viewer=g.user)
    return jsonify({"booking": booking_json(booking, local_zone())})


@bp.delete("/bookings/<int:booking_id>")
@documented("Cancel a booking (one under way ends early); ?scope=one|following|series for a series",
            body="Reason", optional_body=True, query={"scope": enum("one", "following", "series")},
            answers={200: {"anyOf": [one("booking", "Booking"), many("bookings", "Booking")]}})
def cancel_booking(booking_id: int):
    data = request.get_json(silent=True) if request.data else None
    reason = data.get("reason") if isinstance(data, dict) and isinstance(data.get("reason"), str) else None
    if request.args.get("scope") is not None:
        rows = booking_service.cancel_series(db.session, booking_id, actor=g.user, scope=request.args["scope"],
                                             now=utcnow(), reason=reason)
        return jsonify({"bookings": [booking_json(b, local_zone()) for b in rows]})
    booking = booking_service.cancel(db.session, booking_id, actor=g.user, now=utcnow(), reason=reason)
    return jsonify({"booking": booking_json(booking, local_zone())})


@bp.post("/bookings/<int:booking_id>/approve")
@api_roles(*MANAGERS)
@documented("Approve a pending booking", answers={200: one("booking", "Booking")})
def approve_booking(booking_id: int):
    booking = booking_service.approve(db.session, booking_id, actor=g.user, now=utcnow())
    return jsonify({"booking": booking_json(booking, local_zone())})


@bp.post("/bookings/<int:booking_id>/reject")
@api_roles(*MANAGERS)
@documented("Reject a pending booking", body="Reason", optional_body=True, answers={200: one("booking", "Booking")})
def reject_booking(booking_id: int):
    data = request.get_json(silent=True) if request.data else None
    reason = data.get("reason") if isinstance(data, dict) and isinstance(data.get("reason"), str) else None
    booking = booking_service.reject(db.session, booking_id, actor=g.user, now=utcnow(), reason=reason)
    return jsonify({"booking": booking_json(booking, local_zone())})


def _create_for(data: dict):
    """POST /bookings with `for_user_id`: the booking is the resident's (their quota and rules),
    made by the manager (`booked_by_id`)."""
    if g.user.role not in MANAGERS:
        raise Forbidden("Only managers can book on behalf of someone else ('for_user_id').")
    space_id = _int_field(data, "space_id")
    start, end = _interval(data.get("start"), data.get("end"))
    repeat_weeks = data.get("repeat_weeks")
    if repeat_weeks is not None and (isinstance(repeat_weeks, bool) or not isinstance(repeat_weeks, int)):
        raise BadRequest("'repeat_weeks' must be a whole number.")
    rule = repeat_rule(data)
    space_service.get_space(db.session, space_id)
    rows = booking_service.book_for(db.session, actor=g.user, for_user_id=data.get("for_user_id"), space_id=space_id,
                                    start=start, end=end, title=_text_field(data, "title"), now=utcnow(),
                                    repeat_weeks=repeat_weeks, rule=rule,
                                    on_conflict=on_conflict(data) if rule is not None else "fail")
    tz = local_zone()
    if rule is not None:
        return jsonify({"bookings": [booking_json(b, tz) for b in rows.bookings], "series_id": rows.series_id,
                        "skipped": rows.skipped}), 201
    if repeat_weeks is not None:
        return jsonify({"bookings": [booking_json(b, tz) for b in rows]}), 201
    return jsonify({"booking": booking_json(rows[0], tz)}), 201
