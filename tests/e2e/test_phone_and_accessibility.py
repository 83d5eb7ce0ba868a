"""Every main page of every role on a phone (390x844) and a laptop (1366x768): nothing wider
than the screen, one h1, a skip link, and axe-core (the copy packaged with
axe-playwright-python, injected into the page; nothing downloaded) finds no serious or critical
violation. The phone's menu opens and every link in it is reachable."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import sign_in

MAIN_PAGES = {
    None: ["/login", "/password/forgot"],
    "resident": ["/home", "/spaces", "/spaces/1", "/bookings", "/housing", "/housing/apply", "/inbox",
                 "/account", "/account/calendar", "/account/my-data"],
    "manager": ["/home", "/manage/spaces", "/manage/approvals", "/spaces/1", "/manage/housing",
                "/manage/housing/units", "/manage/housing/leases", "/manage/housing/applications",
                "/manage/housing/waitlists", "/manage/housing/offers", "/manage/jobs", "/manage/authorisations"],
    "finance": ["/home", "/reports", "/reports/vacancy"],
    "admin": ["/home", "/admin/people", "/admin/companies", "/admin/registration", "/manage/space-kinds"],
}
SIZES = {"phone": (390, 844), "laptop": (1366, 768)}

# Elements wider than the viewport (or reaching past its right edge), ignoring what sits inside
# a scroll region of its own and what is visually hidden for screen readers.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[role=region][tabindex]') && !el.matches('[role=region][tabindex]')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height <= 1) continue;
    if (r.right > width + 1 || r.left < -1) out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
}"""


def _check_page(page, axe, url: str, *, phone: bool) -> list[str]:
    problems = []
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} answered {response and response.status}"
    layout = page.evaluate(OVERFLOW_JS)
    if layout["scroll"] > layout["width"] or layout["out"]:
        problems.append(f"{url}: wider than the screen ({layout['scroll']} > {layout['width']}): {layout['out']}")
    if page.locator("h1").count() != 1:
        problems.append(f"{url}: {page.locator('h1').count()} h1 elements")
    if page.locator("a.skip-link[href='#main']").count() != 1 or page.locator("main#main").count() != 1:
        problems.append(f"{url}: no skip link to the main landmark")
    results = axe.run(page)
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [n["target"] for n in violation["nodes"][:3]]
            problems.append(f"{url}: axe {violation['id']} ({violation['impact']}) at {targets}")
    return problems


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", list(MAIN_PAGES))
def test_main_pages_fit_and_pass_axe(browser, live_server, demo_logins, role, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB",
                                  timezone_id="Asia/Hong_Kong", is_mobile=size == "phone",
                                  has_touch=size == "phone")
    page = context.new_page()
    try:
        if role is not None:
            sign_in(page, live_server.url, *demo_logins[role])
        axe = Axe()
        problems = []
        for path in MAIN_PAGES[role]:
            problems += _check_page(page, axe, live_server.url + path, phone=size == "phone")
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_phone_menu_opens_and_reaches_every_link(browser, live_server, demo_logins):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, *demo_logins["manager"])
        page.goto(live_server.url + "/home")
        nav = page.locator("nav.mainnav")
        assert not nav.is_visible(), "the phone menu should start closed"
        header = page.locator("header.topbar").bounding_box()
        assert header["height"] < 844 * 0.15, f"the closed menu takes {header['height']}px"
        page.locator("[data-testid=menu-button]").click()
        assert nav.is_visible()
        links = nav.locator("a")
        assert links.count() >= 6
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390, box
        with page.expect_navigation():
            nav.get_by_role("link", name="Housing").click()
        assert "/manage/housing" in page.url
    finally:
        context.close()


def test_phone_calendar_shows_one_day_with_previous_and_next(browser, live_server, demo_logins):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, *demo_logins["resident"])
        page.goto(live_server.url + "/spaces/1")
        assert not page.locator("[data-testid=week-calendar]").is_visible()
        title = page.locator("[data-testid=day-title]")
        first = title.inner_text()
        assert "Tuesday 01 Dec 2026" == first  # the pinned clock's today, in the park's time zone
        page.locator("[data-testid=next-day]").click()
        assert title.inner_text() == "Wednesday 02 Dec 2026"
        free = page.locator(".day-slots a", has_text="Free: book").first
        free.click()
        assert "/book" in page.url and "2026-12-02" in page.url
    finally:
        context.close()


def test_laptop_keeps_the_week_grid(browser, live_server, demo_logins):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, *demo_logins["resident"])
        page.goto(live_server.url + "/spaces/1")
        assert page.locator("[data-testid=week-calendar]").is_visible()
        assert not page.locator("[data-testid=day-view]").is_visible()
        assert page.locator("nav.mainnav").is_visible()
        assert not page.locator("[data-testid=menu-button]").is_visible()
    finally:
        context.close()
