"""Resident housing pages: browse unit types (rent, availability), apply, my applications
(withdraw), my offers (accept/decline before the deadline), my leases and my waitlist places.
Thin: every read and write goes through the housing services (innocell.services.housing.*),
which own their transactions: a refused call has already rolled back."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..extensions import db
from ..forms.housing import AcceptForm, ApplicationForm, ConfirmForm
from ..models.housing import UNIT_TYPES
from ..services import Conflict, NotFound, ServiceError
from ..services.housing.applications import (
    get_application,
    list_applications,
    submit_application,
    withdraw_application,
)
from ..services.housing.leases import get_lease, list_leases
from ..services.housing.offers import (
    accept_offer,
    decline_offer,
    get_offer,
    list_offers,
    offer_term,
    transfer_ends,
)
from ..services.housing.units import list_units, unit_type_summary
from ..services.housing.unit_types import offer_terms
from ..services.housing.wait_estimates import estimate_for
from ..services.housing.waitlists import waitlist
from ..timeutil import local_zone, to_local, utcnow
from .access import principal, roles_required
from .display import day_text, term_text

bp = Blueprint("housing", __name__)

RESIDENTS = ("resident",)

# Service refusals name the input they are about (`rule`); where a form field has another
# name, this maps it.
FIELD_ALIASES = {"preferred_unit_ids": "preferred_1", "position": "new_position", "user_id": "email",
                 "unit_id": "unit_code"}


# ---------------------------------------------------------------- helpers shared with manage_housing

def attach_error(form, exc: ServiceError) -> None:
    """Put a service refusal next to the field it is about (or at the top of the form)."""
    violations = exc.extra.get("violations") or []
    placed = False
    for violation in violations:
        name = violation.get("field") or violation.get("rule")
        name = FIELD_ALIASES.get(name, name)
        target = getattr(form, name, None) if name else None
        if target is not None and not hasattr(target, "validators"):
            target = None  # not a form field (e.g. a method)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [violation.get("message", exc.message)]
            placed = True
        else:
            form.form_errors.append(violation.get("message", exc.message))
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


def today_local(now: datetime) -> date:
    return to_local(now, local_zone()).date()


def get(obj, key, default=None):
    """Read a key of a dict or an attribute of an object (services answer either)."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def offer_deadline_text(offer, now: datetime) -> str:
    """'2 days 4 hours left' for an open offer; '' otherwise."""
    expires = get(offer, "expires_at")
    if get(offer, "status") != "open" or expires is None:
        return ""
    if expires.tzinfo is None:
        from datetime import timezone

        expires = expires.replace(tzinfo=timezone.utc)
    left = expires - now
    if left <= timedelta(0):
        return "the deadline has passed"
    days, hours = left.days, left.seconds // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} hour{'s' if hours != 1 else ''} left"
    minutes = (left.seconds % 3600) // 60
    return f"{hours} hour{'s' if hours != 1 else ''} {minutes} min left"


def summary_rows(session, day: date, now: datetime) -> list[dict]:
    """Per unit type: count, rent range, free today and free from the first of next month."""
    return unit_type_summary(session, day=day, now=now)


# ---------------------------------------------------------------- the resident's page

@bp.get("/housing")
@roles_required(*RESIDENTS)
def index():
    user = principal()
    now = utcnow()
    today = today_local(now)
    offers = list_offers(db.session, viewer=user)
    open_offers = [o for o in offers if o.status == "open"]
    past_offers = [o for o in offers if o.status != "open"]
    leases = [lease for lease in list_leases(db.session, viewer=user) if lease.kind == "home"]  # stays: own page
    applications = list_applications(db.session, viewer=user)
    places = waitlist(db.session, viewer=user)
    cache: dict = {}
    estimates = {entry.id: estimate_for(db.session, entry, ahead, now=now, cache=cache)
                 for entry, _, ahead, _ in places}
    return render_template(
        "housing/index.html", summary=summary_rows(db.session, today, now), today=today, now=now,
        open_offers=open_offers, past_offers=past_offers, leases=leases, applications=applications,
        places=places, deadline=lambda o: offer_deadline_text(o, now), confirm=ConfirmForm(), estimates=estimates,
        me=user.id,
    )


# ---------------------------------------------------------------- apply

def unit_choices(form, session) -> None:
    """The units and floors a form's preferences are picked from."""
    units = list_units(session)
    form.set_unit_choices(units, sorted({u.floor for u in units}))


@bp.route("/housing/apply", methods=["GET", "POST"])
@roles_required(*RESIDENTS)
def apply():
    user = principal()
    now = utcnow()
    today = today_local(now)
    form = ApplicationForm()
    unit_choices(form, db.session)
    if request.method == "GET":
        wanted = request.args.get("unit_type")
        if wanted in UNIT_TYPES:
            form.unit_type.data = wanted
        first_next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        form.move_in.data = first_next_month
        picked = request.args.get("unit", type=int)
        if picked is not None:
            form.fill_preferences([picked], None)
        floor = request.args.get("floor", type=int)
        if floor is not None:
            form.preferred_floor.data = str(floor)
        day = request.args.get("move_in")
        if day:
            try:
                form.move_in.data = date.fromisoformat(day)
            except ValueError:
                pass
    if form.validate_on_submit():
        ok = True
        if form.move_in.data < today:
            form.move_in.errors.append(gettext("The move-in date has passed; choose today or later."))
            ok = False
        if ok:
            months, nights = form.term()
            try:
                application = submit_application(
                    db.session, user=user, unit_type=form.unit_type.data, move_in=form.move_in.data,
                    term_months=months, term_nights=nights, occupants=form.occupants.data,
                    preferred_unit_ids=tuple(form.preferred_ids()), preferred_floor=form.floor(),
                    partner_email=form.partner_email.data, now=now)
            except ServiceError as exc:
                attach_error(form, exc)
            else:
                transfer = (f" It is a transfer from unit {application.transfer_from.unit.code}: accepting an offer "
                            "ends that lease the day the new one starts." if application.transfer_from else "")
                joint = (f" {application.partner.name or application.partner.email} is asked to confirm it; it "
                         "enters a round once they do." if application.partner else "")
                flash(f"Application sent: a {application.unit_type} unit from {day_text(application.move_in)} "
                      f"for {term_text(application.term_months, application.term_nights)}.{transfer}{joint} "
                      "You will hear from us after the next allocation round.", "success")
                return redirect(url_for("housing.index"))
    status = 422 if request.method == "POST" else 200
    homes = [lease for lease in list_leases(db.session, viewer=user)
             if lease.status in ("active", "ending") and lease.end_date > today]
    return render_template("housing/apply.html", form=form, summary=summary_rows(db.session, today, now),
                           homes=homes), status


