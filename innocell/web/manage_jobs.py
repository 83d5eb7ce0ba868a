"""Managers' job page: the history of every job run and a "Run now" button per job."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..extensions import db
from ..jobs.runner import JOBS, run_job
from ..services import jobs as job_service
from ..services.tx import release
from ..timeutil import utcnow
from .access import MANAGERS, principal, roles_required
from .paging import page_number

bp = Blueprint("manage_jobs", __name__)


@bp.get("/manage/jobs")
@roles_required(*MANAGERS)
def index():
    job = request.args.get("job") or None
    if job is not None and job not in JOBS:
        job = None
    page = db.paginate(job_service.history_query(job), page=page_number(), per_page=int(current_app.config["PAGE_SIZE"]),
                       error_out=False)
    return render_template("manage_jobs/index.html", jobs=JOBS, page=page, job=job,
                           last=job_service.last_runs(db.session), state=job_service.run_state,
                           scheduler_on=bool(current_app.config.get("INNOCELL_SCHEDULER")),
                           interval=int(current_app.config["JOB_INTERVAL_SECONDS"]))


@bp.post("/manage/jobs/<name>/run")
@roles_required(*MANAGERS)
def run_now(name: str):
    if name not in JOBS:
        abort(404)
    user = principal()
    app = current_app._get_current_object()
    release(db.session)  # hold no read transaction while the job's own transactions run
    now = utcnow()
    result = run_job(app, name, now, "manual", interval_seconds=1)
    job_service.record_manual_run(db.session, actor=user, job=name, status=result.status, counts=result.counts,
                                  now=now)
    if result.status == "failed":
        flash(gettext("%(job)s failed: %(summary)s", job=name, summary=result.summary), "error")
    elif result.status == "skipped":
        flash(gettext("%(job)s is already running this second; try again in a moment.", job=name), "warning")
    else:
        flash(gettext("%(job)s ran: %(summary)s.", job=name, summary=result.summary), "success")
    return redirect(url_for("manage_jobs.index", job=request.form.get("job") or None))
