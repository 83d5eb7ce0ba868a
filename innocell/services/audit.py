"""The audit trail: one row for every manager action."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..models import AuditEvent


def record(session: Session, *, actor_id: int | None, action: str, target_type: str, target_id: int | None,
           now: datetime, reason: str | None = None, **details) -> AuditEvent:
    """Add an audit row to the caller's transaction (committed with the action itself)."""
    event = AuditEvent(actor_id=actor_id, action=action, target_type=target_type, target_id=target_id,
                       reason=reason, details=details, created_at=now)
    session.add(event)
    return event
