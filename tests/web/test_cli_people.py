"""The command line for people (CONTRACT.md section 3, extended): set-role, set-tier,
deactivate-user and reactivate-user, each audited as the command line's; create-user makes
its company a record."""
from __future__ import annotations

from sqlalchemy import select

from innocell.extensions import db
from innocell.models import AuditEvent, Company, User


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def events():
    return db.session.execute(select(AuditEvent).where(AuditEvent.target_type == "user", AuditEvent.kind == "action")
                              .order_by(AuditEvent.id)).scalars().all()


def test_create_user_makes_the_company_a_record_once(app):
    for email in ("a@lab.example", "b@lab.example"):
        assert invoke(app, "create-user", email, "--password", "secret-pass-1", "--role", "resident",
                      "--company", "NanoBio  labs").exit_code == 0
    assert invoke(app, "create-user", "c@lab.example", "--password", "secret-pass-1", "--role", "resident",
                  "--company", "nanobio LABS").exit_code == 0
    companies = db.session.execute(select(Company)).scalars().all()
    assert [(c.name, c.status, c.default_priority_tier) for c in companies] == [("NanoBio labs", "tenant", 3)]
    assert {u.company for u in db.session.execute(select(User)).scalars()} == {"NanoBio labs"}


def test_set_role_and_set_tier_need_a_reason_and_are_audited(app, make_user):
    person = make_user(email="ivy@park.example", priority_tier=3)
    missing = invoke(app, "set-tier", "ivy@park.example", "1")
    assert missing.exit_code == 2 and "--reason" in missing.output
    result = invoke(app, "set-tier", "IVY@park.example", "1", "--reason", "incubatee")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ivy@park.example: resident, tier 1, active, Acme Bio."
    assert invoke(app, "set-role", "ivy@park.example", "manager", "--reason", "runs the labs").exit_code == 0
    person = db.session.get(User, person.id)
    assert (person.role, person.priority_tier, person.tier_change_reason) == ("manager", 1, "incubatee")
    assert [(e.actor_id, e.reason, e.details["via"]) for e in events()] == [
        (None, "incubatee", "command line"), (None, "runs the labs", "command line")]


def test_deactivate_and_reactivate_from_the_command_line(app, make_user):
    person = make_user(email="ivy@park.example")
    result = invoke(app, "deactivate-user", "ivy@park.example", "--reason", "left the park")
    assert result.exit_code == 0 and "deactivated" in result.stdout
    assert db.session.get(User, person.id).active is False
    assert invoke(app, "reactivate-user", "ivy@park.example").exit_code == 0
    assert db.session.get(User, person.id).active is True
    assert [e.details["active"] for e in events()] == [[True, False], [False, True]]


def test_mistakes_exit_1_with_one_line_and_change_nothing(app, make_user):
    admin = make_user("admin", email="ada@park.example")
    unknown = invoke(app, "set-role", "nobody@park.example", "admin", "--reason", "x")
    assert unknown.exit_code == 1 and unknown.output.strip() == \
        "Error: there is no account with the email nobody@park.example"
    last = invoke(app, "deactivate-user", "ada@park.example", "--reason", "x")
    assert last.exit_code == 1 and "only active admin" in last.output and len(last.output.strip().splitlines()) == 1
    assert db.session.get(User, admin.id).active is True
    assert events() == []
