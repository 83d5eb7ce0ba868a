"""Reading the audit trail: filters (person, object, kind of change, period), pages, an
object's own history, and the finance CSV export (streamed on its own session)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from ..models import AuditEvent, User
from .audit_trail import AUDITED_MODELS, KINDS
from .exports import DATETIME, INT, TEXT, YIELD_PER, Column, Export

# Object types of change rows and of the explicit actions written before the trail was generic.
OBJECT_TYPES = tuple(sorted(set(AUDITED_MODELS.values()) | {"job", "user", "setting"}))


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    object_type: str | None = None
    object_id: int | None = None
    kind: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive

    def where(self) -> list:
        clauses = []
        if self.actor_id is not None:
            clauses.append(or_(AuditEvent.actor_id == self.actor_id, AuditEvent.on_behalf_of_id == self.actor_id))
        if self.object_type:
            clauses.append(AuditEvent.target_type == self.object_type)
        if self.object_id is not None:
            clauses.append(AuditEvent.target_id == self.object_id)
        if self.kind:
            clauses.append(AuditEvent.kind == self.kind)
        if self.start is not None:
            clauses.append(AuditEvent.created_at >= self.start)
        if self.end is not None:
            clauses.append(AuditEvent.created_at < self.end)
        return clauses


def page(session: Session, filters: AuditFilter, *, offset: int = 0, limit: int = 25) -> tuple[list[AuditEvent], int]:
    """Newest first: (this page's events, how many match)."""
    where = filters.where()
    total = session.execute(select(func.count(AuditEvent.id)).where(*where)).scalar_one()
    rows = session.execute(select(AuditEvent).where(*where).order_by(AuditEvent.id.desc())
                           .offset(offset).limit(limit)).scalars()
    return list(rows), total


def after(session: Session, filters: AuditFilter, *, cursor: int | None, limit: int) -> tuple[list[AuditEvent], bool]:
    """Keyset paging for the API, newest first: events older than `cursor` (an event id), and
    whether more follow."""
    where = filters.where()
    if cursor is not None:
        where.append(AuditEvent.id < cursor)
    rows = list(session.execute(select(AuditEvent).where(*where).order_by(AuditEvent.id.desc())
                                .limit(limit + 1)).scalars())
    return rows[:limit], len(rows) > limit


def history(session: Session, object_type: str, object_id: int, *, limit: int = 50) -> list[AuditEvent]:
    """One object's own history, newest first."""
    return list(session.execute(select(AuditEvent).where(AuditEvent.target_type == object_type,
                                                         AuditEvent.target_id == object_id)
                                .order_by(AuditEvent.id.desc()).limit(limit)).scalars())


def as_json(event: AuditEvent, tz: ZoneInfo | None = None) -> dict:
    when = event.created_at.astimezone(tz) if tz else event.created_at
    return {"id": event.id, "at": when.isoformat(), "actor_id": event.actor_id,
            "on_behalf_of_id": event.on_behalf_of_id, "job": event.job, "request_id": event.request_id,
            "object_type": event.target_type, "object_id": event.target_id, "kind": event.kind,
            "action": event.action, "before": event.before, "after": event.after, "reason": event.reason,
            "details": event.details or {}}


AUDIT_COLUMNS = [
    Column("id", INT, width=8), Column("at", DATETIME, width=20), Column("actor_id", INT, width=9),
    Column("actor_email", TEXT, width=26), Column("on_behalf_of_id", INT, width=9),
    Column("on_behalf_of_email", TEXT, width=26), Column("job", TEXT, width=14),
    Column("request_id", TEXT, width=18), Column("object_type", TEXT, width=16), Column("object_id", INT, width=9),
    Column("kind", TEXT, width=12), Column("action", TEXT, width=24), Column("reason", TEXT, width=30),
    Column("before", TEXT, width=40), Column("after", TEXT, width=40), Column("details", TEXT, width=30),
]


def _dump(value) -> str | None:
    return None if value in (None, {}) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def export_rows(engine: Engine, filters: AuditFilter) -> Iterator[dict]:
    """Every matching event, oldest first, read in batches with a session of its own."""
    session = Session(engine)
    actor, behalf = aliased(User), aliased(User)
    try:
        stmt = (select(AuditEvent, actor.email, behalf.email)
                .outerjoin(actor, actor.id == AuditEvent.actor_id)
                .outerjoin(behalf, behalf.id == AuditEvent.on_behalf_of_id)
                .where(*filters.where()).order_by(AuditEvent.id)
                .execution_options(yield_per=YIELD_PER))
        for event, actor_email, behalf_email in session.execute(stmt):
            yield {"id": event.id, "at": event.created_at, "actor_id": event.actor_id, "actor_email": actor_email,
                   "on_behalf_of_id": event.on_behalf_of_id, "on_behalf_of_email": behalf_email, "job": event.job,
                   "request_id": event.request_id, "object_type": event.target_type, "object_id": event.target_id,
                   "kind": event.kind, "action": event.action, "reason": event.reason,
                   "before": _dump(event.before), "after": _dump(event.after), "details": _dump(event.details)}
    finally:
        session.close()


def audit_export(engine: Engine, filters: AuditFilter, stem: str = "audit") -> Export:
    return Export(stem, AUDIT_COLUMNS, export_rows(engine, filters), sheet="Audit")


__all__ = ["AuditFilter", "KINDS", "OBJECT_TYPES", "after", "as_json", "audit_export", "history", "page"]
