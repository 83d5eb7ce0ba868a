"""Ledger API (issue 18). Finance and admin read and write the ledger: charges and payments are
finance's own records (CONTRACT.md lets finance change no *records* such as bookings or leases;
the ledger is where finance works). Residents read their own charges and statements, and a
company's billing contact the company's.

GET  /api/v1/charges?month=YYYY-MM&user_id=&company_id=&limit=&cursor=
GET  /api/v1/statements/user/ID?month=YYYY-MM, /api/v1/statements/company/ID?month=YYYY-MM
POST /api/v1/payments {"user_id"|"company_id", "amount", "paid_on", "reference"?}
POST /api/v1/charge-runs {"month": "YYYY-MM"}"""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from ...extensions import db
from ...models import Charge
from ...services import BadRequest, NotFound
from ...services.ledger import payments as payment_service
from ...services.ledger.charges import charge_month, last_finished_month
from ...services.ledger.dues import parse_month
from ...services.ledger.statements import billing_companies, statement, visible_account
from ...timeutil import local_zone, utcnow
from ..access import REPORT_READERS
from . import api_roles, bp, json_body, query_int
from .declare import documented
from .paging import page_of
from .schemas import INT, STR, many, obj, one


def many_charges() -> dict:
    return many("charges", "Charge", paged=True)


def charge_json(c: Charge) -> dict:
    return {"id": c.id, "kind": c.kind, "basis": c.basis, "month": f"{c.month:%Y-%m}",
            "service_month": f"{c.service_month:%Y-%m}", "amount": str(c.amount), "lease_id": c.lease_id,
            "booking_id": c.booking_id, "user_id": c.user_id, "company_id": c.company_id, "source": c.source,
            "description": c.description}


@bp.get("/charges")
@documented("Ledger lines (own; a billing contact's company; finance and admin all)", paged=True,
            query={"month": STR, "user_id": INT, "company_id": INT},
            answers={200: {"allOf": [many_charges(), obj({"total": INT})]}})
def list_charges():
    user = g.user
    user_id, company_id = query_int("user_id"), query_int("company_id")
    stmt = select(Charge)
    if user.role not in REPORT_READERS:
        if company_id is not None and company_id not in billing_companies(db.session, user):
            raise NotFound("There is no such company among yours.")
        if company_id is None:
            if user_id not in (None, user.id):
                raise NotFound("There is no such person.")
            user_id = user.id
    if user_id is not None:
        stmt = stmt.where(Charge.user_id == user_id)
    if company_id is not None:
        stmt = stmt.where(Charge.company_id == company_id)
    if request.args.get("month"):
        month = parse_month(request.args.get("month"))
        stmt = stmt.where((Charge.month == month) | (Charge.service_month == month))
    rows = db.session.execute(stmt.order_by(Charge.id)).scalars().all()
    return jsonify({**page_of(rows, "charges", charge_json), "total": len(rows)})


@bp.get("/statements/<kind>/<int:account_id>")
@documented("A month's statement of a person (kind user) or company: opening, lines, payments, closing",
            query={"month": STR}, answers={200: one("statement", "Statement")})
def get_statement(kind: str, account_id: int):
    if kind not in ("user", "company"):
        raise NotFound("There is no such account.")
    acct = visible_account(db.session, g.user, kind, account_id)
    raw = request.args.get("month")
    month = parse_month(raw) if raw else last_finished_month(utcnow(), local_zone())
    st = statement(db.session, acct, month)
    return jsonify({"statement": {
        "account": {"kind": acct.kind, "id": acct.id, "name": acct.name, "reference": acct.reference},
        "month": f"{st.month:%Y-%m}", "opening": str(st.opening), "charges": [charge_json(c) for c in st.charges],
        "adjustments": [charge_json(c) for c in st.adjustments],
        "payments": [{"id": p.id, "amount": str(p.amount), "paid_on": p.paid_on.isoformat(), "reference": p.reference}
                     for p in st.payments],
        "charges_total": str(st.charges_total), "adjustments_total": str(st.adjustments_total),
        "payments_total": str(st.payments_total), "closing": str(st.closing)}})


@bp.post("/payments")
@api_roles(*REPORT_READERS)
@documented("Record a payment by hand (finance, admin)", body="PaymentCreate", answers={201: one("payment", "Payment")})
def create_payment():
    data = json_body()
    kind, account_id = payer_of(data)
    reference = data.get("reference", "")
    if not isinstance(reference, str):
        raise BadRequest("The reference must be text.", field="reference")
    if len(reference) > 140:
        raise BadRequest("The reference is too long (at most 140 characters).", field="reference")
    payment = payment_service.record_payment(
        db.session, kind=kind, account_id=account_id,
        amount=data.get("amount"), paid_on=data.get("paid_on"), reference=reference, actor=g.user, now=utcnow())
    return jsonify({"payment": payment_json(payment)}), 201


def payer_of(data: dict) -> tuple[str, int]:
    """("user" | "company", id) from a body naming exactly one of user_id or company_id."""
    user_id, company_id = data.get("user_id"), data.get("company_id")
    if (user_id is None) == (company_id is None):
        raise BadRequest("Give the payer as exactly one of user_id or company_id.")
    account_id = user_id if user_id is not None else company_id
    if isinstance(account_id, bool) or not isinstance(account_id, int) or not 1 <= account_id <= 2**31 - 1:
        raise NotFound("There is no such payer.")
    return ("user" if user_id is not None else "company"), account_id


def payment_json(payment) -> dict:
    return {"id": payment.id, "user_id": payment.user_id, "company_id": payment.company_id,
            "amount": str(payment.amount), "paid_on": payment.paid_on.isoformat(),
            "reference": payment.reference, "status": payment.status}


@bp.post("/charge-runs")
@api_roles(*REPORT_READERS)
@documented("Charge a finished month (idempotent: a second run adds only adjustments)", body="ChargeRun",
            answers={201: obj({"run": obj({"month": STR, "charge_lines": INT, "adjustments": INT, "amount": STR,
                                            "summary": STR})}, ["run"])})
def create_charge_run():
    data = json_body()
    if not isinstance(data.get("month"), str):
        raise BadRequest("Give the month to charge as \"YYYY-MM\".", field="month")
    outcome = charge_month(db.session, parse_month(data["month"]), now=utcnow(), tz=local_zone(), actor=g.user)
    return jsonify({"run": {"month": f"{outcome.month:%Y-%m}", "charge_lines": outcome.charged,
                            "adjustments": outcome.adjusted, "amount": str(outcome.amount),
                            "summary": outcome.summary}}), 201
