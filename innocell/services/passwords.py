"""Which passwords we refuse, and why (one sentence a person can act on).

Length alone let `12345678` and `password` through. A password is refused when it is short,
one of the 20,000 most common passwords (data/common-passwords.txt.gz, the list Django ships,
see data/NOTICE), such a password with digits or symbols stuck on its ends (`Sunshine2026!`),
a run or repeat of characters (`abcdefgh`, `qwertyui`, `abababab`), or contains the name part
of the account's email address. Pure: no database, no Flask; the reason is worded by the
`phrasing` the caller passes (English by default).
"""
from __future__ import annotations

import functools
import gzip
import string
from pathlib import Path

from ..allocation.phrasing import ENGLISH, N_, Phrasing

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length, but nobody types a novel; keeps hashing cheap
COMMON_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
_PADDING = string.digits + string.punctuation + string.whitespace
_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")
ADVICE = N_("Try a few unrelated words with spaces or dashes between them.")


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def _is_run_or_repeat(lowered: str) -> bool:
    """Few distinct characters, one block repeated, one character code step repeated, or a
    stretch of a keyboard row."""
    if len(set(lowered)) < 4 or lowered in (lowered + lowered)[1:-1]:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(lowered, lowered[1:])}
    if len(steps) == 1:
        return True
    return any(lowered in row or lowered in row[::-1] for row in _ROWS)


def _email_name(email: str | None) -> str:
    local = (email or "").strip().lower().partition("@")[0]
    return local if len(local) >= 3 else ""


def password_problem(password: str | None, email: str | None = None,
                     phrasing: Phrasing = ENGLISH) -> str | None:
    """None when the password is acceptable, else the reason to show next to the field."""
    _ = phrasing
    password = password or ""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(min)d characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(max)s characters.", max=MAX_LENGTH)
    lowered = password.lower()
    common = common_passwords()
    advice = _(ADVICE)
    if lowered in common:
        return _("This is one of the most common passwords, among the first an attacker tries. %(advice)s",
                 advice=advice)
    core = lowered.strip(_PADDING)
    if core and core in common:
        return _("This is a common password with digits or symbols added at its ends, a pattern attackers try "
                 "early. %(advice)s", advice=advice)
    if _is_run_or_repeat(lowered):
        return _("This password is a simple run or repeat of characters (like 12345678 or abababab). %(advice)s",
                 advice=advice)
    name = _email_name(email)
    if name and (name in lowered or lowered in name):
        return _("The password must not contain your email address's name ('%(name)s'). %(advice)s", name=name,
                 advice=advice)
    return None
