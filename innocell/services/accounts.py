"""Accounts: creating users, signing in with throttling, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import ROLES, ApiToken, LoginAttempt, User
from . import BadRequest, Conflict, RuleViolation
from .guard import begin_write

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(session: Session, *, email: str, password: str, role: str, now: datetime, name: str | None = None,
                company: str | None = None, priority_tier: int = 3) -> User:
    """Create an account; refuses an existing email (409) or invalid fields (422)."""
    email = normalise_email(email)
    violations = []
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 255:
        violations.append({"rule": "email", "message": "Enter a valid email address."})
    if role not in ROLES:
        violations.append({"rule": "role", "message": f"Role must be one of {', '.join(ROLES)}."})
    if not password or len(password) < MIN_PASSWORD:
        violations.append({"rule": "password", "message": f"The password needs at least {MIN_PASSWORD} characters."})
    if not isinstance(priority_tier, int) or priority_tier < 1:
        violations.append({"rule": "priority_tier", "message": "Priority tier is a whole number from 1 (first)."})
    if violations:
        raise RuleViolation(violations[0]["message"], violations=violations)
    if session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"An account with the email {email} already exists.")
    user = User(email=email, name=(name or email.split("@")[0]).strip(), role=role, company=company or None,
                priority_tier=priority_tier, password_hash=hash_password(password), active=True,
                session_token=secrets.token_hex(16), created_at=now)
    session.add(user)
    session.flush()
    return user


def failures_since(session: Session, email: str, since: datetime) -> int:
    return session.execute(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.email == email, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    ).scalar_one()


class Throttled(BadRequest):
    status, code = 429, "too_many_requests"


def authenticate(session: Session, *, email: str, password: str, now: datetime, ip: str | None,
                 max_failures: int, window_minutes: int) -> User | None:
    """Check credentials, recording the attempt. After `max_failures` failures within the
    window the account is throttled (raises Throttled) until the window has passed, even
    for the right password, so guessing gains nothing. Commits the attempt row."""
    email = normalise_email(email)
    since = now - timedelta(minutes=window_minutes)
    if failures_since(session, email, since) >= max_failures:
        session.rollback()
        raise Throttled(f"Too many failed sign-ins for this account. Try again in {window_minutes} minutes.")
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
    # Record the attempt in a write transaction of its own (BEGIN IMMEDIATE on SQLite): turning
    # the read above into a write fails at once with "database is locked" when another writer
    # committed meanwhile. Guesses that raced past the first check are refused here.
    begin_write(session)
    if failures_since(session, email, since) >= max_failures:
        session.rollback()
        raise Throttled(f"Too many failed sign-ins for this account. Try again in {window_minutes} minutes.")
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.add(LoginAttempt(email=email, ip=ip, at=now, success=ok))
    session.commit()
    return user if ok else None


def rotate_session_token(session: Session, user: User) -> None:
    """Invalidate every browser session of the user (sign-out everywhere)."""
    begin_write(session)  # a write transaction of its own (see authenticate)
    user.session_token = secrets.token_hex(16)
    session.commit()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, *, now: datetime, hours: int) -> tuple[str, ApiToken]:
    """A new bearer token; only its hash is stored, the plain value is returned once."""
    plain = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(plain), created_at=now, expires_at=now + timedelta(hours=hours))
    session.add(row)
    session.commit()
    return plain, row


def user_for_token(session: Session, plain: str, *, now: datetime) -> User | None:
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _digest(plain))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    return row.user


def revoke_token(session: Session, plain: str, *, now: datetime) -> bool:
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _digest(plain))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    session.commit()
    return True


def get_user_by_email(session: Session, email: str) -> User | None:
    """The account with this email (case and surrounding spaces ignored), or None."""
    return session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
