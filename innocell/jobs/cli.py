"""`run-jobs [--at ISO8601]` (filled in by the scheduled-jobs issue)."""
from __future__ import annotations

import click


@click.command("run-jobs")
@click.option("--at", "at", default=None, help="ISO 8601 instant; default now.")
def run_jobs_command(at):
    """Run every scheduled job once as of an instant."""
    click.echo("No jobs yet.")
