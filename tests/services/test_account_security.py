"""Accounts against abuse, on SQLite and PostgreSQL: weak passwords refused wherever one is
set, registration that does not reveal who has an account, a password change and a sign-out
that end what the old credentials opened (API tokens, browser sessions)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import innocell.services.accounts as accounts_service
from innocell.models import ApiToken, Notification, User
from innocell.services import RuleViolation
from innocell.services.accounts import (change_password, create_user, issue_token, register_resident, sign_out,
                                        user_for_token, verify_password)

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def count(session, model, *where) -> int:
    return session.execute(select(func.count(model.id)).where(*where)).scalar_one()


# ----------------------------------------------------------------------------- weak passwords


@pytest.mark.parametrize("password,reason", [
    ("12345678", "most common passwords"), ("password", "most common passwords"), ("short", "at least 8"),
    ("Sunshine2026!", "digits or symbols"), ("ivy.ho.2026", "'ivy.ho'"),
])
def test_create_user_refuses_a_weak_password_and_writes_nothing(session, password, reason):
    with pytest.raises(RuleViolation) as refused:
        create_user(session, email="Ivy.Ho@park.example", password=password, role="resident", now=NOW)
    assert reason in refused.value.message
    assert refused.value.extra["violations"][0]["rule"] == "password"
    assert count(session, User) == 0


def test_create_user_refuses_an_email_no_mailbox_can_have(session):
    for email in ("a" * 250 + "@x.example", "ivy\x00@park.example"):
        with pytest.raises(RuleViolation) as refused:
            create_user(session, email=email, password="tram-harbour-7", role="resident", now=NOW)
        assert refused.value.extra["violations"][0]["rule"] == "email"
    assert count(session, User) == 0


# ----------------------------------------------------------------------------- registration


def test_registration_with_a_taken_email_creates_nothing_and_tells_the_owner_once_a_day(session, make_user):
    owner = make_user(email="ivy@park.example", name="Ivy Ho")
    hash_before = owner.password_hash

    for at in (NOW, NOW + timedelta(hours=1)):
        assert register_resident(session, email=" IVY@park.example", password="another-tram-9", now=at,
                                 name="Intruder", company="X") is None
    assert count(session, User) == 1
    session.refresh(owner)
    assert (owner.name, owner.password_hash) == ("Ivy Ho", hash_before)
    notes = session.execute(select(Notification).where(Notification.user_id == owner.id)).scalars().all()
    assert len(notes) == 1 and "tried to create an InnoCell account with your email" in notes[0].subject

    register_resident(session, email="ivy@park.example", password="another-tram-9", now=NOW + timedelta(days=1))
    assert count(session, Notification, Notification.user_id == owner.id) == 2


def test_registration_refuses_a_weak_password_alike_for_a_taken_or_a_new_email(session, make_user):
    make_user(email="ivy@park.example")
    for email in ("ivy@park.example", "new@park.example"):
        with pytest.raises(RuleViolation) as refused:
            register_resident(session, email=email, password="password1", now=NOW)
        assert "most common passwords" in refused.value.message
    assert count(session, User) == 1 and count(session, Notification) == 0


def test_registration_costs_one_password_hash_whether_or_not_the_email_is_taken(session, make_user, monkeypatch):
    make_user(email="ivy@park.example")
    real, calls = accounts_service._hasher, []

    class Counting:
        def hash(self, password):
            calls.append(password)
            return real.hash(password)

    monkeypatch.setattr(accounts_service, "_hasher", Counting())
    assert register_resident(session, email="ivy@park.example", password="another-tram-9", now=NOW) is None
    assert len(calls) == 1
    assert register_resident(session, email="new@park.example", password="another-tram-9", now=NOW) is not None
    assert len(calls) == 2


# ----------------------------------------------------------------------------- change password, sign out


def test_changing_the_password_revokes_every_api_token_and_every_browser_session(session, make_user):
    user = make_user(email="ivy@park.example")
    other = make_user(email="other@park.example")
    tokens = [issue_token(session, user, now=NOW, hours=24)[0] for _ in range(2)]
    others_token = issue_token(session, other, now=NOW, hours=24)[0]
    session_token_before = user.session_token

    assert change_password(session, user, "violet-kowloon-tram", now=NOW) == 2

    session.refresh(user)
    assert verify_password(user, "violet-kowloon-tram") and not verify_password(user, "tram-harbour-7")
    assert user.session_token != session_token_before  # every copied browser cookie stops working
    assert all(user_for_token(session, token, now=NOW) is None for token in tokens)
    assert user_for_token(session, others_token, now=NOW) == other  # nobody else is touched
    assert count(session, ApiToken, ApiToken.user_id == user.id, ApiToken.revoked_at == NOW) == 2


def test_a_weak_new_password_is_refused_and_nothing_changes(session, make_user):
    user = make_user(email="ivy@park.example")
    token = issue_token(session, user, now=NOW, hours=24)[0]
    before = (user.password_hash, user.session_token)

    for weak in ("12345678", "ivy-2026-ivy"):
        with pytest.raises(RuleViolation):
            change_password(session, user, weak, now=NOW)

    session.refresh(user)
    assert (user.password_hash, user.session_token) == before
    assert user_for_token(session, token, now=NOW) == user


def test_sign_out_keeps_api_tokens_unless_asked_to_revoke_them(session, make_user):
    user = make_user(email="ivy@park.example")
    token = issue_token(session, user, now=NOW, hours=24)[0]

    assert sign_out(session, user, now=NOW) == 0
    assert user_for_token(session, token, now=NOW) == user

    first = user.session_token
    assert sign_out(session, user, now=NOW, revoke_api_tokens=True) == 1
    assert user_for_token(session, token, now=NOW) is None
    assert user.session_token != first
