"""Text is checked as stored: what the app adds to a typed value never makes it outgrow its
column, and any value longer than its column is a 400 naming the field, on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from innocell.models import Booking, Space
from innocell.services import BadRequest
from innocell.services import blackouts, bookings
from innocell.services.stored_text import fit
from innocell.services.tx import transaction

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def lab(session):
    space = Space(code="WL", name="Wet Lab", kind="wet_lab", capacity=1, created_at=NOW,
                  opening_hours={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    session.add(space)
    session.commit()
    return space


def test_a_blackout_reason_at_its_limit_still_cancels_with_the_reason_kept_within_its_column(session, lab, make_user):
    resident, manager = make_user("resident"), make_user("manager")
    start = NOW + timedelta(days=2)
    booking = bookings.book(session, user=resident, space_id=lab.id, start=start, end=start + timedelta(hours=1),
                            now=NOW)
    reason = "r" * 300  # the longest a manager may type
    blackouts.add_blackout(session, lab.id, start=start, end=start + timedelta(hours=2), reason=reason,
                           actor=manager, now=NOW)
    stored = session.get(Booking, booking.id)
    assert stored.status == "cancelled"
    assert len(stored.cancel_reason) == 300 and stored.cancel_reason.startswith("Blackout: rrr")
    assert stored.cancel_reason.endswith("…")


def test_a_value_longer_than_its_column_is_refused_naming_the_field_and_nothing_is_stored(session):
    @transaction
    def add(session):
        session.add(Space(code="LONG", name="n" * 201, kind="wet_lab", created_at=NOW))

    with pytest.raises(BadRequest) as refused:
        add(session)
    assert refused.value.extra["field"] == "name" and "at most 200" in refused.value.message
    assert session.execute(select(func.count()).select_from(Space)).scalar_one() == 0


def test_fit_keeps_short_text_and_marks_a_cut():
    assert fit("short", 10) == "short"
    assert fit("x" * 12, 10) == "x" * 9 + "…" and len(fit("x" * 12, 10)) == 10
