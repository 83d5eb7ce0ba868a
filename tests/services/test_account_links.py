"""Emailed single-use links through the services, on SQLite and PostgreSQL: password reset
(expiring, single use, ending sessions and tokens, saying nothing about unknown emails),
invitations, email confirmation and contact addresses; and where the mailer sends them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from innocell.models import AccountLink, AuditEvent, Notification, User
from innocell.services import Conflict, Forbidden, NotFound, RuleViolation
from innocell.services import account_links as links
from innocell.services import invitations, people
from innocell.services.accounts import _verify, authenticate, issue_token, user_for_token
from innocell.services.accounts import ThrottlePolicy
from innocell.services.mailer import build_message

import config

POLICY = ThrottlePolicy.from_config(config.DEFAULTS)


def count(session, model, *where) -> int:
    return session.execute(select(func.count(model.id)).where(*where)).scalar_one()


def secret_of(session, user_id, kind) -> str:
    """The link's secret as the person receives it (the notice's link; the database keeps a hash)."""
    path = session.execute(select(Notification.link).where(Notification.user_id == user_id, Notification.kind == kind)
                           .order_by(Notification.id.desc())).scalars().first()
    return path.rsplit("/", 1)[1]


def sign_in(session, email, password, now):
    return authenticate(session, email=email, password=password, now=now, ip="10.0.0.1", policy=POLICY)


# ----------------------------------------------------------------------------- password reset


def test_a_reset_for_an_unknown_or_deactivated_email_writes_nothing(session, make_user, now):
    gone = make_user(email="gone@park.example", active=False)
    for email in ("nobody@park.example", "gone@park.example", "", "x" * 300, "a\x00@b", 42):
        links.request_password_reset(session, email, now=now)
    assert count(session, AccountLink) == 0 and count(session, Notification) == 0
    assert gone.active is False


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session_and_token(session, make_user, now):
    person = make_user(email="ivy@park.example")
    plain_token, _ = issue_token(session, person, now=now, hours=24)
    old_session = person.session_token
    links.request_password_reset(session, " IVY@park.example ", now=now)

    link = session.execute(select(AccountLink)).scalar_one()
    note = session.execute(select(Notification)).scalar_one()
    secret = secret_of(session, person.id, "password_reset")
    assert note.to_email == "ivy@park.example" and note.link == f"/password/{secret}"
    assert link.token_hash == links.digest(secret) and secret not in link.token_hash
    assert link.expires_at == now + timedelta(minutes=60)
    assert links.peek(session, secret, links.PASSWORD_PURPOSES, now) is not None

    links.set_password_with_link(session, secret, "new-harbour-tram", now=now + timedelta(minutes=5))

    session.refresh(person)
    assert _verify(person.password_hash, "new-harbour-tram")
    assert person.session_token != old_session
    assert user_for_token(session, plain_token, now=now) is None
    assert sign_in(session, "ivy@park.example", "new-harbour-tram", now) is not None
    # Used: a second use is refused, and the link no longer shows its form.
    with pytest.raises(NotFound) as refused:
        links.set_password_with_link(session, secret, "another-tram-9", now=now + timedelta(minutes=6))
    assert "expired or has already been used" in refused.value.message
    assert links.peek(session, secret, links.PASSWORD_PURPOSES, now) is None
    session.refresh(person)
    assert _verify(person.password_hash, "new-harbour-tram")
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "user.password_set")).scalar_one()
    assert (event.actor_id, event.details["how"]) == (person.id, "password_reset")


def test_an_expired_reset_link_is_refused(session, make_user, now):
    person = make_user(email="ivy@park.example")
    links.request_password_reset(session, "ivy@park.example", now=now)
    secret = secret_of(session, person.id, "password_reset")
    with pytest.raises(NotFound):
        links.set_password_with_link(session, secret, "new-harbour-tram", now=now + timedelta(minutes=60))
    session.refresh(person)
    assert _verify(person.password_hash, "tram-harbour-7")


def test_a_weak_password_leaves_the_link_usable(session, make_user, now):
    person = make_user(email="ivy@park.example")
    links.request_password_reset(session, "ivy@park.example", now=now)
    secret = secret_of(session, person.id, "password_reset")
    with pytest.raises(RuleViolation) as refused:
        links.set_password_with_link(session, secret, "password1", now=now)
    assert refused.value.extra["violations"][0]["rule"] == "password"
    assert session.execute(select(AccountLink.used_at)).scalar_one() is None
    links.set_password_with_link(session, secret, "new-harbour-tram", now=now)


def test_a_new_link_ends_the_earlier_one_and_requests_are_limited_per_hour(session, make_user, now):
    person = make_user(email="ivy@park.example")
    links.request_password_reset(session, "ivy@park.example", now=now)
    first = secret_of(session, person.id, "password_reset")
    for minutes in (1, 2, 3, 4):
        links.request_password_reset(session, "ivy@park.example", now=now + timedelta(minutes=minutes))
    assert count(session, AccountLink) == 3 and count(session, Notification) == 3  # ACCOUNT_LINKS_PER_HOUR
    with pytest.raises(NotFound):
        links.set_password_with_link(session, first, "new-harbour-tram", now=now + timedelta(minutes=5))
    links.set_password_with_link(session, secret_of(session, person.id, "password_reset"), "new-harbour-tram",
                                 now=now + timedelta(minutes=5))
    links.request_password_reset(session, "ivy@park.example", now=now + timedelta(minutes=61))
    assert count(session, AccountLink) == 4


def test_a_link_dies_with_the_deactivation_of_its_account(session, make_user, now):
    admin, person = make_user("admin"), make_user(email="ivy@park.example")
    links.request_password_reset(session, "ivy@park.example", now=now)
    secret = secret_of(session, person.id, "password_reset")
    people.change_person(session, person.id, {"active": False}, reason="Left", actor=admin, now=now)
    with pytest.raises(NotFound):
        links.set_password_with_link(session, secret, "new-harbour-tram", now=now)


# ----------------------------------------------------------------------------- invitations


def test_an_invited_person_chooses_a_password_from_the_link_and_then_signs_in(session, make_user, make_company, now):
    admin = make_user("admin", name="Ada Admin")
    make_company("NanoBio Labs", default_priority_tier=1)
    person, secret = invitations.invite(session, email="Ivy@NanoBio.example", name="Ivy Ho", role="resident",
                                        company="nanobio labs", actor=admin, now=now)
    assert (person.email, person.company, person.priority_tier) == ("ivy@nanobio.example", "NanoBio Labs", 1)
    assert people.person_state(person) == "invited"
    assert sign_in(session, "ivy@nanobio.example", "", now) is None
    note = session.execute(select(Notification).where(Notification.kind == "invitation")).scalar_one()
    assert note.link == f"/password/{secret}" and "Ada Admin invited you of NanoBio Labs" in note.body
    assert session.execute(select(AccountLink.expires_at)).scalar_one() == now + timedelta(days=14)

    links.set_password_with_link(session, secret, "lantern-harbour-tram", now=now + timedelta(days=1))
    session.refresh(person)
    assert person.email_verified_at == now + timedelta(days=1) and people.person_state(person) == "active"
    assert sign_in(session, "ivy@nanobio.example", "lantern-harbour-tram", now) is not None
    with pytest.raises(Conflict):
        invitations.resend_invitation(session, person.id, actor=admin, now=now)
    with pytest.raises(Conflict):
        invitations.invite(session, email="ivy@nanobio.example", name="Ivy again", actor=admin, now=now)


def test_an_invitation_expires_and_a_new_one_replaces_it(session, make_user, now):
    admin = make_user("admin")
    person, first = invitations.invite(session, email="ivy@park.example", name="Ivy Ho", actor=admin, now=now)
    second = invitations.resend_invitation(session, person.id, actor=admin, now=now + timedelta(days=1))
    with pytest.raises(NotFound):
        links.set_password_with_link(session, first, "lantern-harbour-tram", now=now + timedelta(days=2))
    with pytest.raises(NotFound):
        links.set_password_with_link(session, second, "lantern-harbour-tram", now=now + timedelta(days=15))
    links.set_password_with_link(session, second, "lantern-harbour-tram", now=now + timedelta(days=3))


def test_only_an_admin_invites_and_the_company_must_exist(session, make_user, now):
    manager, admin = make_user("manager"), make_user("admin")
    with pytest.raises(Forbidden):
        invitations.invite(session, email="ivy@park.example", name="Ivy", actor=manager, now=now)
    with pytest.raises(RuleViolation) as refused:
        invitations.invite(session, email="ivy@park.example", name="Ivy", company="Nowhere Ltd", actor=admin, now=now)
    assert refused.value.extra["violations"][0]["rule"] == "company"
    assert count(session, User, User.email == "ivy@park.example") == 0


# ----------------------------------------------------------------------------- confirming addresses


def test_email_confirmation_link(session, make_user, now):
    person = make_user(email="ivy@park.example", email_verified_at=None)
    assert links.send_verification(session, person, now=now)
    secret = secret_of(session, person.id, "email_verification")
    user, used = links.confirm_email(session, secret, now=now + timedelta(hours=1))
    assert (user.id, used.purpose, user.email_verified_at) == (person.id, "email_verification", now + timedelta(hours=1))
    with pytest.raises(NotFound):
        links.confirm_email(session, secret, now=now + timedelta(hours=2))
    assert not links.send_verification(session, person, now=now)  # confirmed already
    # A password link does not confirm through the confirmation page, nor the reverse.
    links.request_password_reset(session, "ivy@park.example", now=now)
    with pytest.raises(NotFound):
        links.confirm_email(session, secret_of(session, person.id, "password_reset"), now=now)


def test_a_contact_email_takes_effect_once_confirmed_and_links_still_go_to_the_sign_in_email(session, make_user,
                                                                                              now):
    person = make_user(email="ivy@park.example")
    assert links.request_contact_email(session, person, "Ivy.Home@mail.example", now=now) == "ivy.home@mail.example"
    session.refresh(person)
    assert person.contact_email is None
    note = session.execute(select(Notification).where(Notification.kind == "contact_email")).scalar_one()
    assert note.to_email == "ivy.home@mail.example"
    links.confirm_email(session, secret_of(session, person.id, "contact_email"), now=now)
    session.refresh(person)
    assert person.contact_email == "ivy.home@mail.example"

    links.request_password_reset(session, "ivy@park.example", now=now)
    reset = session.execute(select(Notification).where(Notification.kind == "password_reset")).scalar_one()
    everyday = Notification(user_id=person.id, kind="reminder", subject="Your booking", body="Tomorrow", link="/inbox")
    assert build_message(reset, person, "from@x", "https://park.example")["To"] == "ivy@park.example"
    message = build_message(everyday, person, "from@x", "https://park.example")
    assert message["To"] == "ivy.home@mail.example" and "https://park.example/inbox" in message.get_content()
    # The sign-in address again: notices go there at once.
    links.request_contact_email(session, person, "ivy@park.example", now=now)
    session.refresh(person)
    assert person.contact_email is None
    with pytest.raises(RuleViolation):
        links.request_contact_email(session, person, "not an address", now=now)
