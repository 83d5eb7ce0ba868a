"""The resident's path once in Traditional Chinese (Hong Kong), in a real browser (issue 17):
sign in, switch the language in the footer, find a free space, book it, see it under my
bookings; every page says so in Chinese with <html lang="zh-Hant-HK">, and axe-core (the copy
packaged with axe-playwright-python) finds no serious or critical violation on any of them."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import sign_in
from tests.e2e.test_booking_flow import other_resident_email, tuesdays_ahead


def _axe_problems(page, axe) -> list[str]:
    results = axe.run(page)
    return [f"{page.url}: axe {v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.e2e
def test_resident_switches_to_chinese_and_books_a_space(live_server, page):
    base = live_server.url
    axe = Axe()
    problems: list[str] = []
    sign_in(page, base, other_resident_email(live_server), "resident-pass")
    assert page.locator("html").get_attribute("lang") == "en"

    # The switch in the footer: a plain form button, no script.
    with page.expect_navigation():
        page.locator("[data-testid=language-switch] button[value=zh_Hant_HK]").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hant-HK"
    assert page.get_by_role("link", name="預約場地").count() == 1
    assert page.locator("a.skip-link").inner_text() == "跳至內容"
    problems += _axe_problems(page, axe)

    # Find a free wet lab for two hours, in Chinese.
    page.goto(f"{base}/spaces")
    assert page.locator("h1").inner_text() == "搜尋場地"
    problems += _axe_problems(page, axe)
    found = False
    for day in tuesdays_ahead():
        for start in ("10:00", "14:00", "16:00"):
            page.select_option("select[name=kind]", "wet_lab")
            page.fill("input[name=date]", day.isoformat())
            page.fill("input[name=start]", start)
            page.select_option("select[name=length]", "120")
            with page.expect_navigation():
                page.get_by_role("button", name="搜尋空閒場地").click()
            if page.locator("[data-testid=free-space]").count():
                found = True
                break
        if found:
            break
    assert found, "no wet lab free on the next three Tuesdays"
    heading = page.locator("[data-testid=find-heading]").inner_text()
    assert "空閒於" in heading and f"{day.year}年{day.month}月{day.day}日" in heading

    # Book it: the page and its confirmation in Chinese.
    row = page.locator("[data-testid=free-space]").first
    space_name = row.locator("td a").first.inner_text()
    with page.expect_navigation():
        row.get_by_role("link", name="預約").click()
    problems += _axe_problems(page, axe)
    page.fill("input[name=title]", "qPCR 實驗")
    with page.expect_navigation():
        page.locator("[data-testid=submit-booking]").click()
    assert page.locator("[data-testid=booking-confirmation]").inner_text().startswith(("已預約：", "已送出申請："))
    assert page.locator("[data-testid=booking-status]").inner_text() in ("已確認", "待批")
    problems += _axe_problems(page, axe)

    # My bookings lists it, in Chinese.
    with page.expect_navigation():
        page.get_by_role("link", name="我的預約").first.click()
    assert page.locator("html").get_attribute("lang") == "zh-Hant-HK"
    assert page.locator("h1").inner_text() == "我的預約"
    assert space_name in page.locator("main").inner_text()
    problems += _axe_problems(page, axe)
    assert not problems, "\n".join(problems)
