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


# --- units ---------------------------------------------------------------------------------------

@bp.get("/units")
def units_index():
    unit_type = _query_choice("unit_type", UNIT_TYPES)
    start, end = _query_date("available_from"), _query_date("available_to")
    floor = query_int("floor")
    units = list_units(db.session, unit_type=unit_type, available_from=start, available_to=end, floor=floor,
                           now=utcnow())
    return jsonify({"units": [unit_json(u) for u in units]})


@bp.post("/units")
@api_roles(*MANAGERS)
def units_create():
    unit = create_unit(db.session, json_body(), actor=g.user, now=utcnow())
    return jsonify({"unit": unit_json(unit)}), 201


@bp.get("/units/<int:unit_id>")
def units_show(unit_id: int):
    unit = get_unit(db.session, unit_id)
    return jsonify({"unit": unit_json(unit)})


@bp.patch("/units/<int:unit_id>")
@api_roles(*MANAGERS)
def units_update(unit_id: int):
    unit = update_unit(db.session, unit_id, json_body(), actor=g.user, now=utcnow())
    return jsonify({"unit": unit_json(unit)})


@bp.post("/units/<int:unit_id>/outages")
@api_roles(*MANAGERS)
def units_outage(unit_id: int):
    data = json_body()
    outage = add_outage(db.session, unit_id, start=data.get("start"), end=data.get("end"),
                            reason=data.get("reason"), actor=g.user, now=utcnow())
    return jsonify({"outage": outage_json(outage)}), 201


# --- leases ----------------------------------------------------------------------------------------

@bp.post("/leases")
@api_roles(*MANAGERS)
def leases_create():
    data = json_body()
    lease = create_lease(db.session, unit_id=data.get("unit_id"), user_id=data.get("user_id"),
                         start=data.get("start"), end=data.get("end"), monthly_rent=data.get("monthly_rent"),
                         allow_overlap=data.get("allow_overlap", False), overlap_reason=data.get("overlap_reason"),
                         actor=g.user, now=utcnow())
    return jsonify({"lease": lease_json(lease)}), 201


@bp.post("/leases/<int:lease_id>/room-change")
@api_roles("resident")
def leases_room_change(lease_id: int):
    """Ask to move from this lease: {"unit_type","move_on","reason","preferred_floor"?}."""
    data = json_body()
    app = request_room_change(db.session, user=g.user, lease_id=lease_id, unit_type=data.get("unit_type"),
                              move_on=data.get("move_on"), reason=data.get("reason"),
                              preferred_floor=data.get("preferred_floor"), now=utcnow())
    return jsonify({"application": application_json(app)}), 201


@bp.get("/leases")
def leases_index():
    leases = list_leases(db.session, viewer=g.user, unit_id=query_int("unit_id"), user_id=query_int("user_id"),
                             status=_query_choice("status", LEASE_STATUSES))
    return jsonify({"leases": [lease_json(lease) for lease in leases]})


@bp.get("/leases/<int:lease_id>")
def leases_show(lease_id: int):
    return jsonify({"lease": lease_json(get_lease(db.session, lease_id, viewer=g.user))})


@bp.post("/leases/<int:lease_id>/terminate")
@api_roles(*MANAGERS)
def leases_terminate(lease_id: int):
    data = json_body()
    lease = terminate_lease(db.session, lease_id, on=data.get("on"), reason=data.get("reason"), actor=g.user,
                                now=utcnow())
    return jsonify({"lease": lease_json(lease)})


# --- applications -----------------------------------------------------------------------------------

@bp.post("/housing-applications")
@api_roles("resident")
def applications_create():
    data = json_body()
    app = submit_application(db.session, user=g.user, unit_type=data.get("unit_type"), move_in=data.get("move_in"),
                                 term_months=data.get("term_months"), term_nights=data.get("term_nights", 0),
                                 occupants=data.get("occupants", 1),
                                 preferred_unit_ids=data.get("preferred_unit_ids") or [],
                                 preferred_floor=data.get("preferred_floor"), now=utcnow())
    return jsonify({"application": application_json(app)}), 201


@bp.get("/housing-applications")
def applications_index():
    apps = list_applications(db.session, viewer=g.user, status=_query_choice("status", APPLICATION_STATUSES),
                                 unit_type=_query_choice("unit_type", UNIT_TYPES))
    return jsonify({"applications": [application_json(a) for a in apps]})


@bp.get("/housing-applications/<int:application_id>")
def applications_show(application_id: int):
    app = get_application(db.session, application_id, viewer=g.user)
    return jsonify({"application": application_json(app)})


@bp.patch("/housing-applications/<int:application_id>")
@api_roles("resident")
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
def applications_withdraw(application_id: int):
    app = withdraw_application(db.session, application_id, user=g.user, now=utcnow())
    return jsonify({"application": application_json(app)})


# --- allocation rounds ------------------------------------------------------------------------------

@bp.post("/allocation-rounds")
@api_roles(*MANAGERS)
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
def rounds_index():
    return jsonify({"rounds": [round_json(r) for r in list_rounds(db.session)]})


# --- offers ---------------------------------------------------------------------------------------------

@bp.get("/offers")
def offers_index():
    offers = list_offers(db.session, viewer=g.user, status=_query_choice("status", OFFER_STATUSES),
                             kind=_query_choice("kind", OFFER_KINDS))
    tz = local_zone()
    return jsonify({"offers": [offer_json(o, tz) for o in offers]})


@bp.get("/offers/<int:offer_id>")
def offers_show(offer_id: int):
    return jsonify({"offer": offer_json(get_offer(db.session, offer_id, viewer=g.user), local_zone())})


@bp.post("/offers/<int:offer_id>/accept")
def offers_accept(offer_id: int):
    lease = accept_offer(db.session, offer_id, user=g.user, now=utcnow())
    offer = get_offer(db.session, offer_id, viewer=g.user)
    return jsonify({"offer": offer_json(offer, local_zone()), "lease": lease_json(lease)})


@bp.post("/offers/<int:offer_id>/decline")
def offers_decline(offer_id: int):
    offer = decline_offer(db.session, offer_id, user=g.user, now=utcnow())
    return jsonify({"offer": offer_json(offer, local_zone())})


# --- waitlist ---------------------------------------------------------------------------------------------

@bp.get("/waitlist")
def waitlist_index():
    rows = waitlist(db.session, unit_type=_query_choice("unit_type", UNIT_TYPES), viewer=g.user)
    now, cache = utcnow(), {}
    return jsonify({"entries": [waitlist_entry_json(e, pos, ahead, text,
                                                    estimate=estimate_for(db.session, e, ahead, now=now, cache=cache))
                                for e, pos, ahead, text in rows]})


@bp.post("/waitlist/<int:entry_id>/reorder")
@api_roles(*MANAGERS)
def waitlist_reorder(entry_id: int):
    data = json_body()
    entry = reorder_waitlist(db.session, entry_id, new_position=data.get("position"), reason=data.get("reason"),
                                 actor=g.user, now=utcnow())
    position, ahead, text = waitlist_position(db.session, entry)
    return jsonify({"entry": waitlist_entry_json(entry, position, ahead, text)})
