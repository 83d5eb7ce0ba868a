"""Waiting is counted from the application (SQLite and PostgreSQL): an allocation round that
waitlists people does not restart their wait, so the queue order, the explanation and the
finance waitlist report all run from the day each person applied."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from innocell.allocation.waitlist import waiting_since
from innocell.models import WaitlistEntry
from innocell.services import housing as h
from innocell.services import reports

UTC = timezone.utc
OCTOBER = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_the_wait_starts_at_the_application_or_an_earlier_date_never_later_than_now():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert waiting_since(OCTOBER, now) == OCTOBER
    assert waiting_since(OCTOBER, now, earlier=OCTOBER - timedelta(days=30)) == OCTOBER - timedelta(days=30)
    assert waiting_since(OCTOBER, now, earlier=NOVEMBER) == OCTOBER  # a later date never delays the wait
    assert waiting_since(None, now) == now
    assert waiting_since(now + timedelta(days=1), now) == now


@pytest.fixture
def manager(make_user):
    return make_user("manager")


def test_a_round_keeps_each_applicants_application_date(session, manager, make_user, now):
    h.create_unit(session, {"code": "03-01", "unit_type": "twin", "floor": 3, "monthly_rent": "12000"},
                  actor=manager, now=now)
    early, late, placed = make_user(name="Early"), make_user(name="Late"), make_user(name="Placed", priority_tier=1)
    # Applied in October and November, waitlisted together by the round of 1 December. Late's row
    # is made first (the lower id), so only the application dates can put Early ahead.
    second = h.submit_application(session, user=late, unit_type="twin", move_in=date(2027, 1, 1), term_months=12,
                                  now=NOVEMBER)
    first = h.submit_application(session, user=early, unit_type="twin", move_in=date(2027, 1, 1), term_months=12,
                                 now=OCTOBER)
    h.submit_application(session, user=placed, unit_type="twin", move_in=date(2027, 1, 1), term_months=12, now=now)
    h.commit_round(session, actor=manager, now=now)

    entries = {e.user_id: e for e in session.execute(select(WaitlistEntry)).scalars()}
    assert entries[early.id].joined_at == OCTOBER and entries[late.id].joined_at == NOVEMBER
    rows = h.waitlist(session, unit_type="twin", viewer=manager)
    assert [(entry.user_id, position) for entry, position, _, _ in rows] == [(early.id, 1), (late.id, 2)]
    assert "1 of tier 3 who joined earlier" in rows[1][3]

    stats = {r["unit_type"]: r for r in reports.waitlist(session, now=now)}["twin"]
    waits = sorted(((now - OCTOBER).total_seconds() / 86400, (now - NOVEMBER).total_seconds() / 86400))
    assert stats["waiting"] == 2
    assert stats["median_wait_days"] == pytest.approx(sum(waits) / 2)
    assert stats["longest_wait_days"] == pytest.approx(waits[1]) and stats["median_wait_days"] > 0
    assert second.id < first.id


def test_joining_again_never_moves_the_start_later_and_an_explicit_date_moves_it_earlier(session, manager,
                                                                                       make_user, now):
    h.create_unit(session, {"code": "03-01", "unit_type": "solo", "floor": 3, "monthly_rent": "9000"},
                  actor=manager, now=now)
    user = make_user()
    app = h.submit_application(session, user=user, unit_type="solo", move_in=date(2027, 1, 1), term_months=6,
                               now=NOVEMBER)
    entry = h.join_waitlist(session, application=app, now=now)
    assert entry.joined_at == NOVEMBER
    again = h.join_waitlist(session, application=app, now=now + timedelta(days=3))
    assert again.id == entry.id and again.joined_at == NOVEMBER
    carried = h.join_waitlist(session, application=app, now=now, joined_at=OCTOBER)
    assert carried.id == entry.id and carried.joined_at == OCTOBER
