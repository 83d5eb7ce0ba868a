"""POST /api/v1/bookings/preview: a booking request (with or without `repeat`) judged
occurrence by occurrence, writing nothing."""
from __future__ import annotations

from flask import g, jsonify

from ...allocation.recurrence import Rule
from ...extensions import db
from ...services import bookings as booking_service
from ...services.bookings.series import skipped_json
from ...timeutil import iso_local, local_zone, utcnow
from . import api_roles, bp, json_body
from .declare import documented
from .schemas import array, obj, ref
from .series_input import on_conflict, repeat_rule
from .spaces import _int_field, _interval


def occurrence_json(occurrence, tz) -> dict:
    item = {"start": iso_local(occurrence.start, tz), "end": iso_local(occurrence.end, tz),
            "status": occurrence.status}
    if occurrence.conflicts:
        item["conflicts"] = [{"start": iso_local(s, tz), "end": iso_local(e, tz)} for s, e in occurrence.conflicts]
    if occurrence.violations:
        item["violations"] = [{"rule": v["rule"], "message": v["message"]} for v in occurrence.violations]
    return item


@bp.post("/bookings/preview")
@api_roles("resident", "manager", "admin")
@documented("Judge a booking or series date by date, writing nothing", body="BookingCreate",
            answers={200: obj({"occurrences": array(ref("Occurrence")), "skipped": array(ref("Skipped"))},
                              ["occurrences", "skipped"])})
def preview_booking():
    data = json_body()
    space_id = _int_field(data, "space_id")
    start, end = _interval(data.get("start"), data.get("end"))
    rule = repeat_rule(data) or Rule("daily", count=1)
    on_conflict(data)  # the same body as the booking: a bad value is refused here too
    occurrences, skipped = booking_service.preview_series(db.session, user=g.user, space_id=space_id, start=start,
                                                          end=end, rule=rule, now=utcnow())
    tz = local_zone()
    return jsonify({"occurrences": [occurrence_json(o, tz) for o in occurrences],
                    "skipped": [skipped_json(s, tz) for s in skipped]})
