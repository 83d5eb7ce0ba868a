"""The demo data loads on both databases (PostgreSQL's exclusion constraints included) and
holds the allocator's guarantees: no unit let twice on a night, one home a person a night, no
space over capacity, no resident over a kind's simultaneous limit, every space of a managed kind."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import text

from innocell.services import demo


def test_seed_demo_respects_every_overlap_rule(app, session, now):
    counts = demo.seed(session, now=now, tz=ZoneInfo("Asia/Hong_Kong"))
    session.commit()
    assert counts["units"] == 511 and counts["leases"] > 511  # current leases plus the ones before them
    overlapping_leases = session.execute(text(
        "SELECT count(*) FROM leases a JOIN leases b ON a.unit_id = b.unit_id AND a.id < b.id "
        "AND a.start_date < b.end_date AND b.start_date < a.end_date "
        "WHERE a.status <> 'terminated' AND b.status <> 'terminated'")).scalar_one()
    assert overlapping_leases == 0
    # At each booking's start, the holds covering that instant never exceed the space's capacity.
    over_capacity = session.execute(text(
        "SELECT count(*) FROM bookings b JOIN spaces s ON s.id = b.space_id WHERE b.status <> 'cancelled' AND "
        "(SELECT count(*) FROM bookings o WHERE o.space_id = b.space_id AND o.status <> 'cancelled' "
        " AND o.start_at <= b.start_at AND o.hold_end_at > b.start_at) > s.capacity")).scalar_one()
    assert over_capacity == 0
    two_homes = session.execute(text(
        "SELECT count(*) FROM leases a JOIN leases b ON a.user_id = b.user_id AND a.id < b.id "
        "AND a.start_date < b.end_date AND b.start_date < a.end_date")).scalar_one()
    assert two_homes == 0
    # At each booking's start, the person's bookings of that kind covering the instant stay within the kind's limit.
    over_limit = session.execute(text(
        "SELECT count(*) FROM bookings b JOIN spaces s ON s.id = b.space_id JOIN space_kinds k ON k.key = s.kind "
        "JOIN users u ON u.id = b.user_id WHERE b.status <> 'cancelled' AND u.role = 'resident' AND "
        "(SELECT count(*) FROM bookings o JOIN spaces os ON os.id = o.space_id WHERE o.user_id = b.user_id "
        " AND os.kind = s.kind AND o.status <> 'cancelled' AND o.start_at <= b.start_at AND o.end_at > b.start_at)"
        " > k.simultaneous")).scalar_one()
    assert over_limit == 0
    unmanaged = session.execute(text(
        "SELECT count(*) FROM spaces s WHERE NOT EXISTS (SELECT 1 FROM space_kinds k WHERE k.key = s.kind)")).scalar_one()
    assert unmanaged == 0
