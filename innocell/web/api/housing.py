"""Housing API (CONTRACT.md, Housing): units, leases, applications, allocation rounds, offers
and waitlists. Thin: parse, call the housing services, answer JSON (shapes in housing_json).
Residents see only their own records (another's id answers 404); finance reads everything and
changes nothing."""
from __future__ import annotations

from flask import g, jsonify, request

from ...extensions import db
from ...models import APPLICATION_STATUSES, LEASE_STATUSES, OFFER_KINDS, OFFER_STATUSES, UNIT_TYPES
from ...services import BadRequest
from ...services.housing.applications import (
    answer_joint,
    get_application,
    list_applications,
    submit_application,
    withdraw_application,
)
from ...services.housing.changes import change_application
from ...services.housing.leases import create_lease, get_lease, list_leases, terminate_lease
from ...services.housing.offers import accept_offer, decline_offer, get_offer, list_offers
from ...services.housing.room_changes import request_room_change
from ...services.housing.rounds import commit_round, list_rounds, preview_round
from ...services.housing.units import add_outage, create_unit, get_unit, list_units, update_unit
from ...services.housing.wait_estimates import estimate_for
from ...services.housing.waitlists import reorder_waitlist, waitlist, waitlist_position
from ...timeutil import local_zone, parse_date, utcnow
from ..access import MANAGERS
from . import api_roles, bp, json_body, query_int
from .declare import documented
from .paging import page_of
from .schemas import DATE, INT, STR, many, obj, one, ref
from .housing_json import (
    application_json,
    lease_json,
    offer_json,
    outage_json,
    round_json,
    unit_json,
    waitlist_entry_json,
)


def _query_date(name: str):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise BadRequest(f"Query parameter '{name}': {exc}.") from None


def _query_choice(name: str, choices):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise BadRequest(f"Query parameter '{name}' must be one of {', '.join(choices)}.")
    return raw


def _of_user(rows: list) -> list:
    """`?user_id=` (staff: one person's rows; a resident's list holds only their own anyway)."""
    user_id = query_int("user_id", minimum=1)
    return rows if user_id is None else [row for row in rows if row.user_id == user_id]


# --- units ---------------------------------------------------------------------------------------

@bp.get("/units")
@documented("List units, optionally those free over dates", paged=True,
            query={"unit_type": STR, "available_from": DATE, "available_to": DATE, "floor": INT},
            answers={200: many("units", "Unit", paged=True)})
def units_index():
    unit_type = _query_choice("unit_type", UNIT_TYPES)
    start, end = _query_date("available_from"), _query_date("available_to")
    floor = query_int("floor")
    units = list_units(db.session, unit_type=unit_type, available_from=start, available_to=end, floor=floor,
                           now=utcnow())
    return jsonify(page_of(units, "units", unit_json))


@bp.post("/units")
@api_roles(*MANAGERS)
@documented("Add a unit", body="UnitFields", answers={201: one("unit", "Unit")})
def units_create():
    unit = create_unit(db.session, json_body(), actor=g.user, now=utcnow())
    return jsonify({"unit": unit_json(unit)}), 201


@bp.get("/units/<int:unit_id>")
@documented("One unit", answers={200: one("unit", "Unit")})
def units_show(unit_id: int):
    unit = get_unit(db.session, unit_id)
    return jsonify({"unit": unit_json(unit)})


@bp.patch("/units/<int:unit_id>")
@api_roles(*MANAGERS)
@documented("Change a unit", body="UnitFields", answers={200: one("unit", "Unit")})
def units_update(unit_id: int):
    unit = update_unit(db.session, unit_id, json_body(), actor=g.user, now=utcnow())
    return jsonify({"unit": unit_json(unit)})


@bp.post("/units/<int:unit_id>/outages")
@api_roles(*MANAGERS)
@documented("Take a unit out of service for dates", body="OutageCreate", refusal=422, answers={201: one("outage", "Outage")})
def units_outage(unit_id: int):
    data = json_body()
    outage = add_outage(db.session, unit_id, start=data.get("start"), end=data.get("end"),
                            reason=data.get("reason"), actor=g.user, now=utcnow())
    return jsonify({"outage": outage_json(outage)}), 201


# --- leases ----------------------------------------------------------------------------------------

@bp.post("/leases")
@api_roles(*MANAGERS)
@documented("Make a lease", body="LeaseCreate", refusal=422, answers={201: one("lease", "Lease")})
def leases_create():
    data = json_body()
    lease = create_lease(db.session, unit_id=data.get("unit_id"), user_id=data.get("user_id"),
                         start=data.get("start"), end=data.get("end"), monthly_rent=data.get("monthly_rent"),
                         allow_overlap=data.get("allow_overlap", False), overlap_reason=data.get("overlap_reason"),
                         actor=g.user, now=utcnow())
    return jsonify({"lease": lease_json(lease)}), 201


