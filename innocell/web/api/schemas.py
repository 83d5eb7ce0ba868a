"""JSON Schema (2020-12, the dialect of OpenAPI 3.1) of what the API answers and accepts.

The routes declare these with `@documented` (web/api/declare.py): request bodies are enforced
from them before a view parses its input, and /api/v1/openapi.json is assembled from them, so
the document cannot drift from what the routes do. The test suite checks every /api/v1 answer
it receives against them (tests/conftest.py).

Resources name the contract's keys as `required`; the extensions an answer carries beyond the
contract are listed with their types, and further keys are allowed (additions are not breaking).
Request bodies list their fields; a field of the wrong JSON type is a 400 naming it.
"""
from __future__ import annotations

STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
MONEY = {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$", "description": "an exact amount, e.g. \"1234.50\""}
BOOL = {"type": "boolean"}
INSTANT = {"type": "string", "format": "date-time",
           "description": "ISO 8601; without an offset it is local time in INNOCELL_TIMEZONE"}
DATE = {"type": "string", "format": "date", "description": "YYYY-MM-DD"}
ANY = {}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def null(schema: dict) -> dict:
    """`schema` or JSON null."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema.get("type", "string")
    return {**schema, "type": [*(types if isinstance(types, list) else [types]), "null"]}


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def obj(properties: dict, required=(), *, closed: bool = False, description: str | None = None) -> dict:
    """A JSON object; `required` lists the keys it always has; `closed` refuses others."""
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def one(key: str, name: str) -> dict:
    """An answer holding one resource under `key`: {"booking": Booking}."""
    return obj({key: ref(name)}, [key])


def many(key: str, name: str, *, paged: bool = False, extra: dict | None = None) -> dict:
    """An answer holding a list under `key`; a paged list also has `next` (a URL or null)."""
    props = {key: array(ref(name)), **(extra or {})}
    if paged:
        props["next"] = null({"type": "string", "description": "the URL of the next page; null on the last"})
    return obj(props, [key, "next"] if paged else [key])


def enum(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


FREE = {"type": "object", "description": "an object whose keys depend on the request"}

COMPONENTS: dict[str, dict] = {
    "Error": obj({"error": enum("bad_request", "unauthorized", "forbidden", "not_found", "conflict", "too_large",
                                "rule_violation", "too_many_requests", "server_error", "unavailable"),
                  "message": STR, "request_id": STR}, ["error", "message"],
                 description="Every refusal: a code and a sentence a person understands."),
    "Violation": obj({"rule": STR, "message": STR, "field": STR}, ["rule", "message"]),
    "RuleViolationError": {"allOf": [ref("Error"), obj({"violations": array(ref("Violation"))})]},
    "ConflictError": {"allOf": [ref("Error"), obj({
        "conflicts": array(obj({"start": INSTANT, "end": INSTANT})),
        "suggestions": array(obj({"space_id": INT, "start": INSTANT, "end": INSTANT, "unit_id": INT,
                                  "unit_code": STR, "check_in": DATE, "check_out": DATE, "nights": INT,
                                  "total": NUM})),
        "affected_bookings": array(ref("Booking"))})]},
    "TooManyRequests": {"allOf": [ref("Error"), obj({"retry_after": INT})]},
    "Token": obj({"token": STR, "expires_at": INSTANT}, ["token", "expires_at"]),
    "User": obj({"id": INT, "email": STR, "name": STR, "role": enum("resident", "manager", "finance", "admin"),
                 "company": null(STR), "priority_tier": null(INT)},
                ["id", "email", "name", "role", "company", "priority_tier"]),
    "Person": {"allOf": [ref("User"), obj({
        "active": BOOL, "company_id": null(INT), "state": STR, "email_verified": BOOL,
        "last_login_at": null(INSTANT), "tier_changed_at": null(INSTANT), "tier_change_reason": null(STR)},
        ["active"])]},
    "Company": obj({"id": INT, "name": STR, "status": STR, "default_priority_tier": null(INT),
                    "email_domain": null(STR), "billing_contact_name": null(STR),
                    "billing_contact_email": null(STR), "people": INT}, ["id", "name", "status"]),
    "Space": obj({"id": INT, "code": STR, "name": STR, "kind": STR, "capacity": INT,
                  "opening_hours": {"type": "object", "additionalProperties": array(array(STR)),
                                    "description": "mon..sun -> [[\"HH:MM\",\"HH:MM\"], ...]; a missing day is closed"},
                  "slot_minutes": INT, "min_minutes": INT, "max_minutes": INT, "buffer_minutes": INT,
                  "max_days_ahead": INT, "hourly_rate": NUM, "requires_approval": BOOL, "active": BOOL,
                  "description": STR, "requires_authorisation": BOOL, "requires_checkin": BOOL,
                  "closed_on_holidays": BOOL, "late_cancel_hours": INT, "late_cancel_fee": null(NUM),
                  "equipment": array(STR), "seats": null(INT), "floor": null(STR), "photo_url": null(STR)},
                 ["id", "code", "name", "kind", "capacity", "opening_hours", "slot_minutes", "min_minutes",
                  "max_minutes", "buffer_minutes", "max_days_ahead", "hourly_rate", "requires_approval", "active"]),
    "SpaceKind": obj({"id": INT, "key": STR, "label": STR, "label_zh": null(STR), "quota_hours": NUM, "simultaneous": null(INT)},
                     ["id", "key", "label"]),
    "Booking": obj({"id": INT, "space_id": INT, "user_id": INT, "start": INSTANT, "end": INSTANT,
                    "status": enum("pending", "confirmed", "cancelled"), "title": STR, "series_id": null(STR),
                    "cancelled_at": null(INSTANT), "cancel_reason": null(STR), "ended_early_at": null(INSTANT),
                    "booked_end": null(INSTANT), "end_reason": null(STR), "late_cancel": BOOL,
                    "late_cancel_fee": null(NUM), "checked_in_at": null(INSTANT), "booked_by_id": null(INT)},
                   ["id", "space_id", "user_id", "start", "end", "status", "title", "series_id"]),
    "Skipped": obj({"start": null(INSTANT), "end": null(INSTANT), "reason": STR, "date": DATE},
                   ["start", "end", "reason"], description="An occurrence of a series that was not booked, and why."),
    "Occurrence": obj({"start": INSTANT, "end": INSTANT, "status": enum("free", "conflict", "rule_violation"),
                       "conflicts": array(obj({"start": INSTANT, "end": INSTANT}, ["start", "end"])),
                       "violations": array(obj({"rule": STR, "message": STR}, ["rule", "message"]))},
                      ["start", "end", "status"]),
    "Charge": obj({"id": INT, "kind": STR, "basis": null(STR), "month": STR, "service_month": STR,
                   "amount": MONEY, "lease_id": null(INT), "booking_id": null(INT), "user_id": null(INT),
                   "company_id": null(INT), "source": STR, "description": null(STR)},
                  ["id", "kind", "month", "service_month", "amount"],
                  description="One ledger line: a charge or an adjustment (never edited; a change is a new line)."),
    "Payment": obj({"id": INT, "user_id": null(INT), "company_id": null(INT), "amount": MONEY, "paid_on": DATE,
                    "reference": STR, "status": null(STR)}, ["id", "amount", "paid_on", "reference"]),
    "Statement": obj({"account": obj({"kind": enum("user", "company"), "id": INT, "name": STR, "reference": STR}),
                      "month": STR, "opening": MONEY, "charges": array(ref("Charge")),
                      "adjustments": array(ref("Charge")), "payments": array(ref("Payment")),
                      "charges_total": MONEY, "adjustments_total": MONEY, "payments_total": MONEY,
                      "closing": MONEY}, ["account", "month", "opening", "closing"]),
    "Blackout": obj({"id": INT, "space_id": INT, "start": INSTANT, "end": INSTANT, "reason": STR,
                     "lifted_at": null(INSTANT)}, ["id", "space_id", "start", "end", "reason"]),
    "RecurringBlackout": obj({"id": INT, "space_id": INT, "weekday": INT, "start_time": STR, "end_time": STR,
                              "valid_from": null(DATE), "valid_until": null(DATE), "reason": STR},
                             ["id", "space_id", "weekday", "start_time", "end_time"]),
    "FreeInterval": obj({"start": INSTANT, "end": INSTANT, "capacity_left": INT}, ["start", "end", "capacity_left"]),
    "Unit": obj({"id": INT, "code": STR, "unit_type": STR, "floor": INT, "monthly_rent": NUM, "occupancy": INT,
                 "status": STR, "description": null(STR), "short_stay": BOOL},
                ["id", "code", "unit_type", "floor", "monthly_rent", "occupancy", "status"]),
    "Outage": obj({"id": INT, "unit_id": INT, "start": DATE, "end": DATE, "reason": null(STR)},
                  ["id", "unit_id", "start", "end"]),
    "Lease": obj({"id": INT, "unit_id": INT, "user_id": INT, "start": DATE, "end": DATE, "monthly_rent": NUM,
                  "status": enum("active", "ending", "ended", "terminated"), "unit_code": null(STR),
                  "previous_lease_id": null(INT), "termination_reason": null(STR), "overlap_allowed": BOOL,
                  "overlap_reason": null(STR), "kind": enum("home", "short_stay"), "nightly_rate": null(NUM)},
                 ["id", "unit_id", "user_id", "start", "end", "monthly_rent", "status"]),
    "ShortStay": obj({"id": INT, "unit_id": INT, "unit_code": STR, "user_id": INT, "check_in": DATE,
                      "check_out": DATE, "nights": INT, "nightly_rate": NUM, "total": NUM,
                      "status": enum("active", "ending", "ended", "terminated"), "cancellable": BOOL},
                     ["id", "unit_id", "unit_code", "user_id", "check_in", "check_out", "nights", "nightly_rate",
                      "total", "status"],
                     description="A short stay booked directly: a lease of kind short_stay over the nights "
                                 "[check_in, check_out) at the unit type's nightly rate; status terminated with "
                                 "no night when cancelled before check-in."),
    "FreeShortStay": obj({"unit": ref("Unit"), "check_in": DATE, "check_out": DATE, "nights": INT,
                          "nightly_rate": NUM, "total": NUM},
                         ["unit", "check_in", "check_out", "nights", "nightly_rate", "total"]),
    "Offer": obj({"id": INT, "kind": enum("allocation", "waitlist", "renewal"), "user_id": INT, "unit_id": INT,
                  "lease_id": null(INT), "start": DATE, "end": DATE, "expires_at": INSTANT,
                  "status": enum("open", "accepted", "declined", "expired"), "monthly_rent": null(NUM),
                  "unit_code": null(STR), "application_id": null(INT), "waitlist_entry_id": null(INT),
                  "round_id": null(INT), "responded_at": null(INSTANT), "agreed_at": null(INSTANT)},
                 ["id", "kind", "user_id", "unit_id", "lease_id", "start", "end", "expires_at", "status"]),
    "Application": obj({"id": INT, "user_id": INT, "unit_type": STR, "move_in": DATE, "term_months": INT,
                        "status": enum("submitted", "offered", "waitlisted", "housed", "withdrawn"),
                        "term_nights": null(INT), "occupants": null(INT), "preferred_unit_ids": array(INT),
                        "reason": null(STR), "created_at": INSTANT, "transfer": BOOL,
                        "preferred_floor": null(INT), "kind": enum("new", "room_change"),
                        "change_reason": null(STR),
                        "transfer_from_lease_id": null(INT), "transfer_from_unit": null(STR),
                        "partner_id": null(INT), "partner_name": null(STR),
                        "partner_status": {"type": ["string", "null"], "enum": ["pending", "confirmed", "declined", None]}},
                       ["id", "user_id", "unit_type", "move_in", "term_months", "status"]),
    "WaitlistEntry": obj({"id": INT, "unit_type": STR, "position": null(INT), "ahead": null(INT),
                          "priority_tier": null(INT), "joined_at": INSTANT, "status": STR, "user_id": INT,
                          "application_id": null(INT), "explanation": null(STR), "reason": null(STR),
                          "estimate": null(obj({"earliest": null(DATE), "likely": null(DATE), "latest": null(DATE),
                                                "range": null(STR), "renewal_rate": NUM, "reasoning": STR},
                                               description="When a unit of the type is likely to free for this "
                                                           "person, and why (from the records at this instant)"))},
                         ["id", "unit_type", "position", "ahead", "priority_tier", "joined_at", "status"]),
    "Round": obj({"id": null(INT),
                  "assignments": array(obj({"application_id": INT, "unit_id": INT, "start": DATE, "end": DATE},
                                           ["application_id", "unit_id", "start", "end"])),
                  "unassigned": array(obj({"application_id": INT, "reason": STR}, ["application_id", "reason"])),
                  "score": NUM, "weights": null(FREE), "committed": BOOL},
                 ["id", "assignments", "unassigned", "score"]),
    "Notification": obj({"id": INT, "kind": STR, "subject": STR, "body": STR, "link": null(STR),
                         "created_at": INSTANT, "read_at": null(INSTANT), "read": BOOL, "email_status": null(STR)},
                        ["id", "kind", "subject", "body", "created_at", "read"]),
    "SlotRequest": obj({"id": INT, "user_id": INT, "space_id": INT, "start": INSTANT, "end": INSTANT, "title": STR,
                        "status": STR, "booking_id": null(INT), "reason": null(STR), "created_at": INSTANT,
                        "position": null(INT)}, ["id", "user_id", "space_id", "start", "end", "status"]),
    "Report": obj({"rows": array(FREE), "totals": null(FREE), "from": DATE, "to": DATE, "group": null(STR),
                   "frozen": BOOL, "frozen_at": null(INSTANT), "frozen_by": ANY, "current_rows": null(array(FREE)),
                   "changes": null(array(FREE)), "current_totals": null(FREE), "change_totals": null(FREE)},
                  ["rows", "totals"],
                  description="Rows of the report's fields (CONTRACT.md, Reports) and their totals."),
}

# ---------------------------------------------------------------------------------- request bodies
# Only JSON types are enforced here; values (dates, ranges, known keys) are the services' to judge,
# which answer 400 or 422 with the rule broken.

REASON = obj({"reason": null(STR)}, description="An optional reason, kept with the change.")

BODIES: dict[str, dict] = {
    "TokenRequest": obj({"email": STR, "password": STR, "name": null(STR)}, ["email", "password"]),
    "PasswordResetRequest": obj({"email": STR}, ["email"]),
    "SpaceFields": obj({"code": ANY, "name": ANY, "kind": ANY, "capacity": ANY, "opening_hours": ANY,
                        "slot_minutes": ANY, "min_minutes": ANY, "max_minutes": ANY, "buffer_minutes": ANY,
                        "max_days_ahead": ANY, "hourly_rate": ANY, "requires_approval": ANY, "active": ANY,
                        "equipment": ANY, "seats": ANY, "floor": ANY, "photo_url": ANY, "confirm": ANY},
                       description="A Space's fields (see Space); a value the space cannot take is a 422 naming "
                                   "the field. On a change, `confirm: true` cancels the bookings it breaks."),
    "SpaceKindFields": obj({"key": ANY, "label": ANY, "label_zh": ANY, "quota_hours": ANY, "simultaneous": ANY},
                           description="A kind's fields; a bad value is a 422 naming the field."),
    "BlackoutCreate": obj({"start": INSTANT, "end": INSTANT, "reason": null(STR)}, ["start", "end"]),
    "RecurringBlackoutCreate": obj({"weekday": INT, "start_time": STR, "end_time": STR, "valid_from": null(DATE),
                                    "valid_until": null(DATE), "reason": null(STR)},
                                   ["weekday", "start_time", "end_time"]),
    "BookingCreate": obj({"space_id": INT, "start": INSTANT, "end": INSTANT, "title": null(STR),
                          "repeat_weeks": null(INT),
                          "repeat": null(obj({"freq": enum("daily", "weekly", "monthly"), "interval": null(INT),
                                              "count": null(INT), "until": null(DATE),
                                              "by": null(enum("date", "weekday")), "skip_holidays": BOOL},
                                             description="A series: every `interval` days, weeks or months, "
                                                         "`count` times or until a date (inclusive).")),
                          "on_conflict": null(enum("fail", "skip")),
                          "for_user_id": null({**INT, "description": "managers: book on behalf of this resident "
                                                                     "(held by them, counted in their quota)"})},
                         ["space_id", "start", "end"]),
    "SlotRequestCreate": obj({"space_id": INT, "start": INSTANT, "end": INSTANT, "title": null(STR)},
                             ["space_id", "start", "end"]),
    "UnitFields": obj({"code": ANY, "unit_type": ANY, "floor": ANY, "monthly_rent": ANY, "occupancy": ANY,
                       "description": ANY, "status": ANY, "short_stay": ANY},
                      description="A Unit's fields; a bad value is a 422 naming the field."),
    "OutageCreate": obj({"start": DATE, "end": DATE, "reason": null(STR)}, ["start", "end"]),
    "LeaseCreate": obj({"unit_id": INT, "user_id": INT, "start": DATE, "end": DATE, "monthly_rent": null(NUM),
                        "allow_overlap": BOOL, "overlap_reason": null(STR)}, ["unit_id", "user_id", "start", "end"]),
    "JointAnswer": obj({"confirm": BOOL}, ["confirm"], closed=True),
    "ShortStayCreate": obj({"unit_id": INT, "check_in": DATE, "check_out": DATE},
                           ["unit_id", "check_in", "check_out"], closed=True),
    "LeaseTerminate": obj({"on": DATE, "reason": null(STR)}, ["on"]),
    "ApplicationCreate": obj({"unit_type": STR, "move_in": DATE, "term_months": INT, "term_nights": null(INT),
                              "occupants": null(INT), "preferred_unit_ids": null(array(INT)),
                              "partner_email": null({"type": "string", "description": "a joint application for a "
                                                     "unit taking two (twin): the partner's email; they confirm it"})},
                             ["unit_type", "move_in", "term_months"]),
    "RoundRequest": obj({"commit": BOOL}),
    "ApplicationChange": obj({"unit_type": STR, "move_in": DATE, "term_months": INT, "term_nights": null(INT),
                              "occupants": null(INT), "preferred_unit_ids": null(array(INT)),
                              "preferred_floor": null(INT), "confirm_type_change": BOOL},
                             description="What to change; the queue place is kept unless the unit type changes, "
                                         "which needs confirm_type_change (without it: 422 stating the cost)."),
    "RoomChange": obj({"unit_type": STR, "move_on": DATE, "reason": STR, "preferred_floor": null(INT)},
                      description="Ask to move from this lease to another unit."),
    "WaitlistReorder": obj({"position": INT, "reason": STR}, ["position"]),
    "UserChange": obj({"role": STR, "company": null(STR), "priority_tier": null(INT), "active": BOOL,
                       "reason": null(STR)}, closed=True),
    "Invitation": obj({"email": STR, "name": STR, "role": null(STR), "company": null(STR),
                       "priority_tier": null(INT)}, ["email"], closed=True),
    "CompanyFields": obj({}, description="A Company's fields (see Company); an unknown field is a 400."),
    "Reason": REASON,
    "PaymentCreate": obj({"user_id": INT, "company_id": INT, "amount": ANY, "paid_on": ANY, "reference": ANY},
                         description="The payer is exactly one of user_id or company_id; amount like \"120.50\"."),
    "ChargeRun": obj({"month": ANY}, ["month"], description="The month to charge, \"YYYY-MM\"."),
}
