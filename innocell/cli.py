"""`flask --app innocell COMMAND` (CONTRACT.md section 3)."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from .extensions import db
from .services import ServiceError
from .timeutil import local_zone, utcnow


def fail(message: str) -> None:
    """One line on stderr, exit status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("create-user")
@click.argument("email")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", required=True, type=click.Choice(["resident", "manager", "finance", "admin"]))
@click.option("--name", default=None)
@click.option("--company", default=None)
@click.option("--priority-tier", type=click.IntRange(min=1), default=3, show_default=True,
              help="1 comes first (e.g. incubatees), then 2, 3, ...")
def create_user_command(email, password, role, name, company, priority_tier):
    """Create an account."""
    from .services.accounts import create_user

    try:
        user = create_user(db.session, email=email, password=password, role=role, now=utcnow(), name=name,
                           company=company, priority_tier=priority_tier)
    except ServiceError as exc:
        fail(exc.message)
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


def _change(email: str, changes: dict, reason: str | None) -> None:
    """An admin's change from the command line (audited as such); one line on success."""
    from .services.accounts import get_user_by_email
    from .services.people import change_person

    user = get_user_by_email(db.session, email)
    if user is None:
        fail(f"there is no account with the email {email.strip().lower()}")
    try:
        user = change_person(db.session, user.id, changes, reason=reason, actor=None, now=utcnow())
    except ServiceError as exc:
        fail(exc.message)
    click.echo(f"{user.email}: {user.role}, tier {user.priority_tier}, "
               f"{'active' if user.active else 'deactivated'}{', ' + user.company if user.company else ''}.")


@click.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["resident", "manager", "finance", "admin"]))
@click.option("--reason", required=True, help="Kept in the audit trail.")
def set_role_command(email, role, reason):
    """Change an account's role."""
    _change(email, {"role": role}, reason)


@click.command("set-tier")
@click.argument("email")
@click.argument("tier", type=click.IntRange(min=1, max=99))
@click.option("--reason", required=True, help="Kept in the audit trail and shown with the person's waitlist places.")
def set_tier_command(email, tier, reason):
    """Change an account's housing priority tier (1 is housed first)."""
    _change(email, {"priority_tier": tier}, reason)


@click.command("deactivate-user")
@click.argument("email")
@click.option("--reason", required=True, help="Kept in the audit trail.")
def deactivate_user_command(email, reason):
    """Deactivate an account: no sign-in, no API token works; nothing is deleted."""
    _change(email, {"active": False}, reason)


@click.command("reactivate-user")
@click.argument("email")
@click.option("--reason", default=None, help="Kept in the audit trail.")
def reactivate_user_command(email, reason):
    """Reactivate a deactivated account."""
    _change(email, {"active": True}, reason)


@click.command("seed-demo")
@click.option("--scale", type=click.IntRange(min=1, max=50), default=1, show_default=True,
              help="Multiply the park: N towers of units, N copies of each space, N times the residents.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
def seed_demo_command(scale, if_empty):
    """Load realistic demo data."""
    from .services import demo

    if not demo.is_empty(db.session):
        if if_empty:
            click.echo("Database already has data; demo data not loaded.")
            return
        fail("the database already has data; seed-demo needs an empty database (use a fresh DATABASE_URL)")
    counts = demo.seed(db.session, now=utcnow(), tz=local_zone(), scale=scale)
    click.echo("Demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + ".")


def print_banner(app: Flask, host: str, port: int) -> None:
    from .services.demo import DEMO_LOGINS

    click.echo("")
    click.echo(f"InnoCell is running at http://{host}:{port}/login")
    click.echo("Demo logins:")
    for role, email, password, *_ in DEMO_LOGINS:
        click.echo(f"  {role:<9} {email:<26} {password}")
    click.echo("")


@click.command("serve")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
def serve_command(host, port):
    """Serve the app (with its scheduler when INNOCELL_SCHEDULER=1), as `make run` does."""
    app = current_app._get_current_object()
    if app.config.get("INNOCELL_SCHEDULER"):
        from .jobs.scheduler import start_scheduler

        start_scheduler(app)
    print_banner(app, host, port)
    # app.run() refuses to block inside a `flask` CLI command, so serve with Werkzeug directly.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    for command in (set_role_command, set_tier_command, deactivate_user_command, reactivate_user_command):
        app.cli.add_command(command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(serve_command)
    from .cli_ops import backup_command, restore_command
    from .jobs.cli import run_jobs_command

    app.cli.add_command(run_jobs_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from .cli_ledger import charge_month_command

    app.cli.add_command(charge_month_command)
