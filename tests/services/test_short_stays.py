"""Short stays booked directly, on SQLite and PostgreSQL: a free short-stay unit is booked for
dates through the lease allocator (no overlap with another lease of the unit; one home a night
for the person), the limits of the unit type are kept, a refusal suggests the nearest free
dates, cancelling before check-in frees the nights, racing requests make exactly one stay,
and the ledger charges a stay its nightly total once."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Lease, User
from innocell.services import Conflict, NotFound, RuleViolation
from innocell.services import housing as h
from innocell.services.housing.common import local_day
from innocell.services.housing.short_stays import (
    book_short_stay,
    cancel_short_stay,
    free_stays,
    list_stays,
)
from innocell.services.housing.unit_types import update_type_info
from innocell.services.housing.wait_estimates import type_inputs
from innocell.services.ledger.dues import rent_dues
from innocell.services.renewals import due_lease_ids
from tests.races import on_threads


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def units(session, manager, now):
    """Two short-stay solo units and one ordinary solo unit; solo short stays at 400 a night."""
    made = {}
    for code, short in (("20-01", True), ("20-02", True), ("03-01", False)):
        made[code] = h.create_unit(session, {"code": code, "unit_type": "solo", "floor": int(code[:2]),
                                             "monthly_rent": 9000, "short_stay": short}, actor=manager, now=now)
    update_type_info(session, "solo", {"nightly_rate": "400", "stay_max_nights": 14, "stay_days_ahead": 60},
                     actor=manager, now=now)
    return made


def _day(now, days: int) -> date:
    return local_day(now) + timedelta(days=days)


def test_a_free_short_stay_unit_is_booked_for_its_nights_at_the_nightly_rate(session, units, make_user, now):
    guest = make_user()
    start, end = _day(now, 5), _day(now, 8)
    assert {row["unit"].code for row in free_stays(session, start, end, now=now)} == {"20-01", "20-02"}
    stay = book_short_stay(session, user=guest, unit_id=units["20-01"].id, check_in=start, check_out=end, now=now)
    assert (stay.kind, stay.status, stay.start_date, stay.end_date) == ("short_stay", "active", start, end)
    assert stay.nightly_rate == Decimal("400.00")
    assert [s.id for s in list_stays(session, viewer=guest)] == [stay.id]
    # The booked unit is no longer offered for those dates; the other still is.
    assert [row["unit"].code for row in free_stays(session, start, end, now=now)] == ["20-02"]
    assert free_stays(session, start, end, now=now)[0]["total"] == Decimal("1200.00")


def test_an_overlapping_second_request_is_refused_with_the_conflict_and_nearest_free_dates(
        session, units, make_user, now):
    first, second = make_user(), make_user()
    book_short_stay(session, user=first, unit_id=units["20-01"].id, check_in=_day(now, 5), check_out=_day(now, 8),
                    now=now)
    with pytest.raises(Conflict) as refused:
        book_short_stay(session, user=second, unit_id=units["20-01"].id, check_in=_day(now, 7),
                        check_out=_day(now, 9), now=now)
    assert "Unit 20-01 is not free" in refused.value.message
    assert refused.value.extra["conflicts"][0]["kind"] == "lease"
    suggested = refused.value.extra["suggestions"]
    # The nearest free two nights on 20-01 start on check-out day of the first stay (or before it),
    # and 20-02 is free for the asked dates.
    on_same = [(s["check_in"], s["check_out"]) for s in suggested if s["unit_code"] == "20-01"]
    assert (_day(now, 8).isoformat(), _day(now, 10).isoformat()) in on_same
    assert all(not (date.fromisoformat(a) < _day(now, 8) and _day(now, 5) < date.fromisoformat(b))
               for a, b in on_same)
    assert {"unit_code": "20-02", "check_in": _day(now, 7).isoformat(), "check_out": _day(now, 9).isoformat()}.items() \
        <= next(s for s in suggested if s["unit_code"] == "20-02").items()
    assert session.execute(select(func.count(Lease.id)).where(Lease.user_id == second.id)).scalar_one() == 0


def test_a_stay_overlapping_the_persons_own_home_is_refused_by_the_one_home_rule(
        session, units, manager, make_user, now):
    resident = make_user()
    h.create_lease(session, unit_id=units["03-01"].id, user_id=resident.id, start=_day(now, -30),
                   end=_day(now, 10), actor=manager, now=now)
    with pytest.raises(Conflict) as refused:
        book_short_stay(session, user=resident, unit_id=units["20-01"].id, check_in=_day(now, 5),
                        check_out=_day(now, 7), now=now)
    assert "One person holds one home a night" in refused.value.message
    # What is suggested starts once the home lease has ended.
    assert refused.value.extra["suggestions"]
    assert all(date.fromisoformat(s["check_in"]) >= _day(now, 10) for s in refused.value.extra["suggestions"])
    # From the day the lease ends the stay is fine.
    book_short_stay(session, user=resident, unit_id=units["20-01"].id, check_in=_day(now, 10),
                    check_out=_day(now, 12), now=now)


@pytest.mark.parametrize("days_in, days_out, field, words", [
    (5, 5, "check_out", "one night at least"),
    (5, 4, "check_out", "one night at least"),
    (5, 20, "check_out", "at most 14 nights"),
    (-1, 2, "check_in", "has passed"),
    (61, 63, "check_in", "at most 60 days ahead"),
])
def test_limits_are_refused_with_their_messages(session, units, make_user, now, days_in, days_out, field, words):
    guest = make_user()
    with pytest.raises(RuleViolation) as refused:
        book_short_stay(session, user=guest, unit_id=units["20-01"].id, check_in=_day(now, days_in),
                        check_out=_day(now, days_out), now=now)
    assert any(v["rule"] == field and words in v["message"] for v in refused.value.extra["violations"])
    assert session.execute(select(func.count(Lease.id))).scalar_one() == 0


def test_the_defaults_apply_when_the_type_sets_no_limits(session, manager, make_user, now):
    unit = h.create_unit(session, {"code": "21-01", "unit_type": "suite", "floor": 21, "monthly_rent": 15000,
                                   "short_stay": True}, actor=manager, now=now)
    guest = make_user()
    with pytest.raises(RuleViolation, match="at most 28 nights"):
        book_short_stay(session, user=guest, unit_id=unit.id, check_in=_day(now, 1), check_out=_day(now, 30),
                        now=now)
    stay = book_short_stay(session, user=guest, unit_id=unit.id, check_in=_day(now, 1), check_out=_day(now, 29),
                           now=now)
    assert stay.nightly_rate == Decimal("500.00")  # 15000 a month / 30


def test_only_units_marked_short_stay_can_be_booked_and_they_stay_out_of_rounds(
        session, units, make_user, manager, now):
    guest = make_user()
    with pytest.raises(NotFound):
        book_short_stay(session, user=guest, unit_id=units["03-01"].id, check_in=_day(now, 1),
                        check_out=_day(now, 2), now=now)
    for applicant in (make_user(), make_user()):
        h.submit_application(session, user=applicant, unit_type="solo", move_in=_day(now, 40), term_months=6,
                             now=now)
    h.commit_round(session, actor=manager, now=now)
    offered = {o.unit_id for o in h.list_offers(session, viewer=manager)}
    assert offered == {units["03-01"].id}


def test_cancelling_a_stay_that_has_not_started_frees_its_dates(session, units, make_user, now):
    guest, other = make_user(), make_user()
    start, end = _day(now, 3), _day(now, 6)
    stay = book_short_stay(session, user=guest, unit_id=units["20-01"].id, check_in=start, check_out=end, now=now)
    with pytest.raises(NotFound):
        cancel_short_stay(session, stay.id, user=other, now=now)
    cancelled = cancel_short_stay(session, stay.id, user=guest, now=now)
    assert (cancelled.status, cancelled.end_date) == ("terminated", start)
    assert list_stays(session, viewer=guest, upcoming_on=local_day(now)) == []
    again = book_short_stay(session, user=other, unit_id=units["20-01"].id, check_in=start, check_out=end, now=now)
    assert again.status == "active"
    with pytest.raises(Conflict, match="already terminated"):
        cancel_short_stay(session, stay.id, user=guest, now=now)


def test_a_stay_that_has_started_cannot_be_cancelled(session, units, make_user, now):
    guest = make_user()
    stay = book_short_stay(session, user=guest, unit_id=units["20-01"].id, check_in=_day(now, 0),
                           check_out=_day(now, 2), now=now)
    with pytest.raises(Conflict, match="only a stay that has not started"):
        cancel_short_stay(session, stay.id, user=guest, now=now)


def test_the_ledger_charges_a_stay_its_nightly_total_once_across_months(session, units, make_user, now):
    guest = make_user()
    first = local_day(now).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    start, end = next_month - timedelta(days=2), next_month + timedelta(days=3)  # 2 nights + 3 nights
    stay = book_short_stay(session, user=guest, unit_id=units["20-02"].id, check_in=start, check_out=end, now=now)
    dues = [d for month in (first, next_month) for d in rent_dues(session, month) if d.lease_id == stay.id]
    assert [d.rounded for d in dues] == [Decimal("800.00"), Decimal("1200.00")]
    assert sum(d.rounded for d in dues) == Decimal("2000.00")  # 5 nights at 400, once
    assert "night" in dues[0].description
    # Nothing is due for a cancelled stay.
    other = book_short_stay(session, user=make_user(), unit_id=units["20-01"].id, check_in=start + timedelta(days=1),
                            check_out=start + timedelta(days=2), now=now)
    cancel_short_stay(session, other.id, user=session.get(User, other.user_id), now=now)
    assert all(d.amount == 0 for d in rent_dues(session, first) if d.lease_id == other.id)


def test_a_short_stay_is_not_a_home_for_renewals_room_changes_or_wait_estimates(session, units, make_user, now):
    from innocell.services.housing.room_changes import request_room_change

    guest = make_user()
    stay = book_short_stay(session, user=guest, unit_id=units["20-01"].id, check_in=_day(now, 0),
                           check_out=_day(now, 10), now=now)
    with pytest.raises(RuleViolation, match="not a home"):
        request_room_change(session, user=guest, lease_id=stay.id, unit_type="solo", move_on=_day(now, 3),
                            reason="noise", now=now)
    assert stay.id not in due_lease_ids(session, local_day(now), 60)  # no renewal offer for a stay
    inputs = type_inputs(session, "solo", now)
    assert all(e.end != stay.end_date for e in inputs["ends"])
    assert inputs["free_now"] == 1  # 03-01; the short-stay units are not homes that free


def _race(app, barrier, user_id, unit_id, start, end, now):
    with app.app_context():
        session = db.session
        user = session.get(User, user_id)
        session.commit()
        barrier.wait(timeout=300)
        try:
            stay = book_short_stay(session, user=user, unit_id=unit_id, check_in=start, check_out=end, now=now)
            return ("ok", stay.id)
        except Conflict as exc:
            return ("conflict", exc.message)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            return ("error", repr(exc))
        finally:
            db.session.remove()


def _run_racers(app, args: list[tuple]) -> list:
    barrier = threading.Barrier(len(args))
    return on_threads([lambda a=a: _race(app, barrier, *a) for a in args], timeout=120)


def test_racing_requests_for_one_unit_and_dates_make_exactly_one_stay(app, session, units, make_user, now):
    guests = [make_user().id for _ in range(6)]
    unit_id = units["20-01"].id
    start, end = _day(now, 4), _day(now, 7)
    session.commit()
    results = _run_racers(app, [(g, unit_id, start, end, now) for g in guests])
    outcomes = [r[0] for r in results]
    assert "error" not in outcomes, results
    assert outcomes.count("ok") == 1, results
    assert all("20-01" in r[1] for r in results if r[0] == "conflict")
    session.rollback()
    assert session.execute(select(func.count(Lease.id)).where(Lease.unit_id == unit_id)).scalar_one() == 1


def test_one_person_racing_for_two_units_on_the_same_dates_gets_one_stay(app, session, units, make_user, now):
    guest = make_user().id
    start, end = _day(now, 4), _day(now, 7)
    session.commit()
    args = [(guest, units[code].id, start, end, now) for code in ("20-01", "20-02")] * 3
    results = _run_racers(app, args)
    outcomes = [r[0] for r in results]
    assert "error" not in outcomes, results
    assert outcomes.count("ok") == 1, results
    session.rollback()
    assert session.execute(select(func.count(Lease.id)).where(Lease.user_id == guest)).scalar_one() == 1
