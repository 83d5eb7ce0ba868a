"""The audit trail and webhooks through the API.

GET    /api/v1/audit[?actor_id=&object_type=&object_id=&kind=&from=&to=&limit=&cursor=]
       admin, manager, finance: {"events":[...], "next": URL or null}, newest first
GET    /api/v1/webhooks; POST /api/v1/webhooks {"url","events",["description","secret"]}   admin
GET    /api/v1/webhooks/ID; PATCH /api/v1/webhooks/ID {"url"?,"events"?,"description"?,
       "active"?,"rotate_secret"?}; DELETE /api/v1/webhooks/ID (retired, kept with its log)  admin
GET    /api/v1/webhooks/ID/deliveries[?limit=&offset=]                                         admin
The secret is in the answer only when it was made (POST, or PATCH with rotate_secret/secret).
"""
from __future__ import annotations

from flask import g, jsonify, request, url_for

from ...extensions import db
from ...services import BadRequest, audit_query
from ...services import webhooks as webhook_service
from ...timeutil import iso_local, local_zone, utcnow
from ..audit import READERS, filters_from
from . import api_roles, bp, json_body, query_int
from .declare import documented
from .schemas import ANY, BODIES, BOOL, COMPONENTS, DATE, INSTANT, INT, STR, array, null, obj, ref

COMPONENTS["AuditEvent"] = obj(
    {"id": INT, "at": INSTANT, "actor_id": null(INT), "on_behalf_of_id": null(INT), "job": null(STR),
     "request_id": null(STR), "object_type": null(STR), "object_id": null(INT), "kind": STR, "action": null(STR),
     "before": ANY, "after": ANY, "reason": null(STR), "details": ANY},
    ["id", "at", "kind"], description="One change: who (or which job), for whom, what, before, after, why, from "
                                      "which request.")
COMPONENTS["Webhook"] = obj({"id": INT, "url": STR, "description": null(STR), "events": array(STR), "active": BOOL,
                             "created_at": INSTANT, "secret": STR}, ["id", "url", "events", "active"],
                            description="An endpoint that receives signed event posts; `secret` only when made.")
BODIES["WebhookFields"] = obj({"url": STR, "events": array(STR), "description": null(STR), "secret": STR,
                               "active": BOOL, "rotate_secret": BOOL},
                              description="An endpoint's fields (rotate_secret on a change makes a new secret).")
ONE_WEBHOOK = obj({"webhook": ref("Webhook")}, ["webhook"])

MAX_LIMIT = 200
ENDPOINT_FIELDS = ("url", "events", "description", "secret", "active", "rotate_secret")


@bp.get("/audit")
@api_roles(*READERS)
@documented("The audit trail, newest first (admin, manager, finance)", paged=True,
            query={"actor_id": INT, "object_type": STR, "object_id": INT, "kind": STR, "from": DATE, "to": DATE},
            answers={200: obj({"events": array(ref("AuditEvent")), "next": null(STR)}, ["events", "next"])})
def list_audit():
    filters, problems = filters_from(request.args, person_field="actor_id")
    if problems:
        raise BadRequest(" ".join(problems))
    limit = query_int("limit", 50, minimum=1, maximum=MAX_LIMIT)
    cursor = query_int("cursor", None, minimum=1)
    rows, more = audit_query.after(db.session, filters, cursor=cursor, limit=limit)
    tz = local_zone()
    args = {k: v for k, v in request.args.items() if k != "cursor"}
    nxt = url_for("api.list_audit", cursor=rows[-1].id, **args) if more and rows else None
    return jsonify({"events": [audit_query.as_json(e, tz) for e in rows], "next": nxt})


def endpoint_json(endpoint, secret: str | None = None) -> dict:
    data = {"id": endpoint.id, "url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
            "active": bool(endpoint.active), "created_at": iso_local(endpoint.created_at, local_zone())}
    if secret:
        data["secret"] = secret
    return data


def _fields(data: dict) -> dict:
    unknown = sorted(set(data) - set(ENDPOINT_FIELDS))
    if unknown:
        raise BadRequest(f"'{unknown[0]}' is not a field of a webhook endpoint; send any of "
                         f"{', '.join(ENDPOINT_FIELDS)}.")
    return data


