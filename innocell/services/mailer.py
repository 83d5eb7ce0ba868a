"""Email for outbox rows, sent after the transaction that wrote them has committed.

- Each row is claimed with a conditional UPDATE (`email_status` 'pending' -> 'sending') and
  that claim is committed before the message goes out, so two senders (two processes, a
  scheduler and `run-jobs`) never send one row twice.
- A failed attempt puts the row back to 'pending' with `last_error`, to be retried after a
  back-off (2, 4, 8... minutes) until MAIL_MAX_ATTEMPTS, then 'failed'.
- A row left 'sending' by a crashed sender is claimable again after MAIL_STALE_MINUTES (the
  only case where a message can go out twice: the crash came after the server accepted it).
- A notice about a booking carries its .ics invite (services/booking_invites.py), built here
  from the booking rows as they are when the message is built.
- The email reads in the recipient's language (User.language): the notice's own text was
  written in it when queued (services/notifications.py), the footer here.
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
from sqlalchemy.orm import Session

from ..models import Notification, User
from .booking_invites import attach_invite
from .calendar_feed import uid_site
from .notifications import REMINDER_KINDS
from .tx import transaction
from .wording import _, written

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


@dataclass(frozen=True)
class Outgoing:
    """A claimed row's message, built inside the claim's transaction so sending needs none."""
    message: EmailMessage
    attempts: int
    email: str


SKIPPED = "skipped"


@transaction
def claim(session: Session, notification_id: int, now: datetime, *, max_attempts: int, smtp: SmtpSettings | None,
          smtp_error: str | None, mail_from: str, public_url: str = "") -> Outgoing | str | None:
    """Take the row for sending: None when another sender won it; SKIPPED when it is not to be
    emailed (no SMTP, or a reminder the resident opted out of: marked 'skipped' in the same
    transaction); else the message, to be sent once this claim has committed."""
    stale = now - timedelta(minutes=STALE_MINUTES)
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.email_attempts < max_attempts)
        .where(or_(Notification.email_status == "pending",
                   and_(Notification.email_status == "sending", Notification.emailed_at <= stale)))
        .values(email_status="sending", email_attempts=Notification.email_attempts + 1, emailed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    note = session.get(Notification, notification_id, populate_existing=True)
    user = session.get(User, note.user_id)
    opted_out = note.kind in REMINDER_KINDS and not user.email_reminders
    if smtp is None or opted_out:
        why = "reminder emails turned off" if opted_out else (smtp_error or "no SMTP_URL configured")
        log.info("Email not sent (%s) to %s: %s", why, recipient(note, user), note.subject)
        note.email_status = SKIPPED
        note.last_error = smtp_error if (smtp_error and not opted_out) else None
        return SKIPPED
    message = build_message(note, user, mail_from, public_url)
    if note.booking_id is not None:
        attach_invite(session, message, note, now=now, site=uid_site(public_url))
    return Outgoing(message, note.email_attempts, message["To"])


def recipient(note: Notification, user: User) -> str:
    """The notice's own address (an emailed link), else the person's contact email, else
    their sign-in email."""
    return note.to_email or user.contact_email or user.email


def build_message(note: Notification, user: User, mail_from: str, public_url: str = "") -> EmailMessage:
    """The notice as an email: its subject and body were written in the person's language when it
    was queued; the footer is written in that language here."""
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = recipient(note, user)
    msg["Subject"] = note.subject
    body = note.body or note.subject
    if note.link:
        link = public_url.rstrip("/") + note.link if note.link.startswith("/") and public_url else note.link
        body += f"\n\n{link}"
    footer = written(_("You can read all your notices in your InnoCell inbox."), user.language)
    msg.set_content(f"{body}\n\n{footer}\n")
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
    """Send every due outbox row once: claim (committed), send holding no transaction, record
    the outcome (committed)."""
    smtp_url = config.get("SMTP_URL") or ""
    mail_from = config.get("MAIL_FROM") or "InnoCell <no-reply@innocell.local>"
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS", MAX_ATTEMPTS))
    smtp, smtp_error = None, None
    if smtp_url:
        try:
            smtp = parse_smtp_url(smtp_url)
        except ValueError as exc:
            smtp_error = str(exc)
    counts = {"sent": 0, "skipped": 0, "retrying": 0, "failed": 0}
    for note_id in due_ids(session, now, max_attempts=max_attempts):
        outgoing = claim(session, note_id, now, max_attempts=max_attempts, smtp=smtp, smtp_error=smtp_error,
                         mail_from=mail_from, public_url=str(config.get("PUBLIC_URL") or ""))
        if outgoing is None:
            continue  # another sender has it
        if outgoing == SKIPPED:
            counts["skipped"] += 1
            continue
        try:
            deliver(smtp, outgoing.message)
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
            status = "failed" if outgoing.attempts >= max_attempts else "pending"
            _finish(session, note_id, email_status=status, last_error=error)
            counts["failed" if status == "failed" else "retrying"] += 1
            log.warning("mail id=%s status=%s attempt=%s error=%s", note_id, status, outgoing.attempts, error)
            continue
        _finish(session, note_id, email_status="sent", emailed_at=now, last_error=None)
        counts["sent"] += 1
        log.info("mail id=%s status=sent attempt=%s", note_id, outgoing.attempts)
    return counts


@transaction
def _finish(session: Session, note_id: int, **values) -> None:
    session.execute(update(Notification).where(Notification.id == note_id).values(**values)
                    .execution_options(synchronize_session=False))
