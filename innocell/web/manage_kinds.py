"""Manager pages for the managed list of space kinds: every kind with its label, weekly quota,
simultaneous limit and how many spaces have it; add a kind; edit one (its key stays). Thin:
writes go through services.space_kinds, which audits them; a refusal comes back as a
ServiceError with the session already rolled back and is shown beside its field."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..extensions import db
from ..forms.spaces import EditSpaceKindForm, SpaceKindForm
from ..services import Conflict, ServiceError
from ..services import space_kinds as kind_service
from ..timeutil import utcnow
from .access import MANAGERS, principal, roles_required
from .paging import Page, page_number, page_size

bp = Blueprint("manage_kinds", __name__)


def _place_errors(form, exc: ServiceError) -> None:
    """Each violation beside the field it names; the rest at the top of the form."""
    for v in exc.extra.get("violations") or [{"rule": "", "message": exc.message}]:
        target = getattr(form, v.get("rule") or "", None)
        if target is not None and hasattr(target, "errors") and hasattr(target, "validators"):
            target.errors = list(target.errors) + [v["message"]]
        else:
            form.form_errors.append(v["message"])


def _list_page(form, status: int = 200):
    page = Page.of(kind_service.list_kinds(db.session), page_number(), page_size())
    return render_template("manage_spaces/kinds.html", form=form, page=page,
                           counts=kind_service.space_counts(db.session),
                           page_url=lambda n: url_for("manage_kinds.kinds", page=n)), status


@bp.route("/manage/space-kinds", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def kinds():
    form = SpaceKindForm()
    if request.method == "GET":
        return _list_page(form)
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        kind = kind_service.create_kind(db.session, form.to_data(with_key=True), actor=principal(), now=utcnow())
    except Conflict as exc:
        form.key.errors = list(form.key.errors) + [exc.message]
        return _list_page(form, 409)
    except ServiceError as exc:
        _place_errors(form, exc)
        return _list_page(form, exc.status)
    flash(f"Kind {kind.label} ({kind.key}) added; spaces can now be of this kind.", "success")
    return redirect(url_for("manage_kinds.kinds"))


@bp.route("/manage/space-kinds/<int:kind_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_kind(kind_id: int):
    kind = kind_service.get_kind(db.session, kind_id)  # NotFound answers 404
    form = EditSpaceKindForm(obj=kind if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            kind_service.update_kind(db.session, kind_id, form.to_data(with_key=False), actor=principal(),
                                     now=utcnow())
        except ServiceError as exc:
            _place_errors(form, exc)
            status = exc.status
        else:
            flash(f"Kind {form.label.data.strip()} saved.", "success")
            return redirect(url_for("manage_kinds.kinds"))
    elif request.method == "POST":
        status = 422
    kind = kind_service.get_kind(db.session, kind_id)
    return render_template("manage_spaces/kind_form.html", form=form, kind=kind), status
