"""Statements: "My statement" for everyone signed in (their own, and the companies whose billing
contact they are), any account's for finance and admin; a printable page and XLSX."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, redirect, render_template, request, url_for

from ..allocation import usage
from ..extensions import db
from ..services import NotFound
from ..services.ledger.charges import last_finished_month
from ..services.ledger.dues import parse_month
from ..services.ledger.journal import statement_export
from ..services.ledger.statements import account_for_reference, my_accounts, statement, visible_account
from ..timeutil import local_zone, utcnow
from .access import REPORT_READERS, principal, roles_required
from .reports import _send

bp = Blueprint("statements", __name__)
KINDS = ("user", "company")


def _month():
    raw = request.args.get("month")
    return parse_month(raw) if raw else last_finished_month(utcnow(), local_zone())


@bp.get("/statements")
@roles_required()
def mine():
    user = principal()
    reference = request.args.get("reference", "").strip()
    if reference and user.role in REPORT_READERS:
        acct = account_for_reference(db.session, reference)
        if acct is None:
            raise NotFound(f"No person or company has the reference '{reference[:30]}'.")
        return redirect(url_for("statements.show", kind=acct.kind, account_id=acct.id))
    return render_template("ledger/my_statements.html", accounts=my_accounts(db.session, user),
                           finance=user.role in REPORT_READERS,
                           last=last_finished_month(utcnow(), local_zone()))


@bp.get("/statements/<kind>/<int:account_id>")
@roles_required()
def show(kind: str, account_id: int):
    if kind not in KINDS:
        raise NotFound("There is no such account.")
    acct = visible_account(db.session, principal(), kind, account_id)
    month = _month()
    st = statement(db.session, acct, month)
    return render_template("ledger/statement.html", st=st, previous=(month - timedelta(days=1)).replace(day=1),
                           following=usage.next_month(month))


@bp.get("/statements/<kind>/<int:account_id>.xlsx")
@roles_required()
def download(kind: str, account_id: int):
    if kind not in KINDS:
        raise NotFound("There is no such account.")
    acct = visible_account(db.session, principal(), kind, account_id)
    return _send(statement_export(statement(db.session, acct, _month())), "xlsx", local_zone())
