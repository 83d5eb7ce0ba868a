"""API routes for actions the pages had and the API lacked (tests/web/test_api_parity.py maps
every page action to its API route): mark the inbox read, reminder emails, ask for a
correction, decide a registration, send an invitation again, space authorisations, run a job
now. Thin: parse, call the same service as the page, answer JSON."""
from __future__ import annotations

from flask import abort, current_app, g, jsonify

from ...extensions import db
from ...jobs.runner import JOBS, run_job
from ...services import authorisations as authorisation_service
from ...services import invitations as invitation_service
from ...services import jobs as job_service
from ...services import notifications as notification_service
from ...services import personal_data
from ...services.tx import release
from ...timeutil import iso_local, local_zone, parse_instant, utcnow
from ..access import MANAGERS
from . import api_roles, bp, json_body, query_int
from .declare import documented
from .paging import page_of
from .people import person_json
from .schemas import BOOL, COMPONENTS, FREE, INSTANT, INT, STR, enum, many, null, obj, one

def authorisation_json(item) -> dict:
    tz = local_zone()
    return {"id": item.id, "user_id": item.user_id, "space_id": item.space_id,
            "granted_at": iso_local(item.granted_at, tz), "expires_at": iso_local(item.expires_at, tz),
            "revoked_at": iso_local(item.revoked_at, tz), "note": item.note or ""}


AUTHORISATION = obj({"id": INT, "user_id": INT, "space_id": INT, "granted_at": INSTANT, "expires_at": null(INSTANT),
                     "revoked_at": null(INSTANT), "note": STR}, ["id", "user_id", "space_id", "granted_at"])
COMPONENTS["SpaceAuthorisation"] = AUTHORISATION  # a module may add its own named schemas


@bp.post("/notifications/read-all")
@documented("Mark every notification of mine read", answers={200: obj({"marked": INT}, ["marked"])})
def read_all_notifications():
    return jsonify({"marked": notification_service.mark_all_read(db.session, user_id=g.user.id, now=utcnow())})


@bp.patch("/me/settings")
@documented("Whether booking reminders are also emailed to me",
            body=obj({"email_reminders": BOOL}, ["email_reminders"], closed=True),
            answers={200: obj({"email_reminders": BOOL}, ["email_reminders"])})
def change_my_settings():
    user = notification_service.set_email_reminders(db.session, user_id=g.user.id,
                                                    on=json_body()["email_reminders"])
    return jsonify({"email_reminders": bool(user.email_reminders)})


@bp.post("/me/corrections")
@documented("Ask the managers to correct my profile", body=obj({"what": STR}, ["what"]),
            answers={202: obj({"message": STR}, ["message"])})
def ask_for_correction():
    personal_data.request_correction(db.session, user=g.user, what=json_body()["what"], now=utcnow())
    return jsonify({"message": "Your request went to the park's managers; you will hear back in your inbox."}), 202


@bp.post("/users/<int:user_id>/registration")
@api_roles(*MANAGERS)
@documented("Approve or refuse a waiting self-registration",
            body=obj({"decision": enum("approve", "refuse"), "reason": null(STR)}, ["decision"]),
            answers={200: one("user", "Person")})
def decide_registration(user_id: int):
    data = json_body()
    user = invitation_service.decide_registration(db.session, user_id, approve=data["decision"] == "approve",
                                                  reason=data.get("reason"), actor=g.user, now=utcnow())
    return jsonify({"user": person_json(user)})


@bp.post("/users/<int:user_id>/invitation")
@api_roles("admin")
@documented("Send an invitation again (the earlier link stops working)", answers={200: one("user", "Person")})
def invite_again(user_id: int):
    invitation_service.resend_invitation(db.session, user_id, actor=g.user, now=utcnow())
    from ...services import people as people_service

    return jsonify({"user": person_json(people_service.get_person(db.session, user_id))})


@bp.get("/space-authorisations")
@api_roles(*MANAGERS, "finance")
@documented("Who may book the spaces that require authorisation", paged=True, query={"space_id": INT},
            answers={200: many("authorisations", "SpaceAuthorisation", paged=True)})
def list_space_authorisations():
    rows = authorisation_service.list_authorisations(db.session, space_id=query_int("space_id", minimum=1))
    return jsonify(page_of(rows, "authorisations", authorisation_json))


@bp.post("/space-authorisations")
@api_roles(*MANAGERS)
@documented("Let a person book a space that requires authorisation",
            body=obj({"user_id": INT, "space_id": INT, "expires_at": null(INSTANT), "note": null(STR)},
                     ["user_id", "space_id"]),
            answers={201: one("authorisation", "SpaceAuthorisation")})
def grant_space_authorisation():
    data = json_body()
    expires = data.get("expires_at")
    if expires is not None:
        from ...services import BadRequest

        try:
            expires = parse_instant(expires, local_zone())
        except (ValueError, OverflowError) as exc:
            raise BadRequest(f"'expires_at': {exc}.") from None
    item = authorisation_service.grant_authorisation(db.session, user_id=data["user_id"], space_id=data["space_id"],
                                                     expires_at=expires, actor=g.user, now=utcnow(),
                                                     note=data.get("note") or "")
    return jsonify({"authorisation": authorisation_json(item)}), 201


@bp.delete("/space-authorisations/<int:authorisation_id>")
@api_roles(*MANAGERS)
@documented("Revoke an authorisation", answers={200: one("authorisation", "SpaceAuthorisation")})
def revoke_space_authorisation(authorisation_id: int):
    item = authorisation_service.revoke_authorisation(db.session, authorisation_id, actor=g.user, now=utcnow())
    return jsonify({"authorisation": authorisation_json(item)})


@bp.post("/jobs/<name>/run")
@api_roles(*MANAGERS)
@documented("Run a scheduled job now (renewals, lease_end, waitlist, reminders, ...)",
            answers={200: obj({"job": STR, "status": STR, "summary": STR, "counts": FREE},
                              ["job", "status", "summary"])})
def run_job_now(name: str):
    if name not in JOBS:
        abort(404)
    app = current_app._get_current_object()
    release(db.session)  # hold no read transaction while the job's own transactions run
    now = utcnow()
    result = run_job(app, name, now, "manual", interval_seconds=1)
    job_service.record_manual_run(db.session, actor=g.user, job=name, status=result.status, counts=result.counts,
                                  now=now)
    return jsonify({"job": name, "status": result.status, "summary": result.summary, "counts": result.counts or {}})
