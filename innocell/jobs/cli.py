"""`flask --app innocell run-jobs [--at ISO8601]`: every scheduled job once as of an instant."""
from __future__ import annotations

import sys

import click
from flask import current_app

from ..timeutil import local_zone, parse_instant, utcnow


@click.command("run-jobs")
@click.option("--at", "at", default=None, metavar="ISO8601",
              help="The instant to run as of (a value without offset is local time); default now.")
@click.option("--job", "only", multiple=True, help="Run only this job (repeatable); default every job.")
def run_jobs_command(at, only):
    """Run every scheduled job once as of an instant, one line per job.

    Running it twice at the same instant changes nothing the second time: each job's tick
    (the instant truncated to JOB_INTERVAL_SECONDS) runs once. Exit status 1 when --at is
    not an instant (nothing runs) or when a job failed (its error is recorded in the history)."""
    from .runner import JOBS, run_job

    tz = local_zone()
    if at is None:
        now = utcnow()
    else:
        try:
            now = parse_instant(at, tz)
        except ValueError as exc:
            click.echo(f"Error: --at {exc}", err=True)
            sys.exit(1)
    unknown = [name for name in only if name not in JOBS]
    if unknown:
        click.echo(f"Error: unknown job {unknown[0]!r}; jobs are {', '.join(JOBS)}", err=True)
        sys.exit(1)
    app = current_app._get_current_object()
    failed = False
    for name in (only or JOBS):
        result = run_job(app, name, now, "cli")
        failed = failed or result.status == "failed"
        click.echo(f"{name}: {result.summary}")
    if failed:
        sys.exit(1)
