"""Finance's ledger pages (finance, admin): charges of a month with the "Charge month" button,
the reconciliation with the reports, payments (by hand, the bank CSV import, the review of
unmatched lines, overdue balances) and the month's journal as CSV or XLSX. Thin: everything is
in innocell.services.ledger."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select

from ..allocation import usage
from ..extensions import db
from ..models import Charge, Payment
from ..services import BadRequest, ServiceError
from ..services.ledger import payments as payment_service
from ..services.ledger.charges import charge_month, charges_of_month, is_frozen, last_finished_month
from ..services.ledger.dues import parse_month
from ..services.ledger.journal import account_codes, journal_export
from ..services.ledger.reconcile import reconcile
from ..services.ledger.statements import account_for_reference
from ..services.settings import setting
from ..timeutil import local_zone, utcnow
from .access import REPORT_READERS, principal, roles_required
from .display import amount
from .paging import Page, page_number, page_size
from .reports import _send

bp = Blueprint("ledger", __name__)
MAX_UPLOAD = 1_000_000


def _month(raw: str | None) -> date:
    if not raw:
        return last_finished_month(utcnow(), local_zone())
    return parse_month(raw)


def _today() -> date:
    return utcnow().astimezone(local_zone()).date()


@bp.get("/finance/charges")
@roles_required(*REPORT_READERS)
def charges():
    month = _month(request.args.get("month"))
    page_no, per = page_number(), page_size()
    where = (Charge.month == month) | (Charge.service_month == month)
    total = db.session.execute(select(func.count()).select_from(Charge).where(where)).scalar_one()
    items = db.session.execute(select(Charge).where(where).order_by(Charge.id)
                               .limit(per).offset((min(page_no, max(1, -(-total // per))) - 1) * per)).scalars().all()
    page = Page(items, page_no, per, total)
    sums = charges_of_month(db.session, month)
    return render_template("ledger/charges.html", month=month, page=page, sums=sums, frozen=is_frozen(db.session, month),
                           open_month=month < _today().replace(day=1),
                           previous=(month - timedelta(days=1)).replace(day=1), following=usage.next_month(month),
                           page_url=lambda n: url_for("ledger.charges", month=f"{month:%Y-%m}", page=n))


@bp.post("/finance/charges/run")
@roles_required(*REPORT_READERS)
def run_charges():
    try:
        month = parse_month(request.form.get("month"))
        outcome = charge_month(db.session, month, now=utcnow(), tz=local_zone(), actor=principal())
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.charges"))
    flash(outcome.summary + ".", "success")
    return redirect(url_for("ledger.charges", month=f"{month:%Y-%m}"))


@bp.get("/finance/reconciliation")
@roles_required(*REPORT_READERS)
def reconciliation():
    month = _month(request.args.get("month"))
    result = reconcile(db.session, month, tz=local_zone())
    return render_template("ledger/reconciliation.html", month=month, rec=result,
                           previous=(month - timedelta(days=1)).replace(day=1), following=usage.next_month(month))


@bp.get("/finance/journal.<fmt>")
@roles_required(*REPORT_READERS)
def journal(fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise BadRequest("The journal comes as .csv or .xlsx.")
    month = _month(request.args.get("month"))
    return _send(journal_export(db.session, month), fmt, local_zone())


@bp.get("/finance/payments")
@roles_required(*REPORT_READERS)
def payments():
    try:
        days = min(max(int(request.args.get("days", setting("OVERDUE_DAYS"))), 0), 3650)
    except ValueError:
        days = int(setting("OVERDUE_DAYS"))
    recent = db.session.execute(select(Payment).where(Payment.status == "matched")
                                .order_by(Payment.id.desc()).limit(20)).scalars().all()
    return render_template("ledger/payments.html", unmatched=payment_service.unmatched(db.session)[:200],
                           overdue=payment_service.overdue(db.session, today=_today(), days=days)[:200], days=days,
                           recent=recent, today=_today(), codes=account_codes())


def _payer_from_form():
    acct = account_for_reference(db.session, request.form.get("account", ""))
    if acct is None:
        raise BadRequest("Give the payer as a statement reference, e.g. IC-R000123 for a person or IC-C000045 "
                         "for a company.")
    return acct


@bp.post("/finance/payments")
@roles_required(*REPORT_READERS)
def record_payment():
    try:
        acct = _payer_from_form()
        payment = payment_service.record_payment(
            db.session, kind=acct.kind, account_id=acct.id, amount=request.form.get("amount", ""),
            paid_on=request.form.get("paid_on", ""), reference=request.form.get("reference", "")[:140],
            actor=principal(), now=utcnow())
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.payments"))
    flash(gettext("Payment of %(amount)s from %(name)s (%(reference)s) recorded.", amount=amount(payment.amount),
                  name=acct.name, reference=acct.reference), "success")
    return redirect(url_for("ledger.payments"))


@bp.post("/finance/payments/import")
@roles_required(*REPORT_READERS)
def import_payments():
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise BadRequest("Choose the bank's CSV file to import.")
        data = upload.stream.read(MAX_UPLOAD + 1)
        outcome = payment_service.import_bank_csv(db.session, data, actor=principal(), now=utcnow())
    except ServiceError as exc:
        flash(gettext("Nothing was imported: %(reason)s", reason=exc.message), "error")
        return redirect(url_for("ledger.payments"))
    flash(outcome.summary + ".", "success")
    return redirect(url_for("ledger.payments"))


@bp.post("/finance/payments/<int:payment_id>/assign")
@roles_required(*REPORT_READERS)
def assign_payment(payment_id: int):
    try:
        acct = _payer_from_form()
        payment_service.assign(db.session, payment_id, kind=acct.kind, account_id=acct.id, actor=principal(),
                               now=utcnow())
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.payments"))
    flash(gettext("The bank line is assigned to %(name)s (%(reference)s).", name=acct.name, reference=acct.reference),
          "success")
    return redirect(url_for("ledger.payments"))


@bp.post("/finance/payments/<int:payment_id>/discard")
@roles_required(*REPORT_READERS)
def discard_payment(payment_id: int):
    try:
        payment_service.discard(db.session, payment_id, actor=principal(), now=utcnow())
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("ledger.payments"))
    flash(gettext("The bank line is discarded; it counts for nobody."), "success")
    return redirect(url_for("ledger.payments"))
