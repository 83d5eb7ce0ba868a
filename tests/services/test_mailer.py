"""Email from the outbox through a fake SMTP server on 127.0.0.1 (a thread and socketserver):
sent after commit, once, with retries and a back-off, skipped (and logged) without SMTP_URL or
for a resident who turned reminder emails off, and never twice with two senders at once."""
from __future__ import annotations

import base64
import logging
import socketserver
import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes

import pytest
from sqlalchemy import select

from innocell.extensions import db
from innocell.jobs.runner import run_job
from innocell.models import Notification
from innocell.services import mailer
from innocell.services.notifications import notify

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


class _Handler(socketserver.StreamRequestHandler):
    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        server = self.server
        self._reply("220 fake.smtp ESMTP ready")
        in_data, lines, rcpts = False, [], []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if in_data:
                if line.rstrip(b"\r\n") == b".":
                    in_data = False
                    with server.lock:
                        if server.fail_next > 0:
                            server.fail_next -= 1
                            self._reply("451 4.3.0 try again later")
                        else:
                            server.messages.append((list(rcpts), message_from_bytes(b"".join(lines))))
                            self._reply("250 2.0.0 queued")
                    lines, rcpts = [], []
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            command = line.decode(errors="replace").strip()
            upper = command.upper()
            if upper.startswith("EHLO"):
                self.wfile.write(b"250-fake.smtp\r\n250 AUTH PLAIN\r\n")
            elif upper.startswith("HELO") or upper.startswith("MAIL FROM") or upper in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif upper.startswith("AUTH PLAIN"):
                payload = base64.b64decode(command.split()[2]).split(b"\0")
                server.logins.append((payload[1].decode(), payload[2].decode()))
                self._reply("235 2.7.0 accepted")
            elif upper.startswith("RCPT TO"):
                rcpts.append(command.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 OK")
            elif upper == "DATA":
                in_data = True
                self._reply("354 go ahead")
            elif upper == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


class FakeSMTP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages, self.logins, self.fail_next, self.lock = [], [], 0, threading.Lock()

    @property
    def url(self) -> str:
        return f"smtp://mailer%40park:s3cret@127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def smtp():
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def resident(make_user):
    return make_user("resident", email="rita@example.test", name="Rita")


def _queue(session, user, n=1, kind="offer_waitlist"):
    for i in range(n):
        notify(session, user_id=user.id, kind=kind, subject=f"Notice {i}", body=f"Body {i}", now=NOW,
               link="/housing")
    session.commit()


def _send(app, session, at=NOW):
    counts = mailer.send_pending(session, at, app.config)
    session.rollback()
    return counts


def _statuses(session):
    return [n.email_status for n in session.execute(select(Notification).order_by(Notification.id)).scalars()]


def test_sends_each_notice_once_after_commit(app, session, smtp, resident):
    app.config["SMTP_URL"] = smtp.url
    _queue(session, resident, 3)
    result = run_job(app, "mail", NOW, "cli")
    session.rollback()
    assert result.counts["sent"] == 3
    assert [rcpts for rcpts, _ in smtp.messages] == [["rita@example.test"]] * 3
    assert sorted(m["Subject"] for _, m in smtp.messages) == ["Notice 0", "Notice 1", "Notice 2"]
    assert "Body 0" in smtp.messages[0][1].get_payload()
    assert smtp.logins[0] == ("mailer@park", "s3cret")
    assert _statuses(session) == ["sent"] * 3
    assert _send(app, session, NOW + timedelta(hours=1))["sent"] == 0
    assert len(smtp.messages) == 3


def _send_elsewhere(app, at=NOW):
    """A sender in another thread with its own session, as the scheduler's would be."""
    out = []

    def sender():
        with app.app_context():
            out.append(mailer.send_pending(db.session(), at, app.config))

    thread = threading.Thread(target=sender)
    thread.start()
    thread.join(60)
    return out[0]


def test_a_notice_in_an_uncommitted_transaction_is_not_sent(app, session, smtp, resident):
    app.config["SMTP_URL"] = smtp.url
    notify(session, user_id=resident.id, kind="offer_waitlist", subject="Not yet", body="", now=NOW)
    session.flush()  # written inside a transaction that has not committed
    assert _send_elsewhere(app)["sent"] == 0
    session.rollback()  # the event it reported never happened
    assert _send_elsewhere(app)["sent"] == 0
    assert smtp.messages == []
    _queue(session, resident, 1)
    assert _send_elsewhere(app)["sent"] == 1


def test_failed_sends_are_retried_after_a_back_off_then_given_up(app, session, smtp, resident):
    app.config["SMTP_URL"] = smtp.url
    _queue(session, resident, 1)
    smtp.fail_next = 1
    assert _send(app, session)["retrying"] == 1
    note = session.execute(select(Notification)).scalar_one()
    assert (note.email_status, note.email_attempts) == ("pending", 1) and "451" in note.last_error
    assert _send(app, session, NOW + timedelta(minutes=1))["sent"] == 0  # still backing off
    assert _send(app, session, NOW + timedelta(minutes=3))["sent"] == 1
    note = session.execute(select(Notification)).scalar_one()
    assert (note.email_status, note.email_attempts, note.last_error) == ("sent", 2, None)
    assert len(smtp.messages) == 1

    _queue(session, resident, 1)
    smtp.fail_next = 100
    at = NOW
    for _ in range(mailer.MAX_ATTEMPTS + 2):
        at += timedelta(hours=1)
        _send(app, session, at)
    last = session.execute(select(Notification).order_by(Notification.id.desc())).scalars().first()
    assert (last.email_status, last.email_attempts) == ("failed", mailer.MAX_ATTEMPTS)
    assert smtp.fail_next == 100 - mailer.MAX_ATTEMPTS  # no attempt after giving up


def test_without_smtp_the_notice_is_logged_and_skipped(app, session, resident, caplog):
    app.config["SMTP_URL"] = ""
    _queue(session, resident, 1)
    with caplog.at_level(logging.INFO, logger="innocell.mailer"):
        assert _send(app, session)["skipped"] == 1
    assert "rita@example.test" in caplog.text and "Notice 0" in caplog.text
    assert _statuses(session) == ["skipped"]


def test_reminder_emails_can_be_turned_off_but_stay_in_the_inbox(app, session, smtp, resident):
    app.config["SMTP_URL"] = smtp.url
    resident.email_reminders = False
    session.commit()
    _queue(session, resident, 1, kind="reminder")
    _queue(session, resident, 1, kind="no_show")
    counts = _send(app, session)
    assert (counts["sent"], counts["skipped"]) == (1, 1)
    assert [m["Subject"] for _, m in smtp.messages] == ["Notice 0"]
    reminder = session.execute(select(Notification).where(Notification.kind == "reminder")).scalar_one()
    assert reminder.email_status == "skipped" and reminder.read_at is None


def test_two_senders_at_once_send_each_notice_once(app, session, smtp, resident):
    app.config["SMTP_URL"] = smtp.url
    _queue(session, resident, 12)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sender():
        try:
            with app.app_context():
                barrier.wait()
                results.append(mailer.send_pending(db.session(), NOW, app.config))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r["sent"] for r in results) == 12
    assert sorted(m["Subject"] for _, m in smtp.messages) == sorted(f"Notice {i}" for i in range(12))
    session.rollback()
    assert _statuses(session) == ["sent"] * 12


def test_smtp_url_parsing():
    s = mailer.parse_smtp_url("smtps://u%40x:p%3Aw@mail.example.com")
    assert (s.host, s.port, s.username, s.password, s.use_ssl) == ("mail.example.com", 465, "u@x", "p:w", True)
    assert mailer.parse_smtp_url("smtp://relay:2525?starttls=1").starttls is True
    with pytest.raises(ValueError):
        mailer.parse_smtp_url("http://relay")
