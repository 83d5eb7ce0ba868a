"""Long work in a real browser (issue 17): the manager's round preview and finance's XLSX of every
booking show a progress page with the stage the worker has reached (the worker is held there
on an event), and that page turns into the result by itself: with scripts, by polling its
status; without, by refreshing itself. No policy violation on the way."""
from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect

from innocell.services.housing.rounds import SOLVER_STAGES
from tests.e2e.conftest import sign_in

WAIT = 30


class Gate:
    def __init__(self, stage: str):
        self.stage, self.reached, self.open = stage, threading.Event(), threading.Event()

    def __call__(self, task_id: int, stage: str) -> None:
        if stage == self.stage:
            self.reached.set()
            assert self.open.wait(WAIT)


@pytest.fixture
def gate(live_server):
    made = []

    def _gate(stage: str) -> Gate:
        made.append(Gate(stage))
        live_server.app.config["TASK_PROGRESS_HOOK"] = made[-1]
        return made[-1]

    yield _gate
    for g in made:
        g.open.set()
    live_server.app.config.pop("TASK_PROGRESS_HOOK", None)


def _policy_complaints(page) -> list[str]:
    complaints: list[str] = []
    page.on("console", lambda m: complaints.append(m.text) if "Content Security Policy" in m.text else None)
    return complaints


def test_the_round_preview_progress_page_turns_into_the_preview(live_server, page, demo_logins, gate):
    complaints = _policy_complaints(page)
    held = gate(SOLVER_STAGES["solve"])
    sign_in(page, live_server.url, *demo_logins["manager"])
    page.goto(f"{live_server.url}/manage/housing/round")
    page.locator("[data-testid=preview-round]").click()
    assert held.reached.wait(WAIT)
    page.wait_for_selector("[data-testid=task-progress]")
    assert re.search(r"/tasks/\d+$", page.url), page.url
    progress_url = page.url
    # The poller shows the stage the worker is held at.
    expect(page.locator("[data-testid=task-stage]")).to_have_text("Solving")
    held.open.set()
    # No reload by the test: the page itself goes on to the preview.
    page.wait_for_selector("[data-testid=round-assignments]")
    assert re.search(r"/manage/housing/round/preview/\d+$", page.url), page.url
    assert page.url != progress_url
    assert float(page.locator("[data-testid=round-score]").inner_text()) > 0
    assert complaints == []


def test_a_large_export_progress_page_turns_into_the_download(live_server, page, demo_logins, gate):
    complaints = _policy_complaints(page)
    held = gate("Writing rows %(done)s of %(total)s")
    sign_in(page, live_server.url, *demo_logins["finance"])
    page.goto(f"{live_server.url}/reports")
    page.locator("[data-testid=download-bookings-xlsx]").click()
    assert held.reached.wait(WAIT)
    expect(page.locator("[data-testid=task-stage]")).to_have_text(re.compile(r"^Writing rows 0 of [0-9,]+$"))
    held.open.set()
    link = page.wait_for_selector("[data-testid=task-download]")
    assert re.search(r"\.xlsx$", link.inner_text()), link.inner_text()
    with page.expect_download() as info:
        page.locator("[data-testid=task-download]").click()
    assert re.fullmatch(r"bookings_\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d\.xlsx", info.value.suggested_filename)
    assert complaints == []


def test_without_scripts_the_progress_page_refreshes_itself(live_server, browser, demo_logins, gate):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        held = gate(SOLVER_STAGES["solve"])
        sign_in(page, live_server.url, *demo_logins["manager"])
        page.goto(f"{live_server.url}/manage/housing/round")
        page.locator("[data-testid=preview-round]").click()
        assert held.reached.wait(WAIT)
        page.wait_for_selector("[data-testid=task-progress]")
        held.open.set()
        page.wait_for_selector("[data-testid=round-assignments]", timeout=WAIT * 1000)
        assert re.search(r"/manage/housing/round/preview/\d+$", page.url), page.url
    finally:
        context.close()
