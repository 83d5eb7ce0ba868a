"""Managers' housing pages for what residents browse and wait for: what each unit type offers
(size, furnishings, photo and plan links) and the forecast per type (expected vacancies a
month over the next year against the people waiting)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..extensions import db
from ..forms.housing import UnitTypeInfoForm
from ..models.housing import UNIT_TYPES
from ..services import ServiceError
from ..services.housing.unit_types import type_infos, update_type_info
from ..services.housing.wait_estimates import forecast
from ..timeutil import utcnow
from .access import MANAGERS, principal, roles_required
from .housing import attach_error

bp = Blueprint("manage_housing_types", __name__, url_prefix="/manage/housing")


@bp.get("/forecast")
@roles_required(*MANAGERS)
def forecast_page():
    now = utcnow()
    rows = forecast(db.session, now=now)
    months = [m for m, _ in rows[0]["months"]] if rows else []
    return render_template("manage_housing/forecast.html", rows=rows, months=months, infos=type_infos(db.session))


@bp.route("/types/<unit_type>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def type_edit(unit_type: str):
    if unit_type not in UNIT_TYPES:
        abort(404)
    info = type_infos(db.session).get(unit_type)
    form = UnitTypeInfoForm(obj=info) if request.method == "GET" else UnitTypeInfoForm()
    if form.validate_on_submit():
        try:
            update_type_info(db.session, unit_type, {
                "name_zh": form.name_zh.data, "size_sqm": form.size_sqm.data, "furnishings": form.furnishings.data,
                "photo_url": form.photo_url.data, "plan_url": form.plan_url.data,
                "nightly_rate": form.nightly_rate.data, "stay_max_nights": form.stay_max_nights.data,
                "stay_days_ahead": form.stay_days_ahead.data}, actor=principal(), now=utcnow())
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(f"What {unit_type} units offer is saved; residents see it when they browse the units.", "success")
            return redirect(url_for("manage_housing_types.forecast_page"))
    status = 422 if request.method == "POST" else 200
    return render_template("manage_housing/type_form.html", form=form, unit_type=unit_type), status
