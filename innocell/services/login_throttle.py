"""Sign-in throttling that slows a guesser without locking the owner out.

A hard lock-out (five wrong passwords lock the account for 15 minutes) let any stranger lock
anyone out, staff included. Instead three counts of failed sign-ins; past its limit each one
makes the next attempt wait 2^k seconds after the last counted failure (k = failures beyond
the limit; at most `max_delay`):

- one account from one address (`account_failures`): someone guessing one person's password;
- one address, any account (`address_failures`, higher: offices share an address): someone
  trying a few passwords on many accounts;
- one account from every address the owner has not signed in from recently
  (`distributed_failures`, checked only for such addresses): guessing spread over many
  addresses. The owner, at an address they signed in from within `familiar`, never waits
  for it.

So wrong guesses from one address never hold up the owner at another address. A failure of the
first two counts is forgiven once the same account signs in from the same address (the owner's
own typos), never by another account's success, so an attacker cannot reset them with an
account of their own; the third starts afresh at the account's successful sign-in.

The counts are read from `login_attempts`, so every app process sees the same. A throttled
attempt is refused before the password is checked and is not recorded (it must not lengthen
the wait). Rows are bounded (normalised email, at most 254 characters; the address, at most
64) and `prune` removes those no count reads any more (job prune_logins).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from ..models import LoginAttempt
from . import ServiceError
from .tx import transaction

EMAIL_MAX = 254  # RFC 5321: no deliverable address is longer
IP_MAX = 64


class Throttled(ServiceError):
    """429 too_many_requests; `retry_after` is the whole number of seconds to wait."""

    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ThrottlePolicy:
    account_failures: int = 5
    address_failures: int = 20
    distributed_failures: int = 20
    window: timedelta = timedelta(hours=24)
    max_delay: int = 900
    familiar: timedelta = timedelta(days=30)

    @classmethod
    def from_config(cls, config) -> ThrottlePolicy:
        return cls(account_failures=int(config["LOGIN_MAX_FAILURES"]),
                   address_failures=int(config["LOGIN_ADDRESS_MAX_FAILURES"]),
                   distributed_failures=int(config["LOGIN_ACCOUNT_MAX_FAILURES"]),
                   window=timedelta(minutes=int(config["LOGIN_FAILURE_WINDOW_MINUTES"])),
                   max_delay=int(config["LOGIN_MAX_DELAY_SECONDS"]),
                   familiar=timedelta(days=int(config["LOGIN_FAMILIAR_DAYS"])))


def _printable(value: str) -> str:
    return "".join(ch for ch in value if ch.isprintable())


def attempt_email(email: str | None) -> str:
    """The email as stored on an attempt: trimmed, lower case, printable, at most 254 characters."""
    return _printable((email or "").strip().lower())[:EMAIL_MAX]


def attempt_ip(ip: str | None) -> str:
    return _printable(ip or "")[:IP_MAX]


def delay_for(failures: int, limit: int, max_delay: int) -> int:
    """Seconds to wait after the last failure: none below the limit, then 1, 2, 4, ... max_delay."""
    if failures < limit:
        return 0
    return min(2 ** min(failures - limit, 30), max_delay)


def _wait(count: int, last: datetime | None, limit: int, policy: ThrottlePolicy, now: datetime) -> int:
    delay = delay_for(count, limit, policy.max_delay)
    if not delay or last is None:
        return 0
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(math.ceil(remaining), 0)


def familiar_addresses(session: Session, email: str, *, now: datetime, policy: ThrottlePolicy) -> set[str]:
    """Addresses the account signed in from successfully within `policy.familiar`."""
    return set(session.execute(
        select(LoginAttempt.ip).distinct().where(
            LoginAttempt.email == email, LoginAttempt.success.is_(True), LoginAttempt.at >= now - policy.familiar)
    ).scalars())


def address_failures(session: Session, ip: str, email: str, *, now: datetime, policy: ThrottlePolicy):
    """(count, last failure time) of the address's failures, and the same for this account from
    this address, leaving out failures forgiven by a later success of the same account from
    the same address."""
    failure, later = LoginAttempt, aliased(LoginAttempt)
    forgiven = exists().where(later.ip == failure.ip, later.email == failure.email, later.success.is_(True),
                              later.id > failure.id)
    this_account = failure.email == email
    return session.execute(
        select(func.count(failure.id), func.max(failure.at),
               func.count(case((this_account, failure.id))), func.max(case((this_account, failure.at))))
        .where(failure.ip == ip, failure.success.is_(False), failure.at >= now - policy.window, ~forgiven)
    ).one()


def distributed_failures(session: Session, email: str, *, now: datetime, policy: ThrottlePolicy,
                         familiar: set[str]):
    """(count, last failure time) of the account's failures from unfamiliar addresses since its
    last successful sign-in."""
    last_success = select(func.coalesce(func.max(LoginAttempt.id), 0)).where(
        LoginAttempt.email == email, LoginAttempt.success.is_(True)).scalar_subquery()
    query = select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
        LoginAttempt.email == email, LoginAttempt.success.is_(False), LoginAttempt.at >= now - policy.window,
        LoginAttempt.id > last_success)
    if familiar:
        query = query.where(LoginAttempt.ip.not_in(familiar))
    return session.execute(query).one()


def _in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def check(session: Session, *, email: str, ip: str, now: datetime, policy: ThrottlePolicy) -> None:
    """Raise Throttled while any of the three counts (module docstring) must still wait.
    `email` and `ip` are as stored (attempt_email, attempt_ip)."""
    count, last, pair_count, pair_last = address_failures(session, ip, email, now=now, policy=policy)
    waits = [(_wait(pair_count, pair_last, policy.account_failures, policy, now), "for this account from here"),
             (_wait(count, last, policy.address_failures, policy, now), "from this address")]
    familiar = familiar_addresses(session, email, now=now, policy=policy)
    if ip not in familiar:
        count, last = distributed_failures(session, email, now=now, policy=policy, familiar=familiar)
        waits.append((_wait(count, last, policy.distributed_failures, policy, now), "for this account"))
    seconds, where = max(waits)
    if seconds:
        raise Throttled(f"Too many failed sign-ins {where}. Try again in {_in_words(seconds)}.", retry_after=seconds)


def serialise(session: Session) -> None:
    """Inside the recording transaction: one sign-in records at a time, so guesses that raced
    past the first check are counted before the next is decided. SQLite's BEGIN IMMEDIATE
    already does that; PostgreSQL takes a transaction-scoped advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7420190001)"))


def record(session: Session, *, email: str, ip: str, now: datetime, ok: bool) -> None:
    session.add(LoginAttempt(email=email, ip=ip, at=now, success=ok))


@transaction
def prune(session: Session, *, now: datetime, policy: ThrottlePolicy) -> int:
    """Delete attempts no counter reads any more: failures older than the window, successes
    older than the familiar-address period (and the window: a success forgives older failures).
    Idempotent."""
    keep_successes = max(policy.familiar, policy.window)
    result = session.execute(
        delete(LoginAttempt).where(or_(
            and_(LoginAttempt.success.is_(False), LoginAttempt.at < now - policy.window),
            and_(LoginAttempt.success.is_(True), LoginAttempt.at < now - keep_successes),
        )).execution_options(synchronize_session=False))
    return result.rowcount or 0