# ---------------------------------------------------------------- withdraw

def _my_application(user, application_id: int):
    """The viewer's own application; another's id is NotFound (404)."""
    return get_application(db.session, application_id, viewer=user)


@bp.route("/housing/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@roles_required(*RESIDENTS)
def withdraw(application_id: int):
    user = principal()
    application = _my_application(user, application_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            withdraw_application(db.session, application_id, user=user, now=utcnow())
        except NotFound:
            abort(404)
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("housing.index"))
        flash(f"Application for a {application.unit_type} unit withdrawn.", "success")
        return redirect(url_for("housing.index"))
    return render_template("housing/withdraw.html", application=application, form=form)


# ---------------------------------------------------------------- offers

def _my_offer(user, offer_id: int):
    """The viewer's own offer; another's id is NotFound (404)."""
    return get_offer(db.session, offer_id, viewer=user)


@bp.get("/housing/offers/<int:offer_id>")
@roles_required(*RESIDENTS)
def offer(offer_id: int):
    user = principal()
    now = utcnow()
    found = _my_offer(user, offer_id)
    return render_template("housing/offer.html", offer=found, deadline=offer_deadline_text(found, now),
                           form=ConfirmForm(), refusal=None)


@bp.route("/housing/offers/<int:offer_id>/accept", methods=["GET", "POST"])
@roles_required(*RESIDENTS)
def accept(offer_id: int):
    """GET: what accepting commits to (unit, dates, term, rent, and for a transfer the lease it
    ends), with the button that accepts; POST: accept (the API stays one call)."""
    user = principal()
    now = utcnow()
    form = AcceptForm()
    found = _my_offer(user, offer_id)
    answerable = found.status == "open" and found.expires_at > now
    if request.method == "GET" and found.status != "open":
        return redirect(url_for("housing.offer", offer_id=offer_id))
    agreed = form.validate_on_submit()
    if request.method == "POST" and "csrf_token" in form.errors:
        abort(400)
    # An offer that can no longer be answered goes to the service, which says why (409).
    if request.method == "GET" or (answerable and not agreed):
        return render_template("housing/accept.html", offer=found, form=form, term=offer_term(found),
                               ends=transfer_ends(db.session, found), deadline=offer_deadline_text(found, now),
                               terms=offer_terms(found)), 200 if request.method == "GET" else 422
    try:
        lease = accept_offer(db.session, offer_id, user=user, now=now)
    except NotFound:
        abort(404)
    except Conflict as exc:
        found = _my_offer(user, offer_id)
        return render_template("housing/offer.html", offer=found, deadline=offer_deadline_text(found, now),
                               form=ConfirmForm(), refusal=exc.message), 409
    except ServiceError as exc:
        found = _my_offer(user, offer_id)
        return render_template("housing/offer.html", offer=found, deadline=offer_deadline_text(found, now),
                               form=ConfirmForm(), refusal=exc.message), exc.status
    flash(f"Offer accepted: unit {lease.unit.code} is yours from {day_text(lease.start_date)} "
          f"to {day_text(lease.end_date)}.", "success")
    return redirect(url_for("housing.lease", lease_id=lease.id))


@bp.route("/housing/offers/<int:offer_id>/decline", methods=["GET", "POST"])
@roles_required(*RESIDENTS)
def decline(offer_id: int):
    user = principal()
    now = utcnow()
    found = _my_offer(user, offer_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            decline_offer(db.session, offer_id, user=user, now=now)
        except NotFound:
            abort(404)
        except ServiceError as exc:
            found = _my_offer(user, offer_id)
            return render_template("housing/offer.html", offer=found, deadline=offer_deadline_text(found, now),
                                   form=ConfirmForm(), refusal=exc.message), exc.status
        flash(f"Offer of unit {found.unit.code} declined; the unit passes to the next applicant.", "success")
        return redirect(url_for("housing.index"))
    if found.status != "open":
        return redirect(url_for("housing.offer", offer_id=offer_id))
    return render_template("housing/decline.html", offer=found, form=form,
                           deadline=offer_deadline_text(found, now))


# ---------------------------------------------------------------- leases

@bp.get("/housing/leases/<int:lease_id>")
@roles_required(*RESIDENTS)
def lease(lease_id: int):
    user = principal()
    found = get_lease(db.session, lease_id, viewer=user)
    if found.kind == "short_stay":
        return redirect(url_for("short_stays.show", stay_id=found.id))
    return render_template("housing/lease.html", lease=found)
