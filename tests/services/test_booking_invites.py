"""A booking's notices carry an .ics invite (issue 13), on SQLite and PostgreSQL: the email the
mailer sends through a fake SMTP server has a text/calendar attachment that parses in
`icalendar` and in `vobject` (an independent parser), with the calendar feed's UID for the
booking, its time in the park's zone, METHOD:REQUEST whose SEQUENCE grows with each change, and
METHOD:CANCEL with STATUS:CANCELLED when it is cancelled. A series is one notice and one
attachment with an event per occurrence."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import vobject
from icalendar import Calendar
from sqlalchemy import func, select

from innocell.allocation.recurrence import Rule
from innocell.models import Notification
from innocell.services import bookings as svc
from innocell.services import calendar_feed, mailer

from tests.services.test_mailer import smtp  # noqa: F401  (the fake SMTP server fixture)

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
TUE = date(2026, 12, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HK).astimezone(UTC)


def send(app, session, smtp, now) -> list:
    """Send what is due; the messages the server received since the last call."""
    app.config["SMTP_URL"] = smtp.url
    seen = len(smtp.messages)
    mailer.send_pending(session, now, app.config)
    session.rollback()
    return [message for _, message in smtp.messages[seen:]]


def invite_of(message) -> tuple[str, bytes]:
    """(the attachment's method parameter, its bytes): exactly one text/calendar part."""
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "invite.ics"
    return part.get_param("method"), part.get_payload(decode=True)


def parsed(body: bytes):
    """Both parsers' reading: (icalendar Calendar, its VEVENTs, vobject's calendar)."""
    cal = Calendar.from_ical(body)
    other = vobject.readOne(body.decode("utf-8"))
    return cal, list(cal.walk("VEVENT")), other


def feed_uids(app, session, user, now) -> dict[str, str]:
    """The feed's UID per summary and start, read from the feed route as a calendar app would."""
    token = calendar_feed.feed_token(session, user, secret=app.config["SECRET_KEY"], now=now)
    session.commit()
    body = app.test_client().get(f"/calendar/{user.id}/{token}.ics").get_data()
    return {e.decoded("DTSTART").astimezone(UTC).isoformat(): str(e["UID"])
            for e in Calendar.from_ical(body).walk("VEVENT")}


def test_a_booking_made_sends_a_request_with_the_feeds_uid(app, session, smtp, alice, new_space, now):  # noqa: F811
    lab = new_space(name="Wet Lab North")
    booking = svc.book(session, user=alice, space_id=lab.id, start=at(TUE, 14), end=at(TUE, 16), title="PCR",
                       now=now)
    [message] = send(app, session, smtp, now)
    assert message["To"] == alice.email and "Wet Lab North" in message["Subject"]
    method, body = invite_of(message)
    cal, [event], other = parsed(body)
    assert method == "REQUEST" and str(cal["METHOD"]) == "REQUEST" and other.method.value == "REQUEST"
    assert str(event["UID"]) == other.vevent.uid.value == feed_uids(app, session, alice, now)[at(TUE, 14).isoformat()]
    assert str(event["UID"]) == f"booking-{booking.id}@127.0.0.1"
    # Correct time zones: 14:00 in Hong Kong, with the zone's definition, read alike by both parsers.
    assert event["DTSTART"].params["TZID"] == "Asia/Hong_Kong"
    assert event.decoded("DTSTART") == at(TUE, 14) == other.vevent.dtstart.value
    assert event.decoded("DTEND") == at(TUE, 16) == other.vevent.dtend.value
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Asia/Hong_Kong"]
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert other.vevent.summary.value == "Wet Lab North: PCR"
    assert other.vevent.attendee.value == f"mailto:{alice.email}"


def test_each_change_raises_the_sequence_of_the_same_event(app, session, smtp, alice, manager, new_space, now):  # noqa: F811
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11), now=now)
    [made] = send(app, session, smtp, now)
    uid = str(parsed(invite_of(made)[1])[1][0]["UID"])
    svc.change(session, booking.id, actor=alice, now=now, start=at(TUE, 12))
    [moved] = send(app, session, smtp, now)
    method, body = invite_of(moved)
    _, [event], other = parsed(body)
    assert method == "REQUEST" and str(event["UID"]) == uid == other.vevent.uid.value
    assert int(event["SEQUENCE"]) == 1 == int(other.vevent.sequence.value)
    assert event.decoded("DTSTART") == at(TUE, 12)
    svc.change(session, booking.id, actor=manager, now=now, title="Renamed")  # a manager's change: the same
    [renamed] = send(app, session, smtp, now)
    _, [event], _ = parsed(invite_of(renamed)[1])
    assert int(event["SEQUENCE"]) == 2 and str(event["UID"]) == uid and "Renamed" in str(event["SUMMARY"])
    text = next(p for p in renamed.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "A manager changed your booking" in text


def test_a_cancel_sends_method_cancel_for_the_same_event(app, session, smtp, alice, new_space, now):  # noqa: F811
    lab = new_space()
    booking = svc.book(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11), now=now)
    uid = feed_uids(app, session, alice, now)[at(TUE, 10).isoformat()]
    send(app, session, smtp, now)
    svc.cancel(session, booking.id, actor=alice, now=now)
    [message] = send(app, session, smtp, now)
    method, body = invite_of(message)
    cal, [event], other = parsed(body)
    assert method == "CANCEL" and str(cal["METHOD"]) == "CANCEL" and other.method.value == "CANCEL"
    assert str(event["UID"]) == uid == other.vevent.uid.value
    assert str(event["STATUS"]) == "CANCELLED" == other.vevent.status.value
    assert int(event["SEQUENCE"]) == 1
    # The feed now shows the same event cancelled, at the same SEQUENCE.
    token = calendar_feed.feed_token(session, alice, secret=app.config["SECRET_KEY"], now=now)
    session.commit()
    [in_feed] = Calendar.from_ical(app.test_client().get(f"/calendar/{alice.id}/{token}.ics").get_data()).walk("VEVENT")
    assert (str(in_feed["UID"]), str(in_feed["STATUS"]), int(in_feed["SEQUENCE"])) == (uid, "CANCELLED", 1)


