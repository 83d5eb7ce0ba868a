"""People, as the park's administrator sees them: the searchable list, a person's page (what
they hold now, their history), and the admin's changes to an account: role, company, tier
(with a reason, shown in waitlist and allocation-round explanations from then on),
deactivation and reactivation. Invitations and approvals: services/invitations.py.

Every change is one transaction with its audit row. It locks the person's row, and with it
every active admin's (one ordered SELECT ... FOR UPDATE), so two admins demoting each other
at once cannot leave the park without one; a person's waitlist entries are locked after
their row (person before resource, as everywhere). Deactivation deletes nothing: it ends the
person's sessions and API tokens, and what they hold stays listed for a manager to decide."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ..models import (
    ROLES,
    ApiToken,
    AuditEvent,
    Booking,
    Company,
    HousingApplication,
    Lease,
    Offer,
    SlotRequest,
    User,
    WaitlistEntry,
)
from . import Forbidden, NotFound, RuleViolation
from . import companies as company_service
from .account_links import PASSWORD_PURPOSES, end_links
from .accounts import revoke_all_tokens, rotate_session_token
from .audit import record
from .notifications import notify
from .standing import STATES, state_of
from .tx import transaction
from .wording import When, _
from .phrasing import gettext

CHANGEABLE = ("role", "company", "company_id", "priority_tier", "active")
OPEN_APPLICATIONS = ("submitted", "offered", "waitlisted")


# ----------------------------------------------------------------------------- reading


def _state_clause(state: str):
    verified, invited = User.email_verified_at.is_not(None), User.invited_at.is_not(None)
    return {
        "awaiting approval": User.pending_approval.is_(True),
        "deactivated": and_(User.active.is_(False), User.pending_approval.is_(False)),
        "invited": and_(User.active.is_(True), ~verified, invited),
        "unverified": and_(User.active.is_(True), ~verified, ~invited),
        "active": and_(User.active.is_(True), verified),
    }[state]


def search(session: Session, *, q: str | None = None, role: str | None = None, state: str | None = None,
           active: bool | None = None, company_id: int | None = None, page: int = 1,
           per_page: int = 25) -> tuple[list[User], int]:
    """One page of people by name, and how many match: `q` in the name, email or company."""
    stmt = select(User).outerjoin(Company, Company.id == User.company_id)
    if q and q.strip():
        needle = q.strip().lower()[:200]
        stmt = stmt.where(or_(func.lower(User.name).contains(needle, autoescape=True),
                              User.email.contains(needle, autoescape=True),
                              Company.name_key.contains(company_service.fold(needle), autoescape=True)))
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    if state in STATES:
        stmt = stmt.where(_state_clause(state))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    if company_id is not None:
        stmt = stmt.where(User.company_id == company_id)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = max(1, page)
    rows = session.execute(stmt.order_by(func.lower(User.name), User.id).limit(per_page)
                           .offset((page - 1) * per_page)).scalars().all()
    return list(rows), total


def get_person(session: Session, user_id) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None:
        raise NotFound(gettext("There is no person %(user_id)s.", user_id=user_id))
    return user


@dataclass
class Holdings:
    """What a person holds now: a manager decides what becomes of it on deactivation."""
    bookings: list[Booking] = field(default_factory=list)  # pending or confirmed, not yet ended
    leases: list[Lease] = field(default_factory=list)  # active or ending
    offers: list[Offer] = field(default_factory=list)  # open
    applications: list[HousingApplication] = field(default_factory=list)  # open
    waitlist: list[WaitlistEntry] = field(default_factory=list)  # waiting or offered
    slot_requests: list[SlotRequest] = field(default_factory=list)  # waiting
    api_tokens: int = 0  # live

    @property
    def empty(self) -> bool:
        return not (self.bookings or self.leases or self.offers or self.applications or self.waitlist
                    or self.slot_requests or self.api_tokens)

    def counts(self) -> dict:
        return {"bookings": len(self.bookings), "leases": len(self.leases), "offers": len(self.offers),
                "applications": len(self.applications), "waitlist_entries": len(self.waitlist),
                "slot_requests": len(self.slot_requests), "api_tokens": self.api_tokens}


def holdings(session: Session, user_id: int, *, now: datetime, limit: int = 100) -> Holdings:
    def rows(stmt):
        return list(session.execute(stmt.limit(limit)).scalars())

    return Holdings(
        bookings=rows(select(Booking).where(Booking.user_id == user_id, Booking.status.in_(("pending", "confirmed")),
                                            Booking.end_at > now).order_by(Booking.start_at)),
        leases=rows(select(Lease).where(Lease.user_id == user_id, Lease.status.in_(("active", "ending")))
                    .order_by(Lease.start_date)),
        offers=rows(select(Offer).where(Offer.user_id == user_id, Offer.status == "open").order_by(Offer.id)),
        applications=rows(select(HousingApplication).where(HousingApplication.user_id == user_id,
                                                           HousingApplication.status.in_(OPEN_APPLICATIONS))
                          .order_by(HousingApplication.id)),
        waitlist=rows(select(WaitlistEntry).where(WaitlistEntry.user_id == user_id,
                                                  WaitlistEntry.status.in_(("waiting", "offered")))
                      .order_by(WaitlistEntry.id)),
        slot_requests=rows(select(SlotRequest).where(SlotRequest.user_id == user_id, SlotRequest.status == "waiting")
                           .order_by(SlotRequest.start_at)),
        api_tokens=session.execute(select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)).scalar_one(),
    )


def recent_bookings(session: Session, user_id: int, *, limit: int = 10) -> list[Booking]:
    return list(session.execute(select(Booking).where(Booking.user_id == user_id)
                                .order_by(Booking.start_at.desc()).limit(limit)).scalars())


def history(session: Session, user_id: int, *, limit: int = 50) -> list[AuditEvent]:
    """The audit trail of the account, newest first."""
    return list(session.execute(select(AuditEvent).where(AuditEvent.target_type == "user",
                                                         AuditEvent.target_id == user_id)
                                .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)).scalars())


# ----------------------------------------------------------------------------- changing


def lock_person(session: Session, user_id: int, *, with_admins: bool = False) -> User:
    """Lock the person's row (and every active admin's, in id order, in the same statement)."""
    wanted = User.id == user_id
    if with_admins:
        wanted = or_(wanted, and_(User.role == "admin", User.active.is_(True)))
    locked = session.execute(select(User).where(wanted).order_by(User.id).with_for_update()
                             .execution_options(populate_existing=True)).scalars().all()
    user = next((u for u in locked if u.id == user_id), None)
    if user is None:
        raise NotFound(gettext("There is no person %(user_id)s.", user_id=user_id))
    return user


def _problem(rule: str, message: str) -> RuleViolation:
    return RuleViolation(message, violations=[{"rule": rule, "message": message}])


def company_named(session: Session, changes: dict):
    """The company a change names (by name or id), or None for 'no company'; raises when unknown."""
    if "company_id" in changes:
        value = changes["company_id"]
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _problem("company", "Choose a company from the list.")
        company = session.get(Company, value)
        if company is None:
            raise _problem("company", f"There is no company {value}.")
        return company
    value = changes["company"]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _problem("company", "'company' is the company's name, or null for none.")
    company = company_service.by_name(session, value)
    if company is None:
        raise _problem("company", f"There is no company called {value.strip()[:80]}; add it under Companies first.")
    return company


def _wanted(session: Session, user: User, changes: dict) -> dict:
    """{field: (old, new)} of what the request really changes; refuses bad values."""
    out: dict = {}
    if "role" in changes:
        if changes["role"] not in ROLES:
            raise _problem("role", f"Role must be one of {', '.join(ROLES)}.")
        if changes["role"] != user.role:
            out["role"] = (user.role, changes["role"])
    if "company" in changes or "company_id" in changes:
        company = company_named(session, changes)
        new_id = company.id if company is not None else None
        if new_id != user.company_id:
            out["company"] = (user.company, company.name if company is not None else None, new_id)
    if "priority_tier" in changes:
        if (problem := company_service.tier_problem(changes["priority_tier"])) is not None:
            raise _problem("priority_tier", problem)
        if changes["priority_tier"] != user.priority_tier:
            out["priority_tier"] = (user.priority_tier, changes["priority_tier"])
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise _problem("active", "'active' is true or false.")
        if changes["active"] != bool(user.active) or (changes["active"] and user.pending_approval):
            out["active"] = (bool(user.active), changes["active"])
    return out


def _guard_admins(session: Session, user: User, wanted: dict, actor: User | None) -> None:
    losing_admin = user.role == "admin" and user.active and (
        ("role" in wanted and wanted["role"][1] != "admin") or ("active" in wanted and not wanted["active"][1]))
    if not losing_admin:
        return
    if actor is not None and actor.id == user.id:
        raise _problem("self", "You cannot remove your own admin role or deactivate yourself; ask another admin.")
    others = session.execute(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True),
                                                               User.id != user.id)).scalar_one()
    if others == 0:
        raise _problem("last_admin", f"{user.name} is the park's only active admin; make someone else admin first.")


def _apply_tier(session: Session, user: User, tier: int, reason: str, now: datetime) -> int:
    """The new tier, and the person's place in every queue they wait in: their waiting
    entries take the tier and lose any manual place, so the natural order (tier, then time
    joined) puts them where the new tier says. Returns how many entries moved."""
    user.priority_tier = tier
    user.tier_changed_at, user.tier_change_reason = now, reason
    moved = session.execute(
        update(WaitlistEntry).where(WaitlistEntry.user_id == user.id, WaitlistEntry.status == "waiting")
        .values(priority_tier=tier, manual_rank=None).execution_options(synchronize_session=False)).rowcount or 0
    for entry in session.execute(select(WaitlistEntry).where(WaitlistEntry.user_id == user.id)).scalars():
        session.expire(entry, ["priority_tier", "manual_rank"])
    notify(session, user_id=user.id, kind="priority_tier", now=now,
           subject=_("Your housing priority is now tier %(tier)s", tier=tier),
           body=(_("An admin changed your priority tier to %(tier)s on %(day)s: %(reason)s. Tier 1 is housed first; "
                   "your place on every waitlist follows the new tier.", tier=tier, day=When(now, "%d %b %Y"),
                   reason=reason) if reason else
                 _("An admin changed your priority tier to %(tier)s on %(day)s. Tier 1 is housed first; your place "
                   "on every waitlist follows the new tier.", tier=tier, day=When(now, "%d %b %Y"))),
           link="/housing")
    return moved


def _deactivate(session: Session, user: User, now: datetime) -> None:
    user.active, user.pending_approval, user.deactivated_at = False, False, now
    rotate_session_token(session, user)
    revoke_all_tokens(session, user, now=now)
    end_links(session, user.id, PASSWORD_PURPOSES, now)


@transaction
def change_person(session: Session, user_id, changes: dict, *, reason: str | None, actor: User | None,
                  now: datetime) -> User:
    """An admin's change (actor None: the command line): any of role, company (name) or
    company_id, priority_tier, active. A change of role or tier needs a reason; the audit row
    records each change with it. Changing nothing changes nothing and records nothing."""
    if actor is not None and actor.role != "admin":
        raise Forbidden(gettext("Only an admin changes people's accounts."))
    reason = reason.strip()[:500] if isinstance(reason, str) else None
    user = lock_person(session, user_id, with_admins=True)
    if actor is not None:
        current = session.get(User, actor.id, populate_existing=True)  # locked with the admins, if still one
        if current is None or current.role != "admin" or not current.active:
            raise Forbidden(gettext("You are no longer an admin; nothing was changed."))
    wanted = _wanted(session, user, changes)
    if ("role" in wanted or "priority_tier" in wanted) and not reason:
        changed = " and ".join(k.replace("priority_", "") for k in ("role", "priority_tier") if k in wanted)
        raise _problem("reason", f"Give the reason for changing the {changed}; it is kept in the audit trail"
                                 + (" and shown with the person's waitlist places." if "priority_tier" in wanted
                                    else "."))
    _guard_admins(session, user, wanted, actor)
    if not wanted:
        return user
    details: dict = {k: list(v[:2]) for k, v in wanted.items()}
    if "role" in wanted:
        user.role = wanted["role"][1]
    if "company" in wanted:
        user.company_id = wanted["company"][2]
        session.flush()
        session.expire(user, ["company", "company_record"])
    if "priority_tier" in wanted:
        details["waitlist_entries_moved"] = _apply_tier(session, user, wanted["priority_tier"][1], reason, now)
    if "active" in wanted:
        if wanted["active"][1]:
            if user.pending_approval:
                details["approved"] = True
            user.active, user.pending_approval, user.deactivated_at = True, False, None
        else:
            details["held"] = holdings(session, user.id, now=now).counts()
            _deactivate(session, user, now)
    if actor is None:
        details["via"] = "command line"
    record(session, actor_id=actor.id if actor else None, action="user.update", target_type="user",
           target_id=user.id, now=now, reason=reason, **details)
    return user


def person_state(user: User) -> str:
    return state_of(user)

