"""Sign-in throttling (services/login_throttle.py) as an attacker meets it, on SQLite and
PostgreSQL: growing delays per address and per account, no lock-out of the owner, exactly one
password check whatever the email (no timing tells who has an account), bounded rows and the
prune_logins job."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import innocell.services.accounts as accounts_service
from innocell.jobs.runner import run_job
from innocell.models import LoginAttempt
from innocell.services.login_throttle import Throttled, ThrottlePolicy, delay_for, prune

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
PASSWORD = "tram-harbour-7"
ATTACKER, OWNER_HOME, OWNER_NEW = "203.0.113.9", "198.51.100.7", "192.0.2.44"
POLICY = ThrottlePolicy(account_failures=5, address_failures=12, distributed_failures=8, window=timedelta(hours=24),
                        max_delay=900, familiar=timedelta(days=30))


def sign_in(session, email, password, ip, at=NOW, policy=POLICY):
    return accounts_service.authenticate(session, email=email, password=password, now=at, ip=ip, policy=policy)


def fail(session, email, ip, times=1, at=NOW):
    for _ in range(times):
        assert sign_in(session, email, "wrong-guess", ip, at) is None


def attempts(session, *where) -> int:
    return session.execute(select(func.count(LoginAttempt.id)).where(*where)).scalar_one()


@pytest.fixture
def owner(make_user):
    return make_user("manager", email="owner@park.example")


def test_the_delay_doubles_past_the_limit_up_to_the_cap():
    assert [delay_for(n, 5, 900) for n in (0, 4, 5, 6, 7, 8, 14, 15, 60)] == [0, 0, 1, 2, 4, 8, 512, 900, 900]


def test_guesses_from_one_address_wait_longer_each_time_and_are_not_recorded_while_waiting(session, owner):
    fail(session, owner.email, ATTACKER, times=5)
    at = NOW
    for expected_wait in (1, 2, 4, 8):
        with pytest.raises(Throttled) as refused:
            sign_in(session, owner.email, PASSWORD, ATTACKER, at)  # even the right password
        assert refused.value.retry_after == expected_wait and refused.value.status == 429
        assert "Too many failed sign-ins" in refused.value.message
        with pytest.raises(Throttled):
            sign_in(session, owner.email, PASSWORD, ATTACKER, at + timedelta(seconds=expected_wait - 1))
        at += timedelta(seconds=expected_wait)
        fail(session, owner.email, ATTACKER, at=at)  # allowed again once the wait is over
    assert attempts(session, LoginAttempt.success.is_(False)) == 9  # refused attempts add nothing


def test_five_wrong_guesses_from_one_address_do_not_stop_the_owner_at_another(session, owner):
    fail(session, owner.email, ATTACKER, times=5)
    with pytest.raises(Throttled):
        sign_in(session, owner.email, PASSWORD, ATTACKER)
    assert sign_in(session, owner.email, PASSWORD, OWNER_NEW) == owner  # never seen this address before


def test_an_address_guessing_many_accounts_is_slowed_and_cannot_reset_with_its_own_account(session, make_user):
    attacker = make_user(email="mallory@example.test")
    victims = [make_user(email=f"victim{i}@example.test") for i in range(6)]
    for victim in victims:
        fail(session, victim.email, ATTACKER, times=2)  # 12 failures, never 5 on one account
    with pytest.raises(Throttled) as refused:
        sign_in(session, attacker.email, PASSWORD, ATTACKER)
    assert "from this address" in refused.value.message
    # A colleague behind another address is not affected.
    assert sign_in(session, victims[0].email, PASSWORD, OWNER_HOME) == victims[0]

    # After the wait the attacker signs in to their own account: that forgives nothing of the
    # failures against other accounts, so the next guess waits longer still.
    later = NOW + timedelta(seconds=1)
    assert sign_in(session, attacker.email, PASSWORD, ATTACKER, later) == attacker
    fail(session, victims[1].email, ATTACKER, at=later)
    with pytest.raises(Throttled) as again:
        sign_in(session, victims[2].email, "guess", ATTACKER, later + timedelta(seconds=1))
    assert again.value.retry_after == 1  # 13 failures: 2 s after the last one


def test_guessing_spread_over_many_addresses_slows_strangers_but_not_the_owner_at_home(session, owner):
    assert sign_in(session, owner.email, PASSWORD, OWNER_HOME, NOW - timedelta(days=3)) == owner
    for i in range(8):
        fail(session, owner.email, f"10.66.0.{i}")  # one guess each: no address reaches its own limit

    with pytest.raises(Throttled) as stranger:
        sign_in(session, owner.email, "guess", "10.66.0.99")
    assert "for this account" in stranger.value.message
    with pytest.raises(Throttled):
        sign_in(session, owner.email, PASSWORD, OWNER_NEW)  # the owner on a new device waits too...
    assert sign_in(session, owner.email, PASSWORD, OWNER_HOME) == owner  # ...but not at home


def test_a_familiar_address_is_one_used_within_the_familiar_period(session, owner):
    assert sign_in(session, owner.email, PASSWORD, OWNER_HOME, NOW - timedelta(days=31)) == owner
    for i in range(8):
        fail(session, owner.email, f"10.66.0.{i}")
    with pytest.raises(Throttled):
        sign_in(session, owner.email, PASSWORD, OWNER_HOME)  # last seen there 31 days ago


def test_a_successful_sign_in_starts_the_counts_afresh(session, owner):
    fail(session, owner.email, OWNER_HOME, times=5)  # the owner's own typos
    with pytest.raises(Throttled):
        sign_in(session, owner.email, PASSWORD, OWNER_HOME)
    later = NOW + timedelta(seconds=1)
    assert sign_in(session, owner.email, PASSWORD, OWNER_HOME, later) == owner
    fail(session, owner.email, OWNER_HOME, times=4, at=later)
    assert sign_in(session, owner.email, PASSWORD, OWNER_HOME, later) == owner

    for i in range(8):
        fail(session, owner.email, f"10.66.0.{i}", at=later)
    with pytest.raises(Throttled):
        sign_in(session, owner.email, PASSWORD, OWNER_NEW, later)
    assert sign_in(session, owner.email, PASSWORD, OWNER_HOME, later) == owner  # resets the spread count
    assert sign_in(session, owner.email, PASSWORD, OWNER_NEW, later) == owner


def test_failures_older_than_the_window_no_longer_count(session, owner):
    fail(session, owner.email, ATTACKER, times=5, at=NOW - timedelta(hours=25))
    with pytest.raises(Throttled):
        sign_in(session, owner.email, PASSWORD, ATTACKER, NOW - timedelta(hours=25))
    assert sign_in(session, owner.email, PASSWORD, ATTACKER) == owner


def test_an_unknown_email_is_throttled_exactly_like_a_known_one(session, owner):
    fail(session, "nobody@park.example", ATTACKER, times=5)
    with pytest.raises(Throttled) as unknown:
        sign_in(session, "nobody@park.example", "guess", ATTACKER)
    fail(session, owner.email, OWNER_NEW, times=5)
    with pytest.raises(Throttled) as known:
        sign_in(session, owner.email, "guess", OWNER_NEW)
    assert (unknown.value.retry_after, unknown.value.message) == (known.value.retry_after, known.value.message)


# ----------------------------------------------------------------------------- enumeration by timing


class CountingHasher:
    """The suite's cheap argon2 hasher, counting the expensive calls."""

    def __init__(self, real):
        self.real, self.calls = real, {"hash": 0, "verify": 0}

    def hash(self, password):
        self.calls["hash"] += 1
        return self.real.hash(password)

    def verify(self, password_hash, password):
        self.calls["verify"] += 1
        return self.real.verify(password_hash, password)

    def check_needs_rehash(self, password_hash):
        return self.real.check_needs_rehash(password_hash)


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher(accounts_service._hasher)
    monkeypatch.setattr(accounts_service, "_hasher", counting)
    accounts_service._dummy_hash()  # made once per hasher, like at the first sign-in of a process
    counting.calls.update(hash=0, verify=0)
    return counting


