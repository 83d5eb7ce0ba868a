"""Migration 0003 on a database with people in it, on SQLite and PostgreSQL: each user's
free-text company becomes one company record (spacing and case folded), nothing that refers
to a user is lost while SQLite rebuilds the table, existing accounts count as confirmed, and
the downgrade gives the text back."""
from __future__ import annotations

from sqlalchemy import text

from innocell import create_app
from innocell.extensions import db

from tests.services.test_migrations import _flask_db, empty_database_url  # noqa: F401  (the fixture)

USERS = [("u0@x.example", "Acme Bio"), ("u1@x.example", "  acme   BIO "), ("u2@x.example", None),
         ("u3@x.example", ""), ("u4@x.example", "NanoBio Labs")]


def test_company_text_becomes_company_records_and_comes_back_on_downgrade(empty_database_url):
    app = create_app({"DATABASE_URL": empty_database_url, "SECRET_KEY": "test", "TESTING": True})
    with app.app_context():
        _flask_db(app, "upgrade", "0002_login_throttle")
        with db.engine.begin() as conn:
            for email, company in USERS:
                conn.execute(text(
                    "INSERT INTO users (email, name, role, company, priority_tier, password_hash, active, "
                    "session_token, email_reminders, created_at) VALUES (:e, 'n', 'resident', :c, 3, 'x', true, 't', "
                    "true, :at)"), {"e": email, "c": company, "at": "2026-01-01 00:00:00"})
            conn.execute(text("INSERT INTO notifications (user_id, kind, subject, body, created_at, email_status, "
                              "email_attempts) VALUES (1, 'k', 's', 'b', '2026-01-01 00:00:00', 'pending', 0)"))
            conn.execute(text("INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) "
                              "VALUES (1, 'h', '2026-01-01 00:00:00', '2027-01-01 00:00:00')"))

        _flask_db(app, "upgrade")

        with db.engine.connect() as conn:
            companies = conn.execute(text("SELECT id, name, name_key, status, default_priority_tier FROM companies "
                                          "ORDER BY id")).all()
            assert [tuple(c[1:]) for c in companies] == [("Acme Bio", "acme bio", "tenant", 3),
                                                         ("NanoBio Labs", "nanobio labs", "tenant", 3)]
            acme, nanobio = companies[0][0], companies[1][0]
            rows = conn.execute(text("SELECT email, company_id, email_verified_at IS NOT NULL FROM users "
                                     "ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [("u0@x.example", acme, True), ("u1@x.example", acme, True),
                                                ("u2@x.example", None, True), ("u3@x.example", None, True),
                                                ("u4@x.example", nanobio, True)]
            assert conn.execute(text("SELECT count(*) FROM notifications")).scalar_one() == 1
            assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 1

        _flask_db(app, "downgrade", "0002_login_throttle")

        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT email, company FROM users ORDER BY id")).all()
            assert [tuple(r) for r in back] == [("u0@x.example", "Acme Bio"), ("u1@x.example", "Acme Bio"),
                                                ("u2@x.example", None), ("u3@x.example", None),
                                                ("u4@x.example", "NanoBio Labs")]
            assert conn.execute(text("SELECT count(*) FROM notifications")).scalar_one() == 1
        db.session.remove()
        db.engine.dispose()
