"""People (admin pages): the searchable list, a person's page (bookings, housing, offers,
history), and the admin's changes: role, company, tier, deactivation, reactivation,
invitations. Managers read these pages and decide on registrations that wait for approval.
Thin: every read and write is a service (services.people, invitations), which audits it."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..extensions import db
from ..forms.people import ROLE_LABELS, DeactivateForm, InviteForm, PersonForm, ReasonForm, company_choices
from ..services import Conflict, NotFound, RuleViolation, ServiceError
from ..services import companies as company_service
from ..services import invitations as invitation_service
from ..services import people as people_service
from ..services.housing import waitlist_position
from ..services.standing import STATES
from ..timeutil import utcnow
from .access import MANAGERS, principal, roles_required
from .paging import Page, page_number, page_size

bp = Blueprint("admin_people", __name__)
ADMIN = ("admin",)


def _person(user_id: int):
    try:
        return people_service.get_person(db.session, user_id)
    except NotFound:
        abort(404)


def _companies():
    return [c for c, _ in company_service.list_companies(db.session)]


def _apply(form, exc: ServiceError) -> list[str]:
    """Each violation on its field; those that fit none are returned for the top of the form."""
    general = []
    for v in exc.extra.get("violations") or [{"rule": "", "message": exc.message}]:
        name = {"company": "company_id"}.get(v.get("rule") or "", v.get("rule") or "")
        target = getattr(form, name, None) if name else None
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, v["message"]]
        else:
            general.append(v["message"])
    return general


def _company_value(raw: str | None):
    """The chosen company id; '' is none; anything else goes to the service to be refused."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 10 else raw


@bp.get("/admin/people")
@roles_required(*MANAGERS)
def index():
    args = request.args
    q = (args.get("q") or "").strip()[:200]
    role = args.get("role") if args.get("role") in ROLE_LABELS else None
    state = args.get("state") if args.get("state") in STATES else None
    try:
        company_id = int(args.get("company") or 0) or None
    except ValueError:
        company_id = None
    per_page = page_size()
    rows, total = people_service.search(db.session, q=q, role=role, state=state,
                                        company_id=company_id if company_id and company_id < 2**31 else None,
                                        page=page_number(), per_page=per_page)
    page = Page(rows, page_number(), per_page, total)
    waiting = people_service.search(db.session, state="awaiting approval", per_page=1)[1]
    query = {k: v for k, v in {"q": q, "role": role, "state": state, "company": company_id}.items() if v}
    return render_template("admin/people.html", page=page, q=q, role=role, state=state, company_id=company_id,
                           roles=ROLE_LABELS, states=STATES, companies=_companies(), waiting=waiting,
                           state_of=people_service.person_state,
                           page_url=lambda n: url_for("admin_people.index", page=n, **query))


@bp.get("/admin/people/<int:user_id>")
@roles_required(*MANAGERS)
def person(user_id: int):
    user, now = _person(user_id), utcnow()
    held = people_service.holdings(db.session, user.id, now=now)
    places = {e.id: waitlist_position(db.session, e) for e in held.waitlist}
    return render_template("admin/person.html", person=user, state=people_service.person_state(user), held=held,
                           places=places, recent=people_service.recent_bookings(db.session, user.id),
                           history=people_service.history(db.session, user.id), decision=ReasonForm(formdata=None),
                           is_admin=principal().role == "admin")


