"""Stop keeping what is no longer needed: a person who left the park (deactivated, with no
lease or booking still to come) is anonymised RETENTION_MONTHS after leaving. Their name,
emails and messages are replaced; the records (leases, bookings, payments due, audit) stay, so
every past report adds up exactly as before. Idempotent and audited."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from ..allocation.dates import add_months
from ..models import ApiToken, Booking, Lease, LoginAttempt, Notification, User
from .audit import record
from .audit_trail import scrub_person
from .guard import lock_resource
from .settings import zone
from .tx import transaction

LIVE_LEASES = ("active", "ending")
LIVE_BOOKINGS = ("pending", "confirmed")
REMOVED = "[removed after the retention period]"


def _cutoff(now: datetime, months: int) -> datetime:
    """The same instant `months` earlier (the day clamped to the shorter month's last)."""
    day = add_months(now.date(), -months)
    return now.replace(year=day.year, month=day.month, day=day.day)


def _leavers(now: datetime, months: int):
    """People deactivated before the cut-off, not yet anonymised, holding nothing live."""
    cutoff = _cutoff(now, months)
    today = now.astimezone(zone()).date()
    return (select(User.id).where(
        User.active.is_(False), User.anonymised_at.is_(None), User.deactivated_at.is_not(None),
        User.deactivated_at < cutoff,
        ~exists().where(Lease.user_id == User.id, Lease.status.in_(LIVE_LEASES), Lease.end_date > today),
        ~exists().where(Booking.user_id == User.id, Booking.status.in_(LIVE_BOOKINGS), Booking.end_at > now))
        .order_by(User.id))


def due_ids(session: Session, *, now: datetime, months: int) -> list[int]:
    return list(session.execute(_leavers(now, months)).scalars())


@transaction
def anonymise(session: Session, user_id: int, *, now: datetime, months: int) -> bool:
    """Anonymise one leaver, re-checked under the person's lock; False when no longer due."""
    if lock_resource(session, User, user_id) is None:
        return False
    if user_id not in set(session.execute(_leavers(now, months).where(User.id == user_id)).scalars()):
        return False
    user = session.get(User, user_id)
    old_email = user.email
    user.name = f"Former resident {user.id}"
    user.email = f"anonymised-{user.id}@invalid"
    user.contact_email = None
    user.requested_company = None
    user.password_hash = "!" + secrets.token_hex(16)  # no password matches
    user.session_token = secrets.token_hex(16)
    user.anonymised_at = now
    session.execute(update(Notification).where(Notification.user_id == user_id)
                    .values(subject=REMOVED, body="", link=None).execution_options(synchronize_session=False))
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == old_email))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
    scrub_person(session, user_id)  # the audit trail keeps who did what, not their old name
    record(session, actor_id=None, action="user.anonymised", target_type="user", target_id=user_id, now=now,
           reason=f"left the park more than {months} months ago")
    return True