@pytest.mark.parametrize("case", ["right password", "wrong password", "unknown email", "inactive account",
                                  "email too long for any account", "email with a control character"])
def test_every_sign_in_costs_exactly_one_password_verification(session, make_user, hasher, case):
    make_user(email="owner@park.example")
    make_user(email="gone@park.example", active=False)
    email, password = {
        "right password": ("owner@park.example", PASSWORD),
        "wrong password": ("owner@park.example", "wrong-guess"),
        "unknown email": ("nobody@park.example", PASSWORD),
        "inactive account": ("gone@park.example", PASSWORD),
        "email too long for any account": ("x" * 5000 + "@park.example", PASSWORD),
        "email with a control character": ("owner\x00@park.example", PASSWORD),
    }[case]
    hasher.calls.update(hash=0, verify=0)  # creating the accounts hashed their passwords
    user = sign_in(session, email, password, ATTACKER)

    assert (user is not None) == (case == "right password")
    assert hasher.calls == {"hash": 0, "verify": 1}


# ----------------------------------------------------------------------------- bounded storage, pruning


def test_what_is_stored_of_an_attempt_is_bounded(session):
    sign_in(session, "  " + "A" * 100_000 + "@Example.test\x00", "guess", "2001:db8::" + "f" * 200)
    row = session.execute(select(LoginAttempt)).scalar_one()
    assert row.email == "a" * 254 and len(row.ip) == 64 and not row.success


def test_prune_keeps_what_the_counts_read_and_is_idempotent(app, session, owner):
    sign_in(session, owner.email, PASSWORD, OWNER_HOME, NOW - timedelta(days=40))  # success, too old
    sign_in(session, owner.email, PASSWORD, OWNER_HOME, NOW - timedelta(days=20))  # success, still familiar
    fail(session, owner.email, ATTACKER, times=3, at=NOW - timedelta(hours=30))  # past the window
    fail(session, owner.email, ATTACKER, times=2, at=NOW - timedelta(hours=2))

    assert prune(session, now=NOW, policy=POLICY) == 4
    assert attempts(session) == 3
    assert prune(session, now=NOW, policy=POLICY) == 0

    # The scheduled job does the same with the configured policy (24 h window, 30 days familiar).
    fail(session, owner.email, ATTACKER, at=NOW - timedelta(days=2))
    result = run_job(app, "prune_logins", NOW, "scheduler")
    session.rollback()
    assert (result.status, result.counts) == ("ran", {"old sign-in attempts removed": 1})
    assert attempts(session) == 3
