"""A person's standing: whether the account may book and apply now, what state it is in, and
how its priority tier reads in explanations (waitlists, allocation rounds). Imports only the
models, so every service may ask."""
from __future__ import annotations

from ..models import User
from . import Forbidden
from .settings import zone
from .phrasing import gettext
from ..allocation.phrasing import ENGLISH, N_, Phrasing

# What a person is refused, as callers name it (translated where the refusal is written).
DOINGS = (N_("book"), N_("apply for housing"))
STATES = ("active", "unverified", "invited", "awaiting approval", "deactivated")


def state_of(user: User) -> str:
    """One word for where the account stands (the people list shows and filters it)."""
    if user.pending_approval:
        return "awaiting approval"
    if not user.active:
        return "deactivated"
    if user.email_verified_at is None:
        return "invited" if user.invited_at is not None else "unverified"
    return "active"


def require_good_standing(user: User, doing: str = "book") -> None:
    """Refuse (403) a booking or an application by an account that is deactivated, or whose
    email is not confirmed yet."""
    doing = gettext(doing)
    if not user.active:
        raise Forbidden(gettext("The account of %(name)s is deactivated: it cannot %(doing)s.", name=user.name, doing=doing))
    if user.email_verified_at is None:
        raise Forbidden(gettext("Confirm the email address %(email)s before you %(doing)s: open the link we sent (My account can send a new one).", email=user.email, doing=doing), rule="email_unverified")


def tier_note(user: User | None, phrasing: Phrasing = ENGLISH) -> str:
    """' since 29 Nov 2026 (changed by an admin: incubatee)' after an admin changed the tier,
    else ''; follows 'Tier N' in explanations (in the reader's language with `phrasing`)."""
    _ = phrasing
    if user is None or user.tier_changed_at is None:
        return ""
    day = user.tier_changed_at.astimezone(zone()).date()
    reason = f": {user.tier_change_reason}" if user.tier_change_reason else ""
    return _(" since %(day)s (changed by an admin%(reason)s)", day=_.date(day), reason=reason)
