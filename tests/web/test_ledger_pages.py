"""Finance's ledger as finance uses it: charge a month with the button, open a company's
statement, import payments, export the journal and read it back as a spreadsheet, see the
reconciliation; residents see only their own statement; the API and the CLI do the same."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from innocell.models import Booking, Charge, Lease, Payment, Unit

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def park(session, make_user, make_company):
    contact = make_user("resident", name="Bea Billing")
    company = make_company("Harbour Robotics", billing_contact_email=contact.email)
    tenant = make_user("resident", name="Tim Tenant")
    tenant.company_id = company.id
    unit = Unit(code="05-01", unit_type="solo", floor=5, monthly_rent=Decimal("9300"), status="available",
                created_at=NOW)
    session.add(unit)
    session.flush()
    session.add(Lease(unit_id=unit.id, user_id=tenant.id, start_date=date(2026, 11, 11), end_date=date(2027, 5, 1),
                      monthly_rent=Decimal("9300.00"), status="active", created_at=NOW))
    session.commit()
    return {"contact": contact, "company": company, "tenant": tenant, "finance": make_user("finance"),
            "other": make_user("resident", name="Olga Other")}


def test_finance_charges_a_month_and_reconciles_it(client, login, park, session):
    login(park["finance"])
    page = client.get("/finance/charges?month=2026-11")
    assert page.status_code == 200 and b"Charge month" in page.data
    response = client.post("/finance/charges/run", data={"month": "2026-11"}, follow_redirects=True)
    assert b"1 charge lines" in response.data
    assert b"Rent 05-01, Nov 2026: 20 of 30 nights" in response.data
    assert [c.amount for c in session.execute(select(Charge)).scalars()] == [Decimal("6200.00")]
    again = client.post("/finance/charges/run", data={"month": "2026-11"}, follow_redirects=True)
    assert b"nothing new to charge" in again.data
    rec = client.get("/finance/reconciliation?month=2026-11")
    assert rec.status_code == 200 and b'data-testid="reconciled"' in rec.data
    assert client.post("/finance/charges/run", data={"month": "2026-12"}, follow_redirects=True).data.count(
        b"is not over yet") >= 1
    assert client.post("/finance/charges/run", data={"month": "junk"}).status_code == 302


def test_statements_payments_and_the_journal(client, login, park, session):
    login(park["finance"])
    client.post("/finance/charges/run", data={"month": "2026-11"})
    tenant, company = park["tenant"], park["company"]
    client.post("/finance/payments", data={"account": f"IC-C{company.id:06d}", "amount": "200",
                                           "paid_on": "2026-11-20", "reference": "cheque 7"})
    bank = (f"date,amount,reference\n2026-11-28,1000.00,IC-R{tenant.id:06d} Nov\n2026-11-29,5.00,=cmd|x\n").encode()
    imported = client.post("/finance/payments/import", data={"file": (io.BytesIO(bank), "bank.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert b"1 matched, 1 to review" in imported.data
    again = client.post("/finance/payments/import", data={"file": (io.BytesIO(bank), "bank.csv")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert b"2 already imported" in again.data
    bad = client.post("/finance/payments/import", data={"file": (io.BytesIO(b"\xff\xfe\x00junk"), "x.csv")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert b"Nothing was imported" in bad.data
    assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 3

    statement = client.get(f"/statements/company/{company.id}?month=2026-11")
    assert statement.status_code == 200
    text = statement.get_data(as_text=True)
    assert f"IC-C{company.id:06d}" in text and "HK$5,000.00" in text  # 6200 − 200 − 1000

    journal = client.get("/finance/journal.csv?month=2026-11")
    assert journal.status_code == 200
    rows = list(csv.DictReader(io.StringIO(journal.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[-1]["entry"] == "Total" and rows[-1]["debit"] == rows[-1]["credit"] == "7400.00"
    rows = rows[:-1]
    debit = sum(Decimal(r["debit"]) for r in rows if r["debit"])
    credit = sum(Decimal(r["credit"]) for r in rows if r["credit"])
    assert debit == credit == Decimal("7400.00")  # charge 6200, payments 200 + 1000
    xlsx = client.get("/finance/journal.xlsx?month=2026-11")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["date", "entry", "account", "debit", "credit"]
    assert {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)} >= {"1200", "4000", "1010"}

    review = client.get("/finance/payments")
    assert b"=cmd|x" in review.data  # waiting for review, shown as text
    line = session.execute(select(Payment).where(Payment.status == "unmatched")).scalar_one()
    client.post(f"/finance/payments/{line.id}/assign", data={"account": "IC-R999999"})
    assert session.get(Payment, line.id).status == "unmatched"  # no such account: nothing changed
    client.post(f"/finance/payments/{line.id}/discard")
    session.expire_all()
    assert session.get(Payment, line.id).status == "discarded"
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/statements/user/{tenant.id}.xlsx?month=2026-11").data)).active
    assert sheet.cell(row=sheet.max_row, column=2).value == "Closing balance"
    assert sheet.cell(row=sheet.max_row, column=6).value == 5200.0


def test_residents_see_their_own_statement_and_their_company_as_billing_contact(client, login, park):
    login(park["finance"])
    client.post("/finance/charges/run", data={"month": "2026-11"})
    client.post("/logout")
    company, tenant = park["company"], park["tenant"]
    login(park["contact"])
    mine = client.get("/statements")
    assert mine.status_code == 200 and f"IC-C{company.id:06d}".encode() in mine.data
    assert client.get(f"/statements/company/{company.id}?month=2026-11").status_code == 200
    assert client.get(f"/statements/user/{tenant.id}?month=2026-11").status_code == 404
    assert client.get("/finance/charges").status_code == 403
    client.post("/logout")
    login(park["other"])
    assert client.get(f"/statements/company/{company.id}").status_code == 404
    assert client.post("/finance/payments", data={"account": "IC-R000001", "amount": "1",
                                                  "paid_on": "2026-11-01"}).status_code == 403


def test_the_api_charges_reads_and_records(client, api, park, session):
    finance = api(park["finance"])
    run = finance.post("/api/v1/charge-runs", json={"month": "2026-11"})
    assert run.status_code == 201 and run.get_json()["run"]["charge_lines"] == 1
    assert finance.post("/api/v1/charge-runs", json={"month": "2026-11"}).get_json()["run"]["charge_lines"] == 0
    assert finance.post("/api/v1/charge-runs", json={"month": "2026-12"}).status_code == 400
    assert finance.post("/api/v1/charge-runs", json={"month": 7}).status_code == 400
    tenant, company = park["tenant"], park["company"]
    listed = finance.get(f"/api/v1/charges?month=2026-11&company_id={company.id}").get_json()
    assert [c["amount"] for c in listed["charges"]] == ["6200.00"]
    paid = finance.post("/api/v1/payments", json={"user_id": tenant.id, "amount": "100.50", "paid_on": "2026-11-30"})
    assert paid.status_code == 201
    assert finance.post("/api/v1/payments", json={"user_id": tenant.id, "amount": "-1",
                                                  "paid_on": "2026-11-30"}).status_code == 400
    assert finance.post("/api/v1/payments", json={"user_id": 10**9, "amount": "1",
                                                  "paid_on": "2026-11-30"}).status_code == 404
    resident = api(tenant)
    own = resident.get(f"/api/v1/statements/user/{tenant.id}?month=2026-11").get_json()["statement"]
    assert (own["opening"], own["charges_total"], own["payments_total"], own["closing"]) == (
        "0.00", "6200.00", "100.50", "6099.50")
    assert resident.get(f"/api/v1/charges?user_id={park['other'].id}").status_code == 404
    assert [c["user_id"] for c in resident.get("/api/v1/charges").get_json()["charges"]] == [tenant.id]
    assert resident.post("/api/v1/charge-runs", json={"month": "2026-11"}).status_code == 403
    assert resident.get(f"/api/v1/statements/company/{company.id}").status_code == 404


def test_charge_month_command(app, park, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["charge-month", "2026-11"])
    assert result.exit_code == 0 and "1 charge lines" in result.output
    assert "nothing new to charge" in runner.invoke(args=["charge-month", "2026-11"]).output
    bad = runner.invoke(args=["charge-month", "November"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
