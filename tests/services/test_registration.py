"""Who may register, under each policy the admin sets, on SQLite and PostgreSQL; and
companies as records (unique names and domains, changes audited)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from innocell.models import AuditEvent, Company, Notification, User
from innocell.services import Conflict, Forbidden, RuleViolation
from innocell.services import companies, invitations, registration
from innocell.services.accounts import ThrottlePolicy, authenticate

import config

POLICY = ThrottlePolicy.from_config(config.DEFAULTS)
PASSWORD = "lantern-harbour-7"


def count(session, model, *where) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def register(session, email, now, **kw):
    return registration.register(session, email=email, password=PASSWORD, now=now, name="Wing Chan", **kw)


@pytest.fixture
def park(make_company):
    return make_company("Harbour Robotics", email_domain="harbour.example", default_priority_tier=2,
                        status="incubatee")


# ----------------------------------------------------------------------------- the default policy


def test_the_default_policy_is_company_domains_and_refuses_any_other_domain(session, park, now):
    assert registration.policy(session) == "company_domains"
    before = {model: count(session, model) for model in (User, Notification, AuditEvent, Company)}
    for email in ("wing@gmail.example", "wing@sub.harbour.example", "wing@harbour.example.evil"):
        with pytest.raises(RuleViolation) as refused:
            register(session, email, now)
        assert refused.value.extra["violations"][0]["rule"] == "email"
        assert "park companies" in refused.value.message
    assert {model: count(session, model) for model in before} == before


def test_a_park_domain_registers_into_its_company_unconfirmed(session, park, now):
    user = register(session, " Wing@HARBOUR.example", now, company="ignored when the domain says")
    assert (user.email, user.company, user.priority_tier, user.role) == ("wing@harbour.example", "Harbour Robotics",
                                                                         2, "resident")
    assert user.active and user.email_verified_at is None and user.requested_company is None
    assert authenticate(session, email="wing@harbour.example", password=PASSWORD, now=now, ip=None,
                        policy=POLICY) is not None
    note = session.execute(select(Notification).where(Notification.user_id == user.id)).scalar_one()
    assert note.kind == "email_verification" and note.to_email == "wing@harbour.example"


def test_a_taken_email_answers_alike_under_every_admitting_policy(session, park, make_user, now):
    owner = make_user(email="wing@harbour.example")
    admin = make_user("admin")
    for rule in ("company_domains", "approval"):
        registration.set_policy(session, rule, actor=admin, now=now)
        assert register(session, "wing@harbour.example", now) is None
    assert count(session, User) == 2
    notes = session.execute(select(Notification.kind).where(Notification.user_id == owner.id)).scalars().all()
    assert notes == ["account_registration_attempt"]  # once a day


# ----------------------------------------------------------------------------- the other policies


def test_invitation_only_refuses_every_registration_and_invitations_still_work(session, park, make_user, now):
    admin = make_user("admin")
    registration.set_policy(session, "invitation", actor=admin, now=now)
    with pytest.raises(RuleViolation) as refused:
        register(session, "wing@harbour.example", now)
    assert refused.value.extra["violations"][0]["rule"] == "registration_closed"
    assert count(session, User) == 1
    invitations.invite(session, email="wing@harbour.example", name="Wing", actor=admin, now=now)
    assert count(session, User) == 2
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "registration.policy")).scalar_one()
    assert (event.actor_id, event.details) == (admin.id, {"old": "company_domains", "new": "invitation"})


def test_approval_keeps_a_stranger_out_until_a_manager_decides(session, park, make_user, now):
    admin, manager = make_user("admin"), make_user("manager")
    registration.set_policy(session, "approval", actor=admin, now=now)

    stranger = register(session, "sam@gmail.example", now, company="Sam's Startup")
    assert (stranger.active, stranger.pending_approval, stranger.requested_company, stranger.company) == (
        False, True, "Sam's Startup", None)
    assert authenticate(session, email="sam@gmail.example", password=PASSWORD, now=now, ip=None,
                        policy=POLICY) is None
    told = session.execute(select(Notification.user_id).where(Notification.kind == "registration_request")) \
        .scalars().all()
    assert sorted(told) == sorted([admin.id, manager.id])
    # A park domain needs no approval under this policy either.
    insider = register(session, "kit@harbour.example", now)
    assert insider.active and not insider.pending_approval

    with pytest.raises(Forbidden):
        invitations.decide_registration(session, stranger.id, approve=True, reason=None, actor=insider, now=now)
    invitations.decide_registration(session, stranger.id, approve=True, reason=None, actor=manager, now=now)
    session.refresh(stranger)
    assert stranger.active and not stranger.pending_approval
    assert authenticate(session, email="sam@gmail.example", password=PASSWORD, now=now, ip=None,
                        policy=POLICY) is not None
    with pytest.raises(Conflict):
        invitations.decide_registration(session, stranger.id, approve=False, reason=None, actor=manager, now=now)

    other = register(session, "max@gmail.example", now)
    invitations.decide_registration(session, other.id, approve=False, reason="Not a park company", actor=manager,
                                    now=now)
    session.refresh(other)
    assert (other.active, other.pending_approval) == (False, False) and other.deactivated_at == now
    assert session.execute(select(AuditEvent.reason).where(AuditEvent.action == "user.refuse")).scalar_one() \
        == "Not a park company"


def test_an_unknown_policy_is_refused(session, make_user, now):
    with pytest.raises(RuleViolation):
        registration.set_policy(session, "open", actor=make_user("admin"), now=now)
    assert registration.policy(session) == "company_domains"


# ----------------------------------------------------------------------------- companies


def test_company_names_and_domains_are_unique_and_fields_checked(session, park, make_user, now):
    admin = make_user("admin")
    with pytest.raises(Conflict):
        companies.create_company(session, {"name": "  harbour   ROBOTICS"}, actor=admin, now=now)
    with pytest.raises(Conflict):
        companies.create_company(session, {"name": "Harbour Two", "email_domain": "@Harbour.example"}, actor=admin,
                                 now=now)
    with pytest.raises(RuleViolation) as refused:
        companies.create_company(session, {"name": "", "status": "client", "default_priority_tier": 0,
                                           "email_domain": "not a domain", "billing_contact_email": "nobody"},
                                 actor=admin, now=now)
    rules = {v["rule"] for v in refused.value.extra["violations"]}
    assert rules == {"name", "status", "default_priority_tier", "email_domain", "billing_contact_email"}
    assert set(session.execute(select(Company.name)).scalars()) == {"Harbour Robotics", "Acme Bio"}  # make_user's


def test_a_company_change_is_audited_and_a_rename_shows_on_its_people(session, park, make_user, now):
    admin = make_user("admin")
    person = make_user(company="Harbour Robotics", priority_tier=2)
    companies.update_company(session, park.id, {"name": "Harbour Robotics Ltd", "default_priority_tier": 3,
                                                "billing_contact_email": "Accounts@Harbour.example"},
                             actor=admin, now=now)
    session.refresh(person)
    assert (person.company, person.priority_tier) == ("Harbour Robotics Ltd", 2)  # nobody's tier changes with it
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "company.update")).scalar_one()
    assert event.details["changes"] == {"name": ["Harbour Robotics", "Harbour Robotics Ltd"],
                                        "default_priority_tier": [2, 3],
                                        "billing_contact_email": [None, "accounts@harbour.example"]}
    assert [c.name for c, n in companies.list_companies(session, q="robotics")] == ["Harbour Robotics Ltd"]
    assert companies.list_companies(session)[0][1] == 1
