"""Leases whose end has passed become 'ended'; their unit is free from that date on."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Lease
from .notifications import notify
from .wording import Day, _
from .tx import transaction


def due_lease_ids(session: Session, today: date) -> list[int]:
    """Leases still 'active' or 'ending' whose (exclusive) end date is today or earlier."""
    return list(session.execute(
        select(Lease.id).where(Lease.status.in_(("active", "ending")), Lease.end_date <= today).order_by(Lease.id)
    ).scalars())


@transaction
def end_lease(session: Session, lease_id: int, *, today: date, now: datetime) -> bool:
    """Mark one lease ended (conditional UPDATE: a second runner changes nothing) and tell the
    holder, in one transaction. True when this call ended it."""
    result = session.execute(
        update(Lease)
        .where(Lease.id == lease_id, Lease.status.in_(("active", "ending")), Lease.end_date <= today)
        .values(status="ended")
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    lease = session.get(Lease, lease_id, populate_existing=True)
    notify(session, user_id=lease.user_id, kind="lease_ended", now=now,
           subject=_("Your lease of unit %(unit)s has ended", unit=lease.unit.code),
           body=_("Your lease of unit %(unit)s ended on %(end)s (the last night was the night before). Thank you "
                  "for living at InnoCell.", unit=lease.unit.code, end=Day(lease.end_date, iso=True)),
           link="/housing", dedupe_key=f"lease-ended:{lease.id}:{lease.end_date.isoformat()}")
    return True
