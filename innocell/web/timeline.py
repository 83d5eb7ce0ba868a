"""The staff timeline: a day or a week across every space (or one kind), one row per space, with
each booking's holder and title, pending requests marked, and one click to approve a request
(then back to the same view). Managers and admins act; finance reads. Residents get a 403: the
pages they see keep showing only "booked"."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..allocation.dates import date_in_range
from ..extensions import db
from ..forms.spaces import ConfirmForm
from ..services import NotFound, ServiceError
from ..services import bookings as booking_service
from ..services import space_kinds as space_kind_service
from ..services.bookings.decisions import decide_many
from ..services.bookings.timeline import timeline as build_timeline
from ..timeutil import local_zone, parse_date, to_local, utcnow
from .access import MANAGERS, STAFF, principal, roles_required

bp = Blueprint("timeline", __name__)

VIEWS = {"day": 1, "week": 7}


def _view_args(source) -> tuple[date, str, str | None]:
    """The day, view and kind a request asks for; anything unreadable falls back to today,
    the day view and every kind."""
    today = to_local(utcnow(), local_zone()).date()
    try:
        day = parse_date(source.get("date") or "") if source.get("date") else today
    except ValueError:
        day = today
    view = source.get("view") if source.get("view") in VIEWS else "day"
    kind = source.get("kind") or None
    keys = {k.key for k in space_kind_service.list_kinds(db.session)}
    if kind not in keys:
        kind = None
    return day, view, kind


def _link(day: date, view: str, kind: str | None) -> str | None:
    if not date_in_range(day):
        return None
    return url_for("timeline.show", date=day.isoformat(), view=view, **({"kind": kind} if kind else {}))


@bp.get("/timeline")
@roles_required(*STAFF)
def show():
    day, view, kind = _view_args(request.args)
    tz = local_zone()
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    try:
        data = build_timeline(db.session, first_day=first, days=VIEWS[view], tz=tz, kind=kind)
    except OverflowError:  # the last days of 2199 in a week view
        abort(404)
    step = timedelta(days=VIEWS[view])
    today = to_local(utcnow(), tz).date()
    return render_template(
        "manage_spaces/timeline.html", data=data, day=day, view=view, kind=kind, first=first,
        kinds=space_kind_service.list_kinds(db.session), today=today,
        can_approve=principal().role in MANAGERS, can_open=principal().role in MANAGERS,
        approve_form=ConfirmForm(),
        prev_url=_link(day - step, view, kind), next_url=_link(day + step, view, kind),
        today_url=_link(today, view, kind),
        other_view_url=_link(day, "week" if view == "day" else "day", kind),
        day_url=lambda d: _link(d, "day", kind),
    )


@bp.post("/manage/timeline/bookings/<int:booking_id>/approve")
@roles_required(*MANAGERS)
def approve(booking_id: int):
    """One click on a pending booking: approve it, then back to the same timeline."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    day, view, kind = _view_args(request.form)
    try:
        booking = booking_service.approve(db.session, booking_id, actor=principal(), now=utcnow())
    except NotFound:
        abort(404)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Approved: {booking.space.code} for {booking.user.name}, "
              f"{to_local(booking.start_at, local_zone()):%d %b %H:%M}.", "success")
    return redirect(_link(day, view, kind) or url_for("timeline.show"))


@bp.post("/manage/approvals/decide")
@roles_required(*MANAGERS)
def decide_requests():
    """The approval queue's checkboxes: approve or decline every ticked request, with one
    optional reason, all or nothing (the queue page says so)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    decision = request.form.get("decision")
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) < 12]
    if decision not in ("approve", "decline") or not ids:
        flash("Tick at least one request, then choose Approve or Decline.", "error")
        return redirect(url_for("manage_spaces.approvals"))
    reason = (request.form.get("reason") or "").strip()[:300] or None
    try:
        decided = decide_many(db.session, ids, approve_them=decision == "approve", actor=principal(), now=utcnow(),
                              reason=reason)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        many = len(decided) != 1
        flash(f"{'Approved' if decision == 'approve' else 'Declined'} {len(decided)} request{'s' if many else ''}; "
              f"the holder{'s are' if many else ' is'} notified.", "success")
    return redirect(url_for("manage_spaces.approvals"))
