"""The outbox: a notice is a row first, written in the transaction of the event it reports.
The resident's inbox reads these rows; the mailer (services/mailer.py) emails them after commit.

`notify` is a step inside the caller's transaction (it never commits: an event that rolls back
leaves no notice); marking read and the email setting are transactions of their own."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import Notification, User
from . import NotFound
from .tx import transaction
from .stored_text import fit
from .phrasing import gettext

# Kinds a resident may choose not to receive by email (the inbox still shows them).
REMINDER_KINDS = ("reminder",)
# Notices that carry a single-use link (services/account_links.py): with SMTP configured the
# link goes by email only, so the inbox proves nothing about the mailbox; without SMTP (the
# demo) the inbox shows it.
LINK_KINDS = ("password_reset", "invitation", "email_verification", "contact_email")


def notify(session: Session, *, user_id: int, kind: str, subject: str, body: str, now: datetime,
           link: str | None = None, dedupe_key: str | None = None, to_email: str | None = None,
           booking_id: int | None = None) -> Notification | None:
    """Queue a notice for a user. With a dedupe_key the notice is written at most once: a
    second call with the same key (e.g. a re-run job) adds nothing and returns None.
    `to_email` sends it to that address instead of the person's (an emailed link).
    `booking_id`: the booking it is about; its email then carries the booking's .ics invite."""
    if dedupe_key is not None:
        exists = session.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first()
        if exists:
            return None
        # A row added earlier in this same transaction is not visible to the query before a flush.
        for pending in session.new:
            if isinstance(pending, Notification) and pending.dedupe_key == dedupe_key:
                return None
    note = Notification(user_id=user_id, kind=kind, subject=fit(subject, 300), body=body, link=link,
                        dedupe_key=dedupe_key, created_at=now, to_email=to_email, booking_id=booking_id)
    session.add(note)
    return note


def notify_many(session: Session, notices: list[dict], *, now: datetime) -> int:
    """`notify` for many notices at once (a round's offers and waitlistings): their dedupe keys
    checked in one query, so each notice is still written at most once. Returns how many."""
    keys = [n["dedupe_key"] for n in notices if n.get("dedupe_key") is not None]
    seen = set()
    for chunk in range(0, len(keys), 500):
        seen.update(session.execute(select(Notification.dedupe_key)
                                    .where(Notification.dedupe_key.in_(keys[chunk:chunk + 500]))).scalars())
    seen.update(p.dedupe_key for p in session.new if isinstance(p, Notification) and p.dedupe_key is not None)
    written = 0
    for n in notices:
        key = n.get("dedupe_key")
        if key is not None and key in seen:
            continue
        seen.add(key)
        session.add(Notification(user_id=n["user_id"], kind=n["kind"], subject=fit(n["subject"], 300), body=n["body"],
                                 link=n.get("link"), dedupe_key=key, created_at=now, to_email=n.get("to_email")))
        written += 1
    return written


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notices are unread (every page's header shows it)."""
    return session.execute(
        select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar_one()


def inbox_query(user_id: int, *, unread_only: bool = False):
    """Newest first; the caller paginates (db.paginate) or lists."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def list_for_user(session: Session, user_id: int, *, unread_only: bool = False, limit: int = 50,
                  offset: int = 0) -> list[Notification]:
    stmt = inbox_query(user_id, unread_only=unread_only).limit(limit).offset(offset)
    return list(session.execute(stmt).scalars())


@transaction
def mark_read(session: Session, notification_id: int, *, user_id: int, now: datetime) -> Notification:
    """Mark one of the user's notices read (another user's id is 'not found')."""
    note = session.get(Notification, notification_id, populate_existing=True)
    if note is None or note.user_id != user_id:
        raise NotFound(gettext("There is no such notice in your inbox."))
    if note.read_at is None:
        note.read_at = now
    return note


@transaction
def mark_all_read(session: Session, *, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@transaction
def set_email_reminders(session: Session, *, user_id: int, on: bool) -> User:
    """Whether reminders are also emailed to the user (the inbox shows them either way)."""
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound(gettext("There is no such person."))
    user.email_reminders = bool(on)
    return user
