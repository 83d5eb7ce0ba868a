"""People and companies (CONTRACT.md, People (admin)), and password resets.

GET   /api/v1/users[?q=&role=&state=&active=&company_id=&page=&per_page=]  admin, manager  paged
GET   /api/v1/users/ID                                                     admin, manager
PATCH /api/v1/users/ID {"role"?,"company"?,"priority_tier"?,"active"?,"reason"}   admin
POST  /api/v1/users/invitations {"email","name","role"?,"company"?,"priority_tier"?}  admin  201
POST  /api/v1/password-resets {"email"}                                     anyone  202, always
GET   /api/v1/companies[?q=]; GET /api/v1/companies/ID                      admin, manager
POST  /api/v1/companies; PATCH /api/v1/companies/ID                         admin
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import g, jsonify, request

from ...extensions import db
from ...models import ROLES, Company, User
from ...services import BadRequest
from ...services import account_links as link_service
from ...services import companies as company_service
from ...services import invitations as invitation_service
from ...services import people as people_service
from ...services.standing import STATES
from ...timeutil import iso_local, local_zone, utcnow
from ..main import user_json
from ..entry import MAX_ID
from . import api_roles, bp, json_body, query_int
from .declare import documented
from .paging import page_of
from .schemas import INT, STR, many, obj, one

READERS = ("admin", "manager")
USER_CHANGES = ("role", "company", "priority_tier", "active", "reason")
INVITE_FIELDS = ("email", "name", "role", "company", "priority_tier")
MAX_PER_PAGE = 100


def person_json(user: User) -> dict:
    """User, plus what the admin pages show."""
    tz = local_zone()
    return {**user_json(user), "active": bool(user.active), "company_id": user.company_id,
            "state": people_service.person_state(user),
            "email_verified": user.email_verified_at is not None,
            "last_login_at": iso_local(user.last_login_at, tz) if user.last_login_at else None,
            "tier_changed_at": iso_local(user.tier_changed_at, tz) if user.tier_changed_at else None,
            "tier_change_reason": user.tier_change_reason}


def company_json(company: Company, people: int | None = None) -> dict:
    data = {"id": company.id, "name": company.name, "status": company.status,
            "default_priority_tier": company.default_priority_tier, "email_domain": company.email_domain,
            "billing_contact_name": company.billing_contact_name,
            "billing_contact_email": company.billing_contact_email}
    if people is not None:
        data["people"] = people
    return data


def _only(data: dict, allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise BadRequest(f"'{unknown[0]}' is not a field of {what}; send any of {', '.join(allowed)}.")


@bp.get("/users")
@api_roles(*READERS)
@documented("Find people", paged=True, query={"q": STR, "role": STR, "state": STR, "active": STR, "company_id": INT,
                                                "page": INT, "per_page": INT},
            answers={200: many("users", "Person", paged=True, extra={"page": INT, "per_page": INT, "total": INT})})
def list_users():
    args = request.args
    active = {"true": True, "1": True, "false": False, "0": False}.get((args.get("active") or "").lower())
    if args.get("active") not in (None, "") and active is None:
        raise BadRequest("'active' is true or false.")
    if args.get("role") not in (None, "") and args.get("role") not in ROLES:
        raise BadRequest(f"'role' is one of {', '.join(ROLES)}.")
    if args.get("state") not in (None, "") and args.get("state") not in STATES:
        raise BadRequest(f"'state' is one of {', '.join(STATES)}.")
    company_id = query_int("company_id", default=None, minimum=1)
    filters = dict(q=args.get("q"), role=args.get("role") or None, state=args.get("state") or None, active=active,
                   company_id=company_id)
    if "page" not in args and "per_page" not in args:  # the API's one way of paging (web/api/paging.py)
        rows, total = people_service.search(db.session, **filters, page=1, per_page=MAX_ID)
        return jsonify({**page_of(rows, "users", person_json), "total": total})
    page = query_int("page", default=1, minimum=1, maximum=100_000)  # the older page numbers still work
    per_page = query_int("per_page", default=50, minimum=1, maximum=MAX_PER_PAGE)
    rows, total = people_service.search(db.session, **filters, page=page, per_page=per_page)
    more = page * per_page < total
    return jsonify({"users": [person_json(u) for u in rows], "page": page, "per_page": per_page, "total": total,
                    "next": f"{request.path}?{urlencode({**args.to_dict(), 'page': page + 1})}" if more else None})


@bp.get("/users/<int:user_id>")
@api_roles(*READERS)
@documented("One person", answers={200: one("user", "Person")})
def get_user(user_id: int):
    return jsonify({"user": person_json(people_service.get_person(db.session, user_id))})


@bp.patch("/users/<int:user_id>")
@api_roles("admin")
@documented("Change a person's role, company, tier or access (a reason for role and tier)", body="UserChange",
            answers={200: one("user", "Person")})
def patch_user(user_id: int):
    data = json_body()
    _only(data, USER_CHANGES, "a user change")
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise BadRequest("'reason' is text.")
    changes = {k: v for k, v in data.items() if k != "reason"}
    user = people_service.change_person(db.session, user_id, changes, reason=reason, actor=g.user, now=utcnow())
    return jsonify({"user": person_json(user)})


@bp.post("/users/invitations")
@api_roles("admin")
@documented("Invite a person by email", body="Invitation", answers={201: one("user", "Person")})
def invite_user():
    data = json_body()
    _only(data, INVITE_FIELDS, "an invitation")
    if not isinstance(data.get("email"), str) or not isinstance(data.get("name", ""), str):
        raise BadRequest("Send the person's 'email' and 'name' as text.")
    user, _ = invitation_service.invite(db.session, email=data["email"], name=data.get("name"),
                                        role=data.get("role") or "resident", company=data.get("company"),
                                        priority_tier=data.get("priority_tier"), actor=g.user, now=utcnow())
    return jsonify({"user": person_json(user)}), 201


@bp.post("/password-resets")
@documented("Ask for a password-reset link", body="PasswordResetRequest",
            answers={202: obj({"message": STR}, ["message"])})
def create_password_reset():
    """Always 202, whether or not the email has an account."""
    data = json_body()
    email = data.get("email")
    if not isinstance(email, str):
        raise BadRequest("Send the account's 'email' as text.")
    link_service.request_password_reset(db.session, email, now=utcnow())
    return jsonify({"message": "If this email has an InnoCell account, a link to choose a new password is on its "
                               "way there."}), 202


@bp.get("/companies")
@api_roles(*READERS)
@documented("Companies and their number of people", paged=True, query={"q": STR},
            answers={200: many("companies", "Company", paged=True)})
def list_companies():
    rows = company_service.list_companies(db.session, q=request.args.get("q"))
    return jsonify(page_of(rows, "companies", lambda row: company_json(*row), id_of=lambda row: row[0].id))


@bp.get("/companies/<int:company_id>")
@api_roles(*READERS)
@documented("One company", answers={200: one("company", "Company")})
def get_company(company_id: int):
    return jsonify({"company": company_json(company_service.get_company(db.session, company_id))})


@bp.post("/companies")
@api_roles("admin")
@documented("Add a company", body="CompanyFields", answers={201: one("company", "Company")})
def create_company():
    data = json_body()
    _only(data, company_service.FIELDS, "a company")
    company = company_service.create_company(db.session, data, actor=g.user, now=utcnow())
    return jsonify({"company": company_json(company)}), 201


@bp.patch("/companies/<int:company_id>")
@api_roles("admin")
@documented("Change a company", body="CompanyFields", answers={200: one("company", "Company")})
def patch_company(company_id: int):
    data = json_body()
    _only(data, company_service.FIELDS, "a company")
    company = company_service.update_company(db.session, company_id, data, actor=g.user, now=utcnow())
    return jsonify({"company": company_json(company)})
