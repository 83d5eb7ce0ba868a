"""The Content-Security-Policy in a real browser: the app's pages (report charts with their style
attributes included) break none of it, the one inline confirm it allows by hash still asks,
and any other inline code is refused."""
from __future__ import annotations

from tests.e2e.conftest import sign_in

PAGES = ("/home", "/spaces", "/manage/spaces", "/manage/housing", "/manage/jobs", "/inbox", "/reports")


def _csp_complaints(page) -> list[str]:
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text)
            if "Content Security Policy" in message.text else None)
    return complaints


def test_the_pages_raise_no_policy_violation(live_server, page, demo_logins):
    complaints = _csp_complaints(page)
    page.goto(f"{live_server.url}/login")
    sign_in(page, live_server.url, *demo_logins["admin"])
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src" in response.headers["content-security-policy"]
    assert complaints == []
    # The stylesheet applied (style-src 'self'): the top bar is not unstyled.
    assert page.locator("header.topbar").evaluate("e => getComputedStyle(e).display") == "flex"


def test_only_the_inline_handler_listed_by_hash_runs(live_server, page):
    from innocell.web import CONTENT_SECURITY_POLICY, INLINE_HANDLERS

    allowed = INLINE_HANDLERS[0].replace('"', "&quot;")
    html = (f'<form id="allowed" method="post" onsubmit="{allowed}"><button>go</button></form>'
            '<form id="other" method="post" onsubmit="return confirm(\'not listed\');"><button>go</button></form>')
    page.route(f"{live_server.url}/csp-probe", lambda route: route.fulfill(
        status=200, body=html, headers={"Content-Type": "text/html", "Content-Security-Policy": CONTENT_SECURITY_POLICY}))
    dialogs: list[str] = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()  # "Cancel": the form is not sent

    page.on("dialog", dismiss)
    complaints = _csp_complaints(page)
    page.goto(f"{live_server.url}/csp-probe")

    page.locator("#allowed button").click()
    assert dialogs == ["Leave the waitlist for this slot?"]

    page.route(f"{live_server.url}/csp-probe", lambda route: route.fulfill(status=200, body="sent"))
    with page.expect_navigation():
        page.locator("#other button").click()  # its handler is refused, so the form goes without asking
    assert dialogs == ["Leave the waitlist for this slot?"]
    assert any("inline event handler" in text for text in complaints), complaints
