"""Joint applications for twin units, on SQLite and PostgreSQL: a resident names a partner; the
partner confirms (or declines); only a confirmed joint application enters rounds; the round
places the pair in one twin unit and offers it to each at once; each accepts for themself and
gets a lease of the unit (the pair's two leases may overlap, nobody else's); either's
withdrawal ends it; the partner's own lease keeps the pair out (one home a night)."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import HousingApplication, Lease, Offer, User
from innocell.services import Conflict, NotFound, RuleViolation
from innocell.services import housing as h
from innocell.services.housing.applications import answer_joint
from tests.races import on_threads

MOVE_IN = date(2027, 2, 1)


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def twin(session, manager, now):
    unit = h.create_unit(session, {"code": "12-01", "unit_type": "twin", "floor": 12, "monthly_rent": 13800,
                                   "occupancy": 2}, actor=manager, now=now)
    h.create_unit(session, {"code": "02-01", "unit_type": "solo", "floor": 2, "monthly_rent": 9000},
                  actor=manager, now=now)
    return unit


@pytest.fixture
def pair(make_user):
    return make_user(name="Ann Applicant", email="ann@example.test"), make_user(name="Pat Partner",
                                                                                email="pat@example.test")


def _apply(session, ann, now, **extra):
    return h.submit_application(session, user=ann, unit_type="twin", move_in=MOVE_IN, term_months=6,
                                partner_email="PAT@example.test", now=now, **extra)


def _offers(session, app_id):
    session.expire_all()
    return list(session.execute(select(Offer).where(Offer.application_id == app_id).order_by(Offer.id)).scalars())


def test_a_joint_application_waits_for_the_partner_and_then_the_round_offers_one_twin_to_both(
        session, twin, pair, manager, now):
    ann, pat = pair
    app = _apply(session, ann, now)
    assert (app.partner_id, app.partner_status, app.occupants) == (pat.id, "pending", 2)
    assert [a.id for a in h.list_applications(session, viewer=pat)] == [app.id]  # the partner sees it
    h.commit_round(session, actor=manager, now=now)
    assert _offers(session, app.id) == [] and session.get(HousingApplication, app.id).status == "submitted"
    answer_joint(session, app.id, user=pat, confirm=True, now=now)
    rnd = h.commit_round(session, actor=manager, now=now)
    offers = _offers(session, app.id)
    assert sorted(o.user_id for o in offers) == sorted([ann.id, pat.id])
    assert {(o.unit_id, o.start_date, o.end_date, o.round_id, o.status) for o in offers} == \
        {(twin.id, MOVE_IN, date(2027, 8, 1), rnd.id, "open")}


def test_each_accepts_for_themself_and_both_hold_a_lease_of_the_twin_unit(session, twin, pair, manager, now,
                                                                           make_user):
    ann, pat = pair
    app = _apply(session, ann, now)
    answer_joint(session, app.id, user=pat, confirm=True, now=now)
    h.commit_round(session, actor=manager, now=now)
    by_user = {o.user_id: o for o in _offers(session, app.id)}
    first = h.accept_offer(session, by_user[ann.id].id, user=ann, now=now)
    assert session.get(Offer, by_user[pat.id].id).status == "open"  # the partner's offer stays open
    second = h.accept_offer(session, by_user[pat.id].id, user=pat, now=now)
    assert {(x.user_id, x.unit_id, x.start_date, x.joint_application_id) for x in (first, second)} == \
        {(ann.id, twin.id, MOVE_IN, app.id), (pat.id, twin.id, MOVE_IN, app.id)}
    # Nobody else can be let the unit over those dates.
    with pytest.raises(Conflict, match="Unit 12-01 is not free"):
        h.create_lease(session, unit_id=twin.id, user_id=make_user().id, start=date(2027, 3, 1),
                       end=date(2027, 4, 1), actor=manager, now=now)


def test_a_declining_partner_ends_the_application_and_it_never_enters_a_round(session, twin, pair, manager, now):
    ann, pat = pair
    app = _apply(session, ann, now)
    with pytest.raises(NotFound):
        answer_joint(session, app.id, user=ann, confirm=True, now=now)  # only the partner answers
    answer_joint(session, app.id, user=pat, confirm=False, now=now)
    assert (app.status, app.partner_status) == ("withdrawn", "declined")
    h.commit_round(session, actor=manager, now=now)
    assert _offers(session, app.id) == []
    with pytest.raises(Conflict):
        answer_joint(session, app.id, user=pat, confirm=True, now=now)
    # Both may apply again.
    h.submit_application(session, user=pat, unit_type="solo", move_in=MOVE_IN, term_months=6, now=now)


@pytest.mark.parametrize("who", ["applicant", "partner"])
def test_withdrawal_by_either_ends_the_joint_application_and_its_offers(session, twin, pair, manager, now, who):
    ann, pat = pair
    app = _apply(session, ann, now)
    answer_joint(session, app.id, user=pat, confirm=True, now=now)
    h.commit_round(session, actor=manager, now=now)
    h.withdraw_application(session, app.id, user=ann if who == "applicant" else pat, now=now)
    assert session.get(HousingApplication, app.id).status == "withdrawn"
    assert {o.status for o in _offers(session, app.id)} == {"declined"}


def test_a_decline_before_either_accepts_ends_both_offers(session, twin, pair, manager, now):
    ann, pat = pair
    app = _apply(session, ann, now)
    answer_joint(session, app.id, user=pat, confirm=True, now=now)
    h.commit_round(session, actor=manager, now=now)
    by_user = {o.user_id: o for o in _offers(session, app.id)}
    h.decline_offer(session, by_user[pat.id].id, user=pat, now=now)
    assert {o.status for o in _offers(session, app.id)} == {"declined"}
    assert session.get(HousingApplication, app.id).status == "withdrawn"


def test_the_partners_own_lease_keeps_the_pair_out_of_the_round(session, twin, pair, manager, now):
    ann, pat = pair
    solo = h.list_units(session, unit_type="solo")[0]
    h.create_lease(session, unit_id=solo.id, user_id=pat.id, start=date(2026, 9, 1), end=date(2027, 3, 1),
                   actor=manager, now=now)
    app = _apply(session, ann, now)
    answer_joint(session, app.id, user=pat, confirm=True, now=now)
    h.commit_round(session, actor=manager, now=now)
    assert _offers(session, app.id) == []
    app = session.get(HousingApplication, app.id)
    assert app.status == "waitlisted" and "Your partner Pat Partner already holds a lease" in app.reason


@pytest.mark.parametrize("email, unit_type, words", [
    ("nobody@example.test", "twin", "no resident with that email"),
    ("ann@example.test", "twin", "Name someone else"),
    ("pat@example.test", "solo", "takes two people"),
])
def test_a_partner_who_cannot_share_is_refused(session, twin, pair, now, email, unit_type, words):
    ann, _ = pair
    with pytest.raises(RuleViolation) as refused:
        h.submit_application(session, user=ann, unit_type=unit_type, move_in=MOVE_IN, term_months=6,
                             partner_email=email, now=now)
    assert any(v["rule"] == "partner_email" and words in v["message"] for v in refused.value.extra["violations"])


def test_a_person_is_in_one_open_application_theirs_or_one_naming_them(session, twin, pair, make_user, now):
    ann, pat = pair
    h.submit_application(session, user=pat, unit_type="solo", move_in=MOVE_IN, term_months=6, now=now)
    with pytest.raises(Conflict, match="Pat Partner already has an open housing application"):
        _apply(session, ann, now)
    carl = make_user(name="Carl")
    app = h.submit_application(session, user=carl, unit_type="twin", move_in=MOVE_IN, term_months=6,
                               partner_email="ann@example.test", now=now)
    with pytest.raises(Conflict, match="already have an open application"):
        h.submit_application(session, user=ann, unit_type="solo", move_in=MOVE_IN, term_months=6, now=now)
    answer_joint(session, app.id, user=ann, confirm=False, now=now)
    h.submit_application(session, user=ann, unit_type="solo", move_in=MOVE_IN, term_months=6, now=now)


def test_the_pair_accepting_at_once_both_get_their_lease(app, session, twin, pair, manager, now):
    ann, pat = pair
    joint = _apply(session, ann, now)
    answer_joint(session, joint.id, user=pat, confirm=True, now=now)
    h.commit_round(session, actor=manager, now=now)
    offers = [(o.id, o.user_id) for o in _offers(session, joint.id)]
    session.commit()
    barrier = threading.Barrier(len(offers))

    def run(offer_id, user_id):
        with app.app_context():
            s = db.session
            user = s.get(User, user_id)
            s.commit()
            barrier.wait(timeout=300)
            try:
                h.accept_offer(s, offer_id, user=user, now=now)
                return "ok"
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
                return repr(exc)
            finally:
                db.session.remove()

    results = on_threads([lambda o=o: run(*o) for o in offers], timeout=120)
    assert results == ["ok", "ok"]
    session.rollback()
    assert session.execute(select(func.count(Lease.id)).where(Lease.unit_id == twin.id,
                                                              Lease.status == "active")).scalar_one() == 2
