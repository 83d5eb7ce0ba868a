"""The outbox: a notice is a row first, written in the transaction of the event it reports.
The resident's inbox reads these rows; the mailer (services/mailer.py) emails them after commit.

`notify` is a step inside the caller's transaction (it never commits: an event that rolls back
leaves no notice); marking read and the email setting are transactions of their own.

A notice is written in its recipient's language (User.language) when it is queued: subject and
body may be `wording` texts, rendered here in that language, so a job or another person's action
writes it as the reader chose. A person who saved no language reads the page's language when the
notice comes from their own (or an anonymous) request, e.g. registering; else English."""
from __future__ import annotations

from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import Notification, User
from . import NotFound
from .languages import known
from .stored_text import fit
from .tx import transaction
from .wording import written
from .phrasing import gettext

# Kinds a resident may choose not to receive by email (the inbox still shows them).
REMINDER_KINDS = ("reminder",)
# Notices that carry a single-use link (services/account_links.py): with SMTP configured the
# link goes by email only, so the inbox proves nothing about the mailbox; without SMTP (the
# demo) the inbox shows it.
LINK_KINDS = ("password_reset", "invitation", "email_verification", "contact_email")


def _page_language(user_id: int | None) -> str | None:
    """The language of the page being answered, when its reader is the notice's recipient (or
    nobody signed in: registering, asking for a reset link); None otherwise."""
    if not has_request_context():
        return None
    from flask_babel import get_locale
    from flask_login import current_user
    actor = g.get("user")  # an API call's principal (web/api), else the signed-in page's
    if actor is None and current_user.is_authenticated:
        actor = current_user
    if actor is not None and actor.id != user_id:
        return None
    return known(str(get_locale()))


def language_of(saved: str | None, user_id: int | None) -> str | None:
    """The language a notice to this person is written in (None: English)."""
    return known(saved) or _page_language(user_id)


def notify(session: Session, *, user_id: int, kind: str, subject, body, now: datetime,
           link: str | None = None, dedupe_key: str | None = None, to_email: str | None = None,
           booking_id: int | None = None) -> Notification | None:
    """Queue a notice for a user. With a dedupe_key the notice is written at most once: a
    second call with the same key (e.g. a re-run job) adds nothing and returns None.
    `to_email` sends it to that address instead of the person's (an emailed link).
    `booking_id`: the booking it is about; its email then carries the booking's .ics invite.
    `subject` and `body`: text, or `wording` texts written here in the recipient's language."""
    if dedupe_key is not None:
        exists = session.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first()
        if exists:
            return None
        # A row added earlier in this same transaction is not visible to the query before a flush.
        for pending in session.new:
            if isinstance(pending, Notification) and pending.dedupe_key == dedupe_key:
                return None
    with session.no_autoflush:  # reading the language must not flush the caller's half-done changes early
        user = session.get(User, user_id)
    language = language_of(user.language if user is not None else None, user_id)
    note = Notification(user_id=user_id, kind=kind, subject=fit(written(subject, language), 300),
                        body=written(body, language), link=link,
                        dedupe_key=dedupe_key, created_at=now, to_email=to_email, booking_id=booking_id)
    session.add(note)
    return note


def notify_many(session: Session, notices: list[dict], *, now: datetime) -> int:
    """`notify` for many notices at once (a round's offers and waitlistings): their dedupe keys
    checked in one query, so each notice is still written at most once, and their recipients'
    languages read in one query. Returns how many."""
    keys = [n["dedupe_key"] for n in notices if n.get("dedupe_key") is not None]
    seen = set()
    for chunk in range(0, len(keys), 500):
        seen.update(session.execute(select(Notification.dedupe_key)
                                    .where(Notification.dedupe_key.in_(keys[chunk:chunk + 500]))).scalars())
    seen.update(p.dedupe_key for p in session.new if isinstance(p, Notification) and p.dedupe_key is not None)
    fresh = []
    for n in notices:
        key = n.get("dedupe_key")
        if key is not None and key in seen:
            continue
        seen.add(key)
        fresh.append(n)
    ids = sorted({n["user_id"] for n in fresh})
    saved = {}
    for chunk in range(0, len(ids), 500):
        rows = session.execute(select(User.id, User.language).where(User.id.in_(ids[chunk:chunk + 500]))
                               .execution_options(autoflush=False))
        saved.update((user_id, language) for user_id, language in rows)
    for n in fresh:
        language = language_of(saved.get(n["user_id"]), n["user_id"])
        session.add(Notification(user_id=n["user_id"], kind=n["kind"],
                                 subject=fit(written(n["subject"], language), 300), body=written(n["body"], language),
                                 link=n.get("link"), dedupe_key=n.get("dedupe_key"), created_at=now,
                                 to_email=n.get("to_email")))
    return len(fresh)


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
