"""My account through the API, as the account page offers it (tests/web/test_api_parity.py):
my name and contact address, my password, my API tokens. And the admin's registration policy.
Thin: parse, call the same service as the page, answer JSON."""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from ...extensions import db
from ...services import BadRequest
from ...services import account_links as link_service
from ...services import accounts as account_service
from ...services import registration
from ...services.accounts import Throttled, ThrottlePolicy
from ...timeutil import iso_local, local_zone, utcnow
from ..main import user_json
from . import api_roles, bp, json_body
from .core import throttled_answer
from .declare import documented
from .paging import page_of
from .schemas import COMPONENTS, INSTANT, INT, STR, enum, many, null, obj, one

COMPONENTS["ApiToken"] = obj({"id": INT, "name": null(STR), "created_at": INSTANT, "expires_at": INSTANT,
                              "last_used_at": null(INSTANT)}, ["id", "created_at", "expires_at"])
POLICY = obj({"policy": enum(*registration.POLICIES), "choices": {"type": "object"}}, ["policy", "choices"])


def token_json(row) -> dict:
    tz = local_zone()
    return {"id": row.id, "name": row.name, "created_at": iso_local(row.created_at, tz),
            "expires_at": iso_local(row.expires_at, tz), "last_used_at": iso_local(row.last_used_at, tz)}


def _text(data: dict, key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Give '{key}' as text.", field=key)
    return value


@bp.patch("/me")
@documented("Change my name, or the address my notices go to (a new address gets a confirmation link first)",
            body=obj({"name": STR, "contact_email": STR}, closed=True),
            answers={200: obj({"user": {"$ref": "#/components/schemas/User"}, "link_sent_to": null(STR)},
                              ["user", "link_sent_to"])})
def change_my_profile():
    data = json_body()
    name, contact = _text(data, "name"), _text(data, "contact_email")
    if name is None and contact is None:
        raise BadRequest("Send 'name', 'contact_email' or both.")
    user, sent_to = g.user, None
    if name is not None:
        user = account_service.rename(db.session, user, name)
    if contact is not None:
        sent_to = link_service.request_contact_email(db.session, user, contact, now=utcnow())
    return jsonify({"user": user_json(user), "link_sent_to": sent_to})


@bp.post("/me/password")
@documented("Change my password, giving the current one: every other session ends and every API token, "
            "this one included, is revoked (get a new token with POST /api/v1/tokens)",
            body=obj({"current_password": STR, "new_password": STR}, ["current_password", "new_password"],
                     closed=True),
            answers={200: obj({"revoked_tokens": INT}, ["revoked_tokens"]), 429: "Error"})
def change_my_password():
    data = json_body()
    current, new = _text(data, "current_password", required=True), _text(data, "new_password", required=True)
    try:
        revoked = account_service.change_own_password(
            db.session, g.user, current=current, new_password=new, now=utcnow(), ip=request.remote_addr,
            policy=ThrottlePolicy.from_config(current_app.config))
    except Throttled as exc:
        return throttled_answer(exc)
    return jsonify({"revoked_tokens": revoked})


@bp.get("/me/tokens")
@documented("My API tokens that still work, newest first", paged=True,
            answers={200: many("tokens", "ApiToken", paged=True)})
def list_my_tokens():
    rows = account_service.live_tokens(db.session, g.user.id, now=utcnow())
    return jsonify(page_of(rows, "tokens", token_json))


@bp.delete("/tokens/<int:token_id>")
@documented("Revoke one of my API tokens by its id", answers={200: one("token", "ApiToken")})
def revoke_my_token(token_id: int):
    row = account_service.revoke_own_token(db.session, g.user, token_id, now=utcnow())
    return jsonify({"token": token_json(row)})


def _policy_json() -> dict:
    return {"policy": registration.policy(db.session), "choices": dict(registration.POLICY_LABELS)}


@bp.get("/registration-policy")
@api_roles("admin")
@documented("Who may register an account themselves", answers={200: POLICY})
def get_registration_policy():
    return jsonify(_policy_json())


@bp.put("/registration-policy")
@api_roles("admin")
@documented("Set who may register an account themselves",
            body=obj({"policy": enum(*registration.POLICIES)}, ["policy"], closed=True), answers={200: POLICY})
def set_registration_policy():
    registration.set_policy(db.session, json_body()["policy"], actor=g.user, now=utcnow())
    return jsonify(_policy_json())
