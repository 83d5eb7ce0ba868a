"""Manager pages for spaces: the inventory (create, edit, opening hours, deactivate), blackouts
(one-off and weekly), authorisations, the approval queue and every booking of a space.
Thin: reads and writes go through innocell.services (spaces, blackouts, authorisations,
bookings), which audit each action; a refused write comes back as a ServiceError with the
session already rolled back."""
from __future__ import annotations

from datetime import time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..extensions import db
from ..forms import select_choices
from ..forms.spaces import (
    AuthorisationForm,
    BlackoutForm,
    BookingFilterForm,
    ConfirmForm,
    RecurringBlackoutForm,
    RejectForm,
    SpaceForm,
    WEEKDAY_KEYS,
    WEEKDAY_NAMES,
)
from ..services import Conflict, NotFound, RuleViolation, ServiceError
from ..services import accounts as account_service
from ..services import authorisations as authorisation_service
from ..services import blackouts as blackout_service
from ..services import bookings as booking_service
from ..services import space_kinds as space_kind_service
from ..services import spaces as space_service
from ..services.bookings.decisions import queue_context
from ..timeutil import local_zone, to_local, utcnow
from .access import MANAGERS, principal, roles_required
from .paging import Page, page_number, page_size
from .spaces import local_instant, owner_filter

bp = Blueprint("manage_spaces", __name__)


def _space_or_404(space_id: int):
    try:
        return space_service.get_space(db.session, space_id)
    except NotFound:
        abort(404)


RULE_FIELDS = {"expires_at": "expires_on", "past": "end"}


def _apply_violations(form, exc: ServiceError) -> list[str]:
    """Put each violation on its field (rule names the field); return those that fit no field."""
    general = []
    for v in exc.extra.get("violations") or [{"rule": "", "message": exc.message}]:
        rule = RULE_FIELDS.get(v.get("rule") or "", v.get("rule") or "")
        target = getattr(form, rule, None) if rule and not rule.startswith("_") else None
        if rule == "opening_hours":
            general.append(v["message"])
        elif target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [v["message"]]
        else:
            general.append(v["message"])
    return general


def _sliced(items: list) -> Page:
    """One page of a short list the service returns whole (authorisations, the approval queue)."""
    page, per_page = page_number(), page_size()
    return Page.of(items, page, per_page)


# ---------------------------------------------------------------- the inventory

@bp.get("/manage/spaces")
@roles_required(*MANAGERS)
def index():
    spaces = space_service.list_spaces(db.session, include_inactive=True)
    pending = len(booking_service.pending_bookings(db.session))
    active = [s for s in spaces if s.active]
    inactive = [s for s in spaces if not s.active]
    return render_template("manage_spaces/index.html", active=active, inactive=inactive, pending=pending)


