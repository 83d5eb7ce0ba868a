"""The WSGI entry point for a production server: `gunicorn innocell.wsgi:app` (`make serve`).

Each worker process builds its own app (own connection pool). With INNOCELL_SCHEDULER=1 every
worker also runs the in-process scheduler: each tick of each job first claims its
JobRun(job, tick) row (a unique key in the database), so however many workers and instances
run a scheduler, each tick's effect happens once (jobs/scheduler.py, jobs/runner.py)."""
from __future__ import annotations

from . import create_app

app = create_app()

if app.config.get("INNOCELL_SCHEDULER"):
    from .jobs.scheduler import start_scheduler

    start_scheduler(app)
