"""Each role's home page shows that role's own picture of the park."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo
from decimal import Decimal

from innocell.models import Booking, HousingApplication, Lease, Space, Unit


def _unit(session, code, now):
    unit = Unit(code=code, unit_type="solo", floor=1, monthly_rent=Decimal("9800"), occupancy=1, created_at=now)
    session.add(unit)
    session.flush()
    return unit


def test_manager_home_counts_tonights_occupancy_and_links_pending_work(client, session, make_user, login, now):
    resident = make_user("resident")
    today = now.astimezone(ZoneInfo("Asia/Hong_Kong")).date()  # the page counts tonight by the app's clock
    let = _unit(session, "01-01", now)
    _unit(session, "01-02", now)  # a second unit, empty tonight
    session.add(Lease(unit_id=let.id, user_id=resident.id, start_date=today - timedelta(days=30),
                      end_date=today + timedelta(days=300), monthly_rent=Decimal("9800"), status="active",
                      created_at=now))
    space = Space(code="EV", name="Event Hall", kind="event_space", requires_approval=True, created_at=now)
    session.add(space)
    session.flush()
    session.add(Booking(space_id=space.id, user_id=resident.id, start_at=now + timedelta(days=3),
                        end_at=now + timedelta(days=3, hours=2), hold_end_at=now + timedelta(days=3, hours=2),
                        status="pending", created_at=now))
    session.add(HousingApplication(user_id=resident.id, unit_type="twin", move_in=today + timedelta(days=30),
                                   term_months=12, status="submitted", created_at=now))
    session.commit()
    login(make_user("manager"))
    page = client.get("/home").get_data(as_text=True)
    assert "50.0%" in page and "1 of 2 units" in page  # one of two units let tonight
    assert "Approve or decline 1 booking" in page and 'href="/manage/approvals"' in page
    assert "Preview an allocation round for 1 application" in page


def test_resident_home_lists_own_bookings_and_housing_only(client, session, make_user, login, now):
    alice, bob = make_user("resident", name="Alice"), make_user("resident", name="Bob")
    space = Space(code="MR", name="Meeting Room Peak", kind="meeting_room", created_at=now)
    session.add(space)
    session.flush()
    for user, title in ((alice, "Alice sync"), (bob, "Bob secret")):
        start = now + timedelta(days=1, hours=1 if user is alice else 3)
        session.add(Booking(space_id=space.id, user_id=user.id, start_at=start, end_at=start + timedelta(hours=1),
                            hold_end_at=start + timedelta(hours=1), status="confirmed", title=title, created_at=now))
    session.commit()
    login(alice)
    page = client.get("/home").get_data(as_text=True)
    assert "Meeting Room Peak" in page and "No lease or application yet" in page
    assert page.count("Meeting Room Peak") == 1  # Bob's booking of the same room is not shown


def test_finance_home_points_to_the_reports(client, make_user, login):
    login(make_user("finance"))
    page = client.get("/home").get_data(as_text=True)
    assert 'href="/reports"' in page and "occupancy tonight" in page
