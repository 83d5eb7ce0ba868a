"""Migration 0004 on a database with history: the kinds typed on spaces become managed kinds
(none is lost), leases that already give a person two homes are kept and flagged as allowed
overlaps for review (so PostgreSQL's new constraint can hold), and a downgrade keeps the rows."""
from __future__ import annotations

from sqlalchemy import text

from innocell import create_app
from innocell.extensions import db
from tests.services.test_migrations import _flask_db, empty_database_url  # noqa: F401 (a fixture)

BEFORE = "0002_login_throttle"


def _history(conn):
    """Rows as the app wrote them before 0004: a typed kind, and one person with two leases."""
    conn.execute(text(
        "INSERT INTO users (id, email, name, role, company, priority_tier, password_hash, active, session_token, "
        "email_reminders, created_at) VALUES (1, 'r@x.test', 'R', 'resident', '', 3, 'h', true, 't', true, "
        "'2026-01-01 00:00:00')"))
    for space_id, code, kind in ((1, 'WL-1', 'wet_lab'), (2, 'WL-2', 'Wet lab')):
        conn.execute(text(
            "INSERT INTO spaces (id, code, name, kind, capacity, opening_hours, slot_minutes, min_minutes, "
            "max_minutes, buffer_minutes, max_days_ahead, hourly_rate, requires_approval, requires_authorisation, "
            "requires_checkin, closed_on_holidays, active, created_at) VALUES "
            f"({space_id}, '{code}', '{code}', '{kind}', 1, '{{}}', 30, 30, 480, 0, 60, 0, false, false, false, false, "
            "true, '2026-01-01 00:00:00')"))
    for unit_id in (1, 2, 3):
        conn.execute(text(
            "INSERT INTO units (id, code, unit_type, floor, monthly_rent, occupancy, status, created_at) VALUES "
            f"({unit_id}, '01-0{unit_id}', 'solo', 1, 9000, 1, 'available', '2026-01-01 00:00:00')"))
    for lease_id, unit_id, start, end in ((1, 1, '2026-03-01', '2027-03-01'), (2, 2, '2027-01-01', '2028-01-01'),
                                          (3, 3, '2027-03-01', '2027-06-01')):
        conn.execute(text(
            "INSERT INTO leases (id, unit_id, user_id, start_date, end_date, monthly_rent, status, created_at) "
            f"VALUES ({lease_id}, {unit_id}, 1, '{start}', '{end}', 9000, 'active', '2026-01-01 00:00:00')"))
    conn.execute(text(
        "INSERT INTO bookings (id, space_id, user_id, start_at, end_at, hold_end_at, exclusive, status, title, "
        "created_at) VALUES (1, 2, 1, '2026-12-08 06:00:00', '2026-12-08 07:00:00', '2026-12-08 07:00:00', true, "
        "'confirmed', '', '2026-12-01 00:00:00')"))


def test_0004_keeps_typed_kinds_and_flags_existing_double_homes(empty_database_url, backend):
    app = create_app({"DATABASE_URL": empty_database_url, "SECRET_KEY": "test", "TESTING": True})
    with app.app_context():
        engine = db.engine
        _flask_db(app, "upgrade", BEFORE)
        with engine.begin() as conn:
            _history(conn)
        _flask_db(app, "upgrade")
        with engine.connect() as conn:
            kinds = dict(conn.execute(text("SELECT key, simultaneous FROM space_kinds")).all())
            assert set(kinds) == {"wet_lab", "dry_lab", "meeting_room", "event_space", "gym", "music_room", "Wet lab"}
            assert kinds["wet_lab"] == 1 and kinds["Wet lab"] == 2
            flagged = conn.execute(text("SELECT id, overlap_reason FROM leases WHERE overlap_allowed "
                                        "ORDER BY id")).all()
            # Lease 2 overlaps lease 1; lease 3 overlaps lease 2: the later of each pair is flagged.
            assert [row[0] for row in flagged] == [2, 3]
            assert all("migration 0004" in row[1] for row in flagged)
            assert conn.execute(text("SELECT late_cancel, end_reason FROM bookings")).one() in ((False, None),
                                                                                                  (0, None))
        if backend == "postgresql":
            with engine.begin() as conn:
                # The constraint now holds: another lease of that person over lease 1's nights is refused.
                savepoint = conn.begin_nested()
                try:
                    conn.execute(text(
                        "INSERT INTO leases (id, unit_id, user_id, start_date, end_date, monthly_rent, status, "
                        "created_at, overlap_allowed) VALUES (4, 2, 1, '2026-06-01', '2026-07-01', 9000, 'active', "
                        "now(), false)"))
                    refused = False
                except Exception as exc:  # noqa: BLE001 - the exclusion violation is what is expected
                    refused = "ex_leases_person_no_overlap" in str(exc)
                savepoint.rollback()
            assert refused
        _flask_db(app, "downgrade", BEFORE)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM leases")).scalar_one() == 3
            assert conn.execute(text("SELECT count(*) FROM bookings")).scalar_one() == 1
            assert conn.execute(text("SELECT kind FROM spaces ORDER BY id")).scalars().all() == ["wet_lab", "Wet lab"]
        db.session.remove()
        engine.dispose()
