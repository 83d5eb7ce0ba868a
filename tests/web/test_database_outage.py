"""When the database fails mid-request the answer is still the contract's (JSON under /api/,
a page elsewhere), never the server's plain-text 500; the request after an outage works."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import innocell.web.access as access
from innocell.extensions import db

pytestmark = pytest.mark.both_db


def _lost(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def test_an_api_call_during_an_outage_answers_503_json(api, make_user, monkeypatch):
    caller = api(make_user())
    monkeypatch.setattr(access, "user_for_token", _lost)
    response = caller.get("/api/v1/me")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == "unavailable"
    assert "not answering" in response.get_json()["message"]


def test_a_page_during_an_outage_still_says_what_happened(client, login, make_user, monkeypatch):
    login(make_user())
    monkeypatch.setattr(Session, "execute", _lost)  # every query fails, the error page's own too
    response = client.get("/home")
    assert response.status_code == 503
    assert response.content_type.startswith("text/html")
    assert "not answering" in response.get_data(as_text=True)


def test_the_request_after_the_server_dropped_every_connection_works(api, make_user, backend, database_url):
    caller = api(make_user())
    assert caller.get("/api/v1/me").status_code == 200
    db.session.remove()  # the connection goes back to the pool, as at the end of a served request
    if backend == "postgresql":
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            killed = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
        admin.dispose()
        assert killed >= 1  # the app's pooled connection really was dropped
    else:
        db.engine.pool.dispose()
    assert caller.get("/api/v1/me").status_code == 200


def test_health_says_ok_with_the_last_job_run(client, app, now):
    from innocell.jobs.runner import run_job

    body = client.get("/healthz").get_json()
    assert body == {"database": "ok", "scheduler": {"running_here": False, "last_run_at": None}}
    run_job(app, "lease_end", now, "cli")
    db.session.remove()  # a served request starts a fresh session; the test client reuses one
    body = client.get("/healthz").get_json()
    assert body["scheduler"]["last_run_at"] == "2026-12-01T10:00:00+08:00"


def test_health_answers_503_when_the_database_does_not(client, monkeypatch):
    monkeypatch.setattr(Session, "execute", _lost)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unavailable"
