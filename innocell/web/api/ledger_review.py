"""Bank files and the review of their unmatched lines through the API, as finance does them
on /finance/payments (tests/web/test_api_parity.py).

POST /api/v1/payments/imports {"csv": "date,amount,reference\\n..."}
GET  /api/v1/payments?status=matched|unmatched|discarded
POST /api/v1/payments/ID/assign {"user_id"|"company_id"}, POST /api/v1/payments/ID/discard"""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from ...extensions import db
from ...models import Payment
from ...services import BadRequest
from ...services.ledger import payments as payment_service
from ...timeutil import utcnow
from ..access import REPORT_READERS
from ..ledger import MAX_UPLOAD
from . import api_roles, bp, json_body
from .declare import documented
from .ledger import payer_of, payment_json
from .paging import page_of
from .schemas import INT, STR, enum, many, obj, one

STATUSES = ("matched", "unmatched", "discarded")


@bp.post("/payments/imports")
@api_roles(*REPORT_READERS)
@documented("Import a bank statement CSV (date, amount, reference): lines are matched by statement reference, "
            "the rest wait for review; a line imported before is not imported again",
            body=obj({"csv": STR}, ["csv"], closed=True),
            answers={201: obj({"import": obj({"lines": INT, "matched": INT, "unmatched": INT, "duplicates": INT,
                                              "summary": STR})}, ["import"])})
def import_payments():
    data = json_body()["csv"].encode("utf-8", "surrogatepass")
    if len(data) > MAX_UPLOAD:
        raise BadRequest(f"The file is too large (at most {MAX_UPLOAD // 1_000_000} MB).", field="csv")
    outcome = payment_service.import_bank_csv(db.session, data, actor=g.user, now=utcnow())
    return jsonify({"import": {"lines": outcome.lines, "matched": outcome.matched, "unmatched": outcome.unmatched,
                               "duplicates": outcome.duplicates, "summary": outcome.summary}}), 201


@bp.get("/payments")
@api_roles(*REPORT_READERS)
@documented("Payments, oldest first; ?status=unmatched lists the bank lines waiting for review", paged=True,
            query={"status": enum(*STATUSES)}, answers={200: many("payments", "Payment", paged=True)})
def list_payments():
    stmt = select(Payment).order_by(Payment.paid_on, Payment.id)
    status = request.args.get("status")
    if status is not None:
        if status not in STATUSES:
            raise BadRequest(f"status is one of {', '.join(STATUSES)}.", field="status")
        stmt = stmt.where(Payment.status == status)
    return jsonify(page_of(db.session.execute(stmt).scalars().all(), "payments", payment_json))


@bp.post("/payments/<int:payment_id>/assign")
@api_roles(*REPORT_READERS)
@documented("Assign an unmatched bank line to a person or a company",
            body=obj({"user_id": INT, "company_id": INT}, closed=True), answers={200: one("payment", "Payment")})
def assign_payment(payment_id: int):
    kind, account_id = payer_of(json_body())
    payment = payment_service.assign(db.session, payment_id, kind=kind, account_id=account_id, actor=g.user,
                                     now=utcnow())
    return jsonify({"payment": payment_json(payment)})


@bp.post("/payments/<int:payment_id>/discard")
@api_roles(*REPORT_READERS)
@documented("Discard an unmatched bank line: it counts for nobody", answers={200: one("payment", "Payment")})
def discard_payment(payment_id: int):
    return jsonify({"payment": payment_json(payment_service.discard(db.session, payment_id, actor=g.user,
                                                                    now=utcnow()))})
