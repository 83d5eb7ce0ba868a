"""Long work off the request (issue 17): an allocation round and a large export run in a worker
thread, write their stage to the long_tasks row as they go, and the page that started them
answers at once with a progress page whose JSON status shows the stage while the work is
still running (the worker is held on an event, never timed); then the result, or the error;
only the person who started it (a round's also other managers) sees it."""
from __future__ import annotations

import csv
import io
import threading
from datetime import date, timedelta

import openpyxl
import pytest

import innocell.web.manage_housing as manage_pages
from innocell.jobs import background
from innocell.models import AllocationRound, LongTask, Offer
from innocell.services import ServiceError, long_tasks
from innocell.services import housing as hs
from innocell.services.housing import rounds as round_service
from innocell.services.tx import transaction
from tests.conftest import FIXED_NOW
from tests.web.test_exports import PERIOD, records  # noqa: F401 - the export's records fixture

WAIT = 30  # seconds; only a broken worker ever waits this long


class Gate:
    """TASK_PROGRESS_HOOK that records every stage written and holds the worker at `stage`
    until the test opens the gate."""

    def __init__(self, stage: str | None):
        self.stage, self.stages = stage, []
        self.reached, self.open = threading.Event(), threading.Event()

    def __call__(self, task_id: int, stage: str) -> None:
        self.stages.append(stage)
        if stage == self.stage:
            self.reached.set()
            assert self.open.wait(WAIT), "the test never opened the gate"


@pytest.fixture
def gate(app):
    made = []

    def _gate(stage=None):
        made.append(Gate(stage))
        app.config["TASK_PROGRESS_HOOK"] = made[-1]
        return made[-1]

    yield _gate
    for g in made:
        g.open.set()  # a failed assertion never leaves a worker waiting
    app.config.pop("TASK_PROGRESS_HOOK", None)


@pytest.fixture
def manager(make_user):
    return make_user("manager", name="Max Manager")


@pytest.fixture
def applicants(session, manager, make_user):
    """Three units, four applications: three placed, one waitlisted."""
    for code, unit_type in (("01-01", "solo"), ("01-02", "solo"), ("02-01", "twin")):
        hs.create_unit(session, {"code": code, "unit_type": unit_type, "floor": int(code[:2]), "monthly_rent": "9800",
                                 "occupancy": 2 if unit_type == "twin" else 1}, actor=manager, now=FIXED_NOW)
    for i, unit_type in enumerate(("solo", "solo", "solo", "twin")):
        hs.submit_application(session, user=make_user("resident", name=f"Applicant {i}"), unit_type=unit_type,
                              move_in=date(2027, 1, 1), term_months=12, now=FIXED_NOW)


def _started(response) -> int:
    assert response.status_code == 302 and response.location.startswith("/tasks/"), response.location
    return int(response.location.rsplit("/", 1)[1])


def _finish(app, session, task_id: int) -> None:
    background.wait(app, task_id, timeout=WAIT)
    session.rollback()  # the test's session (shared with the test client) reads afresh


