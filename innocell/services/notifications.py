"""The outbox: a notice is a row first, written in the transaction of the event it reports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Notification


def notify(session: Session, *, user_id: int, kind: str, subject: str, body: str, now: datetime,
           link: str | None = None, dedupe_key: str | None = None) -> Notification | None:
    """Queue a notice for a user. With a dedupe_key the notice is written at most once: a
    second call with the same key (e.g. a re-run job) adds nothing and returns None."""
    if dedupe_key is not None:
        exists = session.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first()
        if exists:
            return None
    note = Notification(user_id=user_id, kind=kind, subject=subject, body=body, link=link,
                        dedupe_key=dedupe_key, created_at=now)
    session.add(note)
    return note
