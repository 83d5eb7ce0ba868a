"""Tokens and identity."""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from ...extensions import db
from ...services import ServiceError
from ...services.accounts import Throttled, ThrottlePolicy, authenticate, issue_token, revoke_token
from ...timeutil import utcnow
from ..main import user_json
from . import bp, json_body
from .declare import documented
from .schemas import one


def throttled_answer(exc: Throttled):
    """429 with Retry-After: too many failed password checks for this address or account."""
    body = {"error": exc.code, "message": exc.message, "retry_after": exc.retry_after}
    return jsonify(body), exc.status, {"Retry-After": str(exc.retry_after)}


@bp.post("/tokens")
@documented("Get a bearer token for an account", body="TokenRequest",
            answers={201: "Token", 401: "Error"})
def create_token():
    data = json_body()
    email, password = data.get("email"), data.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise ServiceError("Send 'email' and 'password' as strings.")
    now = utcnow()
    try:
        user = authenticate(db.session, email=email, password=password, now=now, ip=request.remote_addr,
                            policy=ThrottlePolicy.from_config(current_app.config))
    except Throttled as exc:
        return throttled_answer(exc)
    if user is None:
        return jsonify({"error": "unauthorized", "message": "Wrong email or password."}), 401
    name = data.get("name") if isinstance(data.get("name"), str) else None
    token, row = issue_token(db.session, user, now=now, hours=current_app.config["API_TOKEN_HOURS"], name=name)
    from ...timeutil import iso_local, local_zone

    return jsonify({"token": token, "expires_at": iso_local(row.expires_at, local_zone())}), 201


@bp.delete("/tokens/current")
@documented("Revoke the bearer token this request carries", answers={204: None})
def revoke_current_token():
    """Revoke the bearer token this request carries (sign an integration out)."""
    header = request.headers.get("Authorization", "")
    token = header.partition(" ")[2].strip()
    if not token or not revoke_token(db.session, token, now=utcnow()):
        raise ServiceError("Send the bearer token to revoke in the Authorization header.")
    return "", 204


@bp.get("/me")
@documented("Who am I", answers={200: one("user", "User")})
def me():
    return jsonify({"user": user_json(g.user)})
