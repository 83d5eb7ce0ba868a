"""The audit trail's explicit actions: one row per manager action with its reason and details.
Every row change is recorded on its own (services.audit_trail); a reason given here is also
put on this transaction's change rows of the same object."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..models import AuditEvent
from .audit_trail import note_reason


def record(session: Session, *, actor_id: int | None, action: str, target_type: str, target_id: int | None,
           now: datetime, reason: str | None = None, **details) -> AuditEvent:
    """Add an audit row to the caller's transaction (committed with the action itself)."""
    event = AuditEvent(actor_id=actor_id, action=action, target_type=target_type, target_id=target_id,
                       reason=reason, details=details, created_at=now)
    session.add(event)
    note_reason(session, target_type, target_id, reason)
    return event
