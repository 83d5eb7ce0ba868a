"""Short stays, the resident's pages: pick check-in and check-out days (from the units page),
see the short-stay units free for them with the total price, confirm one, see the
confirmation; list one's stays and cancel one before check-in. Managers see every short stay
on their own page. Thin: innocell/services/housing/short_stays.py owns every rule."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..allocation.short_stays import total as stay_price
from ..extensions import db
from ..forms.housing import ConfirmForm, StayForm
from ..services import Conflict, NotFound, ServiceError
from ..services.housing.common import local_day
from ..services.housing.short_stays import (
    book_short_stay,
    cancel_short_stay,
    cancellable,
    get_stay,
    limits_for,
    list_stays,
    stay_options,
    stay_total,
)
from ..services.housing.units import get_unit
from ..timeutil import utcnow
from .access import MANAGERS, principal, roles_required
from .display import day_text
from .housing import RESIDENTS, attach_error

bp = Blueprint("short_stays", __name__)


def _stay_form(today):
    """The dates asked in the query (GET form), checked; None fields when absent or bad."""
    form = StayForm(request.args, meta={"csrf": False})
    if not request.args:
        form.check_in.data, form.check_out.data = today + timedelta(days=1), today + timedelta(days=3)
        return form, False
    return form, form.validate()


@bp.get("/housing/stays")
@roles_required(*RESIDENTS)
def index():
    """Pick dates; the free short-stay units for them with the price; one's own stays."""
    user = principal()
    now = utcnow()
    today = local_day(now)
    form, asked = _stay_form(today)
    options = None
    if asked:
        if form.check_out.data <= form.check_in.data:
            form.check_out.errors.append("The check-out day must be after the check-in day: one night at least.")
        else:
            try:
                options = stay_options(db.session, form.check_in.data, form.check_out.data, now=now)
            except ServiceError as exc:
                attach_error(form, exc)
    stays = list_stays(db.session, viewer=user)
    return render_template("housing/stays.html", form=form, options=options, stays=stays, today=today,
                           cancellable=cancellable, stay_total=stay_total)


@bp.route("/housing/stays/book", methods=["GET", "POST"])
@roles_required(*RESIDENTS)
def book():
    """Confirm a stay: the unit, the nights and the price; booking it on POST."""
    user = principal()
    now = utcnow()
    form = StayForm(request.args, meta={"csrf": False}) if request.method == "GET" else StayForm()
    unit_id = request.args.get("unit", type=int)
    try:
        unit = get_unit(db.session, unit_id)
    except NotFound:
        unit = None
    if unit is None or not unit.short_stay:
        flash("Choose a short-stay unit from the list for your dates.", "error")
        return redirect(url_for("short_stays.index"))
    limits = limits_for(db.session, unit)
    conflict = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            stay = book_short_stay(db.session, user=user, unit_id=unit.id, check_in=form.check_in.data,
                                   check_out=form.check_out.data, now=now)
        except Conflict as exc:
            conflict = exc
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(f"Booked: unit {stay.unit.code} from {day_text(stay.start_date)} to {day_text(stay.end_date)}.",
                  "success")
            return redirect(url_for("short_stays.show", stay_id=stay.id))
    elif request.method == "GET":
        form.validate()
    nights = None
    if form.check_in.data and form.check_out.data and form.check_out.data > form.check_in.data:
        nights = (form.check_out.data - form.check_in.data).days
    status = 200 if request.method == "GET" else (409 if conflict else 422)
    total = stay_price(limits.nightly_rate, form.check_in.data, form.check_out.data) if nights else None
    return render_template("housing/stay_confirm.html", form=form, unit=unit, limits=limits, nights=nights,
                           total=total, conflict=conflict, csrf=ConfirmForm()), status


@bp.get("/housing/stays/<int:stay_id>")
@roles_required(*RESIDENTS)
def show(stay_id: int):
    stay = get_stay(db.session, stay_id, viewer=principal())
    today = local_day(utcnow())
    return render_template("housing/stay.html", stay=stay, total=stay_total(stay),
                           can_cancel=cancellable(stay, today), form=ConfirmForm())


@bp.post("/housing/stays/<int:stay_id>/cancel")
@roles_required(*RESIDENTS)
def cancel(stay_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            stay = cancel_short_stay(db.session, stay_id, user=principal(), now=utcnow())
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(f"Your stay in unit {stay.unit.code} from {day_text(stay.start_date)} is cancelled; "
                  "nothing is charged.", "success")
            return redirect(url_for("short_stays.index"))
    return redirect(url_for("short_stays.show", stay_id=stay_id))


@bp.get("/manage/housing/short-stays")
@roles_required(*MANAGERS)
def manage():
    """Every short stay, upcoming ones first, with the guest, the nights and the price."""
    today = local_day(utcnow())
    show_all = request.args.get("all") == "1"
    stays = list_stays(db.session, viewer=principal(), upcoming_on=None if show_all else today)
    stays.sort(key=lambda s: (s.start_date, s.id), reverse=show_all)
    return render_template("manage_housing/short_stays.html", stays=stays, show_all=show_all,
                           stay_total=stay_total, today=today)
