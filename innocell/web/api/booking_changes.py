"""API routes to change a booking and to book on behalf of a resident (CONTRACT.md, Bookings):

- `PATCH /api/v1/bookings/ID` `{"start"?,"end"?,"space_id"?,"title"?}` → `200 {"booking"}`;
  refused with the same 409/422 answers as a new booking, and the booking is then unchanged.
  A new start alone moves the booking (its length kept); a new end alone changes its length.
  `?scope=following|series` applies the change to this and every later occurrence, or to the
  whole series (each occurrence that has not begun moves by the same shift of its start and
  takes the same new length, space and title), all or nothing → `200 {"bookings"}`; a refusal
  names each occurrence, as a series booked with on_conflict=fail does. `?scope=one` (the
  default) changes this booking alone.

(`POST /api/v1/bookings` with `"for_user_id"` is in spaces.py, beside the plain POST.)
"""
from __future__ import annotations

from flask import g, jsonify, request

from ...extensions import db
from ...services import BadRequest
from ...services import bookings as booking_service
from ...timeutil import local_zone, utcnow
from . import bp, json_body
from .declare import documented
from .schemas import BODIES, INSTANT, INT, STR, enum, many, null, obj, one
from .spaces import _instant, _int_field, _interval, booking_json

FIELDS = {"start", "end", "space_id", "title"}
BODIES["BookingChange"] = obj({"start": null(INSTANT), "end": null(INSTANT), "space_id": null(INT),
                               "title": null(STR)},
                              description="What to change; what is left out stays as it is.")


@bp.patch("/bookings/<int:booking_id>")
@documented("Change a booking's time, length, space or title (its own hold never conflicts; a refusal "
            "leaves it exactly as it was); ?scope=following|series changes this and every later occurrence, "
            "or the whole series, all or nothing", body="BookingChange",
            query={"scope": enum("one", "following", "series")},
            answers={200: {"anyOf": [one("booking", "Booking"), many("bookings", "Booking")]},
                     409: "ConflictError", 422: "RuleViolationError"})
def change_booking(booking_id: int):
    scope = request.args.get("scope", "one")
    if scope not in ("one", "following", "series"):
        raise BadRequest("'scope' must be one of one, following, series.")
    data = json_body()
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise BadRequest(f"Only start, end, space_id and title can be changed (not {', '.join(unknown)}).")
    if "start" in data and "end" in data:
        start, end = _interval(data.get("start"), data.get("end"), required=False)
    else:
        start, end = _instant(data.get("start"), "start", required=False), _instant(data.get("end"), "end",
                                                                                      required=False)
    space_id = _int_field(data, "space_id", required=False)
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise BadRequest("'title' must be text.")
    if scope != "one":
        rows = booking_service.change_series(db.session, booking_id, actor=g.user, scope=scope, now=utcnow(),
                                             start=start, end=end, space_id=space_id, title=title)
        return jsonify({"bookings": [booking_json(b, local_zone()) for b in rows]})
    booking = booking_service.change(db.session, booking_id, actor=g.user, now=utcnow(), start=start, end=end,
                                     space_id=space_id, title=title)
    return jsonify({"booking": booking_json(booking, local_zone())})

