"""Resident housing, the parts that help choose and wait: browse the units (what each type
offers, which units are free for a move-in day and term, by type and floor), and change an
open application without losing one's place (a change of unit type is confirmed after the page
says what it costs). Thin: the housing services own every read and write."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..allocation.dates import add_months, date_in_range
from ..extensions import db
from ..forms import select_choices
from ..forms.housing import ChangeApplicationForm, ConfirmForm, RoomChangeForm
from ..models.housing import UNIT_TYPES
from ..services import Conflict, RuleViolation, ServiceError
from ..services.housing.applications import answer_joint, get_application
from ..services.housing.changes import CHANGEABLE, change_application
from ..services.housing.leases import get_lease
from ..services.housing.room_changes import request_room_change
from ..services.housing.units import floors, list_units
from ..services.housing.unit_types import type_infos
from ..timeutil import utcnow
from .access import principal, roles_required
from .display import day_text, term_text
from .housing import RESIDENTS, attach_error, today_local, unit_choices

bp = Blueprint("housing_residents", __name__)


def _browse_dates(today):
    """The move-in day and term (months) asked for, or next month's first day and 12 months;
    with a note when the asked values were not usable."""
    note = None
    move_in = add_months(today.replace(day=1), 1)
    raw = request.args.get("move_in", "")
    if raw:
        try:
            asked = date.fromisoformat(raw)
            if not date_in_range(asked) or asked < today:
                raise ValueError
            move_in = asked
        except ValueError:
            note = "The move-in date must be a date from today on (YYYY-MM-DD); showing the first of next month."
    months = request.args.get("term_months", type=int)
    if months is None or not 1 <= months <= 12:
        if request.args.get("term_months"):
            note = "The term is 1 to 12 months; showing 12 months."
        months = 12
    return move_in, months, note


def _type_rows(every, free) -> list[dict]:
    """Per unit type: count, rent range, largest occupancy, units free for the asked dates."""
    rows: dict[str, dict] = {}
    for unit in every:
        row = rows.setdefault(unit.unit_type, {"unit_type": unit.unit_type, "count": 0, "rent_min": None,
                                               "rent_max": None, "max_occupancy": 0, "free": 0})
        row["count"] += 1
        row["rent_min"] = unit.monthly_rent if row["rent_min"] is None else min(row["rent_min"], unit.monthly_rent)
        row["rent_max"] = unit.monthly_rent if row["rent_max"] is None else max(row["rent_max"], unit.monthly_rent)
        row["max_occupancy"] = max(row["max_occupancy"], unit.occupancy or 1)
        row["free"] += unit.id in free
    order = {t: i for i, t in enumerate(UNIT_TYPES)}
    return sorted(rows.values(), key=lambda r: order.get(r["unit_type"], 99))


@bp.get("/housing/units")
@roles_required(*RESIDENTS)
def units():
    """Every unit type (what it offers, how many are free for the dates), and the units of one
    type by floor, each free or taken for the move-in day and term asked."""
    now = utcnow()
    today = today_local(now)
    move_in, months, note = _browse_dates(today)
    end = add_months(move_in, months)
    every = list_units(db.session)
    free = {u.id for u in list_units(db.session, available_from=move_in, available_to=end, now=now)
            if u.status == "available" and not u.short_stay}  # short-stay units are not let by rounds
    rows = _type_rows(every, free)
    unit_type = request.args.get("unit_type")
    if unit_type not in {r["unit_type"] for r in rows}:
        unit_type = rows[0]["unit_type"] if rows else None
    floors_of_type: dict[int, list] = {}
    for unit in every:
        if unit.unit_type == unit_type:
            floors_of_type.setdefault(unit.floor, []).append(unit)
    return render_template("housing/units.html", rows=rows, infos=type_infos(db.session), floors=floors_of_type,
                           free=free, move_in=move_in, end=end, months=months, unit_type=unit_type, note=note,
                           today=today, short_stays=sum(1 for u in every if u.short_stay), one_day=timedelta(days=1))


@bp.route("/housing/applications/<int:application_id>/change", methods=["GET", "POST"])
@roles_required(*RESIDENTS)
def change(application_id: int):
    user = principal()
    now = utcnow()
    application = get_application(db.session, application_id, viewer=user)
    if application.status not in CHANGEABLE:
        flash(f"This application is {application.status}; only an open one without an offer can be changed.", "error")
        return redirect(url_for("housing.index"))
    old_type = application.unit_type
    form = ChangeApplicationForm()
    unit_choices(form, db.session)
    cost = None
    if request.method == "GET":
        form.unit_type.data = application.unit_type
        form.move_in.data = application.move_in
        form.term_kind.data = "nights" if application.term_months == 0 else "months"
        form.term_months.data = application.term_months or None
        form.term_nights.data = application.term_nights or None
        form.occupants.data = application.occupants
        form.fill_preferences(application.preferred_unit_ids, application.preferred_floor)
    elif form.validate_on_submit():
        if form.move_in.data < today_local(now):
            form.move_in.errors.append(gettext("The move-in date has passed; choose today or later."))
        else:
            months, nights = form.term()
            data = {"unit_type": form.unit_type.data, "move_in": form.move_in.data, "term_months": months,
                    "term_nights": nights, "occupants": form.occupants.data,
                    "preferred_unit_ids": form.preferred_ids(), "preferred_floor": form.floor()}
            try:
                changed = change_application(db.session, application_id, data, user=user, now=now,
                                             confirm_type_change=bool(form.confirm_type_change.data))
            except RuleViolation as exc:
                cost = exc.extra.get("cost")
                if cost is None:
                    attach_error(form, exc)
            except ServiceError as exc:
                attach_error(form, exc)
            else:
                flash(f"Application changed: a {changed.unit_type} unit from {day_text(changed.move_in)} for "
                      f"{term_text(changed.term_months, changed.term_nights)}."
                      + (" Your place in the queue is kept." if changed.unit_type == old_type else ""),
                      "success")
                return redirect(url_for("housing.index"))
    status = 200 if request.method == "GET" or cost else 422
    return render_template("housing/change.html", form=form, application=application, cost=cost), status


@bp.post("/housing/applications/<int:application_id>/joint")
@roles_required(*RESIDENTS)
def joint_answer(application_id: int):
    """The partner named in a joint application confirms or declines it."""
    form = ConfirmForm()
    answer = request.form.get("answer")
    if form.validate_on_submit() and answer in ("confirm", "decline"):
        try:
            app = answer_joint(db.session, application_id, user=principal(), confirm=answer == "confirm", now=utcnow())
        except (Conflict, RuleViolation) as exc:
            flash(exc.message, "error")
        else:
            who = app.user.name or app.user.email
            flash(f"You confirmed: you and {who} apply for a {app.unit_type} unit together; the next round can "
                  "offer it to you both." if answer == "confirm" else
                  f"You declined {who}'s joint application; it has ended.", "success")
    else:
        flash("Choose to confirm or to decline.", "error")
    return redirect(url_for("housing.index"))


@bp.route("/housing/leases/<int:lease_id>/move", methods=["GET", "POST"])
@roles_required(*RESIDENTS)
def room_change(lease_id: int):
    """Ask to move from this lease to another unit: it queues as a room-change application;
    an accepted offer ends this lease the day the new one starts."""
    user = principal()
    now = utcnow()
    lease = get_lease(db.session, lease_id, viewer=user)
    form = RoomChangeForm()
    form.preferred_floor.choices = select_choices([("", "Any floor")] + [(str(f), f"Floor {f}")
                                                                          for f in floors(db.session)])
    if request.method == "GET":
        form.unit_type.data = lease.unit.unit_type
        form.move_on.data = max(add_months(today_local(now).replace(day=1), 1), lease.start_date)
    elif form.validate_on_submit():
        try:
            request_room_change(db.session, user=user, lease_id=lease.id, unit_type=form.unit_type.data,
                                move_on=form.move_on.data, preferred_floor=form.floor(), reason=form.reason.data,
                                now=now)
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(f"Room change requested: a {form.unit_type.data} unit from {day_text(form.move_on.data)}. "
                  f"When a unit is offered and you accept, your lease of unit {lease.unit.code} ends the day the "
                  "new one starts.", "success")
            return redirect(url_for("housing.index"))
    status = 200 if request.method == "GET" else 422
    return render_template("housing/room_change.html", form=form, lease=lease), status
