"""The week calendar and the booking check agree (SQLite and PostgreSQL): for a space with
buffers, capacity, blackouts and existing bookings, every cell the week view offers as free is
accepted by the check a booking meets, and every cell it refuses is refused. A buffer conflict
is explained in the 409's words."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from innocell.models import Blackout, Booking
from innocell.services import Conflict, RuleViolation
from innocell.services import authorisations as authorisation_svc
from innocell.services import bookings as svc
from innocell.services import spaces as space_svc
from innocell.services.bookings.check import evaluate

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc
WEEK = date(2026, 11, 30)  # the pinned now is Tue 1 Dec 10:00: past, present and future cells
REFUSED = ("busy", "unavailable", "closed", "blackout", "past")


def hk(day, hour, minute=0, month=12):
    return datetime(2026, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


def _world(session, manager, resident, now, seed):
    rng = random.Random(seed)
    hours = {d: [["08:00", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    hours["sat"] = [["09:00", "12:30"]]
    lab = space_svc.create_space(session, {
        "code": f"R{seed}", "name": "Room", "kind": "meeting_room", "capacity": rng.choice([1, 1, 2]),
        "opening_hours": hours, "slot_minutes": 30, "min_minutes": rng.choice([30, 60, 90]),
        "max_minutes": 240, "buffer_minutes": rng.choice([15, 30, 60]), "max_days_ahead": rng.choice([3, 4, 60]),
        "requires_authorisation": rng.random() < 0.3}, actor=manager, now=now)
    other = space_svc.create_space(session, {"code": f"Q{seed}", "name": "Other", "kind": "meeting_room"},
                                   actor=manager, now=now)
    if lab.requires_authorisation and rng.random() < 0.5:
        authorisation_svc.grant_authorisation(session, user_id=resident.id, space_id=lab.id, expires_at=None,
                                              actor=manager, now=now)
    buffer = timedelta(minutes=lab.buffer_minutes)
    for _ in range(14):  # others' bookings straight into the table: any placement the past allowed
        s = hk(1, 8) + timedelta(days=rng.randrange(0, 6), minutes=30 * rng.randrange(0, 20))
        e = s + timedelta(minutes=30 * rng.randrange(1, 5))
        session.add(Booking(space_id=lab.id, user_id=manager.id, start_at=s, end_at=e, hold_end_at=e + buffer,
                            exclusive=False, status=rng.choice(["confirmed", "pending", "cancelled"]), title="x",
                            created_at=now))
    s = hk(2, 8) + timedelta(minutes=30 * rng.randrange(0, 16))
    session.add(Blackout(space_id=lab.id, start_at=s, end_at=s + timedelta(minutes=90), reason="service",
                         created_at=now))
    # The resident's own time this week: in this room (cells "mine") and in another room of the
    # kind, close to the weekly quota of 20 h so that some cells fail on quota alone.
    session.add(Booking(space_id=lab.id, user_id=resident.id, start_at=hk(3, 16), end_at=hk(3, 17),
                        hold_end_at=hk(3, 17) + buffer, status="confirmed", title="mine", created_at=now))
    used = rng.choice([0, 18, 18.5, 19])
    if used:
        start = hk(5, 9)
        session.add(Booking(space_id=other.id, user_id=resident.id, start_at=start,
                            end_at=start + timedelta(hours=used - 1), hold_end_at=start + timedelta(hours=used - 1),
                            status="confirmed", title="quota", created_at=now))
    session.commit()
    return lab


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_cell_offered_is_accepted_and_every_cell_refused_is_refused(session, make_user, now, seed):
    manager, resident = make_user("manager"), make_user("resident")
    lab = _world(session, manager, resident, now, seed)
    length = timedelta(minutes=30 * -(-lab.min_minutes // 30))
    view = svc.week_view(session, lab.id, week_start=WEEK, user=resident, now=now, tz=HK)
    seen = {state: 0 for state in ("free", "mine") + REFUSED}
    free, refused = [], []
    for row in view["rows"]:
        for cell in row["cells"]:
            seen[cell["state"]] += 1
            if cell["state"] == "mine" or not cell["start"] < cell["end"]:
                continue
            start = cell["start"]
            violations, found = evaluate(session, resident, lab, start, start + length, now, HK)
            accepted = not violations and not found
            if cell["state"] == "free":
                assert cell["book_end"] == start + length
                assert accepted, (row["time"], start, violations, found)
                free.append(start)
            else:
                assert not accepted, (row["time"], start, cell["state"])
                if cell["state"] in ("busy", "unavailable"):
                    assert cell["reason"], cell
                refused.append(start)
    assert seen["past"] and seen["closed"] and seen["mine"] and (seen["busy"] or seen["unavailable"])
    assert seen["free"] or any("authorise" in c["reason"] or "already have" in c["reason"]
                               for r in view["rows"] for c in r["cells"]), seen
    # And the real thing: the service books free cells and refuses refused ones.
    rng = random.Random(seed)
    for start in rng.sample(free, min(3, len(free))):
        booking = svc.book(session, user=resident, space_id=lab.id, start=start, end=start + length, now=now)
        svc.cancel(session, booking.id, actor=resident, now=now)
    for start in rng.sample(refused, min(3, len(refused))):
        with pytest.raises((Conflict, RuleViolation)):
            svc.book(session, user=resident, space_id=lab.id, start=start, end=start + length, now=now)


def test_a_cell_whose_buffer_runs_into_the_next_booking_is_not_offered(session, make_user, now):
    manager, resident, other = make_user("manager"), make_user("resident"), make_user("resident")
    lab = space_svc.create_space(session, {"code": "WL3", "name": "Wet Lab 3", "kind": "wet_lab",
                                           "buffer_minutes": 30, "min_minutes": 60}, actor=manager, now=now)
    svc.book(session, user=other, space_id=lab.id, start=hk(8, 11), end=hk(8, 12), now=now)
    view = svc.week_view(session, lab.id, week_start=date(2026, 12, 7), user=resident, now=now, tz=HK)
    cells = {r["time"]: r["cells"][1] for r in view["rows"]}  # Tuesday 8 December
    assert cells["09:30"]["state"] == "free" and cells["09:30"]["book_end"] == hk(8, 10, 30)
    # 10:00-11:00 would be free of the other booking, but its buffer runs to 11:30
    assert cells["10:00"]["state"] == "unavailable"
    assert "30-minute buffer after your booking would run into the next booking at 11:00" in cells["10:00"]["reason"]
    assert cells["12:00"]["state"] == "busy"  # held by the buffer after the other booking
    assert "keeps Wet Lab 3 until 12:30" in cells["12:00"]["reason"]
    assert cells["12:30"]["state"] == "free"
    with pytest.raises(Conflict) as refused:
        svc.book(session, user=resident, space_id=lab.id, start=hk(8, 10), end=hk(8, 11), now=now)
    assert refused.value.message.startswith(
        "Wet Lab 3 cannot be booked for Tue 08 Dec 2026 10:00-11:00: the 30-minute buffer after your booking "
        "would run into the next booking at 11:00.")
    assert refused.value.extra["conflicts"] == [{
        "start": "2026-12-08T11:00:00+08:00", "end": "2026-12-08T11:30:00+08:00", "reason": "buffer",
        "message": "The 30-minute buffer after your booking would run into the next booking at 11:00."}]
