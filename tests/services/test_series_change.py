"""Changing a series (this and every later occurrence, or the whole series) on SQLite and
PostgreSQL: every selected occurrence that has not begun moves by the same shift and takes the
same length, all or nothing; a refusal names the occurrences and leaves every row byte for
byte; occurrences that have begun or ended are never touched; and a series change racing fresh
bookings of the new slot never double-books."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from innocell.allocation.recurrence import Rule
from innocell.extensions import db
from innocell.models import AuditEvent, Booking, Notification, User
from innocell.services import Conflict, RuleViolation
from innocell.services import bookings as svc

from tests.services.test_booking_change_races import _outcome
from tests.services.test_booking_races import OVER_CAPACITY_SQL
from tests.races import on_threads

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
TUE = date(2026, 12, 8)  # a Tuesday a week after the pinned clock


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HK).astimezone(UTC)


def week(n: int) -> date:
    return TUE + timedelta(weeks=n)


def rows(session, series_id) -> list[tuple]:
    """Every column of the series' rows as stored (raw SQL, past any ORM cache), by id."""
    return [tuple(r) for r in session.execute(text("SELECT * FROM bookings WHERE series_id = :s ORDER BY id"),
                                              {"s": series_id}).all()]


def times(session, series_id) -> list[tuple]:
    return [(b.start_at, b.end_at, b.space_id, b.status) for b in session.execute(
        select(Booking).where(Booking.series_id == series_id).order_by(Booking.start_at)
        .execution_options(populate_existing=True)).scalars()]


def weekly(session, user, lab, now, count=4, hour=10, title="Assay"):
    return svc.book_series(session, user=user, space_id=lab.id, start=at(TUE, hour), end=at(TUE, hour + 1),
                           title=title, rule=Rule("weekly", count=count), now=now)


def test_moving_the_whole_series_from_any_occurrence(session, alice, bob, new_space, now):
    lab = new_space(max_days_ahead=120)
    made = weekly(session, alice, lab, now)
    third = made.bookings[2]
    # Asked on the third occurrence: two hours later and half an hour longer, a new title.
    changed = svc.change_series(session, third.id, actor=alice, scope="series", now=now,
                                start=at(week(2), 12), end=at(week(2), 13, 30), title="Moved")
    assert [b.id for b in changed] == [b.id for b in made.bookings]
    assert times(session, made.series_id) == [(at(week(n), 12), at(week(n), 13, 30), lab.id, "confirmed")
                                              for n in range(4)]
    assert {b.title for b in changed} == {"Moved"}
    # The old hours are free for others at once, every week.
    for n in range(4):
        svc.book(session, user=bob, space_id=lab.id, start=at(week(n), 10), end=at(week(n), 11), now=now)
    events = session.execute(select(AuditEvent).where(AuditEvent.action == "booking.change")).scalars().all()
    assert sorted(e.target_id for e in events) == sorted(b.id for b in made.bookings)
    assert {e.details["scope"] for e in events} == {"series"}


def test_following_moves_this_and_later_and_leaves_earlier_ones_untouched(session, alice, new_space, now):
    lab, other = new_space(max_days_ahead=120), new_space(max_days_ahead=120)
    made = weekly(session, alice, lab, now)
    earlier = rows(session, made.series_id)[:2]
    changed = svc.change_series(session, made.bookings[2].id, actor=alice, scope="following", now=now,
                                start=at(week(2), 15), space_id=other.id)
    assert [b.id for b in changed] == [b.id for b in made.bookings[2:]]
    assert times(session, made.series_id) == [
        (at(week(0), 10), at(week(0), 11), lab.id, "confirmed"), (at(week(1), 10), at(week(1), 11), lab.id, "confirmed"),
        (at(week(2), 15), at(week(2), 16), other.id, "confirmed"),
        (at(week(3), 15), at(week(3), 16), other.id, "confirmed")]
    assert rows(session, made.series_id)[:2] == earlier


def test_a_refusal_changes_nothing_and_names_each_occurrence(session, alice, bob, new_space, now):
    lab = new_space(max_days_ahead=120)
    made = weekly(session, alice, lab, now)
    svc.book(session, user=bob, space_id=lab.id, start=at(week(1), 14), end=at(week(1), 15), now=now)
    svc.book(session, user=bob, space_id=lab.id, start=at(week(3), 14, 30), end=at(week(3), 15, 30), now=now)
    before = rows(session, made.series_id)
    with pytest.raises(Conflict) as err:
        svc.change_series(session, made.bookings[0].id, actor=alice, scope="series", now=now,
                          start=at(TUE, 14), title="Never")
    assert "2 of the 4 occurrences" in err.value.message and "nothing was changed" in err.value.message
    assert {c["occurrence"] for c in err.value.extra["conflicts"]} == {"2026-12-15T14:00:00+08:00",
                                                                       "2026-12-29T14:00:00+08:00"}
    assert rows(session, made.series_id) == before
    # Rules broken (before opening hours, off the grid): 422 naming every occurrence, nothing changed.
    with pytest.raises(RuleViolation) as err:
        svc.change_series(session, made.bookings[0].id, actor=alice, scope="series", now=now,
                          start=at(TUE, 6, 10), end=at(TUE, 7, 10))
    assert {v["start"] for v in err.value.extra["violations"]} == {f"{week(n).isoformat()}T06:10:00+08:00"
                                                                   for n in range(4)}
    assert rows(session, made.series_id) == before
    assert session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "booking.change")
                           ).scalar_one() == 0


