"""Companies of the park as records: name (unique, case and spacing aside), tenancy status,
the default priority tier of people who join it, an optional email domain (people with an
address there may register under the company-domains policy) and a billing contact.

A company's default tier applies to people who join it later; changing it does not change
anyone's tier (each tier change of a person is its own decision, with a reason)."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import COMPANY_STATUSES, Company, User
from . import Conflict, NotFound, RuleViolation
from .audit import record
from .tx import transaction
from .phrasing import gettext

MAX_TIER = 99
FIELDS = ("name", "status", "default_priority_tier", "email_domain", "billing_contact_name", "billing_contact_email")
_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}$")


def fold(name: str) -> str:
    """The name as compared: lower case, runs of spaces as one."""
    return re.sub(r"\s+", " ", name or "").strip().lower()


def tidy(name: str) -> str:
    return re.sub(r"\s+", " ", name or "").strip()


def domain_of(email: str) -> str:
    return (email or "").rpartition("@")[2].strip().lower()


def tier_problem(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIER:
        return f"Priority tier is a whole number from 1 (housed first) to {MAX_TIER}."
    return None


def _clean(data: dict, *, partial: bool) -> tuple[dict, list[dict]]:
    """The fields given, tidied, and every problem with them."""
    out, problems = {}, []

    def bad(rule, message):
        problems.append({"rule": rule, "message": message})

    for key in FIELDS:
        if key not in data:
            continue
        value = data[key]
        if key in ("name", "status") and not isinstance(value, str):
            bad(key, f"'{key}' must be text.")
            continue
        if key == "name":
            value = tidy(value)
            if not value or len(value) > 200:
                bad("name", "Give the company's name (at most 200 characters).")
        elif key == "status":
            if value not in COMPANY_STATUSES:
                bad("status", f"The status must be one of {', '.join(COMPANY_STATUSES)}.")
        elif key == "default_priority_tier":
            if (problem := tier_problem(value)) is not None:
                bad(key, problem)
        elif value is not None and not isinstance(value, str):
            bad(key, f"'{key}' must be text or null.")
            continue
        elif key == "email_domain":
            value = (value or "").strip().lower().lstrip("@") or None
            if value is not None and not _DOMAIN.match(value):
                bad(key, "The email domain is the part after '@', such as nanobio.example.")
        elif key == "billing_contact_email":
            value = (value or "").strip().lower() or None
            if value is not None and (not _EMAIL.match(value) or len(value) > 255):
                bad(key, "Give the billing contact's email address.")
        elif key == "billing_contact_name":
            value = tidy(value or "") or None
            if value is not None and len(value) > 200:
                bad(key, "The billing contact's name is at most 200 characters.")
        out[key] = value
    if not partial:
        for key in ("name",):
            if key not in data:
                bad(key, "Give the company's name.")
    return out, problems


def _check_unique(session: Session, values: dict, company_id: int | None) -> None:
    if "name" in values:
        other = session.execute(select(Company).where(Company.name_key == fold(values["name"]))).scalar_one_or_none()
        if other is not None and other.id != company_id:
            raise Conflict(gettext("There is already a company called %(name)s.", name=other.name))
    if values.get("email_domain"):
        other = session.execute(select(Company).where(Company.email_domain == values["email_domain"])) \
            .scalar_one_or_none()
        if other is not None and other.id != company_id:
            raise Conflict(gettext("The domain %(email_domain)s belongs to %(name)s already.", email_domain=values['email_domain'], name=other.name))


@transaction
def create_company(session: Session, data: dict, *, actor: User | None, now: datetime,
                   audited: bool = True) -> Company:
    """A new company (audited unless made on the way by `resolve`, as part of an account the
    command line or the demo creates)."""
    values, problems = _clean(data, partial=False)
    if problems:
        raise RuleViolation(problems[0]["message"], violations=problems)
    _check_unique(session, values, None)
    company = Company(name=values["name"], name_key=fold(values["name"]), status=values.get("status") or "tenant",
                      default_priority_tier=values.get("default_priority_tier") or 3,
                      email_domain=values.get("email_domain"),
                      billing_contact_name=values.get("billing_contact_name"),
                      billing_contact_email=values.get("billing_contact_email"), created_at=now, updated_at=now)
    session.add(company)
    session.flush()
    if audited:
        record(session, actor_id=actor.id if actor else None, action="company.create", target_type="company",
               target_id=company.id, now=now, **{k: getattr(company, k) for k in FIELDS})
    return company


@transaction
def update_company(session: Session, company_id, data: dict, *, actor: User | None, now: datetime) -> Company:
    """Change the fields given; the audit row names each change (old, new)."""
    company = session.execute(select(Company).where(Company.id == company_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none() \
        if isinstance(company_id, int) else None
    if company is None:
        raise NotFound(gettext("There is no company %(company_id)s.", company_id=company_id))
    values, problems = _clean(data, partial=True)
    if problems:
        raise RuleViolation(problems[0]["message"], violations=problems)
    _check_unique(session, values, company.id)
    changes = {k: [getattr(company, k), v] for k, v in values.items() if getattr(company, k) != v}
    for key, (_, new) in changes.items():
        setattr(company, key, new)
    if "name" in changes:
        company.name_key = fold(company.name)
        session.flush()
        for user in session.execute(select(User).where(User.company_id == company.id)).scalars():
            session.expire(user, ["company"])
    if changes:
        company.updated_at = now
        record(session, actor_id=actor.id if actor else None, action="company.update", target_type="company",
               target_id=company.id, now=now, changes=changes)
    return company


def get_company(session: Session, company_id) -> Company:
    company = session.get(Company, company_id) if isinstance(company_id, int) else None
    if company is None:
        raise NotFound(gettext("There is no company %(company_id)s.", company_id=company_id))
    return company


def by_name(session: Session, name: str) -> Company | None:
    return session.execute(select(Company).where(Company.name_key == fold(name)[:200])).scalar_one_or_none()


def by_email(session: Session, email: str) -> Company | None:
    """The company whose email domain is the address's domain."""
    domain = domain_of(email)
    if not domain:
        return None
    return session.execute(select(Company).where(Company.email_domain == domain)).scalar_one_or_none()


def resolve(session: Session, name: str | None, *, now: datetime) -> Company | None:
    """The company of this name, made (a tenant, tier 3) when the park has none yet: for the
    command line and the demo, which name companies as text."""
    if not name or not tidy(name):
        return None
    company = by_name(session, name)
    if company is None:
        company = create_company(session, {"name": tidy(name)[:200]}, actor=None, now=now, audited=False)
    return company


def list_companies(session: Session, *, q: str | None = None) -> list[tuple[Company, int]]:
    """(company, number of people) by name; `q` matches name or domain."""
    people = (select(User.company_id, func.count(User.id).label("n")).where(User.company_id.is_not(None))
              .group_by(User.company_id).subquery())
    stmt = select(Company, func.coalesce(people.c.n, 0)).outerjoin(people, people.c.company_id == Company.id)
    if q and q.strip():
        needle = fold(q)
        stmt = stmt.where(Company.name_key.contains(needle, autoescape=True)
                          | func.coalesce(Company.email_domain, "").contains(needle, autoescape=True))
    return [(c, n) for c, n in session.execute(stmt.order_by(Company.name_key))]

