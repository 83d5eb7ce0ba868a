"""Statements, payments and the bank import, the journal (SQLite and PostgreSQL): balances chain
month to month; a bank file is matched by the statement reference, imported once however often
it is sent, and refused whole when it cannot be read; the journal balances."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.models import Lease, Payment, Unit
from innocell.services import BadRequest, Conflict
from innocell.services.ledger import payments
from innocell.services.ledger.charges import charge_month
from innocell.services.ledger.journal import journal_rows
from innocell.services.ledger.statements import account, can_see, statement

HK = ZoneInfo("Asia/Hong_Kong")
SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
def housed(session, now, alice, bob, make_company):
    company = make_company("Harbour Robotics", billing_contact_email=bob.email)
    alice.company_id = company.id
    session.flush()
    unit = Unit(code="03-01", unit_type="solo", floor=3, monthly_rent=Decimal("6200"), status="available",
                created_at=now)
    session.add(unit)
    session.flush()
    session.add(Lease(unit_id=unit.id, user_id=alice.id, start_date=date(2026, 9, 16), end_date=date(2027, 3, 1),
                      monthly_rent=Decimal("6000.00"), status="active", created_at=now))
    session.commit()
    for month in (SEP, OCT, NOV):
        charge_month(session, month, now=now, tz=HK)
    return company


def payment_count(session):
    return session.execute(select(func.count()).select_from(Payment)).scalar_one()


def test_statement_balances_chain_month_to_month(session, now, alice, finance, housed):
    me = account(session, "user", alice.id)
    payments.record_payment(session, kind="user", account_id=alice.id, amount="2500.00", paid_on="2026-10-05",
                            reference="transfer", actor=finance, now=now)
    sep, oct_, nov = (statement(session, me, m) for m in (SEP, OCT, NOV))
    assert (sep.opening, sep.charges_total, sep.closing) == (Decimal("0.00"), Decimal("3000.00"), Decimal("3000.00"))
    assert (oct_.opening, oct_.payments_total, oct_.closing) == (Decimal("3000.00"), Decimal("2500.00"),
                                                                 Decimal("6500.00"))
    assert nov.opening == oct_.closing and nov.closing == Decimal("12500.00")
    company = statement(session, account(session, "company", housed.id), NOV)
    assert company.closing == nov.closing  # the company's only resident; her payment counts there too


def test_billing_contact_sees_the_company_statement_others_do_not(session, alice, bob, finance, housed):
    company = account(session, "company", housed.id)
    assert can_see(session, bob, company) and can_see(session, finance, company)
    assert not can_see(session, alice, company)
    assert not can_see(session, bob, account(session, "user", alice.id))


def test_bank_import_matches_references_and_is_idempotent(session, now, alice, finance, housed):
    data = (f"Date,Amount,Reference,Memo\n"
            f"2026-11-03,3000.00,IC-R{alice.id:06d} rent,x\n"
            f"2026-11-04,1500.00,IC-C{housed.id:06d},\n"
            f"2026-11-04,99.00,no idea,\n"
            f"2026-11-04,99.00,no idea,\n").encode()
    first = payments.import_bank_csv(session, data, actor=finance, now=now)
    assert (first.matched, first.unmatched, first.duplicates) == (2, 2, 0)
    again = payments.import_bank_csv(session, data, actor=finance, now=now)
    assert (again.matched, again.unmatched, again.duplicates) == (0, 0, 4)
    assert payment_count(session) == 4
    waiting = payments.unmatched(session)
    assert [p.amount for p in waiting] == [Decimal("99.00")] * 2
    payments.assign(session, waiting[0].id, kind="user", account_id=alice.id, actor=finance, now=now)
    payments.discard(session, waiting[1].id, actor=finance, now=now)
    with pytest.raises(Conflict):
        payments.discard(session, waiting[1].id, actor=finance, now=now)
    assert payments.unmatched(session) == []
    nov = statement(session, account(session, "user", alice.id), NOV)
    assert nov.payments_total == Decimal("3099.00")


@pytest.mark.parametrize("data, message", [
    (b"when,how much,ref\n2026-11-03,1,x\n", "missing: date, amount, reference"),
    (b"date,amount,reference\n2026-11-03,1\x00,x\n", "NUL"),
    ("date,amount,reference\n2026-11-03,1,caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    (b"date,amount,reference\n" + b"2026-11-03,1.00,x\n" * 70000, "too large"),
    (b"date,amount,reference\n2026-11-03,1.00,ok\n2026-13-03,1.00,bad\n", "Line 3"),
    (b"date,amount,reference\n2026-11-03,-5,x\n", "Line 2"),
    (b"date,amount,reference\n2026-11-03,1.001,x\n", "two decimals"),
    (b"", "empty"),
])
def test_a_hostile_bank_file_imports_nothing_and_says_why(session, now, finance, data, message):
    with pytest.raises(BadRequest, match=message):
        payments.import_bank_csv(session, data, actor=finance, now=now)
    assert payment_count(session) == 0


def test_overdue_balances_list_what_is_unpaid_after_the_grace(session, now, alice, finance, housed):
    today = date(2026, 12, 1)
    rows = payments.overdue(session, today=today, days=30)  # September and October are overdue
    mine = {r["account"].reference: r for r in rows}[f"IC-R{alice.id:06d}"]
    assert mine["overdue"] == Decimal("9000.00") and mine["balance"] == Decimal("15000.00")
    payments.record_payment(session, kind="user", account_id=alice.id, amount="9000", paid_on="2026-11-30",
                            reference="", actor=finance, now=now)
    assert f"IC-R{alice.id:06d}" not in {r["account"].reference for r in payments.overdue(session, today=today,
                                                                                          days=30)}


def test_the_journal_balances_and_uses_the_account_codes(session, now, alice, finance, housed):
    payments.record_payment(session, kind="company", account_id=housed.id, amount="100", paid_on="2026-11-02",
                            reference="=HYPERLINK(1)", actor=finance, now=now)
    rows = journal_rows(session, NOV)
    assert sum(r["debit"] or 0 for r in rows) == sum(r["credit"] or 0 for r in rows) == Decimal("6100.00")
    assert {(r["account"], r["kind"]) for r in rows} == {("1200", "rent"), ("4000", "rent"), ("1010", "payment"),
                                                         ("1200", "payment")}


@pytest.fixture
def finance(make_user):
    return make_user("finance")
