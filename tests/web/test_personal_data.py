"""A person's data on request: every kind of record they have, nothing of anyone else's, as a
file and a readable page; a correction request reaches the managers."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from innocell.extensions import db
from innocell.models import Booking, HousingApplication, Lease, Notification, Space, Unit, WaitlistEntry
from innocell.services import bookings
from innocell.services.notifications import notify
from innocell.services.tx import transaction

pytestmark = pytest.mark.both_db


@pytest.fixture
def park(make_user, now):
    alice = make_user("resident", email="alice@example.test", name="Alice Wong")
    bob = make_user("resident", email="bob@example.test", name="Bob Secret")
    manager = make_user("manager", email="max@example.test", name="Max Manager")
    space = Space(code="WL", name="Wet Lab", kind="wet_lab", created_at=now)
    unit = Unit(code="03-01", unit_type="solo", floor=3, monthly_rent=Decimal("9800"), occupancy=1, created_at=now)
    db.session.add_all([space, unit])
    db.session.commit()
    start = now + timedelta(days=2)
    mine = bookings.book(db.session, user=alice, space_id=space.id, start=start, end=start + timedelta(hours=1),
                         now=now, title="Alice assay")
    bookings.book(db.session, user=bob, space_id=space.id, start=start + timedelta(hours=2),
                  end=start + timedelta(hours=3), now=now, title="Bob private project")
    bookings.cancel(db.session, mine.id, actor=manager, now=now, reason="Maintenance")

    @transaction
    def records(session):
        for who in (alice, bob):
            session.add(Lease(unit_id=unit.id, user_id=who.id, start_date=date(2026, 1, 1) if who is alice
                              else date(2027, 6, 1), end_date=date(2026, 6, 1) if who is alice else date(2027, 9, 1),
                              monthly_rent=Decimal("9800"), status="ended", created_at=now))
            session.add(HousingApplication(user_id=who.id, unit_type="solo", move_in=date(2027, 1, 1),
                                           term_months=12, status="waitlisted", created_at=now))
            session.add(WaitlistEntry(user_id=who.id, unit_type="solo", joined_at=now, status="waiting"))
            notify(session, user_id=who.id, kind="hello", subject=f"Hello {who.name}", body="", now=now)

    records(db.session)
    return alice, bob, manager


def test_the_export_holds_every_kind_of_record_and_nothing_of_anyone_elses(client, login, park):
    alice, bob, _ = park
    login(alice)
    response = client.get("/account/my-data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data())
    assert data["profile"]["email"] == "alice@example.test" and "password_hash" not in data["profile"]
    for kind, model in (("bookings", Booking), ("leases", Lease), ("housing_applications", HousingApplication),
                        ("waitlist_entries", WaitlistEntry), ("notifications", Notification)):
        expected = db.session.query(model.id).filter(model.user_id == alice.id).count()
        assert expected >= 1 and len(data[kind]) == expected, kind
    assert data["bookings"][0]["cancelled_by_id"] == "staff"  # the manager is not named
    assert data["api_tokens"] == [] and data["login_attempts"]  # her sign-in is on record
    text = response.get_data(as_text=True)
    for other in ("bob@example.test", "Bob Secret", "Bob private project", "max@example.test", "Max Manager"):
        assert other not in text
    assert "session_token" not in text and "password_hash" not in text and "token_hash" not in text


def test_the_page_summarises_and_a_correction_request_reaches_the_managers(client, login, park):
    alice, _, manager = park
    login(alice)
    page = client.get("/account/my-data").get_data(as_text=True)
    assert "Alice Wong" in page and "Bookings" in page and 'data-testid="download-my-data"' in page
    sent = client.post("/account/correction", data={"what": "My name is Alice Wong Ka-yan."})
    assert sent.status_code == 302
    note = db.session.query(Notification).filter(Notification.user_id == manager.id,
                                                 Notification.kind == "correction_request").one()
    assert "Alice Wong Ka-yan" in note.body


def test_only_an_admin_may_download_someone_elses_data(client, api, make_user, park):
    alice, bob, manager = park
    assert api(alice).get(f"/api/v1/users/{bob.id}/data").status_code == 403
    assert api(manager).get(f"/api/v1/users/{bob.id}/data").status_code == 403
    admin = api(make_user("admin"))
    data = json.loads(admin.get(f"/api/v1/users/{bob.id}/data").get_data())
    assert data["profile"]["email"] == "bob@example.test"
    assert json.loads(api(alice).get("/api/v1/me/data").get_data())["profile"]["email"] == "alice@example.test"
