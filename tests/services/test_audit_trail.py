"""The audit trail, written once by session events, on SQLite and PostgreSQL: a row per change in
the transaction of the change (a rolled-back change leaves none), with who, for whom, before and
after, why and from which request or job; filters and paging; the finance export."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.jobs.runner import run_job
from innocell.models import AuditEvent, Booking, Unit
from innocell.services import Conflict, audit_query
from innocell.services import bookings as booking_svc
from innocell.services import housing as housing_svc
from innocell.services.audit_trail import REDACTED, acting
from innocell.services.exports import csv_stream
from innocell.services.tx import transaction

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def hk(day, hour, minute=0, month=12):
    return datetime(2026, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


def changes(session, object_type, object_id):
    session.rollback()
    return list(session.execute(select(AuditEvent).where(AuditEvent.target_type == object_type,
                                                         AuditEvent.target_id == object_id,
                                                         AuditEvent.kind != "action")
                                .order_by(AuditEvent.id)).scalars())


@pytest.fixture
def unit(session, manager, now):
    return housing_svc.create_unit(session, {"code": "07-01", "unit_type": "solo", "floor": 7,
                                             "monthly_rent": "9000.00"}, actor=manager, now=now)


def test_booking_created_and_cancelled_with_before_after_actor_and_request(session, alice, new_space, now):
    space = new_space()
    with acting(actor_id=alice.id, request_id="req-create-0001"):
        booking = booking_svc.book(session, user=alice, space_id=space.id, start=hk(2, 10), end=hk(2, 11),
                                   title="PCR run", now=now)
    with acting(actor_id=alice.id, request_id="req-cancel-0002"):
        booking_svc.cancel(session, booking.id, actor=alice, now=now, reason="Samples not ready")
    created, cancelled = changes(session, "booking", booking.id)
    assert (created.kind, created.actor_id, created.request_id) == ("created", alice.id, "req-create-0001")
    assert created.before is None
    assert created.after["title"] == "PCR run" and created.after["status"] == "confirmed"
    assert created.after["start_at"] == hk(2, 10).isoformat()
    assert (cancelled.kind, cancelled.actor_id, cancelled.request_id) == ("cancelled", alice.id, "req-cancel-0002")
    assert cancelled.before["status"] == "confirmed" and cancelled.after["status"] == "cancelled"
    assert "title" not in cancelled.after  # only the changed fields
    assert cancelled.reason == "Samples not ready"
    assert cancelled.on_behalf_of_id is None


def test_a_refused_change_leaves_no_audit_row(session, alice, bob, new_space, now):
    space = new_space()
    booking_svc.book(session, user=alice, space_id=space.id, start=hk(2, 10), end=hk(2, 11), now=now)
    before = session.execute(select(func.count(AuditEvent.id))).scalar_one()
    with pytest.raises(Conflict):
        booking_svc.book(session, user=bob, space_id=space.id, start=hk(2, 10), end=hk(2, 11), now=now)

    @transaction
    def change_then_fail(session, booking_id):
        session.get(Booking, booking_id).title = "never kept"
        session.flush()  # the audit row is written here, in the same transaction...
        raise RuntimeError("...and rolled back with the change")

    first = session.execute(select(Booking.id)).scalar_one()
    with pytest.raises(RuntimeError):
        change_then_fail(session, first)
    session.rollback()
    assert session.execute(select(func.count(AuditEvent.id))).scalar_one() == before
    assert session.get(Booking, first).title == ""


def test_lease_created_by_a_manager_for_a_resident_names_both(session, manager, alice, unit, now):
    with acting(actor_id=manager.id, request_id="req-lease-0003"):
        lease = housing_svc.create_lease(session, unit_id=unit.id, user_id=alice.id, start=date(2027, 1, 1),
                                         end=date(2027, 7, 1), actor=manager, now=now)
        housing_svc.terminate_lease(session, lease.id, on=date(2027, 3, 1), reason="Moving abroad",
                                    actor=manager, now=now)
    created, terminated = changes(session, "lease", lease.id)
    assert created.kind == "created" and created.actor_id == manager.id and created.on_behalf_of_id == alice.id
    assert created.after["monthly_rent"] == "9000.00" and created.after["start_date"] == "2027-01-01"
    assert terminated.before["end_date"] == "2027-07-01" and terminated.after["end_date"] == "2027-03-01"
    assert terminated.reason == "Moving abroad"


def test_secrets_are_never_stored(session, alice):
    created = changes(session, "user", alice.id)[0]
    assert created.after["password"] == REDACTED
    assert "password_hash" not in created.after and "session_token" not in created.after
    assert alice.password_hash not in str(created.after) and alice.session_token not in str(created.after)


def test_job_changes_name_the_job_and_its_instant(app, session, manager, alice, unit, now):
    lease = housing_svc.create_lease(session, unit_id=unit.id, user_id=alice.id, start=date(2026, 6, 1),
                                     end=date(2026, 11, 30), actor=manager, now=now)
    at = now + timedelta(hours=3)
    run_job(app, "lease_end", at, "scheduler")
    ended = changes(session, "lease", lease.id)[-1]
    assert ended.kind == "ended" and ended.job == "lease_end" and ended.actor_id is None
    assert ended.before == {"status": "active"} and ended.after == {"status": "ended"}
    assert ended.created_at == at


def test_filters_and_paging(session, manager, alice, bob, new_space, now):
    space = new_space()
    with acting(actor_id=alice.id):
        mine = [booking_svc.book(session, user=alice, space_id=space.id, start=hk(3, h), end=hk(3, h + 1), now=now)
                for h in (9, 10, 11)]
    with acting(actor_id=bob.id):
        booking_svc.book(session, user=bob, space_id=space.id, start=hk(4, 9), end=hk(4, 10), now=now)
        with acting(actor_id=alice.id):
            booking_svc.cancel(session, mine[0].id, actor=alice, now=now)
    by_alice = audit_query.AuditFilter(actor_id=alice.id, object_type="booking")
    rows, total = audit_query.page(session, by_alice, offset=0, limit=2)
    assert total == 4 and len(rows) == 2 and rows[0].kind == "cancelled"  # newest first
    rest, _ = audit_query.page(session, by_alice, offset=2, limit=2)
    assert {r.id for r in rows}.isdisjoint(r.id for r in rest) and len(rest) == 2
    cancels, total = audit_query.page(session, audit_query.AuditFilter(kind="cancelled"))
    assert total == 1 and cancels[0].target_id == mine[0].id
    one, total = audit_query.page(session, audit_query.AuditFilter(object_type="booking", object_id=mine[1].id))
    assert total == 1 and one[0].kind == "created"
    later, total = audit_query.page(session, audit_query.AuditFilter(start=now + timedelta(seconds=1)))
    assert total == 0
    first, more = audit_query.after(session, by_alice, cursor=None, limit=3)
    second, more2 = audit_query.after(session, by_alice, cursor=first[-1].id, limit=3)
    assert more and not more2 and len(first) + len(second) == 4


def test_finance_export_is_a_csv_of_the_filtered_trail(app, session, manager, alice, new_space, now):
    space = new_space()
    with acting(actor_id=alice.id, request_id="req-export-0004"):
        booking = booking_svc.book(session, user=alice, space_id=space.id, start=hk(2, 10), end=hk(2, 11),
                                   title="=HYPERLINK(1)", now=now)
    session.rollback()
    export = audit_query.audit_export(db.engine, audit_query.AuditFilter(object_type="booking"))
    text = b"".join(csv_stream(export, HK)).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["object_id"] == str(booking.id) and row["kind"] == "created"
    assert row["actor_email"] == alice.email and row["request_id"] == "req-export-0004"
    assert '"title": "=HYPERLINK(1)"' in row["after"]
    assert row["at"] == now.astimezone(HK).strftime("%Y-%m-%d %H:%M:%S")


def test_a_bulk_update_is_recorded_per_row(session, manager, alice, bob, now):
    from sqlalchemy import update

    @transaction
    def retire(session):
        return session.execute(update(Unit).where(Unit.floor == 9).values(status="out_of_service")
                               .execution_options(synchronize_session=False)).rowcount

    for code in ("09-01", "09-02"):
        housing_svc.create_unit(session, {"code": code, "unit_type": "solo", "floor": 9, "monthly_rent": "1.00"},
                                actor=manager, now=now)
    with acting(actor_id=manager.id):
        assert retire(session) == 2
    session.rollback()
    rows = list(session.execute(select(AuditEvent).where(AuditEvent.target_type == "unit",
                                                         AuditEvent.kind == "changed")).scalars())
    assert len(rows) == 2 and all(r.after == {"status": "out_of_service"} and r.actor_id == manager.id
                                  for r in rows)
