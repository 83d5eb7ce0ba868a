"""Room changes: a resident with a lease asks to move to another unit (type, floor, reason).
It is an application of its own kind (`kind = 'room_change'`) for the rest of the current
lease: from the move day to the day the lease ends. Rounds and the waitlist treat it like any
application; its dates overlap the resident's lease, so it is a transfer: accepting the offer
ends the old lease on the day the new one starts, in the one allocator transaction of
offers.accept_offer (no night without a home, none with two)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from ...allocation.dates import add_months
from ...allocation.rounds import human_date
from ...models import HousingApplication, Lease, User
from .. import NotFound, RuleViolation
from ..guard import lock_person
from ..tx import transaction
from .applications import submit_application
from .common import LIVE_LEASES, Violations, as_date, local_day
from ..phrasing import day_text, gettext


def remaining_term(start: date, end: date) -> tuple[int, int]:
    """(months, nights) from `start` to `end`: whole months, then the nights left."""
    months = 0
    while add_months(start, months + 1) <= end:
        months += 1
    return months, (end - add_months(start, months)).days


@transaction
def request_room_change(session: Session, *, user: User, lease_id, unit_type, move_on, reason,
                        preferred_floor=None, preferred_unit_ids=(), now: datetime) -> HousingApplication:
    """Ask to move from the resident's live lease `lease_id` to a unit of `unit_type` from
    `move_on` until that lease ends. A reason is required. One open application per resident."""
    lease = session.get(Lease, lease_id) if isinstance(lease_id, int) else None
    if lease is None or lease.user_id != user.id:
        raise NotFound(gettext("There is no lease %(lease_id)s.", lease_id=lease_id))
    lock_person(session, user.id)
    lease = session.get(Lease, lease.id, populate_existing=True)
    v = Violations()
    day = as_date(move_on, "move_on", v, "moving day")
    if not isinstance(reason, str) or not reason.strip():
        v.add("reason", gettext("Say why you would like to move (the housing team reads it)."))
    elif len(reason.strip()) > 500:
        v.add("reason", gettext("Say why in at most 500 characters."))
    today = local_day(now)
    if lease.status not in LIVE_LEASES or lease.end_date <= today:
        v.add("lease_id", gettext("Only a current lease can be changed for another unit."))
    elif lease.kind != "home":
        v.add("lease_id", gettext("A short stay is not a home to move from; cancel it or book other dates instead."))
    elif day is not None and not (max(today, lease.start_date) < day < lease.end_date):
        v.add("move_on", gettext("The moving day must be after today and before your lease ends (%(day)s).", day=day_text(lease.end_date)))
    v.raise_if_any()
    months, nights = remaining_term(day, lease.end_date)
    app = submit_application(session, user=user, unit_type=unit_type, move_in=day, term_months=months,
                             term_nights=nights, preferred_unit_ids=preferred_unit_ids,
                             preferred_floor=preferred_floor, now=now)
    if app.transfer_from_lease_id != lease.id:  # cannot happen while the dates lie inside the lease
        raise RuleViolation(gettext("The move must fall inside your current lease."),
                            violations=[{"rule": "move_on", "message": gettext("The move must fall inside your lease.")}])
    app.kind = "room_change"
    app.change_reason = reason.strip()
    session.flush()
    return app