@bp.route("/manage/spaces/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_space():
    return _space_form(None)


@bp.route("/manage/spaces/<int:space_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_space(space_id: int):
    return _space_form(_space_or_404(space_id))


def _space_form(space):
    """Create (space None) or edit a space; every refusal re-renders the form with its reasons."""
    form = SpaceForm(obj=space if request.method == "GET" else None)
    form.kind.choices = select_choices((k.key, f"{k.label} ({k.key})")
                                       for k in space_kind_service.list_kinds(db.session))
    if request.method == "GET":
        form.fill_hours(space.opening_hours if space else {d: [["08:00", "22:00"]] for d in WEEKDAY_KEYS})
    general: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            if space is None:
                saved = space_service.create_space(db.session, form.to_data(), actor=principal(), now=utcnow())
            else:
                data = dict(form.to_data(), confirm=form.confirm.data == "yes")
                saved, cancelled = space_service.change_space(db.session, space.id, data, actor=principal(),
                                                              now=utcnow())
        except RuleViolation as exc:
            general, status = _apply_violations(form, exc), 422
        except Conflict as exc:
            if "affected_bookings" in exc.extra:  # the change breaks upcoming bookings: show them, ask again
                form.confirm.data = "yes"
                return render_template("manage_spaces/space_confirm.html", space=space, form=form,
                                       message=exc.message, bookings=exc.extra["affected_bookings"]), 409
            form.code.errors = list(form.code.errors) + [exc.message]
            status = 409
        else:
            message = f"Space {saved.code} created; residents can book it now." if space is None \
                else f"Space {saved.code} saved."
            if space is not None and cancelled:
                message += (f" {len(cancelled)} upcoming booking{'s' if len(cancelled) != 1 else ''} that the new "
                            f"rules refuse {'were' if len(cancelled) != 1 else 'was'} cancelled; the holders are "
                            f"notified.")
            flash(message, "success")
            return redirect(url_for("manage_spaces.index"))
    elif request.method == "POST":
        status = 422
    return render_template("manage_spaces/space_form.html", form=form, space=space, general=general), status


@bp.route("/manage/spaces/<int:space_id>/<any(deactivate, reactivate):action>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def set_active(space_id: int, action: str):
    space = _space_or_404(space_id)
    form = ConfirmForm()
    active = action == "reactivate"
    now = utcnow()
    if form.validate_on_submit():
        space_service.set_space_active(db.session, space_id, active, actor=principal(), now=now)
        flash(f"{space.code} is {'bookable again' if active else 'no longer bookable'}.", "success")
        return redirect(url_for("manage_spaces.index"))
    upcoming = booking_service.count_bookings(db.session, viewer=principal(), space_id=space_id, start=now)
    return render_template("manage_spaces/confirm_active.html", space=space, form=form, active=active,
                           upcoming=upcoming)


# ---------------------------------------------------------------- blackouts

def _blackouts_page(space, *, form=None, recurring_form=None, status=200):
    now = utcnow()
    one_off, recurring = blackout_service.list_blackouts(db.session, space.id, now=now)
    form = form or BlackoutForm(formdata=None)
    recurring_form = recurring_form or RecurringBlackoutForm(formdata=None)
    return render_template("manage_spaces/blackouts.html", space=space, one_off=one_off, recurring=recurring,
                           form=form, recurring_form=recurring_form, weekday_names=WEEKDAY_NAMES,
                           lift_form=ConfirmForm()), status


@bp.get("/manage/spaces/<int:space_id>/blackouts")
@roles_required(*MANAGERS)
def blackouts(space_id: int):
    return _blackouts_page(_space_or_404(space_id))


@bp.post("/manage/spaces/<int:space_id>/blackouts")
@roles_required(*MANAGERS)
def add_blackout(space_id: int):
    """Add a one-off blackout. When it would cancel bookings, first show them and ask again."""
    space = _space_or_404(space_id)
    form = BlackoutForm()
    if not form.validate_on_submit():
        return _blackouts_page(space, form=form, status=422)
    user, now = principal(), utcnow()
    start = local_instant(form.start.data.date(), form.start.data.time())
    end = local_instant(form.end.data.date(), form.end.data.time())
    if form.confirm.data != "yes":
        hit = booking_service.live_bookings_within(db.session, space_id, start, end, now)
        if hit:
            form.confirm.data = "yes"
            return render_template("manage_spaces/blackout_confirm.html", space=space, form=form, bookings=hit,
                                   start=start, end=end, now=now)
    try:
        blackout, affected = blackout_service.add_blackout(db.session, space_id, start=start, end=end,
                                                           reason=form.reason.data.strip(), actor=user, now=now)
    except ServiceError as exc:
        form.start.errors = list(form.start.errors) + _apply_violations(form, exc)
        return _blackouts_page(space, form=form, status=exc.status)
    flash(f"Blackout added: {space.code} is closed {to_local(start, local_zone()):%a %d %b %H:%M} – "
          f"{to_local(end, local_zone()):%a %d %b %H:%M}.", "success")
    return render_template("manage_spaces/blackout_added.html", space=space, start=start, end=end,
                           reason=form.reason.data.strip(), affected=list(affected), recurring=None)


@bp.post("/manage/spaces/<int:space_id>/recurring-blackouts")
@roles_required(*MANAGERS)
def add_recurring_blackout(space_id: int):
    space = _space_or_404(space_id)
    form = RecurringBlackoutForm()
    if not form.validate_on_submit():
        return _blackouts_page(space, recurring_form=form, status=422)
    try:
        rule, affected = blackout_service.add_recurring_blackout(
            db.session, space_id, weekday=form.weekday.data, start_time=form.start_time.data,
            end_time=form.end_time.data, valid_from=form.valid_from.data, valid_until=form.valid_until.data,
            reason=form.reason.data.strip(), actor=principal(), now=utcnow())
    except ServiceError as exc:
        form.start_time.errors = list(form.start_time.errors) + _apply_violations(form, exc)
        return _blackouts_page(space, recurring_form=form, status=exc.status)
    flash(f"Weekly closure added: every {WEEKDAY_NAMES[form.weekday.data]} {form.start_time.data}–"
          f"{form.end_time.data}.", "success")
    return render_template("manage_spaces/blackout_added.html", space=space, recurring=rule,
                           reason=form.reason.data.strip(), affected=list(affected), start=None, end=None,
                           weekday_names=WEEKDAY_NAMES)


@bp.post("/manage/blackouts/<int:blackout_id>/lift")
@roles_required(*MANAGERS)
def lift_blackout(blackout_id: int):
    return _lift(blackout_service.lift_blackout, blackout_id,
                 "Blackout lifted; the time can be booked again (cancelled bookings stay cancelled).")


@bp.post("/manage/recurring-blackouts/<int:rule_id>/lift")
@roles_required(*MANAGERS)
def lift_recurring_blackout(rule_id: int):
    return _lift(blackout_service.lift_recurring_blackout, rule_id, "Weekly closure lifted.")


def _lift(lift, row_id: int, done: str):
    """Lift a one-off or weekly blackout (confirmed POST), then back to the space's blackouts."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    space_id = request.form.get("space_id", type=int)
    try:
        lift(db.session, row_id, actor=principal(), now=utcnow())
        flash(done, "success")
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(exc.message, "error")
    return redirect(url_for("manage_spaces.blackouts", space_id=space_id) if space_id
                    else url_for("manage_spaces.index"))


# ---------------------------------------------------------------- authorisations

def _authorisation_form(formdata=None) -> AuthorisationForm:
    form = AuthorisationForm(formdata=formdata) if formdata is not None else AuthorisationForm()
    spaces = space_service.list_spaces(db.session, include_inactive=True)
    gated = [s for s in spaces if s.requires_authorisation] or spaces
    form.space_id.choices = select_choices((s.id, f"{s.code} · {s.name}") for s in gated)
    return form


@bp.route("/manage/authorisations", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def authorisations():
    form = _authorisation_form()
    if request.method == "GET" and request.args.get("space_id", type=int):
        form.space_id.data = request.args.get("space_id", type=int)
    status = 200
    if form.validate_on_submit():
        user = account_service.get_user_by_email(db.session, form.email.data)
        if user is None:
            form.email.errors = list(form.email.errors) + ["No account has this email."]
            status = 422
        else:
            expires = local_instant(form.expires_on.data + timedelta(days=1), time(0, 0)) if form.expires_on.data else None
            try:
                authorisation_service.grant_authorisation(
                    db.session, user_id=user.id, space_id=form.space_id.data, expires_at=expires, actor=principal(),
                    now=utcnow(), note=(form.note.data or "").strip())
            except ServiceError as exc:
                general = _apply_violations(form, exc)
                form.email.errors = list(form.email.errors) + general
                status = exc.status
            else:
                flash(f"{user.name} may now book the space"
                      f"{' until the end of ' + form.expires_on.data.strftime('%d %b %Y') if form.expires_on.data else ''}.",
                      "success")
                return redirect(url_for("manage_spaces.authorisations"))
    elif request.method == "POST":
        status = 422
    page = _sliced(authorisation_service.list_authorisations(db.session))
    return render_template("manage_spaces/authorisations.html", form=form, items=page.items, page=page, now=utcnow(),
                           page_url=lambda n: url_for("manage_spaces.authorisations", page=n)), status


@bp.route("/manage/authorisations/<int:authorisation_id>/revoke", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def revoke_authorisation(authorisation_id: int):
    form = ConfirmForm()
    item = next((a for a in authorisation_service.list_authorisations(db.session) if a.id == authorisation_id), None)
    if item is None:
        abort(404)
    if form.validate_on_submit():
        try:
            authorisation_service.revoke_authorisation(db.session, authorisation_id, actor=principal(), now=utcnow())
            flash(f"Authorisation of {item.user.name} for {item.space.code} revoked.", "success")
        except ServiceError as exc:
            flash(exc.message, "error")
        return redirect(url_for("manage_spaces.authorisations"))
    return render_template("manage_spaces/revoke.html", item=item, form=form)


# ---------------------------------------------------------------- approvals

@bp.get("/manage/approvals")
@roles_required(*MANAGERS)
def approvals():
    page = _sliced(booking_service.pending_bookings(db.session))
    context = queue_context(db.session, page.items, now=utcnow(), tz=local_zone())  # around it, holder's history
    return render_template("manage_spaces/approvals.html", items=page.items, page=page, approve_form=ConfirmForm(),
                           page_url=lambda n: url_for("manage_spaces.approvals", page=n), context=context)


@bp.post("/manage/bookings/<int:booking_id>/approve")
@roles_required(*MANAGERS)
def approve(booking_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        booking = booking_service.approve(db.session, booking_id, actor=principal(), now=utcnow())
        flash(f"Approved: {booking.space.code} for {booking.user.name}, {booking.start_at:%d %b}.", "success")
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(exc.message, "error")
    return redirect(url_for("manage_spaces.approvals"))


@bp.route("/manage/bookings/<int:booking_id>/reject", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def reject(booking_id: int):
    try:
        booking = booking_service.get_booking(db.session, booking_id, viewer=principal())
    except NotFound:
        abort(404)
    form = RejectForm()
    status = 200
    if form.validate_on_submit():
        try:
            booking_service.reject(db.session, booking_id, actor=principal(), now=utcnow(),
                                   reason=form.reason.data.strip())
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("manage_spaces.approvals"))
        flash(f"Declined; {booking.user.name} is notified.", "success")
        return redirect(url_for("manage_spaces.approvals"))
    elif request.method == "POST":
        status = 422
    return render_template("manage_spaces/reject.html", booking=booking, form=form), status


# ---------------------------------------------------------------- every booking of a space

@bp.get("/manage/spaces/<int:space_id>/bookings")
@roles_required(*MANAGERS)
def space_bookings(space_id: int):
    space = _space_or_404(space_id)
    form = BookingFilterForm(formdata=request.args)
    page, per_page = page_number(), page_size()
    filters: dict = {"viewer": principal(), "space_id": space_id}
    unknown_user = False
    if form.validate():
        if form.date_from.data:
            filters["start"] = local_instant(form.date_from.data, time(0, 0))
        if form.date_to.data:
            filters["end"] = local_instant(form.date_to.data + timedelta(days=1), time(0, 0))
        if form.status.data:
            filters["status"] = form.status.data
        if (form.user.data or "").strip():
            user = account_service.get_user_by_email(db.session, form.user.data)
            if user is None:
                unknown_user = True
            else:
                filters.update(owner_filter(user.id))
    if unknown_user:
        items, total = [], 0
    else:
        total = booking_service.count_bookings(db.session, **filters)
        items = booking_service.list_bookings(db.session, **filters, limit=per_page, offset=(page - 1) * per_page)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("manage_spaces/space_bookings.html", space=space, form=form,
                           page=Page(items, page, per_page, total), unknown_user=unknown_user,
                           page_url=lambda n: url_for("manage_spaces.space_bookings", space_id=space_id, page=n, **args))
