"""Accounts the park makes for people: an admin's invitation (the person chooses a password
from an emailed single-use link, which also confirms their email), and a manager's decision
on a registration that waits for approval (services/registration.py, policy `approval`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..models import Company, User
from . import Conflict, Forbidden, RuleViolation
from .account_links import issue, lifetime_text, path_for
from .accounts import create_user
from .audit import record
from .notifications import notify
from .people import company_named, lock_person
from .standing import state_of
from .tx import transaction
from .wording import Text, _, sentences
from .phrasing import gettext


def _send(session: Session, user: User, *, inviter: str, now: datetime) -> str:
    plain = issue(session, user, "invitation", now=now)
    values = {"inviter": inviter, "role": Text(user.role), "lifetime": lifetime_text("invitation"),
              "email": user.email}
    notify(session, user_id=user.id, kind="invitation", now=now, to_email=user.email,
           subject=_("You are invited to InnoCell"), link=path_for("invitation", plain),
           body=(_("%(inviter)s invited you of %(company)s to InnoCell, the park's booking and housing system, as a "
                   "%(role)s. Open the link to choose your password; it works once, for %(lifetime)s. Then sign in "
                   "with %(email)s.", company=user.company, **values) if user.company else
                 _("%(inviter)s invited you to InnoCell, the park's booking and housing system, as a %(role)s. Open "
                   "the link to choose your password; it works once, for %(lifetime)s. Then sign in with %(email)s.",
                   **values)))
    return plain


@transaction
def invite(session: Session, *, email, name, role: str = "resident", company=None, company_id=None,
           priority_tier=None, actor: User, now: datetime) -> tuple[User, str]:
    """Make the account (no password yet) and send the invitation link. `company` is an
    existing company's name (or `company_id` its id); the tier defaults to the company's.
    Returns the person and the link's secret (shown to the admin when no email is set up)."""
    if actor.role != "admin":
        raise Forbidden(gettext("Only an admin invites people."))
    if not isinstance(email, str) or (name is not None and not isinstance(name, str)):
        raise RuleViolation(gettext("Give the person's email and name as text."),
                            violations=[{"rule": "email", "message": gettext("Give the person's email and name as text.")}])
    chosen: Company | None = None
    if company_id not in (None, "") or company not in (None, ""):
        chosen = company_named(session, {"company_id": company_id} if company_id not in (None, "")
                               else {"company": company})
    user = create_user(session, email=email, password=None, role=role, now=now, name=(name or "").strip() or None,
                       company=chosen, priority_tier=priority_tier, verified=False, invited=True)
    plain = _send(session, user, inviter=actor.name, now=now)
    record(session, actor_id=actor.id, action="user.invite", target_type="user", target_id=user.id, now=now,
           email=user.email, role=user.role, company=user.company, priority_tier=user.priority_tier)
    return user, plain


@transaction
def resend_invitation(session: Session, user_id, *, actor: User, now: datetime) -> str:
    """A new invitation link (the earlier one stops working) for a person who has not chosen
    a password yet."""
    if actor.role != "admin":
        raise Forbidden(gettext("Only an admin invites people."))
    user = lock_person(session, user_id)
    if user.invited_at is None or user.email_verified_at is not None or not user.active:
        raise Conflict(gettext("%(name)s is not waiting for an invitation (the account is %(state_of)s).", name=user.name, state_of=state_of(user)))
    plain = _send(session, user, inviter=actor.name, now=now)
    record(session, actor_id=actor.id, action="user.invite_again", target_type="user", target_id=user.id, now=now)
    return plain


@transaction
def decide_registration(session: Session, user_id, *, approve: bool, reason: str | None, actor: User,
                        now: datetime) -> User:
    """A manager approves a waiting registration (the account becomes active; the person
    still confirms their email before booking) or refuses it (it stays deactivated)."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden(gettext("Only a manager or an admin decides on registrations."))
    user = lock_person(session, user_id)
    if not user.pending_approval:
        raise Conflict(gettext("%(name)s's account is not waiting for approval.", name=user.name))
    reason = reason.strip()[:500] if isinstance(reason, str) and reason.strip() else None
    user.pending_approval = False
    if approve:
        user.active, user.deactivated_at = True, None
        notify(session, user_id=user.id, kind="registration_approved", now=now,
               subject=_("Your InnoCell account is approved"),
               body=sentences(_("The park office approved your account: you can sign in now."),
                              None if user.email_verified_at else
                              _("Confirm your email (the link we sent) to book and apply.")),
               link="/login", to_email=user.email)
    else:
        user.active, user.deactivated_at = False, now
    record(session, actor_id=actor.id, action="user.approve" if approve else "user.refuse", target_type="user",
           target_id=user.id, now=now, reason=reason)
    return user
