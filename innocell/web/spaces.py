"""Resident pages for labs and rooms: find a free space, a space's week calendar, the booking
form (every violation inline, suggestions one click away), my bookings and cancelling.
Thin: every read and write goes through innocell.services (spaces, bookings, blackouts,
no_show); a refused write comes back as a ServiceError with the session already rolled back."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..extensions import db
from ..forms.spaces import (
    BookingForm,
    CancelForm,
    FindSpaceForm,
    SuggestionForm,
    WEEKDAY_KEYS,
    WEEKDAY_NAMES,
)
from ..forms import select_choices
from ..services import Conflict, NotFound, RuleViolation, ServiceError
from ..services import blackouts as blackout_service
from ..services import bookings as booking_service
from ..services import no_show as no_show_service
from ..services import space_attributes as attributes
from ..services import spaces as space_service
from ..timeutil import local_zone, parse_date, to_local, utcnow
from .access import principal, roles_required
from .display import as_instant, endpoint_exists, kind_label, local_time

bp = Blueprint("spaces", __name__)

BOOKERS = ("resident", "manager", "admin")
UTC = timezone.utc


# ---------------------------------------------------------------- helpers shared with manage_spaces

from .paging import Page, page_number, page_size  # noqa: E402


def local_instant(day: date, at: time) -> datetime:
    """A local wall-clock day and time as an aware UTC instant."""
    return datetime.combine(day, at, tzinfo=local_zone()).astimezone(UTC)


def space_facts(space) -> list[tuple[str, str]]:
    """What a resident needs to know before booking, as (label, value) pairs."""
    def minutes(m):
        return f"{m // 60} h {m % 60} min" if m >= 60 and m % 60 else (f"{m // 60} h" if m >= 60 else f"{m} min")

    facts = [
        ("Kind", kind_label(space.kind)),
        ("Capacity", f"{space.capacity} at a time" if space.capacity > 1 else "one booking at a time"),
        ("Booking length", f"{minutes(space.min_minutes)} to {minutes(space.max_minutes)}, "
                           f"on a {space.slot_minutes}-minute grid"),
        ("Buffer", f"{space.buffer_minutes} min kept free after each booking" if space.buffer_minutes else "none"),
        ("Book ahead", f"up to {space.max_days_ahead} days"),
        ("Rate", f"HK${space.hourly_rate:,.2f} an hour" if space.hourly_rate else "free"),
        ("Approval", "a manager approves each booking" if space.requires_approval else "not needed"),
        ("Authorisation", "only trained (authorised) users may book" if space.requires_authorisation else "not needed"),
        ("Check-in", "check in on arrival, or the booking is released" if space.requires_checkin else "not needed"),
        ("Public holidays", "closed" if space.closed_on_holidays else "open as usual"),
    ]
    return facts


def _kinds(spaces) -> list[str]:
    kinds: list[str] = []
    for s in spaces:
        if s.kind not in kinds:
            kinds.append(s.kind)
    return kinds


# ---------------------------------------------------------------- find a space

@bp.get("/spaces")
@roles_required(*BOOKERS)
def index():
    user = principal()
    now = utcnow()
    spaces = space_service.list_spaces(db.session)
    kinds = _kinds(spaces)
    searched = bool(request.args)
    form = FindSpaceForm(formdata=request.args if searched else None)
    form.kind.choices = select_choices((k, kind_label(k)) for k in kinds)
    form.equipment.choices = [(t, t) for t in attributes.equipment_tags(spaces)]
    if not searched:
        tomorrow = to_local(now, local_zone()).date() + timedelta(days=1)
        form.date.data, form.start.data = tomorrow, time(10, 0)
    results, window = None, None
    if searched and form.validate():
        start = local_instant(form.date.data, form.start.data)
        end = start + timedelta(minutes=form.length.data)
        window = (start, end)
        results = booking_service.free_spaces(db.session, kind=form.kind.data, start=start, end=end, user=user, now=now,
                                              **form.wanted())
    by_kind = [(k, [s for s in spaces if s.kind == k]) for k in kinds]
    return render_template("spaces/index.html", form=form, results=results, window=window, by_kind=by_kind,
                           searched=searched)


# ---------------------------------------------------------------- a space's week

def _week_start(raw: str | None, today: date) -> date:
    try:
        day = parse_date(raw) if raw else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


def _chosen_day(raw: str | None) -> date | None:
    """The day shown on a phone (`?day=`); anything that is not a date in range is ignored."""
    try:
        return parse_date(raw) if raw else None
    except ValueError:
        return None


@bp.get("/spaces/<int:space_id>")
@roles_required(*BOOKERS)
def space(space_id: int):
    user = principal()
    now = utcnow()
    tz = local_zone()
    item = space_service.get_space(db.session, space_id)
    today = to_local(now, tz).date()
    day = _chosen_day(request.args.get("day"))
    week_start = _week_start(day.isoformat() if day else request.args.get("week"), today)
    if day is None:  # phones show one day: today in this week, else the week's first day
        day = today if week_start <= today < week_start + timedelta(days=7) else week_start
    week = booking_service.week_view(db.session, space_id, week_start=week_start, user=user, now=now, tz=tz)
    hours = [(WEEKDAY_NAMES[i], (item.opening_hours or {}).get(key, [])) for i, key in enumerate(WEEKDAY_KEYS)]
    _, recurring = blackout_service.list_blackouts(db.session, space_id, now=now)
    return render_template("spaces/space.html", space=item, week=week, week_start=week_start,
                           prev_week=week_start - timedelta(days=7), next_week=week_start + timedelta(days=7),
                           this_week=today - timedelta(days=today.weekday()), today=today, hours=hours,
                           facts=space_facts(item), recurring=recurring, weekday_names=WEEKDAY_NAMES,
                           day=day, day_index=(day - week_start).days,
                           prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1))


# ---------------------------------------------------------------- the booking form

def _prefill(form: BookingForm, space) -> None:
    """Fill the form from ?start=&end= (ISO, local without offset) or ?date=&time=&length=."""
    tz = local_zone()
    try:
        start = as_instant(request.args.get("start"))
        end = as_instant(request.args.get("end"))
    except ValueError:
        start = end = None
    if start is None:
        return
    if end is None or end <= start:
        end = start + timedelta(minutes=max(space.min_minutes, space.slot_minutes))
    if end - start < timedelta(minutes=space.min_minutes):
        end = start + timedelta(minutes=space.min_minutes)
    local_start, local_end = to_local(start, tz), to_local(end, tz)
    form.date.data, form.start.data, form.end.data = local_start.date(), local_start.time(), local_end.time()
    form.title.data = request.args.get("title", "")


def _violations(exc: ServiceError) -> list[dict]:
    return exc.extra.get("violations") or [{"rule": exc.code, "message": exc.message}]


def _book(user, space, start, end, title, repeat_weeks, now, for_user=None):
    """Book through the service; returns (bookings, violations, conflict) with exactly one filled.
    `for_user`: a manager books on behalf of that resident."""
    try:
        if for_user:
            made = booking_service.book_for(db.session, actor=user, for_user_id=for_user, space_id=space.id,
                                            start=start, end=end, title=title, now=now,
                                            repeat_weeks=repeat_weeks if repeat_weeks and repeat_weeks > 1 else None)
        elif repeat_weeks and repeat_weeks > 1:
            made = booking_service.book_recurring(db.session, user=user, space_id=space.id, start=start, end=end,
                                                  title=title, repeat_weeks=repeat_weeks, now=now)
            made = list(made)
        else:
            made = [booking_service.book(db.session, user=user, space_id=space.id, start=start, end=end, title=title,
                                         now=now)]
        return made, None, None
    except RuleViolation as exc:
        return None, _violations(exc), None
    except Conflict as exc:
        conflict = {
            "repeat_weeks": repeat_weeks if repeat_weeks and repeat_weeks > 1 else None, "for_user": for_user,
            "message": exc.message,
            "conflicts": [(as_instant(c["start"]), as_instant(c["end"])) if isinstance(c, dict)
                          else (as_instant(c[0]), as_instant(c[1])) for c in exc.extra.get("conflicts", [])],
            "suggestions": [dict(s, start=as_instant(s["start"]), end=as_instant(s["end"]))
                            for s in exc.extra.get("suggestions", [])],
        }
        return None, None, conflict
    except ServiceError as exc:  # e.g. a bad request the form could not foresee: shown like a violation
        return None, _violations(exc), None


def _booked(made) -> object:
    first = made[0]
    if len(made) == 1:
        if first.status == "pending":
            flash(gettext("Your request is in: a manager will approve or decline it, and you will be notified."), "success")
        else:
            flash(gettext("Booked. See you there!"), "success")
        return redirect(url_for("spaces.booking", booking_id=first.id, new=1))
    dates = ", ".join(local_time(b.start_at, "%d %b") for b in made)
    flash(f"{len(made)} weekly bookings made ({dates}).", "success")
    return redirect(url_for("spaces.booking", booking_id=first.id, new=len(made)))


@bp.route("/spaces/<int:space_id>/book", methods=["GET", "POST"])
@roles_required(*BOOKERS)
def book(space_id: int):
    user = principal()
    now = utcnow()
    item = space_service.get_space(db.session, space_id)
    if request.method == "POST" and request.form.get("freq", "none") != "none":  # the Repeat section: preview first
        return current_app.view_functions["series.book_series"](space_id=space_id)
    form = BookingForm()
    if user.role in ("manager", "admin"):  # "Book for": the active residents
        form.for_user.choices = [("", "myself")] + [
            (p.id, f"{p.name} ({p.email})") for p in booking_service.residents_to_book_for(db.session)]
    if request.method == "GET":
        _prefill(form, item)
    violations, conflict, window = [], None, None
    status = 200
    if form.validate_on_submit():
        day, start_t, end_day, end_t = form.interval_local()
        start, end = local_instant(day, start_t), local_instant(end_day, end_t)
        window = (start, end)
        if end <= start:
            form.end.errors = list(form.end.errors) + [gettext("The end must come after the start.")]
            status = 422
        else:
            made, violations, conflict = _book(user, item, start, end, (form.title.data or "").strip(),
                                               form.repeat_weeks.data, now, for_user=form.for_user.data)
            if made:
                return _booked(made)
            violations = violations or []
            status = 422 if violations else 409
    elif request.method == "POST":
        status = 422
    return render_template("spaces/book.html", space=item, form=form, violations=violations, conflict=conflict,
                           window=window, facts=space_facts(item), suggestion_form=SuggestionForm(),
                           waitlist=endpoint_exists("inbox.join_slot_waitlist")), status


@bp.post("/spaces/book-suggestion")
@roles_required(*BOOKERS)
def book_suggestion():
    """One click on a suggested alternative: book exactly that interval."""
    user = principal()
    now = utcnow()
    form = SuggestionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        space_id = int(form.space_id.data)
        start, end = as_instant(form.start.data), as_instant(form.end.data)
    except (TypeError, ValueError):
        abort(400)
    if start is None or end is None or end <= start:
        abort(400)
    item = space_service.get_space(db.session, space_id)
    try:
        repeat = int(form.repeat_weeks.data) if form.repeat_weeks.data else None
    except ValueError:
        abort(400)
    raw_for = form.for_user.data or ""
    for_user = int(raw_for) if raw_for.isascii() and raw_for.isdigit() else None  # the service bounds it
    made, violations, conflict = _book(user, item, start, end, (form.title.data or "").strip()[:200], repeat, now,
                                       for_user=for_user)
    if made:
        return _booked(made)
    flash(gettext("That alternative was just taken or is no longer allowed; here is the form again."), "error")
    booking_form = BookingForm(formdata=None)
    local_start, local_end = to_local(start, local_zone()), to_local(end, local_zone())
    booking_form.date.data, booking_form.start.data, booking_form.end.data = (
        local_start.date(), local_start.time(), local_end.time())
    booking_form.title.data = form.title.data
    booking_form.repeat_weeks.data = repeat
    return render_template("spaces/book.html", space=item, form=booking_form, violations=violations or [],
                           conflict=conflict, window=(start, end), facts=space_facts(item),
                           suggestion_form=SuggestionForm(),
                           waitlist=endpoint_exists("inbox.join_slot_waitlist")), (422 if violations else 409)


# ---------------------------------------------------------------- my bookings

@bp.get("/bookings")
@roles_required(*BOOKERS)
def bookings():
    user = principal()
    now = utcnow()
    tab = "past" if request.args.get("tab") == "past" else "upcoming"
    page, per_page = page_number(), page_size()
    window = {"start": now} if tab == "upcoming" else {"end": now}
    filters = owner_filter(user.id) | window
    total = booking_service.count_bookings(db.session, **filters)
    items = booking_service.list_bookings(db.session, **filters, limit=per_page, offset=(page - 1) * per_page,
                                          newest_first=tab == "past")
    return render_template("spaces/bookings.html", tab=tab, page=Page(items, page, per_page, total), now=now,
                           page_url=lambda n: url_for("spaces.bookings", tab=tab, page=n))


def owner_filter(user_id: int) -> dict:
    """list_bookings/count_bookings keywords for the bookings of one user."""
    return {"viewer": principal(), "user_id": user_id}


def _own_booking(booking_id: int):
    """The booking if the viewer may see it (owner or staff); 404 otherwise."""
    try:
        return booking_service.get_booking(db.session, booking_id, viewer=principal())
    except NotFound:
        abort(404)


@bp.get("/bookings/<int:booking_id>")
@roles_required(*BOOKERS)
def booking(booking_id: int):
    now = utcnow()
    item = _own_booking(booking_id)
    can_cancel = item.status != "cancelled" and as_instant(item.end_at) > now
    can_change = item.status != "cancelled" and as_instant(item.start_at) > now
    return render_template("spaces/booking.html", booking=item, now=now, can_cancel=can_cancel, can_change=can_change,
                           running=booking_service.ends_early_at(item, now) is not None,
                           can_check_in=no_show_service.can_check_in(item, now) and endpoint_exists("inbox.check_in"),
                           new=request.args.get("new"))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@roles_required(*BOOKERS)
def cancel(booking_id: int):
    """Cancel a booking that has not begun, or end one under way ("End now": the used part
    stays booked); the page says which, and what it costs, before the holder confirms."""
    user = principal()
    now = utcnow()
    item = _own_booking(booking_id)
    form = CancelForm()
    if item.status == "cancelled":
        flash(gettext("This booking is already cancelled."), "info")
        return redirect(url_for("spaces.booking", booking_id=item.id))
    if form.validate_on_submit():
        try:
            done = booking_service.cancel(db.session, item.id, actor=user, now=now,
                                          reason=(form.reason.data or "").strip() or None)
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("spaces.booking", booking_id=item.id))
        if done.status == "cancelled":
            flash(gettext("Booking cancelled; the slot is free for others again.")
                  + (gettext(" It was a late cancellation.") if done.late_cancel else ""), "success")
        else:
            flash(f"Booking ended at {local_time(done.end_at, '%H:%M')}; the time until then stays booked and the "
                  "rest is free for others.", "success")
        return redirect(url_for("spaces.booking", booking_id=item.id))
    return render_template("spaces/cancel.html", booking=item, form=form,
                           ends_at=booking_service.ends_early_at(item, now),
                           late=item.user_id == user.id and booking_service.is_late(item.space, item, now))
