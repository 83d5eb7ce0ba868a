"""Finance's ledger in a real browser: charge last month with the button, see the reconciliation
agree with the reports, open a resident's printable statement and download the journal as XLSX
to read it as a spreadsheet."""
from __future__ import annotations

import re

import openpyxl
import pytest

from tests.e2e.conftest import sign_in


@pytest.mark.e2e
def test_finance_charges_a_month_reconciles_and_exports_the_journal(live_server, page, demo_logins, tmp_path):
    email, password = demo_logins["finance"]
    sign_in(page, live_server.url, email, password)
    page.locator("header nav").get_by_role("link", name="Ledger").click()
    page.wait_for_url(re.compile(r"/finance/charges"))
    with page.expect_navigation():
        page.locator("[data-testid=charge-month]").click()
    flash = page.locator(".flash").first.inner_text()
    assert re.search(r"(\d+ charge lines|nothing new to charge)", flash), flash
    assert page.locator("[data-testid=charge-lines] tbody tr").count() > 0

    page.get_by_role("link", name="Reconcile with the reports").click()
    page.wait_for_url(re.compile(r"/finance/reconciliation"))
    assert page.locator("[data-testid=reconciled]").count() == 1

    page.goto(f"{live_server.url}/finance/charges")
    page.locator("[data-testid=charge-lines] tbody tr td a").first.click()
    page.wait_for_url(re.compile(r"/statements/user/\d+"))
    assert re.fullmatch(r"IC-R\d{6}", page.locator("[data-testid=statement-reference]").inner_text())
    assert page.locator("[data-testid=closing]").inner_text().startswith("HK$")

    page.goto(f"{live_server.url}/finance/charges")
    with page.expect_download() as info:
        page.get_by_role("link", name="XLSX").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    *rows, total = list(sheet.iter_rows(min_row=2, values_only=True))
    assert total[1] == "Total" and total[3] == total[4] > 0
    assert round(sum(r[3] or 0 for r in rows), 2) == round(total[3], 2)