def test_occurrences_that_have_begun_or_ended_are_untouched(session, alice, new_space, now):
    lab = new_space(max_days_ahead=120)
    made = weekly(session, alice, lab, now)
    svc.cancel(session, made.bookings[3].id, actor=alice, now=now)
    later = at(week(1), 10, 30)  # the first has ended, the second is under way
    before = rows(session, made.series_id)
    changed = svc.change_series(session, made.bookings[0].id, actor=alice, scope="series", now=later,
                                start=at(TUE, 16))
    assert [b.id for b in changed] == [made.bookings[2].id]
    after = rows(session, made.series_id)
    assert after[0] == before[0] and after[1] == before[1] and after[3] == before[3]
    assert times(session, made.series_id)[2] == (at(week(2), 16), at(week(2), 17), lab.id, "confirmed")
    # Nothing left that has not begun: said so, and nothing changes.
    with pytest.raises(Conflict):
        svc.change_series(session, made.bookings[0].id, actor=alice, scope="series", now=at(week(3), 9),
                          start=at(TUE, 12))


def test_a_manager_changing_a_residents_series_notifies_once(session, manager, alice, new_space, now):
    lab = new_space(max_days_ahead=120)
    made = weekly(session, alice, lab, now)
    svc.change_series(session, made.bookings[1].id, actor=manager, scope="following", now=now, start=at(week(1), 11))
    notes = session.execute(select(Notification).where(Notification.user_id == alice.id,
                                                       Notification.kind == "booking_changed")).scalars().all()
    assert len(notes) == 1 and "3 bookings of your series" in notes[0].body


def test_a_booking_outside_a_series_changes_alone(session, alice, new_space, now):
    lab = new_space()
    single = svc.book(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11), now=now)
    changed = svc.change_series(session, single.id, actor=alice, scope="following", now=now, start=at(TUE, 13))
    assert [(b.id, b.start_at) for b in changed] == [(single.id, at(TUE, 13))]


# ---------------------------------------------------------------------------- racing


FRESH = 8


def test_a_series_change_racing_fresh_bookings_never_double_books(app, session, make_user, new_space, set_kind,
                                                                  now):
    """Fresh bookings of week 2's new hour race the change of the whole series to that hour:
    either the change wins (every occurrence moved, no fresh booking there) or it loses (every
    row exactly as it was, one fresh booking holds the hour); never both, never an error. In the
    last round the racers want week 2's old hour instead: the change must win, and a racer gets
    that hour only once the series has left it."""
    set_kind("wet_lab", simultaneous=10)
    holder = make_user("resident")
    others = [make_user("resident") for _ in range(FRESH)]
    seen = []
    for round_no, target in enumerate(("new", "new", "old")):
        lab = new_space(max_days_ahead=120)
        made = weekly(session, holder, lab, now, count=3)
        session.commit()
        before = rows(session, made.series_id)
        jobs = [("change", holder.id)] + [(target, u.id) for u in others]
        barrier = threading.Barrier(len(jobs))

        def worker(label, uid, lab_id=lab.id, anchor=made.bookings[0].id):
            with app.app_context():
                user = db.session.get(User, uid)
                db.session.commit()
                barrier.wait(timeout=120)
                if label == "change":
                    outcome = _outcome(lambda: svc.change_series(db.session, anchor, actor=user, scope="series",
                                                                 now=now, start=at(TUE, 14)))
                else:
                    hour = 14 if label == "new" else 10
                    outcome = _outcome(lambda: svc.book(db.session, user=user, space_id=lab_id,
                                                        start=at(week(1), hour), end=at(week(1), hour + 1),
                                                        title="race", now=now))
                db.session.remove()
            return label, outcome

        results = on_threads([lambda job=job: worker(*job) for job in jobs])
        assert None not in results and not [o for _, o in results if o.startswith("error")], results
        session.commit()
        assert session.execute(text(OVER_CAPACITY_SQL)).all() == []
        racers_ok = sum(1 for label, o in results if label != "change" and o == "ok")
        if dict(results)["change"] == "ok":
            assert [s for s, _, _, _ in times(session, made.series_id)] == [at(week(n), 14) for n in range(3)]
            assert racers_ok == (0 if target == "new" else live_at(session, lab.id, at(week(1), 10)))
            seen.append("change won")
        else:
            assert target == "new" and racers_ok == 1 and rows(session, made.series_id) == before
            seen.append("change lost")
    assert seen[2] == "change won" and set(seen) <= {"change won", "change lost"}


def live_at(session, space_id, start) -> int:
    """Live bookings of the space starting at `start` (0 or 1 on a one-at-a-time lab)."""
    return session.execute(select(func.count(Booking.id)).where(
        Booking.space_id == space_id, Booking.start_at == start, Booking.status != "cancelled")).scalar_one()
