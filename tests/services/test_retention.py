"""Retention: a person who left the park more than RETENTION_MONTHS ago and holds nothing live
is anonymised by a job; their records stay, so past reports are identical; idempotent, audited."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from innocell.jobs.runner import run_job
from innocell.models import AuditEvent, Booking, Lease, Notification, Space, Unit, User
from innocell.services import reports

from tests.conftest import FIXED_NOW

NOW = FIXED_NOW
HK = ZoneInfo("Asia/Hong_Kong")
LONG_AGO = datetime(2024, 3, 4, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def park(session, make_user):
    unit = Unit(code="05-01", unit_type="solo", floor=5, monthly_rent=Decimal("9800"), occupancy=1,
                created_at=datetime(2023, 1, 1, tzinfo=timezone.utc))
    space = Space(code="WL", name="Wet Lab", kind="wet_lab", hourly_rate=Decimal("100"),
                  created_at=datetime(2023, 1, 1, tzinfo=timezone.utc))
    session.add_all([unit, space])
    session.flush()
    people = {}
    periods = {"leaver": (date(2024, 1, 1), date(2024, 6, 1)), "holder": (date(2023, 1, 1), date(2023, 6, 1)),
               "recent": (date(2023, 7, 1), date(2023, 12, 1))}
    for n, (key, left_months_ago, live_booking) in enumerate(
            (("leaver", 25, False), ("holder", 25, True), ("recent", 6, False))):
        person = make_user("resident", email=f"{key}@example.test", name=f"{key.title()} Person")
        person.active = False
        person.deactivated_at = NOW - timedelta(days=31 * left_months_ago)
        session.add(Lease(unit_id=unit.id, user_id=person.id, start_date=periods[key][0], end_date=periods[key][1],
                          monthly_rent=Decimal("9800"), status="ended", created_at=LONG_AGO))
        at = LONG_AGO + timedelta(days=n)
        session.add(Booking(space_id=space.id, user_id=person.id, start_at=at, end_at=at + timedelta(hours=2),
                            hold_end_at=at + timedelta(hours=2), status="confirmed", title=f"{key} work",
                            created_at=LONG_AGO))
        if live_booking:
            later = NOW + timedelta(days=3 + n)
            session.add(Booking(space_id=space.id, user_id=person.id, start_at=later, end_at=later + timedelta(hours=1),
                                hold_end_at=later + timedelta(hours=1), status="confirmed", created_at=NOW))
        session.add(Notification(user_id=person.id, kind="hello", subject=f"Hello {person.name}", body="private",
                                 created_at=LONG_AGO))
        people[key] = person
    people["active"] = make_user("resident", email="active@example.test")
    session.commit()
    return {k: v.id for k, v in people.items()}


def _march_2024(session):
    start, end = date(2024, 3, 1), date(2024, 4, 1)
    return (reports.occupancy(session, start=start, end=end, group="unit"),
            reports.utilisation(session, start=start, end=end, group="space", tz=HK))


def test_only_the_long_gone_with_nothing_live_are_anonymised_and_past_reports_do_not_move(app, session, park):
    before = _march_2024(session)
    result = run_job(app, "retention", NOW, "cli")
    assert result.counts == {"people anonymised": 1}
    session.rollback()
    leaver = session.get(User, park["leaver"])
    assert leaver.name == f"Former resident {leaver.id}" and leaver.email.endswith("@invalid")
    assert leaver.anonymised_at == NOW
    for key in ("holder", "recent", "active"):
        assert session.get(User, park[key]).anonymised_at is None, key
    notes = session.execute(select(Notification).where(Notification.user_id == leaver.id)).scalars().all()
    assert notes and all("Leaver" not in n.subject and n.body == "" for n in notes)
    assert session.execute(select(Lease).where(Lease.user_id == leaver.id)).scalars().all()  # records kept
    assert _march_2024(session) == before
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "user.anonymised")).scalar_one()
    assert event.target_id == leaver.id and event.actor_id is None


def test_the_job_is_idempotent(app, session, park):
    assert run_job(app, "retention", NOW, "cli").counts == {"people anonymised": 1}
    assert run_job(app, "retention", NOW + timedelta(minutes=5), "cli").counts == {"people anonymised": 0}


def test_an_anonymised_person_cannot_sign_in(app, client, session, park):
    run_job(app, "retention", NOW, "cli")
    response = client.post("/api/v1/tokens", json={"email": "leaver@example.test", "password": "tram-harbour-7"})
    assert response.status_code == 401
