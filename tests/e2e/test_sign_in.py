"""Each demo role signs in through the real form in Chromium, lands on its own home page,
and signs out again."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in, sign_out

HOME_TITLES = {
    "resident": re.compile(r"^Welcome, Rita Resident$"),
    "manager": re.compile(r"^Today at the park$"),
    "finance": re.compile(r"^Finance$"),
    "admin": re.compile(r"^Today at the park$"),
}


@pytest.mark.e2e
@pytest.mark.parametrize("role", ["resident", "manager", "finance", "admin"])
def test_each_role_signs_in_to_its_home_page_and_signs_out(live_server, page, demo_logins, role):
    email, password = demo_logins[role]

    sign_in(page, live_server.url, email, password)

    assert page.url == f"{live_server.url}/home"
    title = page.locator("[data-testid=home-title]")
    assert title.count() == 1
    assert HOME_TITLES[role].match(title.inner_text().strip()), title.inner_text()
    assert f"· {role}" in page.locator("header .who").inner_text()

    sign_out(page)

    assert re.search(r"/login$", page.url), page.url
    assert "You are signed out." in page.locator("main").inner_text()
    # The session is gone: the home page sends the visitor back to sign in.
    page.goto(f"{live_server.url}/home")
    assert re.search(r"/login\?next=", page.url), page.url
    assert page.locator("[data-testid=home-title]").count() == 0


@pytest.mark.e2e
def test_wrong_password_stays_on_the_sign_in_page_with_a_message(live_server, page, demo_logins):
    email, _ = demo_logins["resident"]
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "not-the-password")
    page.locator("main form button[type=submit]").click()

    page.wait_for_selector("main .error")
    assert "Wrong email or password." in page.locator("main .error").all_inner_texts()
    assert page.locator("[data-testid=home-title]").count() == 0


@pytest.mark.e2e
def test_sign_in_follows_a_local_next_page(live_server, page, demo_logins):
    email, password = demo_logins["manager"]
    page.goto(f"{live_server.url}/inbox")
    assert "/login?next=" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url == f"{live_server.url}/inbox"
