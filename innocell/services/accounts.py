"""Accounts: creating users, signing in (throttled: services.login_throttle), changing
passwords, signing out, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ..models import ROLES, ApiToken, Company, User
from . import Conflict, NotFound, RuleViolation, login_throttle
from . import companies as company_service
from .companies import MAX_TIER
from .login_throttle import EMAIL_MAX, attempt_email, attempt_ip
from .login_throttle import Throttled, ThrottlePolicy  # noqa: F401  (the web layer imports them from here)
from .notifications import notify
from .wording import _
from .passwords import MIN_LENGTH as MIN_PASSWORD  # noqa: F401
from .passwords import password_problem
from .tx import transaction
from .phrasing import current, gettext

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMY: dict = {}
NO_PASSWORD = "!invited"  # no password verifies against it (not an argon2 hash)


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


def _violations(*, email: str, password: str | None, role: str, priority_tier, invited: bool = False) -> list[dict]:
    violations = []
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > EMAIL_MAX \
            or not email.isprintable():
        violations.append({"rule": "email", "message": gettext("Enter a valid email address.")})
    if role not in ROLES:
        violations.append({"rule": "role", "message": gettext("Role must be one of %(join)s.", join=', '.join(ROLES))})
    problem = None if invited else password_problem(password, email, current())
    if problem:
        violations.append({"rule": "password", "message": problem})
    if isinstance(priority_tier, bool) or not isinstance(priority_tier, int) or not 1 <= priority_tier <= MAX_TIER:
        violations.append({"rule": "priority_tier",
                           "message": gettext("Priority tier is a whole number from 1 (first) to %(max_tier)s.", max_tier=MAX_TIER)})
    return violations


@transaction
def create_user(session: Session, *, email: str, password: str | None, role: str, now: datetime,
                name: str | None = None, company: str | Company | None = None, priority_tier: int | None = None,
                verified: bool = True, invited: bool = False, pending_approval: bool = False,
                requested_company: str | None = None) -> User:
    """Create an account; refuses an existing email (409) or invalid fields, a weak password
    included (422, see services.passwords).

    `company` is a Company or a name (made a company record when the park has none of that
    name: the command line and the demo name companies as text). The tier defaults to the
    company's default tier, else 3. An operator's account counts as `verified`; a registered
    one confirms its email by a link. An `invited` account has no password until the person
    chooses one from the invitation link; one `pending_approval` cannot sign in until approved."""
    email = normalise_email(email)
    if isinstance(company, str) or company is None:
        company = company_service.resolve(session, company, now=now)
    if priority_tier is None:
        priority_tier = company.default_priority_tier if company is not None else 3
    violations = _violations(email=email, password=password, role=role, priority_tier=priority_tier,
                             invited=invited)
    if violations:
        raise RuleViolation(violations[0]["message"], violations=violations)
    if session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(gettext("An account with the email %(email)s already exists.", email=email))
    user = User(email=email, name=(name or email.split("@")[0]).strip(), role=role,
                company_id=company.id if company is not None else None, priority_tier=priority_tier,
                password_hash=NO_PASSWORD if invited else hash_password(password), active=not pending_approval,
                pending_approval=pending_approval, requested_company=requested_company,
                email_verified_at=now if verified else None, invited_at=now if invited else None,
                session_token=secrets.token_hex(16), created_at=now)
    session.add(user)
    session.flush()
    return user


@transaction
def register_resident(session: Session, *, email: str, password: str, now: datetime, name: str | None = None,
                      company: str | Company | None = None, **account) -> User | None:
    """Self-registration that never says whether an email has an account: invalid fields are
    refused alike (422), but for a taken email nothing is created, the password is hashed all
    the same (equal time) and the owner is told in their inbox (once a day at most). Returns
    the new user, or None when the email was taken; the page answers the same either way.
    Who may register at all is services.registration's policy; `account` passes its terms
    (priority_tier, verified, pending_approval, requested_company) to create_user."""
    email = normalise_email(email)
    violations = _violations(email=email, password=password, role="resident", priority_tier=3)
    if violations:
        raise RuleViolation(violations[0]["message"], violations=violations)
    owner = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if owner is None:
        return create_user(session, email=email, password=password, role="resident", now=now, name=name,
                           company=company, **account)
    hash_password(password)  # the same work as creating the account, so timing tells nothing
    notify(session, user_id=owner.id, kind="account_registration_attempt", now=now,
           subject=_("Someone tried to create an InnoCell account with your email"),
           body=_("Someone used your email address on the registration page. No new account was created. "
                  "If it was you, sign in with your existing account. If you forgot your password, use "
                  "'Forgot your password?' on the sign-in page. If it was not you, you need do nothing."),
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
    if user is not None:
        user.last_login_at = now
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
    problem = password_problem(new_password, user.email, current())
    if problem:
        raise RuleViolation(problem, violations=[{"rule": "password", "message": problem}])
    user.password_hash = hash_password(new_password)
    rotate_session_token(session, user)
    return revoke_all_tokens(session, user, now=now)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction
def issue_token(session: Session, user: User, *, now: datetime, hours: int, name: str | None = None) -> tuple[str, ApiToken]:
    """A new bearer token; only its hash is stored, the plain value is returned once."""
    plain = secrets.token_urlsafe(32)
    name = " ".join(name.split())[:100] or None if isinstance(name, str) else None
    row = ApiToken(user_id=user.id, token_hash=_digest(plain), created_at=now, expires_at=now + timedelta(hours=hours),
                   name=name)
    session.add(row)
    session.flush()
    return plain, row


def user_for_token(session: Session, plain: str, *, now: datetime) -> User | None:
    # The token and its user in one round trip.
    row = session.execute(select(ApiToken).options(joinedload(ApiToken.user))
                          .where(ApiToken.token_hash == _digest(plain))).scalar_one_or_none()
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


def live_tokens(session: Session, user_id: int, *, now: datetime) -> list[ApiToken]:
    """The account's API tokens that still work, newest first."""
    return list(session.execute(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None),
                                                       ApiToken.expires_at > now)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars())


@transaction
def revoke_own_token(session: Session, user: User, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one of the user's tokens by its id (another's id is 'not found')."""
    row = session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    if row is None or row.user_id != user.id:
        raise NotFound(gettext("You have no such API token."))
    if row.revoked_at is None:
        row.revoked_at = now
    return row


def change_own_password(session: Session, user: User, *, current: str, new_password: str, now: datetime,
                        ip: str | None, policy: ThrottlePolicy) -> int:
    """The signed-in person changes their password, giving the current one: a wrong one
    counts as a failed sign-in (throttled like one), so a borrowed session cannot guess it.
    Then change_password: every other session ends and every API token is revoked."""
    key, address = attempt_email(user.email), attempt_ip(ip)
    login_throttle.check(session, email=key, ip=address, now=now, policy=policy)
    if not _verify(user.password_hash, current or ""):
        _record_attempt(session, key=key, address=address, now=now, user=None, password="", policy=policy)
        raise RuleViolation(gettext("The current password is not right."),
                            violations=[{"rule": "current", "message": gettext("The current password is not right.")}])
    return change_password(session, user, new_password, now=now)


@transaction
def rename(session: Session, user: User, name: str) -> User:
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise RuleViolation(gettext("Give your name (at most 200 characters)."),
                            violations=[{"rule": "name", "message": gettext("Give your name (at most 200 characters).")}])
    user.name = name
    return user
