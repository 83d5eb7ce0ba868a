"""API routes for the managed list of space kinds (CONTRACT.md, Spaces): any signed-in person
reads it; managers and admins add kinds and change their labels and limits. Thin: parse, call
services.space_kinds, answer JSON."""
from __future__ import annotations

from flask import g, jsonify

from ...extensions import db
from ...services import space_kinds as kind_service
from ...timeutil import utcnow
from . import api_roles, bp, json_body
from .declare import documented
from .schemas import many, one

MANAGERS = ("manager", "admin")


def kind_json(kind) -> dict:
    hours = kind.quota_hours
    return {"id": kind.id, "key": kind.key, "label": kind.label, "label_zh": kind.label_zh,
            "quota_hours": int(hours) if hours == int(hours) else float(hours),
            "simultaneous": kind.simultaneous}


@bp.get("/space-kinds")
@documented("The managed list of space kinds", answers={200: many("kinds", "SpaceKind")})
def list_space_kinds():
    return jsonify({"kinds": [kind_json(k) for k in kind_service.list_kinds(db.session)]})


@bp.post("/space-kinds")
@api_roles(*MANAGERS)
@documented("Add a space kind", body="SpaceKindFields",
            answers={201: one("kind", "SpaceKind"), 409: "ConflictError", 422: "RuleViolationError"})
def create_space_kind():
    kind = kind_service.create_kind(db.session, json_body(), actor=g.user, now=utcnow())
    return jsonify({"kind": kind_json(kind)}), 201


@bp.get("/space-kinds/<int:kind_id>")
@documented("One space kind", answers={200: one("kind", "SpaceKind")})
def get_space_kind(kind_id: int):
    return jsonify({"kind": kind_json(kind_service.get_kind(db.session, kind_id))})


@bp.patch("/space-kinds/<int:kind_id>")
@api_roles(*MANAGERS)
@documented("Change a space kind's label or limits", body="SpaceKindFields", answers={200: one("kind", "SpaceKind")})
def update_space_kind(kind_id: int):
    kind = kind_service.update_kind(db.session, kind_id, json_body(), actor=g.user, now=utcnow())
    return jsonify({"kind": kind_json(kind)})
