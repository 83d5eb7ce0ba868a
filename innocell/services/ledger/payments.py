"""Payments: recorded by finance by hand, or imported from a bank CSV (columns date, amount,
reference; more columns are ignored). A bank line whose reference holds an account's statement
reference ("IC-R000123" a person, "IC-C000045" a company) is matched to it; the others wait,
unmatched, on the review page until finance assigns or discards them. Each line's fingerprint
(date, amount, reference, and its place among identical lines of the file) is unique, so the
same file imported twice adds nothing. A file that cannot be read whole imports nothing."""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...allocation.dates import RANGE_MESSAGE, date_in_range
from ...models import Charge, Company, Payment, User
from .. import BadRequest, Conflict, NotFound
from ..audit import record
from ..fields import money
from ..tx import transaction
from .statements import Account, account, account_for_reference
from ..phrasing import gettext

MAX_FILE_BYTES = 1_000_000
MAX_LINES = 20_000
COLUMNS = ("date", "amount", "reference")


def _payer(session: Session, acct: Account) -> tuple[int | None, int | None]:
    """(user_id, company_id): a person's payment also counts on their company's statement."""
    if acct.kind == "user":
        return acct.id, session.get(User, acct.id).company_id
    return None, acct.id


def parse_amount(value, label="amount") -> Decimal:
    try:
        return money(value, label=label, minimum=Decimal("0"), allow_minimum=False)
    except ValueError as exc:
        raise BadRequest(str(exc), field="amount") from None


def parse_day(value) -> date:
    text = str(value or "").strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BadRequest(gettext("'%(text)s' is not a date; write it as YYYY-MM-DD.", text=text[:20]), field="date")
    if not date_in_range(day):
        raise BadRequest(gettext(RANGE_MESSAGE), field="date")
    return day


@transaction
def record_payment(session: Session, *, kind: str, account_id: int, amount, paid_on, reference: str,
                   actor: User, now: datetime) -> Payment:
    acct = account(session, kind, account_id)
    user_id, company_id = _payer(session, acct)
    payment = Payment(user_id=user_id, company_id=company_id, amount=parse_amount(amount), paid_on=parse_day(paid_on),
                      reference=(reference or "").strip(), source="manual", status="matched", created_at=now,
                      created_by_id=actor.id)
    session.add(payment)
    session.flush()
    record(session, actor_id=actor.id, action="payment.record", target_type="payment", target_id=payment.id, now=now,
           account=acct.reference, amount=str(payment.amount))
    return payment


@dataclass
class ImportOutcome:
    matched: int = 0
    unmatched: int = 0
    duplicates: int = 0
    lines: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (f"{self.lines} lines read: {self.matched} matched, {self.unmatched} to review, "
                f"{self.duplicates} already imported")


def read_bank_csv(data: bytes) -> list[tuple[date, Decimal, str]]:
    """The file's lines, or BadRequest naming what is wrong (nothing is imported then)."""
    if not isinstance(data, (bytes, bytearray)) or not data.strip():
        raise BadRequest(gettext("The file is empty; export the bank statement as CSV with columns date, amount, reference."))
    if len(data) > MAX_FILE_BYTES:
        raise BadRequest(gettext("The file is too large (%(data_count)s bytes; at most %(max_file_bytes)s).", data_count=format(len(data), ","), max_file_bytes=format(MAX_FILE_BYTES, ",")))
    if b"\x00" in data:
        raise BadRequest(gettext("The file is not a CSV text file (it holds NUL bytes)."))
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest(gettext("The file is not UTF-8 text; save the CSV as UTF-8 and import it again.")) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadRequest(gettext("The file is not a readable CSV (%(exc)s).", exc=exc)) from None
    if len(rows) > MAX_LINES + 1:
        raise BadRequest(gettext("The file has too many lines (%(value)s; at most %(max_lines)s).", value=format(len(rows) - 1, ","), max_lines=format(MAX_LINES, ",")))
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BadRequest(gettext("The file's first row must name the columns date, amount and reference; missing: %(join)s.", join=', '.join(missing)))
    at = {c: header.index(c) for c in COLUMNS}
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(at.values()):
            raise BadRequest(gettext("Line %(number)s has %(row_count)s columns; the header has %(header_count)s.", number=number, row_count=len(row), header_count=len(header)))
        try:
            day = parse_day(row[at["date"]])
            amount = parse_amount(row[at["amount"]].replace(",", ""))
        except BadRequest as exc:
            raise BadRequest(gettext("Line %(number)s: %(message)s", number=number, message=exc.message)) from None
        reference = row[at["reference"]].strip()
        if len(reference) > 140:
            raise BadRequest(gettext("Line %(number)s: the reference is too long (at most 140 characters).", number=number))
        out.append((day, amount, reference))
    return out


