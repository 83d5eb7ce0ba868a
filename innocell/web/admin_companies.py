"""Companies (admin pages; managers read) and the registration policy (admin)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..extensions import db
from ..forms import select_choices
from ..forms.people import STATUS_LABELS, CompanyForm, PolicyForm
from ..services import Conflict, NotFound, RuleViolation, ServiceError
from ..services import companies as company_service
from ..services import people as people_service
from ..services import registration
from ..timeutil import utcnow
from .access import MANAGERS, principal, roles_required
from .paging import Page, page_number, page_size

bp = Blueprint("admin_companies", __name__)
ADMIN = ("admin",)


def _company(company_id: int):
    try:
        return company_service.get_company(db.session, company_id)
    except NotFound:
        abort(404)


def _apply(form, exc: ServiceError) -> list[str]:
    general = []
    for v in exc.extra.get("violations") or [{"rule": "", "message": exc.message}]:
        target = getattr(form, v.get("rule") or "", None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, v["message"]]
        else:
            general.append(v["message"])
    return general


@bp.get("/admin/companies")
@roles_required(*MANAGERS)
def index():
    q = (request.args.get("q") or "").strip()[:200]
    rows = company_service.list_companies(db.session, q=q)
    return render_template("admin/companies.html", page=Page.of(rows, page_number(), page_size()), q=q,
                           labels=STATUS_LABELS, is_admin=principal().role == "admin",
                           page_url=lambda n: url_for("admin_companies.index", page=n, q=q or None))


@bp.get("/admin/companies/<int:company_id>")
@roles_required(*MANAGERS)
def company(company_id: int):
    found = _company(company_id)
    per_page = page_size()
    people, total = people_service.search(db.session, company_id=found.id, page=page_number(), per_page=per_page)
    return render_template("admin/company.html", company=found, labels=STATUS_LABELS,
                           page=Page(people, page_number(), per_page, total), state_of=people_service.person_state,
                           is_admin=principal().role == "admin",
                           page_url=lambda n: url_for("admin_companies.company", company_id=found.id, page=n))


@bp.route("/admin/companies/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def new_company():
    return _company_form(None)


@bp.route("/admin/companies/<int:company_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def edit_company(company_id: int):
    return _company_form(_company(company_id))


def _company_form(found):
    form = CompanyForm(obj=found if request.method == "GET" else None)
    if request.method == "GET" and found is None:
        form.default_priority_tier.data = 3
    general, status = [], 200
    if form.validate_on_submit():
        try:
            if found is None:
                saved = company_service.create_company(db.session, form.to_data(), actor=principal(), now=utcnow())
            else:
                saved = company_service.update_company(db.session, found.id, form.to_data(), actor=principal(),
                                                       now=utcnow())
        except RuleViolation as exc:
            general, status = _apply(form, exc), 422
        except Conflict as exc:
            target = form.email_domain if "domain" in exc.message else form.name
            target.errors = [*target.errors, exc.message]
            status = 409
        else:
            flash(gettext("%(name)s is saved.", name=saved.name), "success")
            return redirect(url_for("admin_companies.company", company_id=saved.id))
    elif request.method == "POST":
        status = 422
    return render_template("admin/company_form.html", form=form, company=found, general=general), status


@bp.route("/admin/registration", methods=["GET", "POST"])
@roles_required(*ADMIN)
def registration_policy():
    form = PolicyForm(policy=registration.policy(db.session))
    form.policy.choices = select_choices(registration.POLICY_LABELS.items())
    if form.validate_on_submit():
        registration.set_policy(db.session, form.policy.data, actor=principal(), now=utcnow())
        flash(gettext("Registration: %(policy)s.", policy=registration.POLICY_LABELS[form.policy.data]), "success")
        return redirect(url_for("admin_companies.registration_policy"))
    domains = [c for c, _ in company_service.list_companies(db.session) if c.email_domain]
    status = 422 if request.method == "POST" else 200
    return render_template("admin/registration.html", form=form, domains=domains), status
