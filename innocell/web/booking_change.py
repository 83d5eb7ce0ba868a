"""The resident's "Change" of a booking: a form prefilled with its space, day, times and title;
a refused change re-renders with the conflicts, the broken rules and the nearest free times
(one click takes one), and the booking is then as it was. For an occurrence of a series the
form asks which occurrences take the change (only this, this and later, the whole series); a
refused series change lists each occurrence with its problem, and none of them changed. Thin: services.bookings.change does
the check and the guarded write."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..extensions import db
from ..forms import select_choices
from ..forms.booking_change import ChangeBookingForm, TakeSuggestionForm
from ..services import Conflict, NotFound, RuleViolation, ServiceError
from ..services import bookings as booking_service
from ..services import spaces as space_service
from ..timeutil import local_zone, to_local, utcnow
from .access import principal, roles_required
from .display import as_instant, kind_label
from .entry import MAX_ID
from .spaces import BOOKERS, local_instant, space_facts

bp = Blueprint("booking_change", __name__)


def _changeable(booking_id: int):
    """The booking if the viewer may change it (holder or manager) and it has not begun."""
    user = principal()
    try:
        booking = booking_service.get_booking(db.session, booking_id, viewer=user)
    except NotFound:
        abort(404)
    if booking.user_id != user.id and user.role not in ("manager", "admin"):
        abort(404)
    return booking


def _space_choices(booking):
    spaces = space_service.list_spaces(db.session)
    if all(s.id != booking.space_id for s in spaces):
        spaces = [booking.space] + spaces
    return select_choices((s.id, f"{s.name} ({s.code}) · {kind_label(s.kind)}") for s in spaces)


def _attempt(booking, *, user, space_id, start, end, title, scope="one"):
    """Change through the service (this booking, or with `scope` this and later occurrences or
    the whole series): (changed booking(s), violations, conflict), one filled."""
    try:
        if scope != "one":
            return booking_service.change_series(db.session, booking.id, actor=user, scope=scope, now=utcnow(),
                                                 start=start, end=end, space_id=space_id, title=title), None, None
        done = booking_service.change(db.session, booking.id, actor=user, now=utcnow(), start=start, end=end,
                                      space_id=space_id, title=title)
        return done, None, None
    except RuleViolation as exc:
        return None, exc.extra.get("violations") or [{"rule": exc.code, "message": exc.message}], None
    except Conflict as exc:
        if "conflicts" not in exc.extra:  # begun or cancelled meanwhile: not a matter of time
            return None, [{"rule": "conflict", "message": exc.message}], None
        if scope != "one":  # each occurrence with what takes its new time; suggestions move one booking only
            return None, None, {"message": exc.message, "conflicts": [], "suggestions": [], "occurrences": [
                (as_instant(c["occurrence"]), as_instant(c["start"]), as_instant(c["end"]))
                for c in exc.extra.get("conflicts", []) if c.get("occurrence")]}
        return None, None, {
            "message": exc.message,
            "conflicts": [(as_instant(c["start"]), as_instant(c["end"])) for c in exc.extra.get("conflicts", [])],
            "suggestions": [dict(s, start=as_instant(s["start"]), end=as_instant(s["end"]))
                            for s in exc.extra.get("suggestions", [])],
        }
    except ServiceError as exc:
        return None, [{"rule": exc.code, "message": exc.message}], None


def _changed(done, booking):
    if isinstance(done, list):
        flash(f"Changed {len(done)} booking{'s' if len(done) != 1 else ''} of the series; the old times are free "
              "for others.", "success")
        return redirect(url_for("spaces.booking", booking_id=booking.id))
    if done.status == "pending":
        flash("Changed. The new time waits for a manager's approval; it is held for you meanwhile.", "success")
    else:
        flash("Changed. Your booking now holds the new time; the old one is free for others.", "success")
    return redirect(url_for("spaces.booking", booking_id=done.id))


def _render(booking, form, violations, conflict, status):
    return render_template("spaces/change.html", booking=booking, form=form, violations=violations or [],
                           conflict=conflict, facts=space_facts(booking.space), take_form=TakeSuggestionForm(),
                           begun=booking.start_at <= utcnow() or booking.status == "cancelled"), status


@bp.route("/bookings/<int:booking_id>/change", methods=["GET", "POST"])
@roles_required(*BOOKERS)
def change(booking_id: int):
    user = principal()
    booking = _changeable(booking_id)
    form = ChangeBookingForm()
    form.space_id.choices = _space_choices(booking)
    if request.method == "GET":
        tz = local_zone()
        start, end = to_local(booking.start_at, tz), to_local(booking.end_at, tz)
        form.space_id.data, form.date.data = booking.space_id, start.date()
        form.start.data, form.end.data, form.title.data = start.time(), end.time(), booking.title
        return _render(booking, form, None, None, 200)
    if not form.validate_on_submit():
        return _render(booking, form, None, None, 422)
    day, start_t, end_day, end_t = form.interval_local()
    start, end = local_instant(day, start_t), local_instant(end_day, end_t)
    if end <= start:
        form.end.errors = list(form.end.errors) + [gettext("The end must come after the start.")]
        return _render(booking, form, None, None, 422)
    done, violations, conflict = _attempt(booking, user=user, space_id=form.space_id.data, start=start, end=end,
                                          title=(form.title.data or "").strip(),
                                          scope=form.scope.data if booking.series_id else "one")
    if done is not None:
        return _changed(done, booking)
    db.session.expire_all()
    return _render(_changeable(booking_id), form, violations, conflict, 422 if violations else 409)


@bp.post("/bookings/<int:booking_id>/change/take")
@roles_required(*BOOKERS)
def take_suggestion(booking_id: int):
    """One click on a suggested free time: the booking moves to exactly that space and time."""
    user = principal()
    booking = _changeable(booking_id)
    form = TakeSuggestionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        space_id = int(form.space_id.data)
        start, end = as_instant(form.start.data), as_instant(form.end.data)
    except (TypeError, ValueError, OverflowError):
        abort(400)
    if start is None or end is None or end <= start or not 0 < space_id <= MAX_ID:
        abort(400)
    done, violations, conflict = _attempt(booking, user=user, space_id=space_id, start=start, end=end, title=None)
    if done is not None:
        return _changed(done, booking)
    flash("That time was just taken or is no longer allowed; here is the form again.", "error")
    db.session.expire_all()
    booking = _changeable(booking_id)
    change_form = ChangeBookingForm(formdata=None)
    change_form.space_id.choices = _space_choices(booking)
    tz = local_zone()
    change_form.space_id.data, change_form.date.data = space_id, to_local(start, tz).date()
    change_form.start.data, change_form.end.data = to_local(start, tz).time(), to_local(end, tz).time()
    change_form.title.data = booking.title
    return _render(booking, change_form, violations, conflict, 422 if violations else 409)
