"""Who may create an account on /register: the policy the admin sets.

- `invitation`: nobody; accounts come from an admin's invitation (or the command line).
- `company_domains` (the default of a new install): invitations, and people whose email is
  at the domain of a park company; they join that company with its default tier.
- `approval`: anyone may ask; an address at a park company's domain is admitted as above,
  any other account waits, inactive, until a manager approves it.

Every new account confirms its email (a link) before it can book or apply. Whatever the
policy, the answer to a valid form never says whether the email already has an account
(accounts.register_resident)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Company, SiteSetting, User
from . import RuleViolation
from . import companies as company_service
from .account_links import send_verification
from .accounts import normalise_email, register_resident
from .audit import record
from .notifications import notify
from .wording import _
from .tx import transaction
from .phrasing import gettext

POLICIES = ("invitation", "company_domains", "approval")
DEFAULT_POLICY = "company_domains"
POLICY_LABELS = {
    "invitation": "Closed: invitations only",
    "company_domains": "Invitations, and email addresses at the domains of park companies",
    "approval": "Open to anyone, with a manager's approval (park company domains need none)",
}
KEY = "registration_policy"


def policy(session: Session) -> str:
    row = session.get(SiteSetting, KEY)
    value = (row.value or {}).get("policy") if row is not None else None
    return value if value in POLICIES else DEFAULT_POLICY


@transaction
def set_policy(session: Session, value, *, actor: User, now: datetime) -> str:
    if value not in POLICIES:
        raise RuleViolation(gettext("The registration policy must be one of %(join)s.", join=', '.join(POLICIES)),
                            violations=[{"rule": "policy", "message": gettext("Choose one of the policies listed.")}])
    row = session.execute(select(SiteSetting).where(SiteSetting.key == KEY).with_for_update()).scalar_one_or_none()
    old = policy(session)
    if row is None:
        row = SiteSetting(key=KEY, value={}, updated_at=now)
        session.add(row)
    row.value = {"policy": value}
    row.updated_at, row.updated_by_id = now, actor.id
    if old != value:
        record(session, actor_id=actor.id, action="registration.policy", target_type="setting", target_id=None,
               now=now, old=old, new=value)
    return value


@dataclass(frozen=True)
class Admission:
    company: Company | None
    needs_approval: bool


def admission(session: Session, email: str) -> Admission:
    """Whether the policy lets this address register, and how; refuses (422) otherwise.
    Decided by the address alone, never by whether it has an account."""
    rule = policy(session)
    if rule == "invitation":
        raise RuleViolation(gettext("Registration is by invitation only. Ask the park office to invite you."),
                            violations=[{"rule": "registration_closed",
                                         "message": gettext("Registration is by invitation only. Ask the park office "
                                                    "to invite you.")}])
    company = company_service.by_email(session, email)
    if company is not None:
        return Admission(company, needs_approval=False)
    if rule == "approval":
        return Admission(None, needs_approval=True)
    message = gettext("Registration is open to the email addresses of park companies only. Use your company "
                      "address, or ask the park office to invite you.")
    raise RuleViolation(message, violations=[{"rule": "email", "message": message}])


@transaction
def register(session: Session, *, email: str, password: str, now: datetime, name: str | None = None,
             company: str | None = None) -> User | None:
    """/register under the policy. A new account gets a confirmation link; under `approval`
    it waits inactive and the managers are told. Returns the new user, or None when the
    email was taken (its owner is told instead; the page answers the same)."""
    admitted = admission(session, normalise_email(email))
    tier = admitted.company.default_priority_tier if admitted.company is not None else 3
    typed = company_service.tidy(company or "")[:200] or None
    user = register_resident(session, email=email, password=password, now=now, name=name,
                             company=admitted.company, priority_tier=tier, verified=False,
                             pending_approval=admitted.needs_approval,
                             requested_company=typed if admitted.company is None else None)
    if user is None:
        return None
    send_verification(session, user, now=now)
    if admitted.needs_approval:
        staff = session.execute(select(User.id).where(User.role.in_(("manager", "admin")), User.active.is_(True))
                                ).scalars().all()
        for staff_id in staff:
            notify(session, user_id=staff_id, kind="registration_request", now=now,
                   subject=_("%(name)s asks for an InnoCell account", name=user.name),
                   body=(_("%(name)s <%(email)s> of %(company)s registered and waits for approval. Approve or "
                           "refuse on their page.", name=user.name, email=user.email, company=typed) if typed else
                         _("%(name)s <%(email)s> registered and waits for approval. Approve or refuse on their "
                           "page.", name=user.name, email=user.email)),
                   link=f"/admin/people/{user.id}", dedupe_key=f"registration-request:{user.id}:{staff_id}")
    return user
