"""A person's own data: a readable summary, the whole of it as one JSON file, and a request to
correct the profile. Admins download anyone's (and the API answers the same)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from ..extensions import db
from ..services import ServiceError
from ..services import personal_data
from ..timeutil import utcnow
from .access import principal, roles_required

bp = Blueprint("privacy", __name__)


def data_file(user_id: int) -> Response:
    data = personal_data.export(db.session, user_id)
    body = json.dumps({"exported_at": utcnow().isoformat(), **data}, indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="innocell-person-{user_id}.json"'
    return response


@bp.get("/account/my-data")
@login_required
def my_data():
    user = principal()
    data = personal_data.export(db.session, user.id)
    return render_template("privacy/my_data.html", profile=data["profile"], counts=personal_data.summary(data))


@bp.get("/account/my-data.json")
@login_required
def my_data_file():
    return data_file(principal().id)


@bp.post("/account/correction")
@login_required
def ask_for_correction():
    try:
        personal_data.request_correction(db.session, user=principal(), what=request.form.get("what", ""), now=utcnow())
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(gettext("Your request went to the park's managers; you will hear back in your inbox."), "success")
    return redirect(url_for("privacy.my_data"))


@bp.get("/privacy/people/<int:user_id>/data.json")
@roles_required("admin")
def person_data_file(user_id: int):
    return data_file(user_id)
