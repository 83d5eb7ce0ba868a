"""The progress page of long work (issue 17): /tasks/ID shows the stage and how far it is while
it runs (static/js/progress.js polls /tasks/ID/status, and the page refreshes itself when
scripts are off), then the result (a round's outcome or preview page; an export's file) or
the error. Only the person who started it sees it (a round's also managers and admins);
anyone else gets 404."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, url_for
from flask_babel import format_decimal, gettext

from ..extensions import db
from ..models import LongTask
from ..services import NotFound
from ..services import long_tasks
from ..services.long_tasks import N_
from ..timeutil import utcnow
from .access import principal, roles_required

bp = Blueprint("tasks", __name__)

LOST = N_("This work stopped answering (the server running it may have restarted) and changed nothing. "
          "Start it again.")
TITLES = {"round_preview": N_("Previewing the allocation round"),
          "round_commit": N_("Committing the allocation round"),
          "export": N_("Preparing your export")}


def _task(task_id: int) -> LongTask:
    try:
        return long_tasks.visible_task(db.session, task_id, principal())
    except NotFound:
        abort(404)


def _lost(task: LongTask, state: dict) -> bool:
    if state["status"] in long_tasks.FINISHED:
        return False
    stale = timedelta(seconds=int(current_app.config.get("TASK_STALE_SECONDS", 900)))
    return utcnow() - task.updated_at > stale


def state_of(task: LongTask) -> dict:
    """The task as a reader sees it now: stage in the reader's language, fraction, error."""
    state = long_tasks.live_state(task)
    error = task.error
    if _lost(task, state):
        state["status"], error = "failed", LOST
    args = {key: format_decimal(value) if isinstance(value, int) and not isinstance(value, bool) else value
            for key, value in (state.get("stage_args") or {}).items()}
    try:
        stage = gettext(state["stage"], **args) if state["stage"] else ""
    except (KeyError, ValueError, TypeError):
        stage = state["stage"]
    return {"id": task.id, "kind": task.kind, "status": state["status"], "stage": stage,
            "done": state["done"], "total": state["total"], "fraction": long_tasks.fraction(state),
            "error": gettext(error) if error else None,
            "page_url": url_for("tasks.show", task_id=task.id),
            "result_url": result_url(task) if state["status"] == "done" else None}


def result_url(task: LongTask) -> str | None:
    """Where a finished task's result is shown (None: on the task's own page)."""
    if task.kind == "round_commit":
        return url_for("manage_housing.round_outcome", round_id=(task.result or {}).get("round_id"))
    if task.kind == "round_preview":
        return url_for("manage_housing.round_preview_result", task_id=task.id)
    return None


@bp.get("/tasks/<int:task_id>")
@roles_required()
def show(task_id: int):
    task = _task(task_id)
    state = state_of(task)
    if state["result_url"]:
        return redirect(state["result_url"])
    return render_template("tasks/progress.html", task=task, state=state, title=gettext(TITLES[task.kind]),
                           poll_ms=int(current_app.config.get("TASK_POLL_MS", 1000)),
                           refresh_seconds=int(current_app.config.get("TASK_REFRESH_SECONDS", 2)))


@bp.get("/tasks/<int:task_id>/status")
@roles_required()
def status(task_id: int):
    try:
        task = long_tasks.visible_task(db.session, task_id, principal())
    except NotFound as exc:
        return jsonify({"error": "not_found", "message": exc.message}), 404
    response = jsonify(state_of(task))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tasks/<int:task_id>/file")
@roles_required()
def file(task_id: int):
    task = _task(task_id)
    if task.kind != "export" or task.status != "done" or task.output is None:
        abort(404)
    response = Response(task.output, mimetype=task.output_mime or "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{task.output_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
