"""Bulk decisions on booking requests (an extension of CONTRACT.md, Bookings):
`POST /api/v1/bookings/approve` and `/reject` with `{"ids": [...], "reason"?}`. All or nothing:
when any listed request can no longer be decided, nothing changes and the 409 lists each one
under `refused`. The single routes `/bookings/ID/approve` and `/reject` stay as they are."""
from __future__ import annotations

from flask import g, jsonify

from ...extensions import db
from ...services import BadRequest
from ...services.bookings.decisions import decide_many
from ...timeutil import local_zone, utcnow
from . import api_roles, bp, json_body
from .declare import documented
from .schemas import ANY, BODIES, INT, STR, array, many, null, obj
from .spaces import MANAGERS, booking_json

BODIES["BookingIds"] = obj({"ids": ANY, "reason": null(STR)}, ["ids"],
                           description="The requests to decide (a list of booking ids) and an optional reason.")
DECIDED = {200: many("bookings", "Booking"),
           409: obj({"error": STR, "message": STR, "refused": array(obj({"id": ANY, "message": STR}))},
                    ["error", "message"])}


def _decide(approve_them: bool):
    data = json_body()
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise BadRequest("'reason' must be text.")
    decided = decide_many(db.session, data.get("ids"), approve_them=approve_them, actor=g.user, now=utcnow(),
                          reason=reason)
    tz = local_zone()
    return jsonify({"bookings": [booking_json(b, tz) for b in decided]})


@bp.post("/bookings/approve")
@api_roles(*MANAGERS)
@documented("Approve several requests at once (all or nothing)", body="BookingIds", answers=DECIDED)
def approve_bookings():
    return _decide(True)


@bp.post("/bookings/reject")
@api_roles(*MANAGERS)
@documented("Decline several requests at once (all or nothing)", body="BookingIds", answers=DECIDED)
def reject_bookings():
    return _decide(False)