@pytest.mark.both_db
def test_a_round_commit_shows_its_stages_while_it_runs_then_its_outcome(app, client, login, manager, applicants,
                                                                        session, gate):
    held = gate(round_service.SOLVER_STAGES["solve"])
    login(manager)
    task_id = _started(client.post("/manage/housing/round/commit", data={"confirm": "y"}))
    assert held.reached.wait(WAIT)

    # While the solver is held: the status says so, the page is a progress page, nothing is written.
    status = client.get(f"/tasks/{task_id}/status")
    assert status.status_code == 200 and status.headers["Cache-Control"] == "no-store"
    assert status.json["status"] == "running" and status.json["stage"] == "Solving"
    assert status.json["result_url"] is None
    page = client.get(f"/tasks/{task_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="task-progress"' in html
    assert '<strong data-testid="task-stage">Solving</strong>' in html
    assert f'data-progress-url="/tasks/{task_id}/status"' in html
    assert 'src="/static/js/progress.js"' in html and '<meta http-equiv="refresh"' in html  # and without scripts
    assert session.query(Offer).count() == 0 and session.query(AllocationRound).count() == 0
    session.rollback()

    chinese = client.get(f"/tasks/{task_id}/status", headers={"Accept-Language": "zh-HK"}).json
    assert chinese["stage"] == "正在計算最佳編配"  # the stage in the reader's language

    held.open.set()
    _finish(app, session, task_id)
    assert held.stages[:5] == [round_service.LOCKING, round_service.READING,
                               round_service.SOLVER_STAGES["matrix"], round_service.SOLVER_STAGES["solve"],
                               round_service.SOLVER_STAGES["reasons"]]
    assert round_service.WRITING_OFFERS in held.stages and held.stages[-1] == round_service.NOTIFYING
    rnd = session.query(AllocationRound).one()
    status = client.get(f"/tasks/{task_id}/status").json
    assert status["status"] == "done" and status["fraction"] == 1.0
    assert status["result_url"] == f"/manage/housing/rounds/{rnd.id}"
    done = client.get(f"/tasks/{task_id}")
    assert done.status_code == 302 and done.location == f"/manage/housing/rounds/{rnd.id}"
    outcome = client.get(done.location).get_data(as_text=True)
    assert f"Round {rnd.id} committed:" in outcome and "3 offers made" in outcome
    assert "1 application waitlisted with the reason." in outcome
    assert session.query(Offer).count() == 3


@pytest.mark.both_db
def test_offers_written_are_counted_in_the_row_as_they_go(app, client, login, manager, applicants, session, gate,
                                                          backend):
    """Outside a held write lock every stage reaches the row; "Writing offers 1 of 3" is
    readable while the round's own transaction is open (PostgreSQL writes it; SQLite keeps it
    in the process that runs the round until its lock is released)."""
    held = gate(round_service.WRITING_OFFERS)
    login(manager)
    task_id = _started(client.post("/manage/housing/round/commit", data={"confirm": "y"}))
    assert held.reached.wait(WAIT)
    status = client.get(f"/tasks/{task_id}/status").json
    assert status["stage"] == "Writing offers 0 of 3" and status["fraction"] == 0.0 and status["total"] == 3
    session.rollback()
    row = session.get(LongTask, task_id)
    # What the row itself holds (any app instance reads it): the stage written before the lock
    # on SQLite, this one on PostgreSQL.
    expected = round_service.WRITING_OFFERS if backend == "postgresql" else round_service.LOCKING
    assert row.stage == expected and row.status == "running"
    session.rollback()
    held.open.set()
    _finish(app, session, task_id)


def test_the_preview_runs_off_the_request_and_then_shows_the_preview(app, client, login, manager, applicants,
                                                                    session, gate):
    gate()
    login(manager)
    round_page = client.get("/manage/housing/round").get_data(as_text=True)
    assert 'action="/manage/housing/round/preview"' in round_page
    task_id = _started(client.post("/manage/housing/round/preview"))
    _finish(app, session, task_id)
    done = client.get(f"/tasks/{task_id}")
    assert done.status_code == 302 and done.location == f"/manage/housing/round/preview/{task_id}"
    html = client.get(done.location).get_data(as_text=True)
    assert "Nothing has been written yet" in html and 'data-testid="commit-round"' in html
    assignments = html.split('data-testid="round-assignments"')[1].split("</table>")[0]
    assert assignments.count("<tr>") == 4  # the header and three placements
    assert session.query(Offer).count() == 0 and session.query(AllocationRound).count() == 0


def test_a_refused_round_shows_its_message_and_an_unexpected_error_a_plain_one(app, client, login, manager,
                                                                               applicants, session, monkeypatch, gate):
    gate()
    login(manager)

    def refused(*args, **kwargs):
        raise ServiceError("The units of this round changed; preview again.")

    monkeypatch.setattr(manage_pages, "commit_round", refused)
    task_id = _started(client.post("/manage/housing/round/commit", data={"confirm": "y"}))
    _finish(app, session, task_id)
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200
    assert 'data-testid="task-error">The units of this round changed; preview again.<' in page.get_data(as_text=True)
    status = client.get(f"/tasks/{task_id}/status").json
    assert status["status"] == "failed" and status["error"] == "The units of this round changed; preview again."

    def broken(session, *, actor, now, progress):
        progress(round_service.LOCKING)
        session.add(AllocationRound(created_by_id=actor.id, created_at=now, committed=True, score=0, params={},
                                    result={}))
        session.flush()
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(manage_pages, "commit_round", transaction(broken))
    task_id = _started(client.post("/manage/housing/round/commit", data={"confirm": "y"}))
    _finish(app, session, task_id)
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200 and "unexpected error and changed nothing" in page.get_data(as_text=True)
    assert "a bug" not in page.get_data(as_text=True)
    assert session.query(AllocationRound).count() == 0  # rolled back


def test_only_the_starter_and_for_a_round_other_managers_see_the_work(app, client, login, manager, applicants,
                                                                      session, make_user, gate):
    gate()
    login(manager)
    task_id = _started(client.post("/manage/housing/round/preview"))
    _finish(app, session, task_id)
    for role, sees in (("manager", True), ("admin", True), ("resident", False), ("finance", False)):
        other = app.test_client()
        person = make_user(role)
        assert other.post("/login", data={"email": person.email, "password": "tram-harbour-7"}).status_code == 302
        status = other.get(f"/tasks/{task_id}/status")
        page = other.get(f"/tasks/{task_id}")
        if sees:
            assert status.status_code == 200 and page.status_code == 302, role
        else:
            assert status.status_code == 404 and status.json["error"] == "not_found", role
            assert page.status_code in (403, 404), role  # the preview page itself is for managers
            assert other.get(f"/manage/housing/round/preview/{task_id}").status_code == 403
    assert app.test_client().get(f"/tasks/{task_id}/status").status_code == 302  # signed out: sign in first


def test_a_large_export_shows_rows_written_then_offers_the_file(app, client, login, make_user, records, session,
                                                                gate):
    held = gate("Writing rows %(done)s of %(total)s")
    finance = make_user("finance")
    login(finance)
    form = {"name": "bookings", "fmt": "xlsx", **PERIOD}
    task_id = _started(client.post("/reports/exports", data=form))
    assert held.reached.wait(WAIT)
    status = client.get(f"/tasks/{task_id}/status").json
    assert status["status"] == "running" and status["stage"] == "Writing rows 0 of 9" and status["fraction"] == 0.0
    chinese = client.get(f"/tasks/{task_id}", headers={"Accept-Language": "zh-HK"}).get_data(as_text=True)
    assert "正在寫入資料行：0 / 9" in chinese and "正在準備你的匯出檔案" in chinese
    held.open.set()
    _finish(app, session, task_id)
    assert "Packing the workbook" in held.stages
    page = client.get(f"/tasks/{task_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="task-download"' in html and "9 rows." in html
    download = client.get(f"/tasks/{task_id}/file")
    assert download.status_code == 200
    assert 'filename="bookings_2026-11-01_2026-12-01.xlsx"' in download.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(download.data)).active
    direct = openpyxl.load_workbook(io.BytesIO(client.get("/reports/bookings.xlsx", query_string=PERIOD).data)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [[c.value for c in row] for row in direct.iter_rows()]

    # Another finance person neither sees the work nor gets the file.
    other = app.test_client()
    colleague = make_user("finance")
    other.post("/login", data={"email": colleague.email, "password": "tram-harbour-7"})
    assert other.get(f"/tasks/{task_id}/file").status_code == 404
    assert other.get(f"/tasks/{task_id}/status").status_code == 404


def test_a_small_csv_comes_at_once_and_a_large_one_is_prepared(app, client, login, make_user, records, session,
                                                               gate):
    gate()
    login(make_user("finance"))
    form = {"name": "leases", "fmt": "csv", **PERIOD}
    direct = client.post("/reports/exports", data=form)
    assert direct.status_code == 302 and direct.location.startswith("/reports/leases.csv?")
    app.config["EXPORT_BACKGROUND_ROWS"] = 1
    task_id = _started(client.post("/reports/exports", data=form))
    _finish(app, session, task_id)
    prepared = client.get(f"/tasks/{task_id}/file").data.decode("utf-8-sig")
    streamed = client.get("/reports/leases.csv", query_string=PERIOD).data.decode("utf-8-sig")
    assert prepared == streamed and len(list(csv.reader(io.StringIO(prepared)))) == 3  # header and two leases
    assert client.post("/reports/exports", data={"name": "users", "fmt": "csv"}).status_code == 400
    other = app.test_client()
    manager = make_user("manager")
    other.post("/login", data={"email": manager.email, "password": "tram-harbour-7"})
    assert other.post("/reports/exports", data=form).status_code == 403  # managers read reports, not files


def test_work_whose_process_died_is_shown_as_lost(app, client, login, manager, session):
    login(manager)
    task = long_tasks.create_task(session, kind="round_commit", owner=manager, params={},
                                  now=FIXED_NOW - timedelta(hours=1))
    status = client.get(f"/tasks/{task.id}/status").json
    assert status["status"] == "failed" and "stopped answering" in status["error"]
    assert "stopped answering" in client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_finished_work_is_forgotten_an_exports_file_after_a_day(app, session, manager, make_user):
    finance = make_user("finance")
    old_export = long_tasks.create_task(session, kind="export", owner=finance, params={}, now=FIXED_NOW - timedelta(days=3))
    old_round = long_tasks.create_task(session, kind="round_commit", owner=manager, params={},
                                       now=FIXED_NOW - timedelta(days=3))
    running = long_tasks.create_task(session, kind="export", owner=finance, params={}, now=FIXED_NOW - timedelta(days=3))
    for task in (old_export, old_round):
        long_tasks.finish(session, task.id, result={}, output=b"x", now=FIXED_NOW - timedelta(days=2))
    ids = (old_export.id, old_round.id, running.id)
    long_tasks.create_task(session, kind="export", owner=finance, params={}, now=FIXED_NOW)
    session.rollback()
    kept = {t.id for t in session.query(LongTask).filter(LongTask.id.in_(ids))}
    assert kept == {old_round.id, running.id}  # a round's is kept a month; unfinished work is not touched
