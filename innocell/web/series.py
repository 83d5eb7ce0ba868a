"""Pages for series of bookings: the Repeat section's preview (each date free, taken or breaking
a rule), booking all of it or only the free dates, the result, and cancelling this and later
occurrences or the whole series after a page that says how many bookings that cancels.

The booking page (spaces.book) hands a POST whose Repeat is set to `book_series` (the preview)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext

from ..extensions import db
from ..forms.series import SeriesForm
from ..forms.spaces import CancelForm
from ..services import NotFound, ServiceError
from ..services import bookings as booking_service
from ..services import spaces as space_service
from ..services.bookings.series import SCOPES, scope_members
from ..services.roles import MANAGER_ROLES
from ..timeutil import utcnow
from .access import principal, roles_required
from .display import N_
from .spaces import BOOKERS, local_instant, space_facts

bp = Blueprint("series", __name__)

SCOPE_TITLES = {"one": N_("this booking"), "following": N_("this and every later booking of the series"),
                "series": N_("the whole series")}


def _interval(form: SeriesForm):
    day, start_t, end_day, end_t = form.interval_local()
    return local_instant(day, start_t), local_instant(end_day, end_t)


def _form_page(space, form, status, error=None):
    return render_template("spaces/series.html", space=space, form=form, error=error,
                           facts=space_facts(space)), status


def _preview_page(space, form, start, end, status=200, error=None, problems=()):
    user, now = principal(), utcnow()
    try:
        occurrences, passed = booking_service.preview_series(db.session, user=user, space_id=space.id, start=start,
                                                             end=end, rule=form.rule(), now=now)
    except ServiceError as exc:
        return _form_page(space, form, 422, exc.message)
    free = sum(1 for o in occurrences if o.status == "free")
    return render_template("spaces/series_preview.html", space=space, form=form, occurrences=occurrences,
                           passed=passed, free=free, error=error, problems=problems), status


@bp.route("/spaces/<int:space_id>/book/series", methods=["GET", "POST"])
@roles_required(*BOOKERS)
def book_series(space_id: int):
    """GET: the form with its Repeat section. POST: the preview (action=preview), or book all
    (action=all, all or nothing) or only the free dates (action=free)."""
    space = space_service.get_space(db.session, space_id)
    form = SeriesForm()
    if request.method == "GET":
        form.freq.data = "weekly"
        return _form_page(space, form, 200)
    if not form.validate_on_submit():
        return _form_page(space, form, 422)
    start, end = _interval(form)
    if end <= start:
        form.end.errors = list(form.end.errors) + ["The end must come after the start."]
        return _form_page(space, form, 422)
    if form.action.data == "edit":
        return _form_page(space, form, 200)
    if form.action.data not in ("all", "free"):
        return _preview_page(space, form, start, end)
    try:
        result = booking_service.book_series(db.session, user=principal(), space_id=space.id, start=start, end=end,
                                             title=(form.title.data or "").strip(), rule=form.rule(),
                                             on_conflict="fail" if form.action.data == "all" else "skip",
                                             now=utcnow())
    except ServiceError as exc:
        problems = exc.extra.get("violations") or exc.extra.get("conflicts") or []
        return _preview_page(space, form, start, end, status=exc.status, error=exc.message, problems=problems)
    made = ngettext("%(num)d booking made", "%(num)d bookings made", len(result.bookings))
    skipped = ngettext(", %(num)d date skipped.", ", %(num)d dates skipped.", len(result.skipped)) \
        if result.skipped else gettext(".")
    flash(made + skipped, "success")
    return render_template("spaces/series_booked.html", space=space, result=result), 201


@bp.route("/bookings/<int:booking_id>/cancel/<scope>", methods=["GET", "POST"])
@roles_required(*BOOKERS)
def cancel_series(booking_id: int, scope: str):
    """Cancel one occurrence, it and every later one, or the whole series, after a page that
    lists what it cancels (an occurrence under way is ended early, as a single cancel does)."""
    if scope not in SCOPES:
        abort(404)
    user, now = principal(), utcnow()
    try:
        booking = booking_service.get_booking(db.session, booking_id, viewer=user)
    except NotFound:
        abort(404)
    if booking.user_id != user.id and user.role not in MANAGER_ROLES:
        abort(403)
    members = [m for m in scope_members(db.session, booking, scope, now) if m.status != "cancelled" and m.end_at > now]
    if not members:
        flash(gettext("Nothing left to cancel there: every booking in it is cancelled or over."), "info")
        return redirect(url_for("spaces.booking", booking_id=booking.id))
    form = CancelForm()
    if form.validate_on_submit():
        try:
            done = booking_service.cancel_series(db.session, booking.id, actor=user, scope=scope, now=now,
                                                 reason=(form.reason.data or "").strip() or None)
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("spaces.booking", booking_id=booking.id))
        cancelled = sum(1 for b in done if b.status == "cancelled")
        ended = len(done) - cancelled
        flash(ngettext("%(num)d booking cancelled", "%(num)d bookings cancelled", cancelled)
              + (ngettext(", %(num)d under way ended now", ", %(num)d under way ended now", ended) if ended else "")
              + gettext("; the time is free for others again."), "success")
        return redirect(url_for("spaces.bookings"))
    running = [m for m in members if booking_service.ends_early_at(m, now) is not None]
    return render_template("spaces/series_cancel.html", booking=booking, members=members, scope=scope,
                           what=gettext(SCOPE_TITLES[scope]), running=running, form=form)
