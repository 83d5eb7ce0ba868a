"""A person's data on request (Hong Kong PDPO: a right of access and correction): everything
held about one person, and nothing of anyone else's.

What "everything" is comes from the schema, not a hand-kept list: every table with a
`user_id` column contributes the person's rows, so a new kind of record is exported the day it
is added. Secrets (hashes, session tokens) are never exported; a reference to another person
(the manager who cancelled a booking, say) becomes "staff"."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import AuditEvent, LoginAttempt, User
from . import BadRequest, NotFound
from .audit import record
from .notifications import notify
from .wording import _
from .tx import transaction
from .phrasing import gettext

SECRETS = {"password_hash", "session_token", "token_hash", "request_hash", "salt"}
PROFILE = ("id", "email", "name", "role", "company", "priority_tier", "active", "created_at", "email_reminders")


def _value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _user_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if any(fk.column.table.name == "users" for fk in c.foreign_keys)}


def _row(table: Table, row, person_id: int) -> dict:
    others = _user_columns(table) - {"user_id"}
    out = {}
    for column in table.columns:
        if column.name in SECRETS:
            continue
        value = row._mapping[column]
        if column.name in others and value is not None and value != person_id:
            value = "staff"
        out[column.name] = _value(value)
    return out


def export(session: Session, user_id: int) -> dict:
    """Everything held about the person, as JSON-ready data."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(gettext("There is no such person."))
    data: dict = {"profile": {key: _value(getattr(user, key, None)) for key in PROFILE if hasattr(user, key)}}
    for table in db.metadata.sorted_tables:
        if table.name == "users" or "user_id" not in table.columns:
            continue
        rows = session.execute(select(table).where(table.c.user_id == user_id)).all()
        data[table.name] = [_row(table, r, user_id) for r in rows]
    audit = db.metadata.tables[AuditEvent.__tablename__]
    rows = session.execute(select(audit).where(or_(
        audit.c.actor_id == user_id, (audit.c.target_type == "user") & (audit.c.target_id == user_id)))
        .order_by(audit.c.created_at)).all()
    data["audit_events"] = [_row(audit, r, user_id) for r in rows]
    attempts = db.metadata.tables[LoginAttempt.__tablename__]
    rows = session.execute(select(attempts).where(attempts.c.email == user.email).order_by(attempts.c.at)).all()
    data["login_attempts"] = [_row(attempts, r, user_id) for r in rows]
    return data


def summary(data: dict) -> list[tuple[str, int]]:
    """(kind of record, how many) for the readable page, the profile first."""
    return [(name.replace("_", " "), len(rows)) for name, rows in data.items() if isinstance(rows, list)]


@transaction
def request_correction(session: Session, *, user: User, what: str, now: datetime) -> None:
    """The person asks staff to correct their profile: every manager and admin is told, and
    the request is audited; staff make the change on the person's page."""
    what = (what or "").strip()
    if not what:
        raise BadRequest(gettext("Say what is wrong and what it should be."))
    if len(what) > 2000:
        raise BadRequest(gettext("Keep the request under 2,000 characters."))
    staff = session.execute(select(User.id).where(User.role.in_(("manager", "admin")), User.active.is_(True))).scalars()
    for staff_id in staff:
        notify(session, user_id=staff_id, kind="correction_request", now=now,
               subject=_("%(name)s asks for a correction of their profile", name=user.name),
               body=_("%(name)s (%(email)s) writes: %(what)s", name=user.name, email=user.email, what=what),
               link=None)
    record(session, actor_id=user.id, action="profile.correction_requested", target_type="user",
           target_id=user.id, now=now, request=what)
