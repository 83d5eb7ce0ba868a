"""What each unit type offers (size, furnishings, photo and plan links) and its short-stay
terms (nightly rate, longest stay, how far ahead), as the managers' type page edits them.

GET   /api/v1/unit-types                 anyone signed in
PATCH /api/v1/unit-types/TYPE            managers: only the fields given change"""
from __future__ import annotations

from flask import g, jsonify

from ...extensions import db
from ...models import UNIT_TYPES
from ...services.housing.unit_types import type_infos, update_type_info
from ...timeutil import utcnow
from ..access import MANAGERS
from . import api_roles, bp, json_body
from .declare import documented
from .schemas import ANY, COMPONENTS, INT, MONEY, STR, enum, many, null, obj, one

COMPONENTS["UnitType"] = obj({
    "unit_type": enum(*UNIT_TYPES), "name_zh": null(STR), "size_sqm": null(INT), "furnishings": null(STR), "photo_url": null(STR),
    "plan_url": null(STR), "nightly_rate": null(MONEY), "stay_max_nights": null(INT), "stay_days_ahead": null(INT),
}, ["unit_type"])
FIELDS = ("name_zh", "size_sqm", "furnishings", "photo_url", "plan_url", "nightly_rate", "stay_max_nights", "stay_days_ahead")


def unit_type_json(unit_type: str, info) -> dict:
    body = {"unit_type": unit_type, **{name: getattr(info, name, None) for name in FIELDS}}
    if body["nightly_rate"] is not None:
        body["nightly_rate"] = f"{body['nightly_rate']:.2f}"
    return body


@bp.get("/unit-types")
@documented("What each unit type offers, and its short-stay terms", answers={200: many("unit_types", "UnitType")})
def list_unit_types():
    infos = type_infos(db.session)
    return jsonify({"unit_types": [unit_type_json(t, infos.get(t)) for t in UNIT_TYPES]})


@bp.patch("/unit-types/<unit_type>")
@api_roles(*MANAGERS)
@documented("Change what a unit type offers or its short-stay terms (null clears a field)",
            body=obj({name: ANY for name in FIELDS}, closed=True), answers={200: one("unit_type", "UnitType")})
def change_unit_type(unit_type: str):
    info = update_type_info(db.session, unit_type, json_body(), actor=g.user, now=utcnow())
    return jsonify({"unit_type": unit_type_json(unit_type, info)})