@bp.post("/leases/<int:lease_id>/room-change")
@api_roles("resident")
@documented("Ask to move to another unit (queues as an application of kind room_change; the accepted offer "
            "hands the old lease over to the new one in one transaction)", body="RoomChange", refusal=422,
            answers={201: one("application", "Application")})
def leases_room_change(lease_id: int):
    """Ask to move from this lease: {"unit_type","move_on","reason","preferred_floor"?}."""
    data = json_body()
    app = request_room_change(db.session, user=g.user, lease_id=lease_id, unit_type=data.get("unit_type"),
                              move_on=data.get("move_on"), reason=data.get("reason"),
                              preferred_floor=data.get("preferred_floor"), now=utcnow())
    return jsonify({"application": application_json(app)}), 201


@bp.get("/leases")
@documented("List leases (own; staff all)", paged=True,
            query={"unit_id": INT, "user_id": INT, "status": STR}, answers={200: many("leases", "Lease", paged=True)})
def leases_index():
    leases = list_leases(db.session, viewer=g.user, unit_id=query_int("unit_id"), user_id=query_int("user_id"),
                             status=_query_choice("status", LEASE_STATUSES))
    return jsonify(page_of(leases, "leases", lease_json))


@bp.get("/leases/<int:lease_id>")
@documented("One lease", answers={200: one("lease", "Lease")})
def leases_show(lease_id: int):
    return jsonify({"lease": lease_json(get_lease(db.session, lease_id, viewer=g.user))})


@bp.post("/leases/<int:lease_id>/terminate")
@api_roles(*MANAGERS)
@documented("End a lease early", body="LeaseTerminate", refusal=422, answers={200: one("lease", "Lease")})
def leases_terminate(lease_id: int):
    data = json_body()
    lease = terminate_lease(db.session, lease_id, on=data.get("on"), reason=data.get("reason"), actor=g.user,
                                now=utcnow())
    return jsonify({"lease": lease_json(lease)})


# --- applications -----------------------------------------------------------------------------------

@bp.post("/housing-applications")
@api_roles("resident")
@documented("Apply for housing", body="ApplicationCreate", refusal=422, answers={201: one("application", "Application")})
def applications_create():
    data = json_body()
    app = submit_application(db.session, user=g.user, unit_type=data.get("unit_type"), move_in=data.get("move_in"),
                                 term_months=data.get("term_months"), term_nights=data.get("term_nights", 0),
                                 occupants=data.get("occupants", 1),
                                 preferred_unit_ids=data.get("preferred_unit_ids") or [],
                                 preferred_floor=data.get("preferred_floor"), partner_email=data.get("partner_email"),
                                 now=utcnow())
    return jsonify({"application": application_json(app)}), 201


@bp.post("/housing-applications/<int:application_id>/partner")
@api_roles("resident")
@documented("The partner named in a joint application confirms it (true: it enters rounds) or declines it "
            "(false: it ends)", body="JointAnswer", refusal=422, answers={200: one("application", "Application")})
def applications_joint_answer(application_id: int):
    data = json_body()
    app = answer_joint(db.session, application_id, user=g.user, confirm=data.get("confirm"), now=utcnow())
    return jsonify({"application": application_json(app)})


@bp.get("/housing-applications")
@documented("List housing applications (own; staff all)", paged=True,
            query={"status": STR, "unit_type": STR, "user_id": INT},
            answers={200: many("applications", "Application", paged=True)})
def applications_index():
    apps = list_applications(db.session, viewer=g.user, status=_query_choice("status", APPLICATION_STATUSES),
                                 unit_type=_query_choice("unit_type", UNIT_TYPES))
    return jsonify(page_of(_of_user(apps), "applications", application_json))


@bp.get("/housing-applications/<int:application_id>")
@documented("One housing application", answers={200: one("application", "Application")})
def applications_show(application_id: int):
    app = get_application(db.session, application_id, viewer=g.user)
    return jsonify({"application": application_json(app)})


@bp.patch("/housing-applications/<int:application_id>")
@api_roles("resident")
@documented("Change an open application, keeping its queue place when the unit type stays",
            body="ApplicationChange", answers={200: one("application", "Application")})
def applications_change(application_id: int):
    """Change an open application; the queue place is kept unless the unit type changes, which
    needs "confirm_type_change": true (without it: 422 saying what the change costs)."""
    data = json_body()
    confirm = data.get("confirm_type_change", False) if isinstance(data, dict) else False
    if not isinstance(confirm, bool):
        raise BadRequest("'confirm_type_change' must be true or false.")
    app = change_application(db.session, application_id, data, user=g.user, now=utcnow(),
                             confirm_type_change=confirm)
    return jsonify({"application": application_json(app)})


