"""API routes for job-driven features: notifications, the slot waitlist, check-in."""
from __future__ import annotations

from flask import g, jsonify, request

from ...extensions import db
from ...services import BadRequest
from ...services import no_show as no_show_service
from ...services import notifications as notification_service
from ...services import slot_waitlist as slot_service
from ...timeutil import iso_local, local_zone, parse_instant, utcnow
from . import api_roles, bp, json_body, query_int
from .declare import documented
from .paging import page_of
from .schemas import INT, STR, many, one
from .spaces import booking_json

BOOKERS = ("resident", "manager", "admin")


def notification_json(note, tz) -> dict:
    return {"id": note.id, "kind": note.kind, "subject": note.subject, "body": note.body, "link": note.link,
            "created_at": iso_local(note.created_at, tz), "read_at": iso_local(note.read_at, tz),
            "read": note.read_at is not None, "email_status": note.email_status}


def slot_request_json(item, tz) -> dict:
    return {"id": item.id, "user_id": item.user_id, "space_id": item.space_id, "start": iso_local(item.start_at, tz),
            "end": iso_local(item.end_at, tz), "title": item.title or "", "status": item.status,
            "booking_id": item.booking_id, "reason": item.reason, "created_at": iso_local(item.created_at, tz)}


@bp.get("/notifications")
@documented("My notifications, newest first", paged=True, query={"unread": {"type": "string", "enum": ["0", "1"]}, "offset": INT},
            answers={200: many("notifications", "Notification", paged=True, extra={"unread": INT})})
def list_notifications():
    """The caller's own notices, newest first: ?unread=1, ?limit=, ?cursor= (web/api/paging.py)."""
    tz = local_zone()
    notes = notification_service.list_for_user(db.session, g.user.id, unread_only=request.args.get("unread") == "1",
                                               limit=None, offset=0)
    return jsonify({**page_of(notes, "notifications", lambda n: notification_json(n, tz)),
                    "unread": notification_service.unread_count(db.session, g.user.id)})


@bp.post("/notifications/<int:notification_id>/read")
@documented("Mark a notification read", answers={200: one("notification", "Notification")})
def read_notification(notification_id: int):
    note = notification_service.mark_read(db.session, notification_id, user_id=g.user.id, now=utcnow())
    return jsonify({"notification": notification_json(note, local_zone())})


def _instant(data: dict, name: str):
    raw = data.get(name)
    if not isinstance(raw, str):
        raise BadRequest(f"'{name}' is required (ISO 8601).")
    try:
        return parse_instant(raw, local_zone())
    except ValueError as exc:
        raise BadRequest(f"'{name}': {exc}.") from None


@bp.post("/slot-requests")
@api_roles(*BOOKERS)
@documented("Wait for a taken slot", body="SlotRequestCreate", answers={201: one("slot_request", "SlotRequest")})
def create_slot_request():
    data = json_body()
    space_id = data.get("space_id")
    if isinstance(space_id, bool) or not isinstance(space_id, int):
        raise BadRequest("'space_id' is required (a whole number).")
    start, end = _instant(data, "start"), _instant(data, "end")
    title = data.get("title", "")
    if title is not None and not isinstance(title, str):
        raise BadRequest("'title' must be text.")
    item = slot_service.join_slot_waitlist(db.session, user=g.user, space_id=space_id, start=start, end=end,
                                           title=title or "", now=utcnow())
    body = slot_request_json(item, local_zone())
    body["position"] = slot_service.position(db.session, item)
    return jsonify({"slot_request": body}), 201


@bp.get("/slot-requests")
@documented("Slot requests (own; staff all)", paged=True, query={"status": STR},
            answers={200: many("slot_requests", "SlotRequest", paged=True)})
def list_slot_requests():
    """Own requests; managers, admins and finance see all. ?status= filters."""
    tz = local_zone()
    items = slot_service.list_requests(db.session, user=g.user, status=request.args.get("status") or None)
    return jsonify(page_of(items, "slot_requests", lambda i: slot_request_json(i, tz)))


@bp.delete("/slot-requests/<int:request_id>")
@api_roles(*BOOKERS)
@documented("Leave the waitlist for a slot", answers={200: one("slot_request", "SlotRequest")})
def cancel_slot_request(request_id: int):
    item = slot_service.cancel_request(db.session, request_id, user=g.user, now=utcnow())
    return jsonify({"slot_request": slot_request_json(item, local_zone())})


@bp.post("/bookings/<int:booking_id>/check-in")
@api_roles(*BOOKERS)
@documented("Check in to a booking that has begun", answers={200: one("booking", "Booking")})
def check_in(booking_id: int):
    booking = no_show_service.check_in(db.session, booking_id, user=g.user, now=utcnow())
    body = booking_json(booking, local_zone())
    body["checked_in_at"] = iso_local(booking.checked_in_at, local_zone())
    return jsonify({"booking": body})
