"""Finance in a real browser: sign in, open the reports dashboard, pick last month, download
the occupancy report as CSV and as XLSX, and find the dashboard's figures in both files."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from tests.conftest import FIXED_NOW
from tests.e2e.conftest import sign_in

HK = ZoneInfo("Asia/Hong_Kong")


def last_month_bounds(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


@pytest.mark.e2e
def test_finance_downloads_last_months_occupancy_as_csv_and_xlsx(live_server, page, demo_logins, tmp_path):
    email, password = demo_logins["finance"]
    sign_in(page, live_server.url, email, password)

    page.locator("header nav").get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(r"/reports$"))
    assert page.locator("[data-testid=reports-title]").inner_text() == "Reports"
    assert page.locator("[data-testid=occupancy-chart]").count() == 1

    page.select_option("#period", "last_month")
    with page.expect_navigation():
        page.locator("[data-testid=show-period]").click()
    start = date.fromisoformat(page.input_value("#from"))
    end = date.fromisoformat(page.input_value("#to"))
    today = FIXED_NOW.astimezone(HK).date()
    assert (start, end) == last_month_bounds(today)
    shown = page.locator("[data-testid=period-shown]").inner_text()
    assert f"{(end - start).days} nights" in shown

    # the figures on the page, by unit type
    table = {}
    for row in page.locator("[data-testid=occupancy-table] tbody tr").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        table[cells[0].split()[0]] = cells[1:]  # the unit type's key, then its label
    assert set(table) >= {"solo", "twin", "suite", "powerhub"}

    with page.expect_download() as info:
        page.locator("[data-testid=download-occupancy-csv]").click()
    download = info.value
    assert download.suggested_filename == f"occupancy_{start}_{end}.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    *rows, total = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [r["group"] for r in rows] == list(table)
    assert total["group"] == "Total"
    assert int(total["available_unit_nights"]) == sum(int(r["available_unit_nights"]) for r in rows)
    for r in rows:
        available, occupied, _rate, rent = table[r["group"]]
        assert int(r["available_unit_nights"]) == int(available.replace(",", ""))
        assert int(r["occupied_unit_nights"]) == int(occupied.replace(",", ""))
        assert r["rent_due"] == rent.replace(",", "")

    with page.expect_download() as info:
        page.locator("[data-testid=download-occupancy-xlsx]").click()
    download = info.value
    assert download.suggested_filename == f"occupancy_{start}_{end}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("group", "group_label", "available_unit_nights", "occupied_unit_nights", "occupancy_rate",
                         "rent_due")
    assert {v[0]: f"{v[5]:,.2f}" for v in values[1:-1]} == {g: cells[3] for g, cells in table.items()}
    assert all(isinstance(v[2], (int, float)) for v in values[1:])
    assert values[-1][0] == "Total"

    # the raw bookings file downloads and parses too
    with page.expect_download() as info:
        page.locator("[data-testid=download-bookings-csv]").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert header[:3] == ["id", "space", "space_name"]