@bp.post("/housing-applications/<int:application_id>/withdraw")
@documented("Withdraw an application (its holder)", answers={200: one("application", "Application")})
def applications_withdraw(application_id: int):
    app = withdraw_application(db.session, application_id, user=g.user, now=utcnow())
    return jsonify({"application": application_json(app)})


# --- allocation rounds ------------------------------------------------------------------------------

@bp.post("/allocation-rounds")
@api_roles(*MANAGERS)
@documented("Preview (commit false) or run (commit true) an allocation round", body="RoundRequest",
            optional_body=True, answers={200: one("round", "Round"), 201: one("round", "Round")})
def rounds_create():
    data = request.get_json(silent=True) if request.data else {}
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object such as {\"commit\": false}.")
    commit = data.get("commit", False)
    if not isinstance(commit, bool):
        raise BadRequest("'commit' must be true (make the offers) or false (preview).")
    now = utcnow()
    if not commit:
        return jsonify({"round": round_json(preview_round(db.session, actor=g.user, now=now))}), 200
    rnd = commit_round(db.session, actor=g.user, now=now)
    return jsonify({"round": round_json(rnd)}), 201


@bp.get("/allocation-rounds")
@api_roles("manager", "admin", "finance")
@documented("Past allocation rounds", paged=True, answers={200: many("rounds", "Round", paged=True)})
def rounds_index():
    return jsonify(page_of(list_rounds(db.session), "rounds", round_json))


# --- offers ---------------------------------------------------------------------------------------------

@bp.get("/offers")
@documented("List offers (own; staff all)", paged=True, query={"status": STR, "kind": STR, "user_id": INT},
            answers={200: many("offers", "Offer", paged=True)})
def offers_index():
    offers = list_offers(db.session, viewer=g.user, status=_query_choice("status", OFFER_STATUSES),
                             kind=_query_choice("kind", OFFER_KINDS))
    tz = local_zone()
    return jsonify(page_of(_of_user(offers), "offers", lambda o: offer_json(o, tz)))


@bp.get("/offers/<int:offer_id>")
@documented("One offer", answers={200: one("offer", "Offer")})
def offers_show(offer_id: int):
    return jsonify({"offer": offer_json(get_offer(db.session, offer_id, viewer=g.user), local_zone())})


@bp.post("/offers/<int:offer_id>/accept")
@documented("Accept an offer: makes or extends the lease", answers={200: obj({"offer": ref("Offer"), "lease": ref("Lease")}, ["offer", "lease"])})
def offers_accept(offer_id: int):
    lease = accept_offer(db.session, offer_id, user=g.user, now=utcnow())
    offer = get_offer(db.session, offer_id, viewer=g.user)
    return jsonify({"offer": offer_json(offer, local_zone()), "lease": lease_json(lease)})


@bp.post("/offers/<int:offer_id>/decline")
@documented("Decline an offer", answers={200: one("offer", "Offer")})
def offers_decline(offer_id: int):
    offer = decline_offer(db.session, offer_id, user=g.user, now=utcnow())
    return jsonify({"offer": offer_json(offer, local_zone())})


# --- waitlist ---------------------------------------------------------------------------------------------

@bp.get("/waitlist")
@documented("Waitlist entries (own; staff all)", paged=True, query={"unit_type": STR, "user_id": INT},
            answers={200: many("entries", "WaitlistEntry", paged=True)})
def waitlist_index():
    rows = waitlist(db.session, unit_type=_query_choice("unit_type", UNIT_TYPES), viewer=g.user)
    user_id = query_int("user_id", minimum=1)
    rows = [row for row in rows if user_id is None or row[0].user_id == user_id]
    now, cache = utcnow(), {}
    return jsonify(page_of(rows, "entries", lambda row: waitlist_entry_json(
        *row, estimate=estimate_for(db.session, row[0], row[2], now=now, cache=cache)), id_of=lambda row: row[0].id))


@bp.post("/waitlist/<int:entry_id>/reorder")
@api_roles(*MANAGERS)
@documented("Move a waitlist entry, with a reason", body="WaitlistReorder", refusal=422, answers={200: one("entry", "WaitlistEntry")})
def waitlist_reorder(entry_id: int):
    data = json_body()
    entry = reorder_waitlist(db.session, entry_id, new_position=data.get("position"), reason=data.get("reason"),
                                 actor=g.user, now=utcnow())
    position, ahead, text = waitlist_position(db.session, entry)
    return jsonify({"entry": waitlist_entry_json(entry, position, ahead, text)})
