"""Migration 0005 on a database with rows in it (SQLite and PostgreSQL): every space gets the
active periods its creation and audit trail show, and waitlist entries that a round stamped
later than their application wait from the application."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import MetaData, insert, select

from innocell import create_app
from innocell.extensions import db
from tests.services.test_migrations import _flask_db, empty_database_url  # noqa: F401 (a fixture)

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_periods_and_waiting_dates_are_filled_from_the_records(empty_database_url, backend):
    app = create_app({"DATABASE_URL": empty_database_url, "SECRET_KEY": "test", "TESTING": True})
    with app.app_context():
        engine = db.engine
        _flask_db(app, "upgrade", "0002_login_throttle")

        def stored(value):
            return value.replace(tzinfo=None) if backend == "sqlite" else value

        def aware(value):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

        meta = MetaData()
        meta.reflect(engine)
        t = meta.tables
        day = timedelta(days=1)
        with engine.begin() as conn:
            conn.execute(insert(t["users"]), [{"id": 1, "email": "a@x.test", "name": "A", "role": "resident",
                                               "priority_tier": 3, "password_hash": "x", "active": True,
                                               "session_token": "t", "email_reminders": True,
                                               "created_at": stored(T0)}])
            space = {"name": "S", "kind": "wet_lab", "capacity": 1, "opening_hours": {}, "slot_minutes": 30,
                     "min_minutes": 30, "max_minutes": 60, "buffer_minutes": 0, "max_days_ahead": 60,
                     "hourly_rate": 0, "requires_approval": False, "requires_authorisation": False,
                     "requires_checkin": False, "closed_on_holidays": False, "created_at": stored(T0)}
            conn.execute(insert(t["spaces"]), [
                {**space, "id": 1, "code": "ALWAYS", "active": True},
                {**space, "id": 2, "code": "TOGGLED", "active": True},
                {**space, "id": 3, "code": "OFF", "active": False},
                {**space, "id": 4, "code": "UNKNOWN", "active": False}])
            audit = [(2, "space.deactivate", {}, T0 + 10 * day), (2, "space.activate", {}, T0 + 20 * day),
                     (3, "space.update", {"changes": {"active": [True, False]}}, T0 + 5 * day)]
            conn.execute(insert(t["audit_events"]), [
                {"actor_id": 1, "action": a, "target_type": "space", "target_id": sid, "details": d,
                 "created_at": stored(at)} for sid, a, d, at in audit])
            conn.execute(insert(t["housing_applications"]), [
                {"id": i, "user_id": 1, "unit_type": "twin", "move_in": (T0 + 90 * day).date(), "term_months": 12,
                 "term_nights": 0, "occupants": 1, "preferred_unit_ids": [], "status": "waitlisted",
                 "created_at": stored(T0 + i * day)} for i in (1, 2)])
            conn.execute(insert(t["waitlist_entries"]), [
                {"id": 1, "user_id": 1, "application_id": 1, "unit_type": "twin", "priority_tier": 3,
                 "joined_at": stored(T0 + 60 * day), "status": "waiting"},  # stamped by a round: moved back
                {"id": 2, "user_id": 1, "application_id": 2, "unit_type": "twin", "priority_tier": 3,
                 "joined_at": stored(T0), "status": "waiting"},  # an explicit earlier date: kept
                {"id": 3, "user_id": 1, "application_id": None, "unit_type": "twin", "priority_tier": 3,
                 "joined_at": stored(T0 + 30 * day), "status": "waiting"}])

        _flask_db(app, "upgrade")
        meta = MetaData()
        meta.reflect(engine)
        t = meta.tables
        with engine.connect() as conn:
            periods: dict[int, list] = {}
            for sid, a, b in conn.execute(select(t["space_active_periods"].c.space_id,
                                                 t["space_active_periods"].c.start_at,
                                                 t["space_active_periods"].c.end_at)
                                          .order_by(t["space_active_periods"].c.start_at)):
                periods.setdefault(sid, []).append((aware(a), aware(b) if b is not None else None))
            joined = dict(conn.execute(select(t["waitlist_entries"].c.id, t["waitlist_entries"].c.joined_at)).all())
        assert periods == {1: [(T0, None)], 2: [(T0, T0 + 10 * day), (T0 + 20 * day, None)],
                           3: [(T0, T0 + 5 * day)]}  # 4: inactive with nothing recorded claims no open time
        assert {k: aware(v) for k, v in joined.items()} == {1: T0 + day, 2: T0, 3: T0 + 30 * day}
        _flask_db(app, "downgrade", "0002_login_throttle")
        db.session.remove()
        engine.dispose()
