"""Series of bookings on a real database (SQLite and PostgreSQL): preview, all or nothing, only
the free occurrences, monthly by weekday, public holidays, the three cancel scopes, and racing
series that never double-book."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from innocell.allocation.recurrence import HOLIDAY, Rule
from innocell.extensions import db
from innocell.models import Booking, User
from innocell.services import BadRequest, Conflict, RuleViolation
from innocell.services import bookings as svc
from innocell.services import spaces as space_svc

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HK).astimezone(UTC)


TUE = date(2026, 12, 8)  # a Tuesday a week after the pinned clock


def live(session, *where) -> int:
    return session.execute(select(func.count(Booking.id)).where(Booking.status != "cancelled", *where)).scalar_one()


def local_days(rows):
    return [b.start_at.astimezone(HK).date() for b in rows]


def test_skip_books_exactly_the_free_occurrences(session, alice, bob, new_space, now):
    lab = new_space(max_days_ahead=120)
    week3 = TUE + timedelta(weeks=2)
    svc.book(session, user=bob, space_id=lab.id, start=at(week3, 10, 30), end=at(week3, 11, 30), now=now)
    result = svc.book_series(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11),
                             rule=Rule("weekly", count=5), on_conflict="skip", now=now)
    assert local_days(result.bookings) == [TUE + timedelta(weeks=w) for w in (0, 1, 3, 4)]
    assert [(s["start"], s["date"]) for s in result.skipped] == [("2026-12-22T10:00:00+08:00", "2026-12-22")]
    assert "Lab" in result.skipped[0]["reason"] or "taken" in result.skipped[0]["reason"].lower()
    assert {b.series_id for b in result.bookings} == {result.series_id}
    assert live(session, Booking.user_id == alice.id) == 4


def test_fail_books_nothing_and_names_the_occurrences(session, alice, bob, new_space, now):
    lab = new_space(max_days_ahead=120)
    week3 = TUE + timedelta(weeks=2)
    svc.book(session, user=bob, space_id=lab.id, start=at(week3, 10), end=at(week3, 11), now=now)
    with pytest.raises(Conflict) as err:
        svc.book_series(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11),
                        rule=Rule("weekly", count=5), now=now)
    assert {c["week"] for c in err.value.extra["conflicts"]} == {"2026-12-22"}
    assert "1 of the 5 occurrences" in err.value.message
    assert live(session, Booking.user_id == alice.id) == 0


def test_a_rule_broken_in_one_occurrence_books_nothing_with_fail_and_is_skipped_with_skip(
        session, alice, new_space, now):
    lab = new_space(max_days_ahead=20)
    with pytest.raises(RuleViolation) as err:
        svc.book_series(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11),
                        rule=Rule("weekly", count=3), now=now)
    assert [v["rule"] for v in err.value.extra["violations"]] == ["too_far_ahead"]
    assert live(session) == 0
    result = svc.book_series(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11),
                             rule=Rule("weekly", count=3), on_conflict="skip", now=now)
    assert len(result.bookings) == 2 and result.skipped[0]["status"] == "rule_violation"


def test_preview_judges_each_occurrence_and_writes_nothing(session, alice, bob, new_space, now):
    lab = new_space(max_days_ahead=20)
    svc.book(session, user=bob, space_id=lab.id, start=at(TUE + timedelta(weeks=1), 10),
             end=at(TUE + timedelta(weeks=1), 11), now=now)
    occurrences, skipped = svc.preview_series(session, user=alice, space_id=lab.id, start=at(TUE, 10),
                                              end=at(TUE, 11), rule=Rule("weekly", count=3), now=now)
    assert [o.status for o in occurrences] == ["free", "conflict", "rule_violation"]
    assert occurrences[1].conflicts == [(at(TUE + timedelta(weeks=1), 10), at(TUE + timedelta(weeks=1), 11))]
    assert occurrences[2].violations[0]["rule"] == "too_far_ahead"
    assert skipped == []
    assert live(session, Booking.user_id == alice.id) == 0


def test_monthly_by_weekday_across_months(session, alice, new_space, now):
    lab = new_space(max_days_ahead=200)
    second_tuesday = TUE  # 8 Dec 2026
    result = svc.book_series(session, user=alice, space_id=lab.id, start=at(second_tuesday, 9),
                             end=at(second_tuesday, 10), rule=Rule("monthly", by="weekday", count=4), now=now)
    assert local_days(result.bookings) == [date(2026, 12, 8), date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)]
    assert all(b.start_at.astimezone(HK).hour == 9 for b in result.bookings)


def test_public_holidays_skipped_on_request(session, alice, new_space, now):
    lab = new_space(max_days_ahead=60)
    result = svc.book_series(session, user=alice, space_id=lab.id, start=at(date(2026, 12, 24), 10),
                             end=at(date(2026, 12, 24), 11), rule=Rule("daily", count=3, skip_holidays=True), now=now)
    assert local_days(result.bookings) == [date(2026, 12, 24), date(2026, 12, 27), date(2026, 12, 28)]
    assert [(s["date"], s["reason"]) for s in result.skipped] == [("2026-12-25", HOLIDAY), ("2026-12-26", HOLIDAY)]


def test_hostile_rules_are_refused(session, alice, new_space, now):
    lab = new_space()
    for rule in (Rule("weekly", count=10**9), Rule("daily", until=date(2199, 1, 1)), Rule("hourly", count=2)):
        with pytest.raises(BadRequest):
            svc.book_series(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11), rule=rule,
                            now=now)
    with pytest.raises(BadRequest):
        svc.book_series(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11),
                        rule=Rule("weekly", count=2), on_conflict="maybe", now=now)
    assert live(session) == 0


def _series(session, alice, lab, now, weeks=4):
    return svc.book_series(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11),
                           rule=Rule("weekly", count=weeks), now=now).bookings


def test_cancel_one_occurrence_frees_it_at_once(session, alice, bob, new_space, now):
    lab = new_space()
    rows = _series(session, alice, lab, now)
    done = svc.cancel_series(session, rows[1].id, actor=alice, scope="one", now=now)
    assert [b.id for b in done] == [rows[1].id] and done[0].status == "cancelled"
    assert live(session, Booking.series_id == rows[0].series_id) == 3
    svc.book(session, user=bob, space_id=lab.id, start=rows[1].start_at, end=rows[1].end_at, now=now)


def test_cancel_this_and_later(session, alice, bob, new_space, now):
    lab = new_space()
    rows = _series(session, alice, lab, now)
    svc.cancel_series(session, rows[3].id, actor=alice, scope="one", now=now)
    done = svc.cancel_series(session, rows[1].id, actor=alice, scope="following", now=now)
    assert [b.id for b in done] == [rows[1].id, rows[2].id]
    session.expire_all()
    assert [session.get(Booking, b.id).status for b in rows] == ["confirmed", "cancelled", "cancelled", "cancelled"]
    svc.book(session, user=bob, space_id=lab.id, start=rows[2].start_at, end=rows[2].end_at, now=now)


def test_cancel_the_whole_series_ends_an_occurrence_under_way_early(session, alice, bob, manager, new_space, now):
    lab = new_space()
    # At `later` the first occurrence is under way: it is ended early, the rest cancelled.
    result = svc.book_series(session, user=alice, space_id=lab.id, start=now + timedelta(hours=1),
                             end=now + timedelta(hours=3), rule=Rule("daily", count=3), now=now)
    rows = result.bookings
    later = now + timedelta(hours=2)
    done = svc.cancel_series(session, rows[2].id, actor=manager, scope="series", now=later)
    assert [b.id for b in done] == [r.id for r in rows]
    assert done[0].status == "confirmed" and done[0].end_at == later and done[0].ended_early_at == later
    assert [b.status for b in done[1:]] == ["cancelled", "cancelled"]
    with pytest.raises(Conflict):
        svc.cancel_series(session, rows[1].id, actor=alice, scope="series", now=later)
    svc.book(session, user=bob, space_id=lab.id, start=rows[1].start_at, end=rows[1].end_at, now=later)


def test_only_the_holder_or_a_manager_cancels_a_series(session, alice, bob, new_space, now):
    lab = new_space()
    rows = _series(session, alice, lab, now, weeks=2)
    from innocell.services import Forbidden, NotFound
    with pytest.raises((Forbidden, NotFound)):
        svc.cancel_series(session, rows[0].id, actor=bob, scope="series", now=now)
    with pytest.raises(BadRequest):
        svc.cancel_series(session, rows[0].id, actor=alice, scope="everything", now=now)
    assert live(session, Booking.user_id == alice.id) == 2


def test_the_old_repeat_weeks_is_a_weekly_series(session, alice, new_space, now):
    lab = new_space()
    rows = svc.book_recurring(session, user=alice, space_id=lab.id, start=at(TUE, 10), end=at(TUE, 11),
                              repeat_weeks=3, now=now)
    assert local_days(rows) == [TUE, TUE + timedelta(weeks=1), TUE + timedelta(weeks=2)]
    assert len({b.series_id for b in rows}) == 1


# ---------------------------------------------------------------------------- racing series


OVER_CAPACITY_SQL = """
SELECT COUNT(*) FROM bookings b1 JOIN bookings b2
  ON b2.space_id = b1.space_id AND b2.id <> b1.id AND b2.status <> 'cancelled'
 AND b2.start_at < b1.hold_end_at AND b2.hold_end_at > b1.start_at
