"""Webhooks for admins: register endpoints (the secret is shown once), change, retire them,
and read each endpoint's delivery log (every attempt: status, error, time taken, next try)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from ..extensions import db
from ..forms.webhooks import EmptyForm, WebhookForm
from ..services import ServiceError
from ..services import webhooks as webhook_service
from ..timeutil import utcnow
from .access import principal, roles_required
from .paging import Page, page_number, page_size

bp = Blueprint("webhooks", __name__)
ADMIN = ("admin",)


def _data(form: WebhookForm, *, with_active: bool) -> dict:
    data = {"url": form.url.data.strip(), "description": form.description.data or "", "events": form.events.data}
    if form.secret.data:
        data["secret"] = form.secret.data
    if with_active:
        data["active"] = bool(form.active.data)
    return data


def _refused(form: WebhookForm, exc: ServiceError) -> None:
    for item in getattr(exc, "extra", {}).get("violations", []) or [{"rule": "url", "message": str(exc)}]:
        field = getattr(form, item.get("rule"), None) or form.url
        field.errors = list(field.errors) + [item["message"]]


@bp.route("/admin/webhooks", methods=["GET", "POST"])
@roles_required(*ADMIN)
def index():
    form = WebhookForm()
    status = 200
    if form.validate_on_submit():
        try:
            endpoint, secret = webhook_service.create_endpoint(db.session, _data(form, with_active=False),
                                                               actor=principal(), now=utcnow())
        except ServiceError as exc:
            _refused(form, exc)
            status = 422
        else:
            return render_template("webhooks/created.html", endpoint=endpoint, secret=secret), 201
    elif form.is_submitted():
        status = 422
    return render_template("webhooks/index.html", endpoints=webhook_service.list_endpoints(db.session),
                           form=form), status


@bp.route("/admin/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@roles_required(*ADMIN)
def endpoint(endpoint_id: int):
    found = webhook_service.get_endpoint(db.session, endpoint_id)  # NotFound answers 404
    form = WebhookForm(obj=found) if not WebhookForm().is_submitted() else WebhookForm()
    status = 200
    if form.validate_on_submit():
        try:
            webhook_service.update_endpoint(db.session, endpoint_id, _data(form, with_active=True),
                                            actor=principal(), now=utcnow())
        except ServiceError as exc:
            _refused(form, exc)
            status = 422
        else:
            return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    elif form.is_submitted():
        status = 422
    per_page = page_size()
    rows, total = webhook_service.deliveries(db.session, endpoint_id, offset=(page_number() - 1) * per_page,
                                             limit=per_page)
    return render_template("webhooks/endpoint.html", endpoint=found, form=form, plain=EmptyForm(),
                           page=Page(rows, page_number(), per_page, total),
                           page_url=lambda n: url_for("webhooks.endpoint", endpoint_id=endpoint_id, page=n)), status


@bp.post("/admin/webhooks/<int:endpoint_id>/rotate")
@roles_required(*ADMIN)
def rotate(endpoint_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    found, secret = webhook_service.update_endpoint(db.session, endpoint_id, {}, actor=principal(), now=utcnow(),
                                                    rotate_secret=True)
    return render_template("webhooks/created.html", endpoint=found, secret=secret, rotated=True)


@bp.post("/admin/webhooks/<int:endpoint_id>/delete")
@roles_required(*ADMIN)
def delete(endpoint_id: int):
    form = EmptyForm()
    if form.validate_on_submit():
        webhook_service.delete_endpoint(db.session, endpoint_id, actor=principal(), now=utcnow())
    return redirect(url_for("webhooks.index"))
