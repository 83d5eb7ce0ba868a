"""The password rules (services/passwords.py): common and trivially guessable passwords are
refused with a reason a person can act on; ordinary passphrases pass."""
from __future__ import annotations

import pytest

from innocell.services.passwords import common_passwords, password_problem


@pytest.mark.parametrize("password", ["12345678", "password", "password1", "PassWord", "qwertyuiop", "iloveyou",
                                      "sunshine", "1q2w3e4r5t"])
def test_the_most_common_passwords_are_refused(password):
    assert "most common passwords" in password_problem(password)


@pytest.mark.parametrize("password", ["Sunshine2026!", "monkey-123", "!!dragon99", "password 2024"])
def test_a_common_password_with_digits_or_symbols_stuck_on_is_refused(password):
    assert "common password with digits or symbols" in password_problem(password)


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "abababab", "x1x1x1x1x1", "acegikmoqs", "zyxwvutsrq",
                                      "hjklhjkl", "Tram7-tram7-", "poiuytrewq"])
def test_runs_and_repeats_are_refused(password):
    problem = password_problem(password)
    assert problem is not None and ("run or repeat" in problem or "most common" in problem), problem


@pytest.mark.parametrize("password", ["wingchan", "WingChan-2026", "my name is wingchan"])
def test_a_password_containing_the_email_name_is_refused(password):
    problem = password_problem(password, "WingChan@harbour.example")
    assert problem is not None and "'wingchan'" in problem, problem


def test_a_password_the_email_name_contains_is_refused():
    assert "'wingchan.harbour'" in password_problem("wingchan", "wingchan.harbour@park.example")


def test_a_very_short_email_name_is_not_held_against_the_password():
    assert password_problem("violet-tram-ride", "vi@park.example") is None


@pytest.mark.parametrize("password", ["tram-harbour-7", "long-enough-1", "correct horse battery staple",
                                      "Kowloon bay at dusk", "q8#Lm2!vR0"])
def test_ordinary_passphrases_and_random_passwords_pass(password):
    assert password_problem(password, "wing@harbour.example") is None


def test_length_is_checked_first_and_has_a_ceiling():
    assert password_problem("") == password_problem(None) == "Use at least 8 characters."
    assert password_problem("Ab3$x") == "Use at least 8 characters."
    assert password_problem("violet-tram " * 100) == "Use at most 1024 characters."


def test_the_shipped_list_is_the_twenty_thousand_most_common():
    common = common_passwords()
    assert len(common) > 19_000 and {"123456", "password", "qwerty"} <= common
    assert all(word == word.lower() for word in common)


def test_advice_never_suggests_a_concrete_password_people_would_copy():
    message = password_problem("password")
    assert "'" not in message