@bp.route("/admin/people/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def edit(user_id: int):
    user = _person(user_id)
    form = PersonForm(formdata=None if request.method == "GET" else request.form, role=user.role,
                      company_id=str(user.company_id or ""), priority_tier=user.priority_tier)
    form.company_id.choices = company_choices(_companies())
    general, status = [], 200
    if form.validate_on_submit():
        changes = {"role": form.role.data, "company_id": _company_value(form.company_id.data),
                   "priority_tier": form.priority_tier.data}
        try:
            people_service.change_person(db.session, user.id, changes, reason=form.reason.data, actor=principal(),
                                         now=utcnow())
        except (RuleViolation, Conflict) as exc:
            general, status = _apply(form, exc), exc.status
        else:
            flash(gettext("%(name)s's account is saved.", name=user.name), "success")
            return redirect(url_for("admin_people.person", user_id=user.id))
    elif request.method == "POST":
        status = 422
    company = user.company_record
    return render_template("admin/person_edit.html", person=user, form=form, general=general,
                           company=company), status


@bp.route("/admin/people/<int:user_id>/<any(deactivate, reactivate):action>", methods=["GET", "POST"])
@roles_required(*ADMIN)
def set_active(user_id: int, action: str):
    """A confirmation page first: what the person holds is listed, and stays as it is."""
    user, now = _person(user_id), utcnow()
    active = action == "reactivate"
    form = ReasonForm() if active else DeactivateForm()
    general, status = [], 200
    if form.validate_on_submit():
        try:
            people_service.change_person(db.session, user.id, {"active": active}, reason=form.reason.data,
                                         actor=principal(), now=now)
        except (RuleViolation, Conflict) as exc:
            general, status = _apply(form, exc), exc.status
        else:
            flash(gettext("%(name)s's account is active again.", name=user.name) if active else
                  gettext("%(name)s's account is deactivated. What they hold is unchanged: review it below.",
                          name=user.name), "success")
            return redirect(url_for("admin_people.person", user_id=user.id))
    elif request.method == "POST":
        status = 422
    held = people_service.holdings(db.session, user.id, now=now)
    return render_template("admin/person_active.html", person=user, form=form, active=active, held=held,
                           general=general), status


@bp.post("/admin/people/<int:user_id>/<any(approve, refuse):decision>")
@roles_required(*MANAGERS)
def decide(user_id: int, decision: str):
    user = _person(user_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        invitation_service.decide_registration(db.session, user.id, approve=decision == "approve",
                                               reason=form.reason.data, actor=principal(), now=utcnow())
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(gettext("%(name)s's account is approved.", name=user.name) if decision == "approve" else
              gettext("%(name)s's account is refused.", name=user.name), "success")
    return redirect(url_for("admin_people.person", user_id=user.id))


def _invited_page(user, plain: str):
    """After an invitation: where it went, and the link itself when this server sends no email."""
    path = url_for("account.choose_password", token=plain)
    link = None if current_app.config.get("SMTP_URL") else current_app.config["PUBLIC_URL"].rstrip("/") + path
    return render_template("admin/invited.html", person=user, link=link, path=path)


@bp.route("/admin/people/invite", methods=["GET", "POST"])
@roles_required(*ADMIN)
def invite():
    form = InviteForm()
    form.company_id.choices = company_choices(_companies(), none_label="No company")
    general, status = [], 200
    if form.validate_on_submit():
        try:
            user, plain = invitation_service.invite(
                db.session, email=form.email.data, name=form.name.data, role=form.role.data,
                company_id=_company_value(form.company_id.data),
                priority_tier=form.priority_tier.data, actor=principal(), now=utcnow())
        except Conflict as exc:
            form.email.errors = list(form.email.errors) + [exc.message]
            status = 409
        except RuleViolation as exc:
            general, status = _apply(form, exc), 422
        else:
            return _invited_page(user, plain)
    elif request.method == "POST":
        status = 422
    return render_template("admin/invite.html", form=form, general=general), status


@bp.post("/admin/people/<int:user_id>/invite-again")
@roles_required(*ADMIN)
def invite_again(user_id: int):
    user = _person(user_id)
    if not ReasonForm().validate_on_submit():
        abort(400)
    try:
        plain = invitation_service.resend_invitation(db.session, user.id, actor=principal(), now=utcnow())
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin_people.person", user_id=user.id))
    return _invited_page(user, plain)
