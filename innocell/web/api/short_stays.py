"""Short stays API (README, Short stays): see which short-stay units are free for dates with
their price, book one (201; 409 with the conflict and the nearest free dates; 422 naming the
limit), list one's stays (staff: all), cancel one before check-in. Thin: the service
innocell/services/housing/short_stays.py owns every rule."""
from __future__ import annotations

from flask import g, jsonify, request

from ...extensions import db
from ...services import BadRequest, RuleViolation
from ...services.housing.common import local_day
from ...services.housing.short_stays import book_short_stay, cancel_short_stay, free_stays, get_stay, list_stays
from ...timeutil import utcnow
from . import api_roles, bp, json_body
from .declare import documented
from .housing_json import free_stay_json, short_stay_json
from .paging import page_of
from .schemas import BOOL, DATE, many, one


@bp.get("/short-stays/free")
@documented("Short-stay units free for the nights [check_in, check_out), with the price",
            query={"check_in": DATE, "check_out": DATE}, answers={200: many("free", "FreeShortStay")})
def short_stays_free():
    check_in, check_out = request.args.get("check_in"), request.args.get("check_out")
    if not check_in or not check_out:
        raise BadRequest("Give check_in and check_out (YYYY-MM-DD).")
    try:
        rows = free_stays(db.session, check_in, check_out, now=utcnow())
    except RuleViolation as exc:  # a query, not a write: a bad date is a 400 naming it
        raise BadRequest(exc.message) from None
    return jsonify({"free": [free_stay_json(r) for r in rows]})


@bp.post("/short-stays")
@api_roles("resident")
@documented("Book a short stay in a free short-stay unit for the nights [check_in, check_out)",
            body="ShortStayCreate", refusal=422, answers={201: one("short_stay", "ShortStay")})
def short_stays_create():
    data = json_body()
    now = utcnow()
    stay = book_short_stay(db.session, user=g.user, unit_id=data.get("unit_id"), check_in=data.get("check_in"),
                           check_out=data.get("check_out"), now=now)
    return jsonify({"short_stay": short_stay_json(stay, today=local_day(now))}), 201


@bp.get("/short-stays")
@documented("List short stays (own; staff all), latest check-in first", paged=True, query={"upcoming": BOOL},
            answers={200: many("short_stays", "ShortStay", paged=True)})
def short_stays_index():
    now = utcnow()
    today = local_day(now)
    upcoming = request.args.get("upcoming") in ("1", "true")
    stays = list_stays(db.session, viewer=g.user, upcoming_on=today if upcoming else None)
    return jsonify(page_of(stays, "short_stays", lambda s: short_stay_json(s, today=today)))


@bp.get("/short-stays/<int:stay_id>")
@documented("One short stay", answers={200: one("short_stay", "ShortStay")})
def short_stays_show(stay_id: int):
    return jsonify({"short_stay": short_stay_json(get_stay(db.session, stay_id, viewer=g.user),
                                                  today=local_day(utcnow()))})


@bp.delete("/short-stays/<int:stay_id>")
@api_roles("resident", "manager", "admin")
@documented("Cancel a short stay that has not started (its guest or a manager): the nights free at once",
            answers={200: one("short_stay", "ShortStay")})
def short_stays_cancel(stay_id: int):
    now = utcnow()
    stay = cancel_short_stay(db.session, stay_id, user=g.user, now=now)
    return jsonify({"short_stay": short_stay_json(stay, today=local_day(now))})