@bp.get("/webhooks")
@api_roles("admin")
@documented("Webhook endpoints and the events they may take",
            answers={200: obj({"webhooks": array(ref("Webhook")), "events": array(STR)}, ["webhooks", "events"])})
def list_webhooks():
    return jsonify({"webhooks": [endpoint_json(e) for e in webhook_service.list_endpoints(db.session)],
                    "events": list(webhook_service.WEBHOOK_EVENTS)})


@bp.post("/webhooks")
@api_roles("admin")
@documented("Register a webhook endpoint (the secret is in this answer only)", body="WebhookFields",
            answers={201: ONE_WEBHOOK})
def create_webhook():
    data = _fields(json_body())
    data.pop("rotate_secret", None)
    data.pop("active", None)
    endpoint, secret = webhook_service.create_endpoint(db.session, data, actor=g.user, now=utcnow())
    return jsonify({"webhook": endpoint_json(endpoint, secret)}), 201


@bp.get("/webhooks/<int:endpoint_id>")
@api_roles("admin")
@documented("One webhook endpoint", answers={200: ONE_WEBHOOK})
def get_webhook(endpoint_id: int):
    return jsonify({"webhook": endpoint_json(webhook_service.get_endpoint(db.session, endpoint_id))})


@bp.patch("/webhooks/<int:endpoint_id>")
@api_roles("admin")
@documented("Change a webhook endpoint", body="WebhookFields", answers={200: ONE_WEBHOOK})
def update_webhook(endpoint_id: int):
    data = dict(_fields(json_body()))
    rotate = data.pop("rotate_secret", False)
    if not isinstance(rotate, bool):
        raise BadRequest("rotate_secret is true or false.")
    endpoint, secret = webhook_service.update_endpoint(db.session, endpoint_id, data, actor=g.user, now=utcnow(),
                                                       rotate_secret=rotate)
    return jsonify({"webhook": endpoint_json(endpoint, secret)})


@bp.delete("/webhooks/<int:endpoint_id>")
@api_roles("admin")
@documented("Retire a webhook endpoint (kept with its delivery log)", answers={200: ONE_WEBHOOK})
def delete_webhook(endpoint_id: int):
    endpoint = webhook_service.delete_endpoint(db.session, endpoint_id, actor=g.user, now=utcnow())
    return jsonify({"webhook": endpoint_json(endpoint)})


@bp.get("/webhooks/<int:endpoint_id>/deliveries")
@api_roles("admin")
@documented("An endpoint's deliveries with every attempt", query={"limit": INT, "offset": INT},
            answers={200: obj({"deliveries": array(obj({"id": INT, "event": STR, "status": STR, "attempts": INT,
                                                        "log": array(obj({}))}, ["id", "event", "status"])),
                               "total": INT, "next": null(STR)}, ["deliveries", "next"])})
def list_deliveries(endpoint_id: int):
    webhook_service.get_endpoint(db.session, endpoint_id)
    limit = query_int("limit", 50, minimum=1, maximum=MAX_LIMIT)
    offset = query_int("offset", 0, minimum=0, maximum=10**7)
    rows, total = webhook_service.deliveries(db.session, endpoint_id, offset=offset, limit=limit)
    tz = local_zone()

    def at(value):
        return iso_local(value, tz) if value else None

    items = [{"id": d.id, "event": d.event.event, "object_type": d.event.target_type, "object_id": d.event.target_id,
              "status": d.status, "attempts": d.attempts, "next_attempt_at": at(d.next_attempt_at) if
              d.status == "pending" else None, "delivered_at": at(d.delivered_at),
              "log": [{"attempt": a.attempt, "at": at(a.attempted_at), "status_code": a.status_code, "error": a.error,
                       "duration_ms": a.duration_ms, "next_attempt_at": at(a.next_attempt_at)} for a in attempts]}
             for d, attempts in rows]
    nxt = (url_for("api.list_deliveries", endpoint_id=endpoint_id, limit=limit, offset=offset + limit)
           if offset + limit < total else None)
    return jsonify({"deliveries": items, "total": total, "next": nxt})
