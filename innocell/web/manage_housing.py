"""Manager housing pages: applications queue, allocation round (published weights, preview,
commit), units (floor plan, create/edit, out-of-service periods, lease history), leases
(record, terminate early), waitlists (reorder with a recorded reason) and open offers.
Thin: every read and write goes through the housing services (innocell.services.housing.*),
which own their transactions: a refused call has already rolled back."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from ..extensions import db
from ..jobs import background
from ..jobs.background import TaskOutcome
from ..forms.housing import (
    CommitRoundForm,
    LeaseForm,
    OutageForm,
    ReorderForm,
    TerminateForm,
    UnitForm,
    unit_type_choices,
)
from ..models.housing import APPLICATION_STATUSES, LEASE_STATUSES, OFFER_STATUSES, UNIT_TYPES
from ..models import User
from ..services import NotFound, ServiceError, long_tasks
from ..services.accounts import get_user_by_email
from ..services.housing.applications import list_applications
from ..services.housing.leases import create_lease, get_lease, lease_history, list_leases, terminate_lease
from ..services.housing.offers import list_offers
from ..services.housing.rounds import LOCKING, commit_round, get_round, preview_round
from ..services.housing.units import (
    add_outage,
    create_unit,
    floor_plan,
    floors as unit_floors,
    get_unit,
    list_outages,
    list_units,
    update_unit,
)
from ..services.housing.waitlists import reorder_waitlist, waitlist
from ..timeutil import parse_date, utcnow
from .access import MANAGERS, principal, roles_required
from .display import N_, day_text
from .housing import attach_error, offer_deadline_text, summary_rows, today_local
from .paging import Page, page_number, page_size

bp = Blueprint("manage_housing", __name__, url_prefix="/manage/housing")

STATE_LABELS = {"occupied": N_("Occupied"), "free": N_("Free"), "offered": N_("Offered (awaiting answer)"),
                "out_of_service": N_("Out of service")}  # shown through _() on the floor plan


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name) or None
    return value if value in allowed else None


def _day_arg(name: str, default: date) -> date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return parse_date(raw)
    except ValueError:
        flash(f"'{raw}' is not a date (YYYY-MM-DD) from 2000 to 2199; showing {day_text(default)}.", "warning")
        return default


def _url_with(endpoint: str, **overrides):
    args = {k: v for k, v in request.args.items() if v}
    args.update({k: v for k, v in overrides.items()})
    args.update(request.view_args or {})
    return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})


@bp.app_context_processor
def _manage_helpers():
    return {"state_labels": STATE_LABELS}


# ---------------------------------------------------------------- overview

@bp.get("")
@roles_required(*MANAGERS)
def index():
    user = principal()
    now = utcnow()
    today = today_local(now)
    submitted = list_applications(db.session, viewer=user, status="submitted")
    open_offers = list_offers(db.session, viewer=user, status="open")
    waiting = waitlist(db.session, viewer=user)
    return render_template("manage_housing/index.html", summary=summary_rows(db.session, today, now), today=today,
                           submitted_count=len(submitted), open_offer_count=len(open_offers),
                           waiting_count=len(waiting))


# ---------------------------------------------------------------- applications queue

@bp.get("/applications")
@roles_required(*MANAGERS)
def applications():
    user = principal()
    status = _choice("status", APPLICATION_STATUSES)
    unit_type = _choice("unit_type", UNIT_TYPES)
    rows = list_applications(db.session, viewer=user, status=status, unit_type=unit_type)
    page = Page.of(rows, page_number(), page_size())
    return render_template("manage_housing/applications.html", page=page, status=status, unit_type=unit_type,
                           statuses=APPLICATION_STATUSES, unit_types=unit_type_choices(with_any=True),
                           page_url=lambda n: _url_with("manage_housing.applications", page=n))


# ---------------------------------------------------------------- allocation round

def _weights() -> list[tuple[str, object, str]]:
    cfg = current_app.config
    return [
        ("Priority tier", cfg.get("ALLOCATION_WEIGHT_TIER"),
         "points for each placement, plus as much again for each tier above the lowest tier in the round"),
        ("Preference", cfg.get("ALLOCATION_WEIGHT_PREFERENCE"),
         "points for the applicant's first preferred unit, divided by the rank for later preferences"),
        ("Time waited", cfg.get("ALLOCATION_WEIGHT_WAIT_DAY"), "points per day since the application was made"),
    ]


@bp.get("/round")
@roles_required(*MANAGERS)
def round_():
    user = principal()
    submitted = list_applications(db.session, viewer=user, status="submitted")
    return render_template("manage_housing/round.html", weights=_weights(), submitted=submitted)


def _preview_context(user, now):
    preview = preview_round(db.session, actor=user, now=now)
    return {"preview": preview, "assignments": preview["assignments"], "unassigned": preview["unassigned"],
            "weights": _weights()}


@bp.get("/round/preview")
@roles_required(*MANAGERS)
def round_preview():
    """The preview computed in this request (a bookmark, a small tower); the round page's
    button runs it off the request instead (round_preview_start)."""
    user = principal()
    context = _preview_context(user, utcnow())
    return render_template("manage_housing/round_preview.html", form=CommitRoundForm(), **context)


def _round_work(kind: str, user_id: int, now):
    """The round as long work (jobs/background.py): its stages go to the progress page."""

    def work(session, progress):
        actor = session.get(User, user_id)
        if kind == "round_preview":
            return TaskOutcome(result=preview_round(session, actor=actor, now=now, progress=progress))
        progress(LOCKING)  # written before the round's transaction takes SQLite's write lock
        committed = commit_round(session, actor=actor, now=now, progress=progress)
        return TaskOutcome(result={"round_id": committed.id})

    return work


def _start_round(kind: str):
    user = principal()
    now = utcnow()
    task = long_tasks.create_task(db.session, kind=kind, owner=user, params={}, now=now)
    background.submit(current_app._get_current_object(), task.id, _round_work(kind, user.id, now))
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.post("/round/preview")
@roles_required(*MANAGERS)
def round_preview_start():
    return _start_round("round_preview")


@bp.get("/round/preview/<int:task_id>")
@roles_required(*MANAGERS)
def round_preview_result(task_id: int):
    try:
        task = long_tasks.visible_task(db.session, task_id, principal())
    except NotFound:
        abort(404)
    if task.kind != "round_preview" or task.status != "done":
        return redirect(url_for("tasks.show", task_id=task.id))
    preview = task.result or {}
    return render_template("manage_housing/round_preview.html", form=CommitRoundForm(), preview=preview,
                           assignments=preview.get("assignments", []), unassigned=preview.get("unassigned", []),
                           weights=_weights())


@bp.post("/round/commit")
@roles_required(*MANAGERS)
def round_commit():
    user = principal()
    now = utcnow()
    form = CommitRoundForm()
    if not form.validate_on_submit():
        context = _preview_context(user, now)
        return render_template("manage_housing/round_preview.html", form=form, **context), 422
    return _start_round("round_commit")


@bp.get("/rounds/<int:round_id>")
@roles_required(*MANAGERS)
def round_outcome(round_id: int):
    """A committed round: whom it placed where, whom not and why (what the offers came from)."""
    committed = get_round(db.session, round_id)
    result = committed.result or {}
    return render_template("manage_housing/round_preview.html", round=committed, preview=result,
                           assignments=result.get("assignments", []), unassigned=result.get("unassigned", []),
                           weights=_weights())


# ---------------------------------------------------------------- units and the floor plan

@bp.get("/units")
@roles_required(*MANAGERS)
def units():
    now = utcnow()
    today = today_local(now)
    day = _day_arg("date", today)
    floors = list(unit_floors(db.session))
    try:
        floor = int(request.args.get("floor", "")) if request.args.get("floor") else (floors[0] if floors else None)
    except ValueError:
        floor = floors[0] if floors else None
    if floor is not None and floors and floor not in floors:
        abort(404)
    cells = floor_plan(db.session, floor=floor, day=day, now=now) if floor is not None else []
    counts = {state: 0 for state in STATE_LABELS}
    for cell in cells:
        counts[cell["state"]] = counts.get(cell["state"], 0) + 1
    return render_template("manage_housing/units.html", floors=floors, floor=floor, day=day, today=today,
                           cells=cells, counts=counts)


@bp.route("/units/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def unit_new():
    user = principal()
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = create_unit(db.session, form.data_for_service(), actor=user, now=utcnow())
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(f"Unit {unit.code} created.", "success")
            return redirect(url_for("manage_housing.unit", unit_id=unit.id))
    status = 422 if request.method == "POST" else 200
    return render_template("manage_housing/unit_form.html", form=form, unit=None), status


def _unit_or_404(unit_id: int):
    return get_unit(db.session, unit_id)  # NotFound answers 404


@bp.get("/units/<int:unit_id>")
@roles_required(*MANAGERS)
def unit(unit_id: int, outage_form=None, status: int = 200):
    found = _unit_or_404(unit_id)
    history = lease_history(db.session, unit_id)
    outages = list_outages(db.session, unit_id)
    return render_template("manage_housing/unit.html", unit=found, history=history, outages=outages,
                           outage_form=outage_form or OutageForm(formdata=None)), status


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def unit_edit(unit_id: int):
    user = principal()
    found = _unit_or_404(unit_id)
    form = UnitForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            updated = update_unit(db.session, unit_id, form.data_for_service(), actor=user, now=utcnow())
        except NotFound:
            abort(404)
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(f"Unit {updated.code} saved.", "success")
            return redirect(url_for("manage_housing.unit", unit_id=unit_id))
    status = 422 if request.method == "POST" else 200
    return render_template("manage_housing/unit_form.html", form=form, unit=found), status


@bp.post("/units/<int:unit_id>/outages")
@roles_required(*MANAGERS)
def outage_add(unit_id: int):
    user = principal()
    found = _unit_or_404(unit_id)
    form = OutageForm()
    if form.validate_on_submit():
        try:
            add_outage(db.session, unit_id, start=form.start.data, end=form.end.data,
                                 reason=form.reason.data.strip(), actor=user, now=utcnow())
        except NotFound:
            abort(404)
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(f"Unit {found.code} is out of service from {day_text(form.start.data)} until "
                  f"{day_text(form.end.data)}.", "success")
            return redirect(url_for("manage_housing.unit", unit_id=unit_id))
    return unit(unit_id, outage_form=form, status=422)


# ---------------------------------------------------------------- leases

@bp.get("/leases")
@roles_required(*MANAGERS)
def leases():
    user = principal()
    status = _choice("status", LEASE_STATUSES)
    unit_type = _choice("unit_type", UNIT_TYPES)
    q = (request.args.get("q") or "").strip()
    rows = list_leases(db.session, viewer=user, status=status)
    if unit_type:
        rows = [lease for lease in rows if lease.unit.unit_type == unit_type]
    if q:
        needle = q.lower()
        rows = [lease for lease in rows if needle in lease.unit.code.lower() or needle in lease.user.email.lower()
                or needle in (lease.user.name or "").lower()]
    page = Page.of(rows, page_number(), page_size())
    return render_template("manage_housing/leases.html", page=page, status=status, unit_type=unit_type, q=q,
                           statuses=LEASE_STATUSES, unit_types=unit_type_choices(with_any=True),
                           page_url=lambda n: _url_with("manage_housing.leases", page=n))


@bp.route("/leases/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def lease_new():
    user = principal()
    form = LeaseForm()
    if request.method == "GET" and request.args.get("unit"):
        form.unit_code.data = request.args["unit"]
    if form.validate_on_submit():
        now = utcnow()
        code = form.unit_code.data.strip().upper()
        unit_found = next((u for u in list_units(db.session) if u.code.upper() == code), None)
        resident = get_user_by_email(db.session, form.email.data)
        if unit_found is None:
            form.unit_code.errors.append(f"There is no unit {code}.")
        if resident is None or resident.role != "resident":
            form.email.errors.append("No resident has that email.")
            resident = None
        if unit_found is not None and resident is not None:
            try:
                lease = create_lease(db.session, unit_id=unit_found.id, user_id=resident.id,
                                     start=form.start.data, end=form.end.data,
                                     monthly_rent=form.monthly_rent.data, actor=user, now=now,
                                     allow_overlap=bool(form.allow_overlap.data),
                                     overlap_reason=(form.overlap_reason.data or "").strip() or None)
            except ServiceError as exc:
                attach_error(form, exc)
            else:
                flash(f"Lease recorded: unit {lease.unit.code} for {lease.user.name}, {day_text(lease.start_date)} "
                      f"to {day_text(lease.end_date)}.", "success")
                return redirect(url_for("manage_housing.unit", unit_id=lease.unit_id))
    status = 422 if request.method == "POST" else 200
    return render_template("manage_housing/lease_form.html", form=form), status


def _lease_or_404(user, lease_id: int):
    return get_lease(db.session, lease_id, viewer=user)  # NotFound answers 404


@bp.route("/leases/<int:lease_id>/terminate", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def lease_terminate(lease_id: int):
    user = principal()
    lease = _lease_or_404(user, lease_id)
    form = TerminateForm()
    if request.method == "GET":
        form.on.data = today_local(utcnow())
    if form.validate_on_submit():
        try:
            ended = terminate_lease(db.session, lease_id, on=form.on.data, reason=form.reason.data.strip(),
                                              actor=user, now=utcnow())
        except NotFound:
            abort(404)
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(f"Lease of unit {ended.unit.code} terminated; the unit is free from {day_text(form.on.data)}.",
                  "success")
            return redirect(url_for("manage_housing.unit", unit_id=ended.unit_id))
    status = 422 if request.method == "POST" else 200
    return render_template("manage_housing/terminate.html", form=form, lease=lease), status


# ---------------------------------------------------------------- waitlists

@bp.get("/waitlists")
@roles_required(*MANAGERS)
def waitlists(reorder_form=None, reorder_entry_id=None, status: int = 200):
    user = principal()
    unit_type = _choice("unit_type", UNIT_TYPES)
    rows = waitlist(db.session, unit_type=unit_type, viewer=user)
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row[0].unit_type, []).append(row)
    order = {t: i for i, t in enumerate(UNIT_TYPES)}
    grouped = sorted(groups.items(), key=lambda kv: order.get(kv[0], 99))
    return render_template("manage_housing/waitlists.html", grouped=grouped, unit_type=unit_type,
                           unit_types=unit_type_choices(with_any=True), reorder_form=reorder_form,
                           reorder_entry_id=reorder_entry_id), status


@bp.post("/waitlists/<int:entry_id>/reorder")
@roles_required(*MANAGERS)
def waitlist_reorder(entry_id: int):
    user = principal()
    form = ReorderForm()
    if form.validate_on_submit():
        try:
            reorder_waitlist(db.session, entry_id, new_position=form.new_position.data,
                                       reason=form.reason.data.strip(), actor=user, now=utcnow())
        except NotFound:
            abort(404)
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(f"Moved to position {form.new_position.data}; the reason is recorded.", "success")
            return redirect(url_for("manage_housing.waitlists", unit_type=request.args.get("unit_type") or None))
    return waitlists(reorder_form=form, reorder_entry_id=entry_id, status=422)


# ---------------------------------------------------------------- offers

@bp.get("/offers")
@roles_required(*MANAGERS)
def offers():
    user = principal()
    now = utcnow()
    raw = request.args.get("status", "open")
    status = raw if raw in OFFER_STATUSES else None
    rows = list_offers(db.session, viewer=user, status=status)
    page = Page.of(rows, page_number(), page_size())
    return render_template("manage_housing/offers.html", page=page, status=status, statuses=OFFER_STATUSES,
                           deadline=lambda o: offer_deadline_text(o, now),
                           page_url=lambda n: url_for("manage_housing.offers", status=raw, page=n))
