"""Statements: a person's or a company's month. A person's account holds the lines charged to
them and the payments they made; a company's account holds the lines of its people (the
company they were in when charged) and the payments of the company or its people.

    opening (everything posted before the month) + charges + adjustments − payments = closing

and the closing balance of one month is the opening balance of the next. Lines are counted in
the month they are posted in (`Charge.month`), payments on the day they were made."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...allocation import usage
from ...models import Charge, Company, Payment, User
from .. import Forbidden, NotFound
from .dues import first_of
from ..phrasing import gettext

ZERO = Decimal("0.00")
REFERENCE = re.compile(r"IC-([RC])(\d{6})", re.IGNORECASE)


@dataclass(frozen=True)
class Account:
    kind: str  # user | company
    id: int
    name: str

    @property
    def reference(self) -> str:
        """Printed on statements; the bank import matches a payment by it."""
        return f"IC-{'R' if self.kind == 'user' else 'C'}{self.id:06d}"


def account(session: Session, kind: str, account_id: int) -> Account:
    if kind == "user":
        user = session.get(User, account_id)
        if user is None:
            raise NotFound(gettext("There is no such person."))
        return Account("user", user.id, user.name)
    if kind == "company":
        company = session.get(Company, account_id)
        if company is None:
            raise NotFound(gettext("There is no such company."))
        return Account("company", company.id, company.name)
    raise NotFound(gettext("There is no such account."))


def account_for_reference(session: Session, text: str) -> Account | None:
    found = REFERENCE.search(text or "")
    if not found:
        return None
    try:
        return account(session, "user" if found.group(1).upper() == "R" else "company", int(found.group(2)))
    except NotFound:
        return None


def billing_companies(session: Session, user: User) -> list[int]:
    """Companies whose billing contact is this person (the company's billing contact email is
    their sign-in or contact email)."""
    emails = {e.lower() for e in (user.email, user.contact_email) if e}
    if not emails:
        return []
    return list(session.execute(select(Company.id).where(func.lower(Company.billing_contact_email).in_(emails)))
                .scalars())


def can_see(session: Session, viewer: User, acct: Account) -> bool:
    if viewer.role in ("finance", "admin"):
        return True
    if acct.kind == "user":
        return acct.id == viewer.id
    return acct.id in billing_companies(session, viewer)


def visible_account(session: Session, viewer: User, kind: str, account_id: int) -> Account:
    """The account if the viewer may see it; another's answers 404 (as records do)."""
    acct = account(session, kind, account_id)
    if not can_see(session, viewer, acct):
        raise NotFound(gettext("There is no such account."))
    return acct


def _charge_filter(acct: Account):
    return Charge.user_id == acct.id if acct.kind == "user" else Charge.company_id == acct.id


def _payment_filter(acct: Account):
    column = Payment.user_id if acct.kind == "user" else Payment.company_id
    return (column == acct.id) & (Payment.status == "matched")


def balance_before(session: Session, acct: Account, month: date) -> Decimal:
    charged = session.execute(select(func.coalesce(func.sum(Charge.amount), 0))
                              .where(_charge_filter(acct), Charge.month < month)).scalar_one()
    paid = session.execute(select(func.coalesce(func.sum(Payment.amount), 0))
                           .where(_payment_filter(acct), Payment.paid_on < month)).scalar_one()
    return (Decimal(charged) - Decimal(paid)).quantize(Decimal("0.01"))


@dataclass
class Statement:
    account: Account
    month: date
    opening: Decimal
    charges: list[Charge]
    adjustments: list[Charge]
    payments: list[Payment]

    @property
    def charges_total(self) -> Decimal:
        return sum((c.amount for c in self.charges), ZERO)

    @property
    def adjustments_total(self) -> Decimal:
        return sum((c.amount for c in self.adjustments), ZERO)

    @property
    def payments_total(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.charges_total + self.adjustments_total - self.payments_total


def statement(session: Session, acct: Account, month: date) -> Statement:
    month = first_of(month)
    end = usage.next_month(month)
    lines = session.execute(select(Charge).where(_charge_filter(acct), Charge.month == month)
                            .order_by(Charge.service_month, Charge.kind, Charge.id)).scalars().all()
    payments = session.execute(select(Payment).where(_payment_filter(acct), Payment.paid_on >= month,
                                                     Payment.paid_on < end)
                               .order_by(Payment.paid_on, Payment.id)).scalars().all()
    return Statement(acct, month, balance_before(session, acct, month),
                     [c for c in lines if c.kind != "adjustment"], [c for c in lines if c.kind == "adjustment"],
                     list(payments))


def my_accounts(session: Session, user: User) -> list[Account]:
    """The person's own account, and the companies they are the billing contact of."""
    out = [Account("user", user.id, user.name)]
    for company_id in billing_companies(session, user):
        out.append(account(session, "company", company_id))
    return out


def require_finance(user: User) -> None:
    if user.role not in ("finance", "admin"):
        raise Forbidden(gettext("Only finance and admins may do this."))
