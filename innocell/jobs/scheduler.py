"""APScheduler 3 wiring: one BackgroundScheduler per process, jobs registered in code.

- Only when INNOCELL_SCHEDULER is on (`make run` sets it; tests do not).
- MemoryJobStore: the database, not the job store, is the source of truth, so nothing is
  pickled and nothing survives a restart that the next tick would not redo anyway.
- Stable ids with replace_existing=True; job_defaults misfire_grace_time =
  JOB_MISFIRE_GRACE_SECONDS (a tick delayed by a busy pool or a paused process still runs;
  the 3.x default of 1 s would drop it), coalesce=True (a backlog of missed ticks runs once),
  max_instances=1 (a slow run is never overlapped by the next in this process).
- Several processes may each run a scheduler (e.g. several workers): every tick claims its
  JobRun(job, tick) row first, so its effect happens once.
- Never twice in one process: a module-level guard. Under the Flask reloader only the child
  that serves (WERKZEUG_RUN_MAIN=true) may start it; `serve` runs without the reloader.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

log = logging.getLogger("innocell.scheduler")

_lock = threading.Lock()
_scheduler = None


def _tick(app, name: str) -> None:
    from .runner import run_job

    try:
        result = run_job(app, name, datetime.now(timezone.utc), "scheduler")
    except Exception:  # noqa: BLE001 - a scheduler thread must not die
        log.exception("Job %s could not run", name)
        return
    if result.status == "failed" or any(result.counts.values()):
        log.info("job %s tick %s: %s", name, result.tick.isoformat(), result.summary)


def _reloader_parent(app) -> bool:
    """True in the watcher process of the Werkzeug reloader (it serves nothing)."""
    return (bool(app.debug) and os.environ.get("FLASK_RUN_FROM_CLI") == "true"
            and os.environ.get("WERKZEUG_RUN_MAIN") != "true")


def start_scheduler(app, *, paused: bool = False):
    """Start the in-process scheduler once; returns it, or None when disabled or already started.
    `paused` starts it without running jobs (to inspect its wiring)."""
    global _scheduler
    if not app.config.get("INNOCELL_SCHEDULER"):
        return None
    if _reloader_parent(app):
        log.info("Scheduler not started in the reloader's watcher process.")
        return None
    with _lock:
        if _scheduler is not None:
            return None
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        from .runner import JOBS

        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per job per minute
        tz = ZoneInfo(app.config["INNOCELL_TIMEZONE"])
        interval = int(app.config["JOB_INTERVAL_SECONDS"])
        scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=2)},
            job_defaults={
                "misfire_grace_time": int(app.config["JOB_MISFIRE_GRACE_SECONDS"]),
                "coalesce": True,
                "max_instances": 1,
            },
            timezone=tz,
        )
        for name in JOBS:
            scheduler.add_job(_tick, IntervalTrigger(seconds=interval, timezone=tz), args=(app, name),
                              id=f"innocell-{name}", name=f"InnoCell job {name}", replace_existing=True,
                              next_run_time=datetime.now(tz))
        scheduler.start(paused=paused)
        _scheduler = scheduler
        app.extensions["innocell_scheduler"] = scheduler
        log.info("Scheduler started: %s every %s s", ", ".join(JOBS), interval)
        return scheduler


def stop_scheduler(wait: bool = True) -> None:
    """Shut the process's scheduler down (tests, shutdown hooks)."""
    global _scheduler
    with _lock:
        if _scheduler is not None:
            _scheduler.shutdown(wait=wait)
            _scheduler = None
