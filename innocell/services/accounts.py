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
from .tx import transaction

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


@transaction
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
    for the right password, so guessing gains nothing. The password hash is checked before
    the write transaction begins, so the slow hash never holds the write lock."""
    email = normalise_email(email)
    since = now - timedelta(minutes=window_minutes)
    if failures_since(session, email, since) >= max_failures:
        raise Throttled(f"Too many failed sign-ins for this account. Try again in {window_minutes} minutes.")
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
    _record_attempt(session, email=email, ip=ip, now=now, ok=ok, user=user, password=password,
                    since=since, max_failures=max_failures, window_minutes=window_minutes)
    return user if ok else None


@transaction
def _record_attempt(session: Session, *, email: str, ip: str | None, now: datetime, ok: bool, user: User | None,
                    password: str, since: datetime, max_failures: int, window_minutes: int) -> None:
    """Guesses that raced past the first throttle check are refused here, under the lock."""
    if failures_since(session, email, since) >= max_failures:
        raise Throttled(f"Too many failed sign-ins for this account. Try again in {window_minutes} minutes.")
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.add(LoginAttempt(email=email, ip=ip, at=now, success=ok))


@transaction
def rotate_session_token(session: Session, user: User) -> None:
    """Invalidate every browser session of the user (sign-out everywhere)."""
    user.session_token = secrets.token_hex(16)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction
def issue_token(session: Session, user: User, *, now: datetime, hours: int) -> tuple[str, ApiToken]:
    """A new bearer token; only its hash is stored, the plain value is returned once."""
    plain = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(plain), created_at=now, expires_at=now + timedelta(hours=hours))
    session.add(row)
    session.flush()
    return plain, row


def user_for_token(session: Session, plain: str, *, now: datetime) -> User | None:
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _digest(plain))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    return row.user


@transaction
def revoke_token(session: Session, plain: str, *, now: datetime) -> bool:
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _digest(plain))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


def get_user_by_email(session: Session, email: str) -> User | None:
    """The account with this email (case and surrounding spaces ignored), or None."""
    return session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