def test_a_series_is_one_notice_with_an_event_per_occurrence(app, session, smtp, alice, new_space, now):  # noqa: F811
    lab = new_space(max_days_ahead=120)
    made = svc.book_series(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11),
                           rule=Rule("weekly", count=3), now=now)
    assert session.execute(select(func.count(Notification.id)).where(Notification.user_id == alice.id)
                           ).scalar_one() == 1
    [message] = send(app, session, smtp, now)
    method, body = invite_of(message)
    _, events, other = parsed(body)
    in_feed = feed_uids(app, session, alice, now)
    uids = [in_feed[b.start_at.isoformat()] for b in made.bookings]
    assert method == "REQUEST" and len(events) == 3 == len(other.vevent_list)
    assert [str(e["UID"]) for e in events] == uids
    assert [v.dtstart.value for v in other.vevent_list] == [at(TUE + timedelta(weeks=n), 10) for n in range(3)]
    # Moving the whole series: one notice, every event's SEQUENCE raised.
    svc.change_series(session, made.bookings[0].id, actor=alice, scope="series", now=now, start=at(TUE, 15))
    [moved] = send(app, session, smtp, now)
    _, events, _ = parsed(invite_of(moved)[1])
    assert [str(e["UID"]) for e in events] == uids
    assert [(int(e["SEQUENCE"]), e.decoded("DTSTART")) for e in events] == [
        (1, at(TUE + timedelta(weeks=n), 15)) for n in range(3)]
    # Cancelling this and the later ones: one notice, a CANCEL for exactly those two.
    svc.cancel_series(session, made.bookings[1].id, actor=alice, scope="following", now=now)
    [gone] = send(app, session, smtp, now)
    method, body = invite_of(gone)
    _, events, other = parsed(body)
    assert method == "CANCEL" and [str(e["UID"]) for e in events] == uids[1:]
    assert {v.status.value for v in other.vevent_list} == {"CANCELLED"}


def test_a_request_waiting_for_approval_is_tentative_until_approved(app, session, smtp, alice, manager, new_space,  # noqa: F811
                                                                   now):
    lab = new_space(requires_approval=True)
    booking = svc.book(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11), now=now)
    [asked] = send(app, session, smtp, now)
    assert "waits for approval" in asked["Subject"]
    _, [event], _ = parsed(invite_of(asked)[1])
    assert str(event["STATUS"]) == "TENTATIVE"
    svc.approve(session, booking.id, actor=manager, now=now)
    [approved] = send(app, session, smtp, now)
    method, body = invite_of(approved)
    _, [event], _ = parsed(body)
    assert method == "REQUEST" and str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 1


def test_a_notice_about_no_booking_has_no_attachment(app, session, smtp, alice, now):  # noqa: F811
    from innocell.services.notifications import notify

    notify(session, user_id=alice.id, kind="offer_waitlist", subject="An offer", body="Body", now=now)
    session.commit()
    [message] = send(app, session, smtp, now)
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]
