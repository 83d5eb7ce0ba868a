"""Manager pages for spaces: inventory with opening hours, deactivation, blackouts (one-off with
the bookings they cancel, weekly), authorisations, the approval queue and a space's bookings."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import AuditEvent, Authorisation, Blackout, Booking, Notification, RecurringBlackout, Space
from innocell.services import blackouts as blackout_service
from innocell.services import bookings as booking_service
from innocell.services import spaces as space_service
from innocell.timeutil import utcnow
from tests.web.space_times import ALL_DAY, HK, at, next_tuesday

@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def as_manager(client, login, manager):
    login(manager)
    return manager


@pytest.fixture
def make_space(session, manager):
    def _make(code, **fields):
        data = {"code": code, "name": fields.pop("name", f"Lab {code}"), "kind": fields.pop("kind", "wet_lab"),
                "opening_hours": ALL_DAY, "min_minutes": 60}
        data.update(fields)
        return space_service.create_space(session, data, actor=manager, now=utcnow())

    return _make


@pytest.fixture
def lab(make_space):
    return make_space("WL-01")


def book(session, user, space, day, start, end, title=""):
    booking = booking_service.book(session, user=user, space_id=space.id, start=at(day, start), end=at(day, end),
                                   title=title, now=utcnow())
    session.commit()
    return booking


SPACE_FORM = {
    "code": "DL-09", "name": "Dry Lab 9", "kind": "dry_lab", "description": "Fume-free bench space",
    "capacity": "2", "slot_minutes": "30", "min_minutes": "30", "max_minutes": "240", "buffer_minutes": "15",
    "max_days_ahead": "30", "hourly_rate": "220.50", "requires_approval": "y",
    "hours_mon": "08:00-12:00, 13:00-22:00", "hours_tue": "08:00-22:00", "hours_wed": "", "hours_thu": "9:00-17:00",
    "hours_fri": "08:00-24:00", "hours_sat": "", "hours_sun": "",
}


# ---------------------------------------------------------------- access


def test_manager_pages_are_for_managers_and_admins_only(client, login, make_user, lab):
    paths = ["/manage/spaces", "/manage/spaces/new", f"/manage/spaces/{lab.id}/edit",
             f"/manage/spaces/{lab.id}/deactivate", f"/manage/spaces/{lab.id}/blackouts", "/manage/authorisations",
             "/manage/approvals", f"/manage/spaces/{lab.id}/bookings"]
    for role in ("resident", "finance"):
        login(make_user(role))
        for path in paths:
            assert client.get(path).status_code == 403, (role, path)
        assert client.post(f"/manage/spaces/{lab.id}/blackouts", data={}).status_code == 403
        client.post("/logout")
    login(make_user("admin"))
    for path in paths:
        assert client.get(path).status_code == 200, path


# ---------------------------------------------------------------- inventory


def test_index_lists_active_and_inactive_spaces(client, as_manager, make_space, session, manager):
    make_space("WL-01")
    old = make_space("WL-OLD")
    space_service.set_space_active(session, old.id, False, actor=manager, now=utcnow())
    page = client.get("/manage/spaces").get_data(as_text=True)
    active, inactive = page.split('data-testid="inactive-spaces"')
    assert 'data-code="WL-01"' in active and 'data-code="WL-OLD"' not in active
    assert 'data-code="WL-OLD"' in inactive


def test_create_space_with_several_opening_windows_a_day(client, as_manager, session):
    response = client.post("/manage/spaces/new", data=SPACE_FORM)
    assert response.status_code == 302
    space = session.execute(select(Space).where(Space.code == "DL-09")).scalar_one()
    assert space.opening_hours == {"mon": [["08:00", "12:00"], ["13:00", "22:00"]], "tue": [["08:00", "22:00"]],
                                   "thu": [["09:00", "17:00"]], "fri": [["08:00", "24:00"]]}
    assert (space.capacity, space.max_minutes, space.buffer_minutes, space.requires_approval) == (2, 240, 15, True)
    assert str(space.hourly_rate) == "220.50" and space.requires_checkin is False
    assert session.execute(select(AuditEvent.action).where(AuditEvent.kind == "action")).scalars().all() == ["space.create"]


def test_create_space_errors_are_inline_and_nothing_is_saved(client, as_manager, session):
    data = dict(SPACE_FORM, hours_mon="08:00-12:00, 11:00-14:00", hours_tue="noon-4pm", capacity="0",
                min_minutes="120", max_minutes="60")
    response = client.post("/manage/spaces/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "overlap" in page and "is not a time of day" in page
    assert "The longest booking cannot be shorter than the shortest." in page
    assert "Number must be between 1 and 1000." in page
    assert session.execute(select(func.count(Space.id))).scalar_one() == 0


def test_create_space_service_rules_land_on_their_fields(client, as_manager, session):
    response = client.post("/manage/spaces/new", data=dict(SPACE_FORM, slot_minutes="7"))
    assert response.status_code == 422
    assert re.search(r'id="slot_minutes".*?The slot length must divide a day evenly', response.get_data(as_text=True),
                     re.S)


def test_duplicate_code_is_refused_on_the_code_field(client, as_manager, lab, session):
    response = client.post("/manage/spaces/new", data=dict(SPACE_FORM, code="WL-01"))
    assert response.status_code == 409
    assert "A space with the code &#39;WL-01&#39; already exists." in response.get_data(as_text=True)
    assert session.execute(select(func.count(Space.id))).scalar_one() == 1


def test_edit_space_shows_current_values_and_saves(client, as_manager, session, lab):
    page = client.get(f"/manage/spaces/{lab.id}/edit").get_data(as_text=True)
    assert 'value="WL-01"' in page and 'value="08:00-20:00"' in page
    data = dict(SPACE_FORM, code="WL-01", name="Wet Lab One", kind="wet_lab", hours_sat="", hours_sun="10:00-16:00")
    assert client.post(f"/manage/spaces/{lab.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    space = session.get(Space, lab.id)
    assert space.name == "Wet Lab One" and space.opening_hours["sun"] == [["10:00", "16:00"]]
    assert "sat" not in space.opening_hours and "wed" not in space.opening_hours


def test_deactivate_asks_first_then_reactivate(client, as_manager, session, lab):
    page = client.get(f"/manage/spaces/{lab.id}/deactivate").get_data(as_text=True)
    assert "Deactivate WL-01?" in page
    db.session.expire_all()
    assert session.get(Space, lab.id).active is True
    assert client.post(f"/manage/spaces/{lab.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert session.get(Space, lab.id).active is False
    assert client.post(f"/manage/spaces/{lab.id}/reactivate").status_code == 302
    db.session.expire_all()
    assert session.get(Space, lab.id).active is True


# ---------------------------------------------------------------- blackouts


def test_blackout_over_bookings_shows_them_first_then_cancels_and_lists_them(client, login, make_user, session,
                                                                             lab, manager):
    day = next_tuesday()
    holder = make_user(name="Holly Holder")
    booking = book(session, holder, lab, day, "10:00", "12:00", title="Cell culture")
    login(manager)
    form = {"start": f"{day}T09:00", "end": f"{day}T11:00", "reason": "Fume hood service"}

    preview = client.post(f"/manage/spaces/{lab.id}/blackouts", data=form)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert 'data-testid="bookings-to-cancel"' in page and "Holly Holder" in page
    assert session.execute(select(func.count(Blackout.id))).scalar_one() == 0  # nothing yet

    done = client.post(f"/manage/spaces/{lab.id}/blackouts", data=dict(form, confirm="yes"))
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    assert 'data-testid="cancelled-bookings"' in page and "Holly Holder" in page and "Cell culture" in page
    db.session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"
    blackout = session.execute(select(Blackout)).scalar_one()
    assert (blackout.start_at, blackout.end_at, blackout.reason) == (at(day, "09:00"), at(day, "11:00"),
                                                                     "Fume hood service")
    assert session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == holder.id, Notification.kind == "booking_cancelled")).scalar_one() == 1
    listing = client.get(f"/manage/spaces/{lab.id}/blackouts").get_data(as_text=True)
    assert "Fume hood service" in listing


def test_blackout_without_bookings_is_added_at_once(client, as_manager, session, lab):
    day = next_tuesday()
    response = client.post(f"/manage/spaces/{lab.id}/blackouts",
                           data={"start": f"{day}T09:00", "end": f"{day}T11:00", "reason": "Calibration"})
    assert response.status_code == 200 and 'data-testid="no-cancelled"' in response.get_data(as_text=True)
    assert session.execute(select(func.count(Blackout.id))).scalar_one() == 1


def test_blackout_form_errors_are_inline(client, as_manager, session, lab):
    day = next_tuesday()
    response = client.post(f"/manage/spaces/{lab.id}/blackouts",
                           data={"start": f"{day}T11:00", "end": f"{day}T09:00", "reason": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The end must come after the start." in page and "Say why (residents see it)." in page
    past = client.post(f"/manage/spaces/{lab.id}/blackouts",
                       data={"start": "2020-01-01T09:00", "end": "2020-01-01T10:00", "reason": "Old"})
    assert past.status_code == 422 and "A blackout must end in the future." in past.get_data(as_text=True)
    assert session.execute(select(func.count(Blackout.id))).scalar_one() == 0


def test_lift_blackout(client, as_manager, session, lab, manager):
    day = next_tuesday()
    blackout, _ = blackout_service.add_blackout(session, lab.id, start=at(day, "09:00"), end=at(day, "10:00"),
                                                reason="Service", actor=manager, now=utcnow())
    response = client.post(f"/manage/blackouts/{blackout.id}/lift", data={"space_id": lab.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/manage/spaces/{lab.id}/blackouts")
    db.session.expire_all()
    assert session.get(Blackout, blackout.id).lifted_at is not None


def test_weekly_closure_is_added_listed_and_lifted(client, login, make_user, session, lab, manager):
    day = next_tuesday()
    booking = book(session, make_user(), lab, day, "08:00", "09:00")
    login(manager)
    response = client.post(f"/manage/spaces/{lab.id}/recurring-blackouts",
                           data={"weekday": "1", "start_time": "8:00", "end_time": "10:00", "valid_from": "",
                                 "valid_until": "", "reason": "Cleaning"})
    assert response.status_code == 200
    assert 'data-testid="cancelled-bookings"' in response.get_data(as_text=True)
    rule = session.execute(select(RecurringBlackout)).scalar_one()
    assert (rule.weekday, rule.start_time, rule.end_time) == (1, "08:00", "10:00")
    db.session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"
    assert "Every Tuesday 08:00–10:00" in client.get(f"/manage/spaces/{lab.id}/blackouts").get_data(as_text=True)
    assert client.post(f"/manage/recurring-blackouts/{rule.id}/lift", data={"space_id": lab.id}).status_code == 302
    db.session.expire_all()
    assert session.get(RecurringBlackout, rule.id).lifted_at is not None


def test_weekly_closure_errors_are_inline(client, as_manager, session, lab):
    response = client.post(f"/manage/spaces/{lab.id}/recurring-blackouts",
                           data={"weekday": "1", "start_time": "10:00", "end_time": "09:00", "reason": "x"})
    assert response.status_code == 422 and "The end must come after the start." in response.get_data(as_text=True)
    assert session.execute(select(func.count(RecurringBlackout.id))).scalar_one() == 0


# ---------------------------------------------------------------- authorisations


def test_grant_by_email_then_revoke_with_confirmation(client, login, make_user, session, make_space, manager):
    shared = make_space("WL-SH", capacity=4, requires_authorisation=True)
    trainee = make_user(email="trainee@example.test", name="Terry Trainee")
    login(manager)
    expires = (utcnow().astimezone(HK).date() + timedelta(days=90)).isoformat()
    response = client.post("/manage/authorisations", data={"email": " Trainee@Example.test ", "space_id": shared.id,
                                                            "expires_on": expires, "note": "Biosafety L2"})
    assert response.status_code == 302
    grant = session.execute(select(Authorisation)).scalar_one()
    assert (grant.user_id, grant.space_id, grant.note) == (trainee.id, shared.id, "Biosafety L2")
    assert grant.expires_at.astimezone(HK).date().isoformat() > expires  # through the end of that day
    assert "Terry Trainee" in client.get("/manage/authorisations").get_data(as_text=True)

    assert "Revoke this authorisation?" in client.get(f"/manage/authorisations/{grant.id}/revoke").get_data(as_text=True)
    assert client.post(f"/manage/authorisations/{grant.id}/revoke").status_code == 302
    db.session.expire_all()
    assert session.get(Authorisation, grant.id).revoked_at is not None


def test_grant_to_unknown_email_or_past_expiry_is_an_inline_error(client, as_manager, session, make_space, make_user):
    shared = make_space("WL-SH", requires_authorisation=True)
    response = client.post("/manage/authorisations", data={"email": "nobody@example.test", "space_id": shared.id})
    assert response.status_code == 422 and "No account has this email." in response.get_data(as_text=True)
    make_user(email="someone@example.test")
    past = client.post("/manage/authorisations", data={"email": "someone@example.test", "space_id": shared.id,
                                                        "expires_on": "2020-01-01"})
    assert past.status_code == 422 and "The expiry must be in the future." in past.get_data(as_text=True)
    assert session.execute(select(func.count(Authorisation.id))).scalar_one() == 0


# ---------------------------------------------------------------- approvals


def test_approval_queue_approve_and_reject_with_reason(client, login, make_user, session, make_space, manager):
    hall = make_space("EV-01", kind="event_space", requires_approval=True)
    day = next_tuesday()
    resident = make_user(name="Eve Event")
    first = book(session, resident, hall, day, "10:00", "12:00", title="Demo day")
    second = book(session, resident, hall, day, "14:00", "16:00", title="Pitch night")
    assert (first.status, second.status) == ("pending", "pending")
    login(manager)
    page = client.get("/manage/approvals").get_data(as_text=True)
    assert "Demo day" in page and "Pitch night" in page

    assert client.post(f"/manage/bookings/{first.id}/approve").status_code == 302
    empty = client.post(f"/manage/bookings/{second.id}/reject", data={"reason": ""})
    assert empty.status_code == 422 and "Tell the resident why." in empty.get_data(as_text=True)
    assert client.post(f"/manage/bookings/{second.id}/reject", data={"reason": "Hall is being painted"}).status_code == 302
    db.session.expire_all()
    assert session.get(Booking, first.id).status == "confirmed"
    rejected = session.get(Booking, second.id)
    assert rejected.status == "cancelled" and "Hall is being painted" in rejected.cancel_reason
    assert 'data-testid="queue-empty"' in client.get("/manage/approvals").get_data(as_text=True)


# ---------------------------------------------------------------- a space's bookings


def test_space_bookings_filter_by_status_user_and_dates_with_pages(client, login, make_user, session, make_space,
                                                                   manager, app):
    app.config["PAGE_SIZE"] = 2
    lab = make_space("WL-01")
    other_lab = make_space("WL-02")
    day = next_tuesday()
    alice = make_user(email="alice@example.test", name="Alice A")
    bob = make_user(email="bob@example.test", name="Bob B")
    for hour in (8, 10, 12):
        book(session, alice, lab, day, f"{hour:02d}:00", f"{hour + 1:02d}:00", title=f"alice {hour}")
    gone = book(session, bob, lab, day, "15:00", "16:00", title="bob 15")
    booking_service.cancel(session, gone.id, actor=bob, now=utcnow())
    book(session, bob, lab, day + timedelta(days=1), "10:00", "11:00", title="bob next day")
    book(session, bob, other_lab, day, "10:00", "11:00", title="other lab")
    login(manager)

    def titles(query):
        page = client.get(f"/manage/spaces/{lab.id}/bookings{query}").get_data(as_text=True)
        return re.findall(r"<td>((?:alice|bob|other)[^<]*)</td>", page), page

    found, page = titles("")
    assert len(found) == 2 and "5 bookings" in page and "Page 1 of 3" in page
    found, _ = titles("?page=3")
    assert found == ["bob next day"]
    found, _ = titles("?status=cancelled")
    assert found == ["bob 15"]
    found, _ = titles("?user=bob@example.test")
    assert found == ["bob 15", "bob next day"]
    found, _ = titles(f"?date_from={day + timedelta(days=1)}&date_to={day + timedelta(days=1)}")
    assert found == ["bob next day"]
    found, page = titles("?user=nobody@example.test")
    assert found == [] and "No account has the email nobody@example.test." in page


def test_approval_queue_is_paginated(client, login, make_user, session, make_space, manager, app):
    app.config["PAGE_SIZE"] = 2
    hall = make_space("EV-01", kind="event_space", requires_approval=True, buffer_minutes=0)
    day = next_tuesday()
    resident = make_user()
    for hour in (8, 10, 12):
        book(session, resident, hall, day, f"{hour:02d}:00", f"{hour + 1:02d}:00", title=f"event {hour}")
    login(manager)
    first = client.get("/manage/approvals").get_data(as_text=True)
    assert first.count('data-testid="approve"') == 2 and "Page 1 of 2" in first
    second = client.get("/manage/approvals?page=2").get_data(as_text=True)
    assert second.count('data-testid="approve"') == 1 and "event 12" in second
