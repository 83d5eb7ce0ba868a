"""Waitlists, one queue per unit type: who waits in what order (allocation.waitlist decides:
manual rank, tier, time joined), why, and a manager's reordering with a recorded reason.
Promotion of free units to the first in line is services/waitlist_promotion.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation import waitlist as waitlist_core
from ...models import UNIT_TYPES, HousingApplication, User, WaitlistEntry
from .. import Conflict, NotFound
from ..audit import record
from ..standing import tier_note
from ..tx import transaction
from .common import Violations, as_int, is_staff
from ..phrasing import current, gettext

CLOSED_EXPLANATIONS = {
    "offered": "A unit has been offered to you; answer the offer on your housing page.",
    "housed": "You were housed from this waitlist.",
    "removed": "You are no longer on this waitlist.",
}


def queue_entry(entry: WaitlistEntry) -> waitlist_core.QueueEntry:
    """What the pure core orders an entry by."""
    return waitlist_core.QueueEntry(id=entry.id, tier=entry.priority_tier, joined_at=entry.joined_at,
                                    manual_rank=entry.manual_rank)


def waiting(session: Session, unit_type: str) -> list[WaitlistEntry]:
    """The waiting entries of a unit type, in no particular order. A deactivated person's
    entry keeps its row and place but is not in the queue until the account is reactivated."""
    return list(session.execute(waiting_select(unit_type)).scalars())


def waiting_select(unit_type: str, *columns):
    """SELECT of the waiting entries of a unit type (`waiting`), or of some of their columns."""
    return (select(*(columns or (WaitlistEntry,))).join(User, User.id == WaitlistEntry.user_id)
            .where(WaitlistEntry.unit_type == unit_type, WaitlistEntry.status == "waiting", User.active.is_(True)))


def _explain(entry: WaitlistEntry, queue: list[waitlist_core.QueueEntry]) -> tuple[int | None, int | None, str]:
    if entry.status != "waiting":
        text = CLOSED_EXPLANATIONS.get(entry.status, "")
        if entry.status == "removed" and entry.reason:
            text = f"{text[:-1]}: {entry.reason}"
        return None, None, text
    if not any(q.id == entry.id for q in queue):
        return None, None, "The account is deactivated: this entry keeps its place but gets no offer until it is reactivated."
    position, ahead = waitlist_core.position_of(queue, entry.id)
    return position, len(ahead), waitlist_core.explain(queue_entry(entry), ahead, phrasing=current(),
                                                        tier_note=tier_note(entry.user, current()))


def waitlist_position(session: Session, entry: WaitlistEntry) -> tuple[int | None, int | None, str]:
    """(position from 1, how many are ahead, why) of an entry; position None unless waiting."""
    queue = [queue_entry(e) for e in waiting(session, entry.unit_type)]
    return _explain(entry, queue)


def waitlist(session: Session, *, unit_type: str | None = None, viewer: User,
             include_closed: bool = False) -> list[tuple[WaitlistEntry, int | None, int | None, str]]:
    """(entry, position, ahead, explanation) in queue order per unit type: a resident's own
    entries, or every entry for staff. Closed entries (offered, housed, removed) only when
    `include_closed` (residents always see their open offer state)."""
    q = select(WaitlistEntry)
    if unit_type:
        q = q.where(WaitlistEntry.unit_type == unit_type)
    if not is_staff(viewer):
        q = q.where(WaitlistEntry.user_id == viewer.id)
        if not include_closed:
            q = q.where(WaitlistEntry.status.in_(("waiting", "offered")))
    elif not include_closed:
        q = q.where(WaitlistEntry.status == "waiting")
    entries = list(session.execute(q).scalars())
    queues: dict[str, list[waitlist_core.QueueEntry]] = {}
    out = []
    for entry in entries:
        if entry.unit_type not in queues:
            queues[entry.unit_type] = [queue_entry(e) for e in waiting(session, entry.unit_type)]
        position, ahead, text = _explain(entry, queues[entry.unit_type])
        out.append((entry, position, ahead, text))
    type_order = {t: i for i, t in enumerate(UNIT_TYPES)}
    out.sort(key=lambda row: (type_order.get(row[0].unit_type, 99), row[0].unit_type,
                              row[1] if row[1] is not None else 10**9, row[0].id))
    return out


@transaction
def waiting_entries(session: Session, application_ids: list[int]) -> dict[int, WaitlistEntry]:
    """{application id: its waiting entry (the first one)}, in one query per 500 applications."""
    out: dict[int, WaitlistEntry] = {}
    for chunk in range(0, len(application_ids), 500):
        for entry in session.execute(select(WaitlistEntry).where(
                WaitlistEntry.application_id.in_(application_ids[chunk:chunk + 500]),
                WaitlistEntry.status == "waiting").order_by(WaitlistEntry.id)).scalars():
            out.setdefault(entry.application_id, entry)
    return out


def join_waitlist(session: Session, *, application: HousingApplication, now: datetime,
                  joined_at: datetime | None = None) -> WaitlistEntry:
    """Put the application on its unit type's waitlist (its existing waiting entry if any).
    The wait counts from the application, or from `joined_at` when that is earlier
    (allocation.waitlist.waiting_since), not from the day a round waitlisted it. The tier is
    the applicant's priority tier at joining."""
    return join_waitlists(session, [application], now=now, joined_at=joined_at)[application.id]


