"""The inbox: every notice a user was sent (offers, renewals, reminders, releases, slot-waitlist
bookings), unread counts, mark read, the reminder-email setting, and the resident's slot
waitlist requests; plus the POST endpoints other pages use: join a slot's waitlist, check in."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from ..extensions import db
from ..models import SlotRequest
from ..services import ServiceError
from ..services import no_show as no_show_service
from ..services import notifications as notification_service
from ..services import slot_waitlist as slot_service
from ..timeutil import local_zone, parse_instant, utcnow
from .access import principal, roles_required
from .paging import page_number

bp = Blueprint("inbox", __name__)

BOOKERS = ("resident", "manager", "admin")


@bp.get("/inbox")
@login_required
def index():
    user = principal()
    now = utcnow()
    unread_only = request.args.get("unread") == "1"
    page = db.paginate(notification_service.inbox_query(user.id, unread_only=unread_only), page=page_number(),
                       per_page=int(current_app.config["PAGE_SIZE"]), error_out=False)
    requests_ = slot_service.list_requests(db.session, user=user) if user.role in BOOKERS else []
    requests_ = [r for r in requests_ if r.user_id == user.id]
    waiting = [r for r in requests_ if r.status == "waiting"]
    positions = {r.id: slot_service.position(db.session, r) for r in waiting}
    return render_template(
        "inbox/index.html", page=page, unread_only=unread_only,
        unread=notification_service.unread_count(db.session, user.id),
        slot_requests=requests_[:50], positions=positions,
        checkin_due=no_show_service.checkin_due(db.session, user.id, now),
        can_book=user.role in BOOKERS, link_kinds=notification_service.LINK_KINDS,
    )


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    user = principal()
    try:
        notification_service.mark_read(db.session, notification_id, user_id=user.id, now=utcnow())
    except ServiceError:
        abort(404)
    return redirect(url_for("inbox.index", page=request.form.get("page") or None,
                            unread=request.form.get("unread") or None))


@bp.post("/inbox/read-all")
@login_required
def mark_all_read():
    user = principal()
    count = notification_service.mark_all_read(db.session, user_id=user.id, now=utcnow())
    flash(f"Marked {count} notice{'s' if count != 1 else ''} read." if count else "Nothing was unread.", "info")
    return redirect(url_for("inbox.index"))


@bp.post("/inbox/settings")
@login_required
def settings():
    value = request.form.get("email_reminders")
    user = notification_service.set_email_reminders(db.session, user_id=principal().id,
                                                    on=value in ("1", "on", "true", "yes"))
    flash("Reminder emails are on." if user.email_reminders
          else "Reminder emails are off; reminders still appear in this inbox.", "info")
    return redirect(url_for("inbox.index"))


# ----------------------------------------------------------------------------- slot waitlist


@bp.post("/slot-requests")
@roles_required(*BOOKERS)
def join_slot_waitlist():
    user = principal()
    tz = local_zone()
    form = request.form
    try:
        try:
            space_id = int(form.get("space_id", ""))
        except ValueError:
            raise ServiceError(gettext("Choose a space.")) from None
        try:
            start = parse_instant(form.get("start", ""), tz)
            end = parse_instant(form.get("end", ""), tz)
        except ValueError as exc:
            raise ServiceError(gettext("The slot's time is not valid: %(problem)s.", problem=exc)) from None
        item = slot_service.join_slot_waitlist(db.session, user=user, space_id=space_id, start=start, end=end,
                                               title=form.get("title", ""), now=utcnow())
    except ServiceError as exc:
        flash(f"Could not join the waitlist: {exc.message}", "error")
        return redirect(url_for("inbox.index", _anchor="slot-requests"))
    place = slot_service.position(db.session, item)
    flash(f"You are on the waitlist for {item.space.name} (number {place} in line). If the slot frees up before it "
          f"starts, it is booked for you and you get a notice here.", "success")
    return redirect(url_for("inbox.index", _anchor="slot-requests"))


@bp.post("/slot-requests/<int:request_id>/cancel")
@roles_required(*BOOKERS)
def cancel_slot_request(request_id: int):
    user = principal()
    item = db.session.get(SlotRequest, request_id)
    if item is None or item.user_id != user.id:
        abort(404)
    try:
        slot_service.cancel_request(db.session, request_id, user=user, now=utcnow())
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("inbox.index", _anchor="slot-requests"))
    flash(gettext("You left the waitlist for that slot."), "info")
    return redirect(url_for("inbox.index", _anchor="slot-requests"))


# ----------------------------------------------------------------------------- check-in


@bp.post("/bookings/<int:booking_id>/check-in")
@roles_required(*BOOKERS)
def check_in(booking_id: int):
    user = principal()
    try:
        booking = no_show_service.check_in(db.session, booking_id, user=user, now=utcnow())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
    else:
        flash(f"Checked in to {booking.space.name}. Enjoy your session.", "success")
    if "spaces.booking" in current_app.view_functions:
        return redirect(url_for("spaces.booking", booking_id=booking_id))
    return redirect(url_for("inbox.index"))
