"""`flask --app innocell charge-month 2026-11`: charge a finished month by hand (the charges
job does it after each month end); running it again changes nothing unless records changed."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .extensions import db
from .services import ServiceError
from .services.ledger.charges import charge_month
from .services.ledger.dues import parse_month
from .timeutil import local_zone, utcnow


@click.command("charge-month")
@click.argument("month")
@with_appcontext
def charge_month_command(month):
    """Charge MONTH (YYYY-MM): one line per lease-month and used booking, adjustments for changes."""
    try:
        outcome = charge_month(db.session, parse_month(month), now=utcnow(), tz=local_zone())
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(outcome.summary)
