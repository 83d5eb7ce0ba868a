"""Accounts: creating users, signing in (throttled: services.login_throttle), changing
passwords, signing out, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import ROLES, ApiToken, User
from . import Conflict, RuleViolation, login_throttle
from .login_throttle import EMAIL_MAX, attempt_email, attempt_ip
from .login_throttle import Throttled, ThrottlePolicy  # noqa: F401  (the web layer imports them from here)
from .notifications import notify
from .passwords import MIN_LENGTH as MIN_PASSWORD  # noqa: F401
from .passwords import password_problem
from .tx import transaction

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMY: dict = {}


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


def _violations(*, email: str, password: str, role: str, priority_tier) -> list[dict]:
    violations = []
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > EMAIL_MAX \
            or not email.isprintable():
        violations.append({"rule": "email", "message": "Enter a valid email address."})
    if role not in ROLES:
        violations.append({"rule": "role", "message": f"Role must be one of {', '.join(ROLES)}."})
    problem = password_problem(password, email)
    if problem:
        violations.append({"rule": "password", "message": problem})
    if not isinstance(priority_tier, int) or priority_tier < 1:
        violations.append({"rule": "priority_tier", "message": "Priority tier is a whole number from 1 (first)."})
    return violations


@transaction
def create_user(session: Session, *, email: str, password: str, role: str, now: datetime, name: str | None = None,
                company: str | None = None, priority_tier: int = 3) -> User:
    """Create an account; refuses an existing email (409) or invalid fields, a weak password
    included (422, see services.passwords)."""
    email = normalise_email(email)
    violations = _violations(email=email, password=password, role=role, priority_tier=priority_tier)
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


@transaction
def register_resident(session: Session, *, email: str, password: str, now: datetime, name: str | None = None,
                      company: str | None = None) -> User | None:
    """Self-registration that never says whether an email has an account: invalid fields are
    refused alike (422), but for a taken email nothing is created, the password is hashed all
    the same (equal time) and the owner is told in their inbox (once a day at most). Returns
    the new user, or None when the email was taken; the page answers the same either way."""
    email = normalise_email(email)
    violations = _violations(email=email, password=password, role="resident", priority_tier=3)
    if violations:
        raise RuleViolation(violations[0]["message"], violations=violations)
    owner = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if owner is None:
        return create_user(session, email=email, password=password, role="resident", now=now, name=name,
                           company=company)
    hash_password(password)  # the same work as creating the account, so timing tells nothing
    notify(session, user_id=owner.id, kind="account_registration_attempt", now=now,
           subject="Someone tried to create an InnoCell account with your email",
           body="Someone used your email address on the registration page. No new account was created. "
                "If it was you, sign in with your existing account. If you forgot your password, ask the "
                "park office to reset it. If it was not you, you need do nothing.",
           dedupe_key=f"registration-attempt:{owner.id}:{now.date().isoformat()}")
    return None


def _dummy_hash() -> str:
    """A hash made by the current hasher, verified when there is no account to verify against,
    so an unknown email costs as much as a wrong password."""
    if _DUMMY.get("hasher") is not _hasher:
        _DUMMY.update(hasher=_hasher, hash=_hasher.hash(secrets.token_urlsafe(16)))
    return _DUMMY["hash"]


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _account_for_sign_in(session: Session, email: str) -> User | None:
    email = normalise_email(email)
    if not email or len(email) > EMAIL_MAX or not email.isprintable():
        return None  # no account can have it; no query with text the database may refuse
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    return user if user is not None and user.active else None


def authenticate(session: Session, *, email: str, password: str, now: datetime, ip: str | None,
                 policy: ThrottlePolicy) -> User | None:
    """Check credentials and record the attempt; raises Throttled (429) while this address or
    this account (from an unfamiliar address) must wait, see services.login_throttle.

    Exactly one password verification whatever the email: against the account's hash, or a
    dummy one when the email is unknown or the account inactive, so timing does not tell
    whether an account exists. The slow hash runs before the write transaction begins."""
    key, address = attempt_email(email), attempt_ip(ip)
    login_throttle.check(session, email=key, ip=address, now=now, policy=policy)
    user = _account_for_sign_in(session, email)
    ok = _verify(user.password_hash if user is not None else _dummy_hash(), password or "")
    ok = ok and user is not None
    _record_attempt(session, key=key, address=address, now=now, user=user if ok else None, password=password,
                    policy=policy)
    return user if ok else None


@transaction
def _record_attempt(session: Session, *, key: str, address: str, now: datetime, user: User | None, password: str,
                    policy: ThrottlePolicy) -> None:
    """Guesses that raced past the first throttle check are refused here, under the lock."""
    login_throttle.serialise(session)
    login_throttle.check(session, email=key, ip=address, now=now, policy=policy)
    if user is not None and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    login_throttle.record(session, email=key, ip=address, now=now, ok=user is not None)


@transaction
def rotate_session_token(session: Session, user: User) -> None:
    """Invalidate every browser session of the user (sign-out everywhere)."""
    user.session_token = secrets.token_hex(16)


@transaction
def revoke_all_tokens(session: Session, user: User, *, now: datetime) -> int:
    """Revoke every live API token of the user; returns how many."""
    return session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
        .values(revoked_at=now).execution_options(synchronize_session=False)
    ).rowcount or 0


@transaction
def sign_out(session: Session, user: User, *, now: datetime, revoke_api_tokens: bool = False) -> int:
    """Sign the user out of every browser (session token rotated) and, when asked, revoke the
    account's API tokens too (scripts and integrations stop working). Returns tokens revoked."""
    rotate_session_token(session, user)
    return revoke_all_tokens(session, user, now=now) if revoke_api_tokens else 0


@transaction
def change_password(session: Session, user: User, new_password: str, *, now: datetime) -> int:
    """Set a new password (the same rules as at sign-up) and end whatever the old one opened:
    every API token is revoked and every browser session ends (session token rotated); a page
    that calls this signs the current browser in again with `login_user`. Re-authenticating
    the person first (current password, fresh login) is the caller's job. Returns tokens revoked."""
    problem = password_problem(new_password, user.email)
    if problem:
        raise RuleViolation(problem, violations=[{"rule": "password", "message": problem}])
    user.password_hash = hash_password(new_password)
    rotate_session_token(session, user)
    return revoke_all_tokens(session, user, now=now)


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
