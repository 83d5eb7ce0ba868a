"""People administration through the services, on SQLite and PostgreSQL: role, company and
tier changes with their reasons in the audit trail, a tier change that moves the person in
the waitlist and shows in explanations, deactivation that ends sessions and tokens and
deletes nothing, the last admin kept, and the list's search."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from innocell.models import AuditEvent, Booking, HousingApplication, Lease, Notification, WaitlistEntry
from innocell.services import Forbidden, RuleViolation
from innocell.services import housing as h
from innocell.services import people
from innocell.services.accounts import issue_token, user_for_token

REASON = "incubatee"


@pytest.fixture
def admin(make_user):
    return make_user("admin", name="Ada Admin")


@pytest.fixture
def manager(make_user):
    return make_user("manager")


def audit(session, action="user.update"):
    return session.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars().all()


# ----------------------------------------------------------------------------- role, company, tier


def test_a_role_or_tier_change_needs_a_reason_and_changes_nothing_without_one(session, admin, make_user, now):
    person = make_user(priority_tier=3)
    for change in ({"role": "manager"}, {"priority_tier": 1}, {"role": "finance", "priority_tier": 2}):
        for reason in (None, "", "   "):
            with pytest.raises(RuleViolation) as refused:
                people.change_person(session, person.id, change, reason=reason, actor=admin, now=now)
            assert refused.value.extra["violations"][0]["rule"] == "reason"
    session.refresh(person)
    assert (person.role, person.priority_tier, person.tier_changed_at) == ("resident", 3, None)
    assert audit(session) == []


def test_a_role_change_is_audited_with_its_reason_and_the_values(session, admin, make_user, now):
    person = make_user()
    people.change_person(session, person.id, {"role": "manager"}, reason="Runs the labs now", actor=admin, now=now)
    session.refresh(person)
    assert person.role == "manager"
    event = audit(session)[0]
    assert (event.actor_id, event.target_id, event.reason, event.details["role"]) == (
        admin.id, person.id, "Runs the labs now", ["resident", "manager"])


def test_the_same_values_change_nothing_and_record_nothing(session, admin, make_user, now):
    person = make_user(priority_tier=2)
    people.change_person(session, person.id, {"role": "resident", "priority_tier": 2, "company": "Acme Bio"},
                         reason=None, actor=admin, now=now)
    assert audit(session) == []


def test_the_company_is_chosen_among_the_park_companies(session, admin, make_user, make_company, now):
    make_company("NanoBio Labs", email_domain="nanobio.example")
    person = make_user(company="Acme Bio")
    people.change_person(session, person.id, {"company": "  nanobio  LABS "}, reason=None, actor=admin, now=now)
    session.refresh(person)
    assert person.company == "NanoBio Labs"
    with pytest.raises(RuleViolation) as refused:
        people.change_person(session, person.id, {"company": "Unknown Ltd"}, reason=None, actor=admin, now=now)
    assert "add it under Companies" in refused.value.message
    people.change_person(session, person.id, {"company": None}, reason="left the company", actor=admin, now=now)
    session.refresh(person)
    assert (person.company_id, person.company) == (None, None)
    assert [e.details["company"] for e in audit(session)] == [["Acme Bio", "NanoBio Labs"], ["NanoBio Labs", None]]


def test_only_an_admin_changes_accounts(session, manager, make_user, now):
    person = make_user()
    with pytest.raises(Forbidden):
        people.change_person(session, person.id, {"role": "admin"}, reason="promotion", actor=manager, now=now)
    session.refresh(person)
    assert person.role == "resident"


@pytest.mark.parametrize("field,value", [("role", "boss"), ("priority_tier", 0), ("priority_tier", 100),
                                         ("priority_tier", "1"), ("priority_tier", True), ("active", "no")])
def test_bad_values_are_refused_naming_the_field(session, admin, make_user, now, field, value):
    person = make_user()
    with pytest.raises(RuleViolation) as refused:
        people.change_person(session, person.id, {field: value}, reason="why not", actor=admin, now=now)
    assert refused.value.extra["violations"][0]["rule"] == field


# ----------------------------------------------------------------------------- tier and the waitlist


def _waitlisted(session, manager, make_user, now, tiers):
    """A suite let for years, so every application joins the suite waitlist, an hour apart."""
    unit = h.create_unit(session, {"code": "12-01", "unit_type": "suite", "floor": 12, "monthly_rent": 16000},
                         actor=manager, now=now)
    h.create_lease(session, unit_id=unit.id, user_id=make_user().id, start=date(2026, 1, 1), end=date(2029, 1, 1),
                   actor=manager, now=now)
    users = []
    for i, tier in enumerate(tiers):
        user = make_user(priority_tier=tier)
        h.submit_application(session, user=user, unit_type="suite", move_in=date(2027, 1, 1), term_months=12,
                             now=now)
        h.commit_round(session, actor=manager, now=now + timedelta(hours=i))
        users.append(user)
    return users


def _order(session, manager):
    return [row[0].user_id for row in h.waitlist(session, viewer=manager)]


def test_a_tier_change_moves_the_person_in_the_waitlist_and_the_explanation_says_why(session, admin, manager,
                                                                                       make_user, now):
    first, second, third = _waitlisted(session, manager, make_user, now, [2, 2, 3])
    assert _order(session, manager) == [first.id, second.id, third.id]
    # A manager had placed the third person by hand; the admin's tier decision supersedes it.
    entry = session.execute(select(WaitlistEntry).where(WaitlistEntry.user_id == third.id)).scalar_one()
    h.reorder_waitlist(session, entry.id, new_position=2, reason="Asked nicely", actor=manager, now=now)

    changed_at = now - timedelta(days=2)  # 29 Nov 2026 in Hong Kong
    people.change_person(session, third.id, {"priority_tier": 1}, reason=REASON, actor=admin, now=changed_at)

    assert _order(session, manager) == [third.id, first.id, second.id]
    entry = session.get(WaitlistEntry, entry.id)
    assert (entry.priority_tier, entry.manual_rank) == (1, None)
    _, position, ahead, text = h.waitlist(session, viewer=third)[0]
    assert (position, ahead) == (1, 0)
    assert text == "Tier 1 since 29 Nov 2026 (changed by an admin: incubatee); no one ahead: you are first in line."
    # The others' explanations name the tier ahead of them.
    _, _, _, text = h.waitlist(session, viewer=first)[0]
    assert text.startswith("Tier 2; 1 applicant ahead: 1 of tier 1")
    event = audit(session)[0]
    assert (event.reason, event.details["priority_tier"], event.details["waitlist_entries_moved"]) == (
        REASON, [3, 1], 1)
    note = session.execute(select(Notification).where(Notification.user_id == third.id,
                                                      Notification.kind == "priority_tier")).scalar_one()
    assert "tier 1" in note.subject and REASON in note.body


def test_the_allocation_round_shows_the_changed_tier_and_its_reason(session, admin, manager, make_user, now):
    unit = h.create_unit(session, {"code": "12-02", "unit_type": "solo", "floor": 12, "monthly_rent": 9000},
                         actor=manager, now=now)
    a, b = make_user(priority_tier=2), make_user(priority_tier=2)
    for user in (a, b):
        h.submit_application(session, user=user, unit_type="solo", move_in=date(2027, 1, 1), term_months=12, now=now)
    people.change_person(session, b.id, {"priority_tier": 1}, reason=REASON, actor=admin, now=now)
    preview = h.preview_round(session, actor=manager, now=now)
    placed = preview["assignments"][0]
    assert (placed["user_id"], placed["unit_id"], placed["priority_tier"]) == (b.id, unit.id, 1)
    assert placed["tier_note"] == " since 1 Dec 2026 (changed by an admin: incubatee)"
    left = preview["unassigned"][0]
    assert left["user_id"] == a.id and "tier_note" not in left  # unchanged tiers add nothing
    assert "higher tier" in left["reason"]


# ----------------------------------------------------------------------------- deactivation


def test_deactivation_ends_sessions_and_tokens_and_deletes_nothing(session, admin, manager, make_user, now):
    (person,) = _waitlisted(session, manager, make_user, now, [2])
    from innocell.services import bookings, spaces

    space = spaces.create_space(session, {"code": "MR-9", "name": "Room 9", "kind": "meeting_room"},
                                actor=manager, now=now)
    booking = bookings.book(session, user=person, space_id=space.id, start=now + timedelta(days=1),
                            end=now + timedelta(days=1, hours=1), now=now)
    plain, _ = issue_token(session, person, now=now, hours=24)
    session_token = person.session_token
    assert user_for_token(session, plain, now=now).id == person.id

    people.change_person(session, person.id, {"active": False}, reason="Left the park", actor=admin, now=now)

    session.refresh(person)
    assert (person.active, person.deactivated_at) == (False, now)
    assert person.session_token != session_token
    assert user_for_token(session, plain, now=now) is None
    assert session.get(Booking, booking.id).status == "confirmed"  # what they hold stays, for a manager to decide
    assert session.execute(select(func.count(HousingApplication.id))).scalar_one() == 1
    event = audit(session)[0]
    assert event.reason == "Left the park" and event.details["active"] == [True, False]
    assert event.details["held"] == {"bookings": 1, "leases": 0, "offers": 0, "applications": 1,
                                     "waitlist_entries": 1, "slot_requests": 0, "api_tokens": 1}
    held = people.holdings(session, person.id, now=now)
    assert [b.id for b in held.bookings] == [booking.id] and held.api_tokens == 0


def test_a_deactivated_person_gets_no_offer_and_keeps_the_place_for_reactivation(session, admin, manager,
                                                                                   make_user, now):
    first, second = _waitlisted(session, manager, make_user, now, [1, 2])
    people.change_person(session, first.id, {"active": False}, reason="On leave", actor=admin, now=now)
    rows = h.waitlist(session, viewer=manager)
    assert [row[0].user_id for row in rows] == [second.id, first.id]  # still listed for staff, last...
    assert rows[0][1:3] == (1, 0)
    assert rows[1][1] is None and "deactivated" in rows[1][3]  # ...without a place
    lease = session.execute(select(Lease)).scalar_one()
    h.terminate_lease(session, lease.id, on=date(2026, 12, 20), reason="Left early", actor=manager, now=now)
    preview = h.preview_round(session, actor=manager, now=now)
    assert [a["user_id"] for a in preview["assignments"]] == [second.id]

    people.change_person(session, first.id, {"active": True}, reason="Back", actor=admin, now=now)
    assert [row[1] for row in h.waitlist(session, viewer=manager)] == [1, 2]
    assert [a["user_id"] for a in h.preview_round(session, actor=manager, now=now)["assignments"]] == [first.id]


def test_a_deactivated_or_unconfirmed_person_cannot_book_or_apply(session, admin, manager, make_user, now):
    from innocell.services import bookings, spaces

    space = spaces.create_space(session, {"code": "MR-8", "name": "Room 8", "kind": "meeting_room"},
                                actor=manager, now=now)
    h.create_unit(session, {"code": "12-03", "unit_type": "solo", "floor": 12, "monthly_rent": 9000},
                  actor=manager, now=now)
    unconfirmed, gone = make_user(email_verified_at=None), make_user()
    people.change_person(session, gone.id, {"active": False}, reason="Left", actor=admin, now=now)
    start = now + timedelta(days=1)
    for person, words in ((unconfirmed, "Confirm the email address"), (gone, "deactivated")):
        with pytest.raises(Forbidden) as refused:
            bookings.book(session, user=person, space_id=space.id, start=start, end=start + timedelta(hours=1),
                          now=now)
        assert words in refused.value.message
        with pytest.raises(Forbidden):
            h.submit_application(session, user=person, unit_type="solo", move_in=date(2027, 1, 1), term_months=6,
                                 now=now)
    assert session.execute(select(func.count(Booking.id))).scalar_one() == 0
    assert session.execute(select(func.count(HousingApplication.id))).scalar_one() == 0


def test_the_park_keeps_an_admin(session, admin, make_user, now):
    with pytest.raises(RuleViolation) as refused:
        people.change_person(session, admin.id, {"active": False}, reason="bye", actor=admin, now=now)
    assert refused.value.extra["violations"][0]["rule"] == "self"
    with pytest.raises(RuleViolation) as refused:
        people.change_person(session, admin.id, {"role": "manager"}, reason="step down", actor=None, now=now)
    assert refused.value.extra["violations"][0]["rule"] == "last_admin"
    other = make_user("admin")
    people.change_person(session, admin.id, {"role": "manager"}, reason="step down", actor=other, now=now)
    session.refresh(admin)
    assert admin.role == "manager"
    event = audit(session)[0]
    assert event.actor_id == other.id


# ----------------------------------------------------------------------------- the list


def test_search_by_name_email_company_role_and_state_in_pages(session, admin, make_user, make_company, now):
    make_company("Harbour Robotics", email_domain="harbour.example")
    wing = make_user(name="Wing Chan", email="wing@harbour.example", company="Harbour Robotics")
    make_user(name="Ivy Ho", email="ivy@park.example")
    gone = make_user(name="Leo Lam", email="leo@park.example", company="Harbour Robotics")
    people.change_person(session, gone.id, {"active": False}, reason="Left", actor=admin, now=now)
    fresh = make_user(name="Zoe Ng", email_verified_at=None)

    def names(**kw):
        rows, total = people.search(session, **kw)
        return [u.name for u in rows], total

    assert names(q="harbour") == (["Leo Lam", "Wing Chan"], 2)
    assert names(q="IVY@") == (["Ivy Ho"], 1)
    assert names(q="%") == ([], 0)  # a wildcard is a character like any other
    assert names(role="admin") == (["Ada Admin"], 1)
    assert names(state="deactivated") == (["Leo Lam"], 1)
    assert names(state="unverified") == (["Zoe Ng"], 1)
    assert names(active=False) == (["Leo Lam"], 1)
    assert names(company_id=wing.company_id) == (["Leo Lam", "Wing Chan"], 2)
    assert names(per_page=2, page=2) == (["Leo Lam", "Wing Chan"], 5)  # Ada, Ivy | Leo, Wing | Zoe
    assert people.person_state(fresh) == "unverified" and people.person_state(gone) == "deactivated"


def test_the_waitlist_job_passes_over_a_deactivated_person(app, session, admin, manager, make_user, now):
    from zoneinfo import ZoneInfo

    from innocell.models import Offer
    from innocell.services import waitlist_promotion

    first, second = _waitlisted(session, manager, make_user, now, [1, 2])
    people.change_person(session, first.id, {"active": False}, reason="On leave", actor=admin, now=now)
    lease = session.execute(select(Lease)).scalar_one()
    h.terminate_lease(session, lease.id, on=date(2026, 12, 20), reason="Left early", actor=manager, now=now)
    offer = waitlist_promotion.promote_unit(session, lease.unit_id, now=now, tz=ZoneInfo("Asia/Hong_Kong"),
                                            config=app.config)
    assert offer is not None and offer.user_id == second.id
    assert session.execute(select(func.count(Offer.id)).where(Offer.user_id == first.id)).scalar_one() == 0