def _fingerprint(day: date, amount: Decimal, reference: str, occurrence: int) -> str:
    return hashlib.sha256(f"{day.isoformat()}|{amount}|{reference}|{occurrence}".encode()).hexdigest()


@transaction
def import_bank_csv(session: Session, data: bytes, *, actor: User, now: datetime) -> ImportOutcome:
    lines = read_bank_csv(data)
    outcome = ImportOutcome(lines=len(lines))
    seen: dict[tuple, int] = {}
    for day, amount, reference in lines:
        n = seen[(day, amount, reference)] = seen.get((day, amount, reference), 0) + 1
        key = _fingerprint(day, amount, reference, n)
        if session.execute(select(Payment.id).where(Payment.bank_key == key)).first() is not None:
            outcome.duplicates += 1
            continue
        acct = account_for_reference(session, reference)
        user_id, company_id = _payer(session, acct) if acct else (None, None)
        session.add(Payment(user_id=user_id, company_id=company_id, amount=amount, paid_on=day, reference=reference,
                            source="bank", status="matched" if acct else "unmatched", bank_key=key, created_at=now,
                            created_by_id=actor.id))
        if acct:
            outcome.matched += 1
        else:
            outcome.unmatched += 1
    session.flush()
    record(session, actor_id=actor.id, action="payment.import", target_type="payment", target_id=None, now=now,
           lines=outcome.lines, matched=outcome.matched, unmatched=outcome.unmatched, duplicates=outcome.duplicates)
    return outcome


def unmatched(session: Session) -> list[Payment]:
    return list(session.execute(select(Payment).where(Payment.status == "unmatched")
                                .order_by(Payment.paid_on, Payment.id)).scalars())


def _open_line(session: Session, payment_id: int) -> Payment:
    payment = session.execute(select(Payment).where(Payment.id == payment_id).with_for_update()).scalar_one_or_none()
    if payment is None:
        raise NotFound(gettext("There is no such payment."))
    if payment.status != "unmatched":
        raise Conflict(gettext("This bank line was already assigned or discarded."))
    return payment


@transaction
def assign(session: Session, payment_id: int, *, kind: str, account_id: int, actor: User, now: datetime) -> Payment:
    payment = _open_line(session, payment_id)
    acct = account(session, kind, account_id)
    payment.user_id, payment.company_id = _payer(session, acct)
    payment.status = "matched"
    record(session, actor_id=actor.id, action="payment.assign", target_type="payment", target_id=payment.id, now=now,
           account=acct.reference)
    return payment


@transaction
def discard(session: Session, payment_id: int, *, actor: User, now: datetime) -> Payment:
    payment = _open_line(session, payment_id)
    payment.status = "discarded"
    record(session, actor_id=actor.id, action="payment.discard", target_type="payment", target_id=payment.id, now=now)
    return payment


def overdue(session: Session, *, today: date, days: int) -> list[dict]:
    """People and companies who owe more than they paid for months that ended more than `days`
    days ago: {"account","name","overdue","balance"}, the largest first."""
    cutoff_month = (today - timedelta(days=max(days, 0))).replace(day=1)  # months ended by then
    out = []
    for kind, charge_col, pay_col, model in (("user", Charge.user_id, Payment.user_id, User),
                                             ("company", Charge.company_id, Payment.company_id, Company)):
        old = dict(session.execute(select(charge_col, func.sum(Charge.amount))
                                   .where(charge_col.is_not(None), Charge.month < cutoff_month)
                                   .group_by(charge_col)).all())
        if not old:
            continue
        everything = dict(session.execute(select(charge_col, func.sum(Charge.amount))
                                          .where(charge_col.is_not(None)).group_by(charge_col)).all())
        paid = dict(session.execute(select(pay_col, func.sum(Payment.amount))
                                    .where(pay_col.is_not(None), Payment.status == "matched", Payment.paid_on <= today)
                                    .group_by(pay_col)).all())
        names = dict(session.execute(select(model.id, model.name).where(model.id.in_(list(old)))).all())
        for account_id, owed in old.items():
            late = Decimal(owed) - Decimal(paid.get(account_id) or 0)
            if late > 0:
                acct = Account(kind, account_id, names.get(account_id, ""))
                out.append({"account": acct, "name": acct.name, "overdue": late,
                            "balance": Decimal(everything[account_id]) - Decimal(paid.get(account_id) or 0)})
    return sorted(out, key=lambda row: (-row["overdue"], row["account"].reference))