WHERE b1.status <> 'cancelled' AND b1.space_id = :s
"""


@pytest.fixture
def app_config(app_config):
    options = {"pool_size": 8, "max_overflow": 0}
    if app_config["DATABASE_URL"].startswith("sqlite"):
        options["connect_args"] = {"timeout": 60, "check_same_thread": False}
    return {**app_config, "SQLALCHEMY_ENGINE_OPTIONS": options}


@pytest.mark.parametrize("on_conflict", ["skip", "fail"])
def test_racing_series_never_double_book(app, session, make_user, manager, now, on_conflict):
    """Four residents ask at the same instant for weekly series that overlap each other in some
    weeks (each starts a week later than the last); a raw SQL check finds no two live bookings of
    the capacity-one space that overlap."""
    lab = space_svc.create_space(session, {"code": "SR", "name": "Series Race", "kind": "wet_lab",
                                           "max_days_ahead": 120}, actor=manager, now=now)
    racers = [make_user("resident") for _ in range(4)]
    session.commit()
    ids, space_id = [u.id for u in racers], lab.id
    barrier = threading.Barrier(len(ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index, uid):
        with app.app_context():
            user = db.session.get(User, uid)
            db.session.commit()
            day = TUE + timedelta(weeks=index)
            barrier.wait(timeout=120)
            try:
                svc.book_series(db.session, user=user, space_id=space_id, start=at(day, 10), end=at(day, 11),
                                rule=Rule("weekly", count=3), on_conflict=on_conflict, now=now)
                outcome = "ok"
            except Conflict:
                outcome = "conflict"
            except Exception as exc:  # noqa: BLE001 - any other outcome fails below
                outcome = f"error: {exc!r}"
            db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(i, uid)) for i, uid in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(outcomes) == 4 and all(o in ("ok", "conflict") for o in outcomes), outcomes
    session.commit()
    assert session.execute(text(OVER_CAPACITY_SQL), {"s": space_id}).scalar_one() == 0
    booked = session.execute(text("SELECT COUNT(*) FROM bookings WHERE space_id = :s AND status <> 'cancelled'"),
                             {"s": space_id}).scalar_one()
    if on_conflict == "skip":
        # Weeks 1..6 each belong to some series, and each is booked exactly once; weeks 1 and 6
        # belong to one series each, so those two always book something.
        assert booked == 6 and outcomes.count("ok") >= 2
    else:
        # All or nothing: each winner holds its three weeks; the first to run always wins (the
        # series of weeks 1-3 and 4-6 are disjoint, but one of weeks 2-4 may beat both).
        assert booked == 3 * outcomes.count("ok") and outcomes.count("ok") >= 1