def join_waitlists(session: Session, applications: list[HousingApplication], *, now: datetime,
                   joined_at: datetime | None = None, reasons: dict[int, str] | None = None) -> dict[int, WaitlistEntry]:
    """`join_waitlist` for many applications in a few queries ({application id: entry}); with
    `reasons`, each entry records why ({application id: reason})."""
    existing = waiting_entries(session, [a.id for a in applications])
    # Locked: a tier change committing meanwhile (services.people) is either seen here or
    # moves these entries too once this transaction commits.
    joining = sorted({a.user_id for a in applications if a.id not in existing})
    users: dict[int, User] = {}
    for chunk in range(0, len(joining), 500):
        users.update((u.id, u) for u in session.execute(
            select(User).where(User.id.in_(joining[chunk:chunk + 500])).order_by(User.id).with_for_update()
            .execution_options(populate_existing=True)).scalars())
    out = {}
    for application in applications:
        since = waitlist_core.waiting_since(application.created_at, now, joined_at)
        entry = existing.get(application.id)
        if entry is None:
            user = users.get(application.user_id)
            entry = WaitlistEntry(user_id=application.user_id, application_id=application.id,
                                  unit_type=application.unit_type, priority_tier=user.priority_tier if user else 3,
                                  joined_at=since, status="waiting")
            session.add(entry)
            existing[application.id] = entry
        elif since < entry.joined_at:
            entry.joined_at = since
        if reasons and application.id in reasons:
            entry.reason = reasons[application.id]
        if application.status in ("submitted", "offered"):
            application.status = "waitlisted"
            application.updated_at = now
        out[application.id] = entry
    session.flush()
    return out


@transaction
def reorder_waitlist(session: Session, entry_id: int, *, new_position, reason: str, actor: User,
                     now: datetime) -> WaitlistEntry:
    """Move a waiting entry to `new_position` (1 = first) of its queue; a reason is required
    and recorded in the audit trail."""
    v = Violations()
    position = as_int(new_position, "position", v, minimum=1, label="new position")
    if not isinstance(reason, str) or not reason.strip():
        v.add("reason", gettext("Give the reason for moving this entry; it is kept in the audit trail."))
    v.raise_if_any()
    entry = session.get(WaitlistEntry, entry_id) if isinstance(entry_id, int) else None
    if entry is None:
        raise NotFound(gettext("There is no waitlist entry %(entry_id)s.", entry_id=entry_id))
    session.execute(select(WaitlistEntry.id).where(WaitlistEntry.unit_type == entry.unit_type,
                                                   WaitlistEntry.status == "waiting")
                    .order_by(WaitlistEntry.id).with_for_update()).all()
    entry = session.get(WaitlistEntry, entry_id, populate_existing=True)
    if entry.status != "waiting":
        raise Conflict(gettext("This entry is %(status)s; only waiting entries can be moved.", status=gettext(entry.status)))
    if not entry.user.active:
        raise Conflict(gettext("This person's account is deactivated; reactivate it before moving the entry."))
    entries = waiting(session, entry.unit_type)
    queue = [queue_entry(e) for e in entries]
    old_position, _ = waitlist_core.position_of(queue, entry.id)
    try:
        entry.manual_rank = waitlist_core.rank_for_position(queue, entry.id, position)
    except ValueError:
        # Midpoints ran out: renumber the queue with the entry in its new place.
        ordered = [q for q in waitlist_core.order(queue) if q.id != entry.id]
        index = min(position, len(ordered) + 1) - 1
        ordered.insert(index, queue_entry(entry))
        ranks = waitlist_core.renumbered(ordered)
        for e in entries:
            e.manual_rank = ranks[e.id]
    queue = [queue_entry(e) for e in entries]
    new_pos, _ = waitlist_core.position_of(queue, entry.id)
    record(session, actor_id=actor.id, action="waitlist.reorder", target_type="waitlist_entry", target_id=entry.id,
           now=now, reason=reason.strip()[:500], unit_type=entry.unit_type, old_position=old_position,
           new_position=new_pos)
    return entry
