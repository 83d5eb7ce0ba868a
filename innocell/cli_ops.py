"""Operator commands: `backup PATH` and `restore PATH` (services/backup.py says how)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from alembic.script import ScriptDirectory

from . import ROOT
from .extensions import db
from .services import ServiceError
from .services import backup as backup_service


def _fail(message: str) -> None:
    """One line on stderr, exit status 1 (click's own way of saying so)."""
    raise click.ClickException(message)


def schema_head() -> str:
    """The migration revision this code expects."""
    return ScriptDirectory(str(ROOT / "migrations")).get_current_head()


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Write a consistent copy of the database to PATH, while the app runs."""
    try:
        made = backup_service.backup(db.engine, path)
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Backed up {db.engine.dialect.name} database to {made} ({made.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path):
    """Bring the backup at PATH back into this (empty) database and check its schema version."""
    try:
        revision = backup_service.restore(db.engine, path, expected_revision=schema_head())
    except ServiceError as exc:
        _fail(exc.message)
    click.echo(f"Restored {path} (schema {revision}).")
