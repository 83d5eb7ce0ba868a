"""A request id a person can quote, and one log line per request that helps find it."""
from __future__ import annotations

import logging
import re

import pytest

pytestmark = pytest.mark.both_db


def test_every_answer_carries_a_request_id_and_logs_one_line(client, api, make_user, caplog):
    caller = api(make_user())
    with caplog.at_level(logging.INFO, logger="innocell.requests"):
        response = caller.get("/api/v1/me")
    rid = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", rid)
    lines = [r.getMessage() for r in caplog.records if r.name == "innocell.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert f"id={rid}" in line and "method=GET" in line and "route=api.me" in line and "status=200" in line
    assert re.search(r"user=\d+", line) and re.search(r"sql=[1-9]\d*", line) and re.search(r"ms=\d+\.\d", line)
    assert client.get("/healthz").headers["X-Request-Id"] != rid


def test_an_error_page_and_an_api_error_show_the_request_id(client, api, make_user):
    page = client.get("/manage/spaces/999/edit")  # not signed in: a redirect, so ask as a manager
    assert page.headers["X-Request-Id"]
    caller = api(make_user("manager"))
    missing = caller.get("/api/v1/spaces/999")
    assert missing.status_code == 404 and missing.get_json()["request_id"] == missing.headers["X-Request-Id"]
    browser_404 = client.get("/no-such-page")
    rid = browser_404.headers["X-Request-Id"]
    assert browser_404.status_code == 404 and f'data-testid="request-id">{rid}<' in browser_404.get_data(as_text=True)


def test_a_caller_supplied_request_id_is_kept_only_when_it_is_plain(client):
    assert client.get("/healthz", headers={"X-Request-Id": "lb-1234567890"}).headers["X-Request-Id"] == "lb-1234567890"
    odd = client.get("/healthz", headers={"X-Request-Id": "<script>"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", odd)


def test_a_job_run_logs_one_line_with_its_outcome(app, now, caplog):
    from innocell.jobs.runner import run_job

    with caplog.at_level(logging.INFO, logger="innocell.jobs"):
        run_job(app, "lease_end", now, "cli")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("job ")]
    assert len(lines) == 1
    assert re.fullmatch(r'job name=lease_end tick=\S+ trigger=cli status=ran ms=\d+\.\d counts=\{"ended": 0\}', lines[0])
