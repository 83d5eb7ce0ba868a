"""The month as an accounting journal: every line posted in the month (charges and
adjustments) and every payment received in it, as balanced double entries with account codes
an accounting package imports (ACCOUNT_CODES: receivable, bank, and one revenue account per
charge kind; an adjustment posts to its charge kind's account). A negative line swaps sides,
so debit and credit are never negative. Files are the exports' own (formula text neutralised).

Also the statement as a file (XLSX), in the same way."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation import usage
from ...models import Charge, Company, Payment, User
from ..exports import DATE, MONEY, TEXT, Column, Export
from ..settings import setting
from .dues import first_of
from .statements import Account, Statement

JOURNAL_COLUMNS = [
    Column("date", DATE), Column("entry", TEXT), Column("account", TEXT, width=10), Column("debit", MONEY),
    Column("credit", MONEY), Column("party", TEXT, width=12), Column("party_name", TEXT, width=24),
    Column("kind", TEXT), Column("service_month", TEXT), Column("description", TEXT, width=60),
]


def account_codes() -> dict[str, str]:
    codes = {"receivable": "1200", "bank": "1010", "rent": "4000", "booking": "4100", "late_cancellation": "4150",
             "no_show": "4160"}
    configured = setting("ACCOUNT_CODES")
    if isinstance(configured, dict):
        codes.update({str(k): str(v) for k, v in configured.items()})
    return codes


def _pair(day, entry, debit_account, credit_account, amount: Decimal, **common) -> list[dict]:
    if amount < 0:
        debit_account, credit_account, amount = credit_account, debit_account, -amount
    return [{"date": day, "entry": entry, "account": debit_account, "debit": amount, "credit": None, **common},
            {"date": day, "entry": entry, "account": credit_account, "debit": None, "credit": amount, **common}]


def journal_rows(session: Session, month: date) -> list[dict]:
    month = first_of(month)
    end = usage.next_month(month)
    last_day = end - timedelta(days=1)
    codes = account_codes()
    names = dict(session.execute(select(User.id, User.name)).all())
    companies = dict(session.execute(select(Company.id, Company.name)).all())
    rows: list[dict] = []
    for c in session.execute(select(Charge).where(Charge.month == month).order_by(Charge.id)).scalars():
        party = Account("user", c.user_id, names.get(c.user_id, ""))
        rows += _pair(last_day, f"C{c.id}", codes["receivable"], codes.get(c.basis, c.basis), c.amount,
                      party=party.reference, party_name=party.name, kind=c.kind,
                      service_month=c.service_month.strftime("%Y-%m"), description=c.description)
    for p in session.execute(select(Payment).where(Payment.status == "matched", Payment.paid_on >= month,
                                                   Payment.paid_on < end).order_by(Payment.paid_on, Payment.id)
                             ).scalars():
        party = Account("user", p.user_id, names.get(p.user_id, "")) if p.user_id else \
            Account("company", p.company_id, companies.get(p.company_id, ""))
        rows += _pair(p.paid_on, f"P{p.id}", codes["bank"], codes["receivable"], p.amount, party=party.reference,
                      party_name=party.name, kind="payment", service_month="",
                      description=f"Payment {p.reference}".strip())
    return rows


def journal_export(session: Session, month: date) -> Export:
    rows = journal_rows(session, month)
    totals = {"entry": "Total", "debit": sum((r["debit"] or 0 for r in rows), Decimal("0.00")),
              "credit": sum((r["credit"] or 0 for r in rows), Decimal("0.00"))}
    return Export(f"journal-{first_of(month):%Y-%m}", JOURNAL_COLUMNS, rows, sheet="Journal", totals=totals)


STATEMENT_COLUMNS = [Column("date", DATE), Column("section", TEXT), Column("description", TEXT, width=60),
                     Column("for_month", TEXT), Column("amount", MONEY), Column("balance", MONEY)]


def statement_export(st: Statement) -> Export:
    start = st.month
    rows = [{"date": start, "section": "Opening balance", "description": f"Reference {st.account.reference}",
             "balance": st.opening}]
    balance = st.opening
    for section, items in (("Charge", st.charges), ("Adjustment", st.adjustments)):
        for c in items:
            balance += c.amount
            rows.append({"date": usage.next_month(start) - timedelta(days=1), "section": section,
                         "description": c.description, "for_month": c.service_month.strftime("%Y-%m"),
                         "amount": c.amount, "balance": balance})
    for p in st.payments:
        balance -= p.amount
        rows.append({"date": p.paid_on, "section": "Payment", "description": p.reference, "amount": -p.amount,
                     "balance": balance})
    stem = f"statement-{st.account.reference}-{start:%Y-%m}"
    return Export(stem, STATEMENT_COLUMNS, rows, sheet="Statement",
                  totals={"section": "Closing balance", "balance": st.closing})
