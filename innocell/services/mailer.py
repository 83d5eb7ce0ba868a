"""Email for outbox rows, sent after the transaction that wrote them has committed.

- Each row is claimed with a conditional UPDATE (`email_status` 'pending' -> 'sending') and
  that claim is committed before the message goes out, so two senders (two processes, a
  scheduler and `run-jobs`) never send one row twice.
- A failed attempt puts the row back to 'pending' with `last_error`, to be retried after a
  back-off (2, 4, 8... minutes) until MAIL_MAX_ATTEMPTS, then 'failed'.
- A row left 'sending' by a crashed sender is claimable again after MAIL_STALE_MINUTES (the
  only case where a message can go out twice: the crash came after the server accepted it).
- Without SMTP_URL the message is written to the log and the row marked 'skipped'; so is a
  reminder to a resident who turned reminder emails off (the inbox still shows it).

SMTP_URL: smtp://user:password@host:port (plain, STARTTLS when the server offers it and
?starttls=1 is given), smtps://user:password@host:465 (TLS). Standard library smtplib only.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, scoped_session

from ..models import Notification, User
from .guard import begin_write
from .notifications import REMINDER_KINDS

log = logging.getLogger("innocell.mailer")

MAX_ATTEMPTS = 5
STALE_MINUTES = 10


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    use_ssl: bool
    starttls: bool


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://user:pass@host:port -> settings; ValueError with a readable message otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps:// (got {parts.scheme or 'nothing'!r})")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    use_ssl = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if use_ssl else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=use_ssl,
        starttls=starttls,
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** max(attempts, 1))


def due_ids(session: Session, now: datetime, *, limit: int = 200, max_attempts: int = MAX_ATTEMPTS) -> list[int]:
    """Rows that want sending now: pending (past their back-off) or stale 'sending' claims."""
    rows = session.execute(
        select(Notification.id, Notification.email_status, Notification.email_attempts, Notification.emailed_at)
        .where(or_(Notification.email_status == "pending",
                   and_(Notification.email_status == "sending",
                        Notification.emailed_at <= now - timedelta(minutes=STALE_MINUTES))))
        .where(Notification.email_attempts < max_attempts)
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    out = []
    for row in rows:
        if row.email_status == "pending" and row.email_attempts and row.emailed_at is not None:
            if row.emailed_at + _backoff(row.email_attempts) > now:
                continue
        out.append(row.id)
    return out


def claim(session: Session, notification_id: int, now: datetime, *, max_attempts: int = MAX_ATTEMPTS) -> bool:
    """Take the row for sending; True only for the one sender that won. Commits the claim."""
    stale = now - timedelta(minutes=STALE_MINUTES)
    begin_write(session)
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.email_attempts < max_attempts)
        .where(or_(Notification.email_status == "pending",
                   and_(Notification.email_status == "sending", Notification.emailed_at <= stale)))
        .values(email_status="sending", email_attempts=Notification.email_attempts + 1, emailed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def build_message(note: Notification, user: User, mail_from: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = user.email
    msg["Subject"] = note.subject
    body = note.body or note.subject
    if note.link:
        body += f"\n\n{note.link}"
    msg.set_content(body + "\n\nYou can read all your notices in your InnoCell inbox.\n")
    return msg


def deliver(settings: SmtpSettings, msg: EmailMessage, timeout: float = 15.0) -> None:
    if settings.use_ssl:
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        if settings.starttls and not settings.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(msg)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def send_pending(session: Session, now: datetime, config) -> dict:
    """Send every due outbox row once. Call it outside any open write (it commits per row)."""
    smtp_url = config.get("SMTP_URL") or ""
    mail_from = config.get("MAIL_FROM") or "InnoCell <no-reply@innocell.local>"
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", MAX_ATTEMPTS))
    settings = None
    settings_error = None
    if smtp_url:
        try:
            settings = parse_smtp_url(smtp_url)
        except ValueError as exc:
            settings_error = str(exc)
    counts = {"sent": 0, "skipped": 0, "retrying": 0, "failed": 0}
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        session.commit()
    for note_id in due_ids(session, now, max_attempts=max_attempts):
        if not claim(session, note_id, now, max_attempts=max_attempts):
            continue  # another sender has it
        note = session.get(Notification, note_id, populate_existing=True)
        user = session.get(User, note.user_id)
        opted_out = note.kind in REMINDER_KINDS and not user.email_reminders
        if settings is None or opted_out:
            why = "reminder emails turned off" if opted_out else (settings_error or "no SMTP_URL configured")
            log.info("Email not sent (%s) to %s: %s", why, user.email, note.subject)
            _finish(session, note_id, email_status="skipped",
                    last_error=settings_error if (settings_error and not opted_out) else None)
            counts["skipped"] += 1
            continue
        message = build_message(note, user, mail_from)
        attempts, email = note.email_attempts, user.email
        session.commit()  # hold no transaction while talking to the mail server
        try:
            deliver(settings, message)
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
            status = "failed" if attempts >= max_attempts else "pending"
            _finish(session, note_id, email_status=status, last_error=error)
            counts["failed" if status == "failed" else "retrying"] += 1
            log.warning("Email to %s failed (attempt %s): %s", email, attempts, error)
            continue
        _finish(session, note_id, email_status="sent", emailed_at=now, last_error=None)
        counts["sent"] += 1
    return counts


def _finish(session: Session, note_id: int, **values) -> None:
    begin_write(session)
    session.execute(update(Notification).where(Notification.id == note_id).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()
