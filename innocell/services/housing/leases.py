"""Leases, and the claims that keep a unit to one occupier a night and a person to one home.

The allocator for leases: a unit is a resource of capacity one, a lease claims it over the
dates [start, end) (end exclusive, so back-to-back leases are fine). A unit is taken on a night
by an occupying lease (active, ending, ended, and terminated ones over the nights they really
occupied, as termination moves the end), by an open, unexpired offer (it holds the unit for its
resident until answered), by an outage, or always when its status is out_of_service.

A person is a resource of capacity one too: at most one occupying lease a night (the pure
core's `homes.clashes`), unless a manager records the new lease as an allowed overlap (a
handover night when moving units) with a reason, audited.

Every lease write locks the person's users row, then the unit row (guard.lock_person, then
guard.lock_resource: the fixed order), and checks both with the pure core; PostgreSQL's
exclusion constraints `ex_leases_no_overlap` (unit) and `ex_leases_person_no_overlap` (person,
except allowed overlaps) are the backstop, answered as 409.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import and_, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...allocation import homes as homes_core
from ...allocation.intervals import overlaps
from ...allocation.rounds import human_date
from ...models import Lease, Offer, Unit, UnitOutage, User
from .. import Conflict, Forbidden, NotFound, RuleViolation
from ..audit import record
from ..guard import is_overlap_violation, lock_person, lock_resource, violated_constraint
from ..notifications import notify
from ..roles import MANAGER_ROLES
from ..tx import transaction
from ..wording import Day, _
from .common import LIVE_LEASES, OCCUPYING, Violations, as_date, as_money, is_staff
from ..phrasing import current, day_text, gettext

FOREVER = (date(1, 1, 1), date(9999, 12, 31))


# --- claims: what takes a unit over dates ----------------------------------------------------

@dataclass(frozen=True)
class Claim:
    unit_id: int
    start: date
    end: date
    kind: str  # lease | offer | outage | out_of_service
    ref_id: int | None
    label: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.ref_id, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "message": self.label}


def claims(session: Session, unit_ids: Iterable[int] | None, start: date, end: date, *, now: datetime | None,
           exclude_offer_id: int | None = None, unit_filter=None,
           joint_application_id: int | None = None) -> dict[int, list[Claim]]:
    """Claims on the given units (None: all units, or those `unit_filter` selects) that
    overlap [start, end). Reads only overlapping rows (indexed by unit and start). With
    `joint_application_id`, the pair's own leases and offers of that joint application do not
    count (the two of a pair share their twin unit). Labels are in the reader's language."""
    _ = current()
    ids = None if unit_ids is None else sorted(set(unit_ids))
    out: dict[int, list[Claim]] = {}
    if ids is not None and not ids:
        return out

    def unit_cond(column):
        conds = []
        if ids is not None:
            conds.append(column.in_(ids))
        if unit_filter is not None:
            conds.append(column.in_(select(Unit.id).where(unit_filter)))
        return and_(*conds) if conds else true()

    lease_q = select(Lease).where(unit_cond(Lease.unit_id), Lease.status.in_(OCCUPYING),
                                  Lease.start_date < end, Lease.end_date > start, Lease.end_date > Lease.start_date)
    if joint_application_id is not None:
        lease_q = lease_q.where(or_(Lease.joint_application_id.is_(None),
                                    Lease.joint_application_id != joint_application_id))
    leases = session.execute(lease_q.order_by(Lease.unit_id, Lease.start_date, Lease.id)).scalars()
    for lease in leases:
        out.setdefault(lease.unit_id, []).append(Claim(
            lease.unit_id, lease.start_date, lease.end_date, "lease", lease.id,
            _("let from %(start)s to %(end)s (lease %(id)s)", start=_.date(lease.start_date), end=_.date(lease.end_date),
              id=lease.id)))
    offer_q = select(Offer).where(unit_cond(Offer.unit_id), Offer.status == "open",
                                  Offer.start_date < end, Offer.end_date > start)
    if now is not None:
        offer_q = offer_q.where(Offer.expires_at > now)
    if exclude_offer_id is not None:
        offer_q = offer_q.where(Offer.id != exclude_offer_id)
    if joint_application_id is not None:
        offer_q = offer_q.where(or_(Offer.application_id.is_(None), Offer.application_id != joint_application_id))
    for offer in session.execute(offer_q.order_by(Offer.unit_id, Offer.start_date, Offer.id)).scalars():
        out.setdefault(offer.unit_id, []).append(Claim(
            offer.unit_id, offer.start_date, offer.end_date, "offer", offer.id,
            _("held by an open offer from %(start)s to %(end)s (offer %(id)s, awaiting an answer)",
              start=_.date(offer.start_date), end=_.date(offer.end_date), id=offer.id)))
    outages = session.execute(
        select(UnitOutage).where(unit_cond(UnitOutage.unit_id), UnitOutage.start_date < end,
                                 UnitOutage.end_date > start)
        .order_by(UnitOutage.unit_id, UnitOutage.start_date, UnitOutage.id)
    ).scalars()
    for outage in outages:
        why = f": {outage.reason}" if outage.reason else ""
        out.setdefault(outage.unit_id, []).append(Claim(
            outage.unit_id, outage.start_date, outage.end_date, "outage", outage.id,
            _("out of service from %(start)s to %(end)s", start=_.date(outage.start_date),
              end=_.date(outage.end_date)) + why))
    down = select(Unit.id).where(Unit.status == "out_of_service", unit_cond(Unit.id))
    for unit_id in session.execute(down).scalars():
        out.setdefault(unit_id, []).append(Claim(unit_id, FOREVER[0], FOREVER[1], "out_of_service", None,
                                                 _("out of service until a manager makes it available")))
    return out


def conflict_message(unit: Unit, start: date, end: date, found: list[Claim]) -> str:
    _ = current()
    more = _(" (and %(more)s more)", more=len(found) - 1) if len(found) > 1 else ""
    return _("Unit %(code)s is not free from %(start)s to %(end)s: it is %(claim)s%(more)s.", code=unit.code,
             start=_.date(start), end=_.date(end), claim=found[0].label, more=more)


def check_free(session: Session, unit: Unit, start: date, end: date, *, now: datetime,
               exclude_offer_id: int | None = None, joint_application_id: int | None = None) -> None:
    """Raise Conflict (409) naming the clashing dates unless the unit is free over [start, end)
    (but for the pair's own claims of `joint_application_id`). Reads only, so a caller may
    catch the refusal and go on in the same transaction."""
    found = [c for c in claims(session, [unit.id], start, end, now=now, exclude_offer_id=exclude_offer_id,
                               joint_application_id=joint_application_id)
             .get(unit.id, []) if overlaps(start, end, c.start, c.end)]
    if found:
        raise Conflict(conflict_message(unit, start, end, found), conflicts=[c.as_dict() for c in found])


# --- one home a night ------------------------------------------------------------------------

def homes_of(session: Session, user_id: int, start: date, end: date) -> list[homes_core.Home]:
    """The person's leases that hold nights over [start, end) (read in the caller's transaction,
    which should hold the person's lock when it goes on to write)."""
    return homes_of_many(session, [user_id], start, end).get(user_id, [])


def homes_of_many(session: Session, user_ids, start: date, end: date) -> dict[int, list[homes_core.Home]]:
    """`homes_of` for many people in one query: {user id: their leases over [start, end)}."""
    out: dict[int, list[homes_core.Home]] = {}
    ids = sorted(set(user_ids))
    if not ids:
        return out
    rows = session.execute(
        select(Lease, Unit.code).join(Unit, Unit.id == Lease.unit_id)
        .where(Lease.user_id.in_(ids), Lease.status.in_(OCCUPYING), Lease.start_date < end,
               Lease.end_date > start, Lease.end_date > Lease.start_date)
        .order_by(Lease.start_date, Lease.id)).all()
    for lease, code in rows:
        out.setdefault(lease.user_id, []).append(homes_core.Home(
            lease_id=lease.id, unit_code=code, start=lease.start_date, end=lease.end_date, unit_id=lease.unit_id))
    return out


def check_one_home(session: Session, user_id: int, start: date, end: date, *, whose: str = "You") -> None:
    """Raise Conflict (409) naming the lease unless the person holds none over [start, end).
    Reads only, so a caller may catch the refusal and go on in the same transaction."""
    found = homes_core.clashes(homes_of(session, user_id, start, end), start, end)
    if found:
        raise Conflict(homes_core.clash_message(found, start, end, whose=whose, phrasing=current()),
                       conflicts=[{"kind": "lease", "id": h.lease_id, "start": h.start.isoformat(),
                                   "end": h.end.isoformat(), "message": gettext("holds %(describe)s", describe=h.describe(current()))} for h in found])


# --- leases -----------------------------------------------------------------------------------

def insert_lease(session: Session, unit: Unit, *, user_id: int, start: date, end: date, monthly_rent: Decimal,
                 now: datetime, exclude_offer_id: int | None = None, previous_lease_id: int | None = None,
                 overlap_reason: str | None = None, whose: str = "You", kind: str = "home",
                 nightly_rate: Decimal | None = None, joint_application_id: int | None = None) -> Lease:
    """The guarded insert, inside the caller's transaction, which holds the person's lock and
    then the unit's. Raises Conflict when the unit is not free, or the person already holds a
    lease over the dates and no `overlap_reason` (a manager's recorded exception) allows it
    (the caller's transaction then rolls back)."""
    check_free(session, unit, start, end, now=now, exclude_offer_id=exclude_offer_id,
               joint_application_id=joint_application_id)
    if overlap_reason is None:
        check_one_home(session, user_id, start, end, whose=whose)
    code = unit.code  # a failed flush expires every loaded object; the message needs the code
    lease = Lease(unit_id=unit.id, user_id=user_id, start_date=start, end_date=end, monthly_rent=monthly_rent,
                  status="active", previous_lease_id=previous_lease_id, created_at=now,
                  overlap_allowed=overlap_reason is not None, overlap_reason=overlap_reason, kind=kind,
                  nightly_rate=nightly_rate, joint_application_id=joint_application_id)
    session.add(lease)
    try:
        session.flush()
    except IntegrityError as exc:
        if is_overlap_violation(exc):
            if violated_constraint(exc) == "ex_leases_person_no_overlap":
                raise Conflict(gettext("You already hold a lease over some of %(start)s to %(end)s, made by another request a moment ago. One person holds one home a night.", start=day_text(start), end=day_text(end)) if whose == "You" else gettext("%(whose)s already holds a lease over some of %(start)s to %(end)s, made by another request a moment ago. One person holds one home a night.", whose=whose, start=day_text(start), end=day_text(end))) from None
            raise Conflict(gettext("Unit %(code)s was let over some of %(start)s to %(end)s by another request a moment ago.", code=code, start=day_text(start), end=day_text(end))) from None
        raise
    return lease


def _overlap_reason(allow_overlap, overlap_reason, v: Violations) -> str | None:
    """The manager's recorded exception to one home a night, or None."""
    if allow_overlap in (None, False):
        return None
    if allow_overlap is not True:
        v.add("allow_overlap", gettext("allow_overlap must be true or false."))
        return None
    if not isinstance(overlap_reason, str) or not overlap_reason.strip():
        v.add("overlap_reason", gettext("Say why this lease may overlap the resident's other lease (e.g. a handover "
                                "night when moving units); the reason is recorded."))
        return None
    if len(overlap_reason.strip()) > 300:
        v.add("overlap_reason", gettext("The reason can be at most 300 characters."))
        return None
    return overlap_reason.strip()


@transaction
def create_lease(session: Session, *, unit_id, user_id, start, end, monthly_rent=None, actor: User,
                 now: datetime, allow_overlap=False, overlap_reason=None) -> Lease:
    """Record a lease directly (e.g. an existing tenant): 409 if it overlaps another lease,
    an open offer or an outage of the unit, or another lease of the same person; back-to-back
    is fine. A manager may let it overlap the person's other lease (`allow_overlap` with a
    reason, e.g. a handover night), recorded on the lease and audited."""
    v = Violations()
    if isinstance(unit_id, bool) or not isinstance(unit_id, int):
        v.add("unit_id", gettext("unit_id must be the id of a unit."))
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        v.add("user_id", gettext("user_id must be the id of a resident."))
    start = as_date(start, "start", v, "start date")
    end = as_date(end, "end", v, "end date")
    if start and end and end <= start:
        v.add("end", gettext("The end date must be after the start date (the end is the move-out day)."))
    rent = None
    if monthly_rent is not None:
        rent = as_money(monthly_rent, "monthly_rent", v)
    reason = _overlap_reason(allow_overlap, overlap_reason, v)
    v.raise_if_any()
    if reason is not None and actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only a manager can let a lease overlap the resident's other lease."))
    user = lock_person(session, user_id)
    if user is None or not user.active:
        raise RuleViolation(gettext("There is no active account %(user_id)s.", user_id=user_id),
                            violations=[{"rule": "user_id", "message": gettext("There is no active account %(user_id)s.", user_id=user_id)}])
    unit = lock_resource(session, Unit, unit_id)
    if unit is None:
        raise NotFound(gettext("There is no unit %(unit_id)s.", unit_id=unit_id))
    overlapped = homes_core.clashes(homes_of(session, user.id, start, end), start, end) if reason else []
    lease = insert_lease(session, unit, user_id=user.id, start=start, end=end,
                         monthly_rent=rent if rent is not None else unit.monthly_rent, now=now,
                         overlap_reason=reason if overlapped else None, whose=user.name or "This resident")
    record(session, actor_id=actor.id, action="lease.create", target_type="lease", target_id=lease.id, now=now,
           unit=unit.code, user_id=user.id, start=start.isoformat(), end=end.isoformat(),
           monthly_rent=str(lease.monthly_rent))
    if overlapped:
        record(session, actor_id=actor.id, action="lease.allow_overlap", target_type="lease", target_id=lease.id,
               now=now, reason=reason, overlaps=[h.lease_id for h in overlapped],
               nights=[[max(start, h.start).isoformat(), min(end, h.end).isoformat()] for h in overlapped])
    notify(session, user_id=user.id, kind="lease_created", now=now,
           subject=_("Your lease of unit %(unit)s is recorded", unit=unit.code),
           body=_("Unit %(unit)s is yours from %(start)s to %(end)s (move-out day).", unit=unit.code, start=Day(start),
                  end=Day(end)),
           link="/housing")
    return lease


def get_lease(session: Session, lease_id, *, viewer: User) -> Lease:
    lease = session.get(Lease, lease_id) if isinstance(lease_id, int) else None
    if lease is None or (not is_staff(viewer) and lease.user_id != viewer.id):
        raise NotFound(gettext("There is no lease %(lease_id)s.", lease_id=lease_id))
    return lease


def end_lease(session: Session, lease: Lease, on: date, *, reason: str, now: datetime) -> date:
    """End a lease early, inside the caller's transaction: it keeps the nights before `on` (none
    when `on` is on or before its start: called off before move-in), and an open renewal offer
    for it expires. Returns the old end."""
    # The renewal offers first, locked, then the lease: the order the offer expiry job takes
    # (it locks due offers, then sets their leases 'ending'), so the two never wait in a cycle.
    renewals = list(session.execute(select(Offer).where(Offer.lease_id == lease.id, Offer.kind == "renewal",
                                                        Offer.status == "open").with_for_update()).scalars())
    old_end = lease.end_date
    lease.end_date = max(on, lease.start_date)
    lease.status = "terminated"
    lease.terminated_at = now
    lease.termination_reason = reason.strip()[:300]
    for offer in renewals:
        offer.status = "expired"
        offer.responded_at = now
    return old_end


@transaction
def terminate_lease(session: Session, lease_id: int, *, on, reason: str, actor: User, now: datetime) -> Lease:
    """End a lease early: the unit frees from `on` (the lease keeps the nights before it)."""
    v = Violations()
    on = as_date(on, "on", v, "termination date")
    if not isinstance(reason, str) or not reason.strip():
        v.add("reason", gettext("Give a reason for ending the lease early."))
    v.raise_if_any()
    lease = session.get(Lease, lease_id) if isinstance(lease_id, int) else None
    if lease is None:
        raise NotFound(gettext("There is no lease %(lease_id)s.", lease_id=lease_id))
    unit = lock_resource(session, Unit, lease.unit_id)
    lease = session.get(Lease, lease_id, populate_existing=True)
    if lease.status not in LIVE_LEASES:
        raise Conflict(gettext("Lease %(id)s is already %(status)s; only an active lease can be terminated.", id=lease.id, status=gettext(lease.status)))
    # On or before the start date the lease is called off before move-in: it keeps no night.
    on = max(on, lease.start_date)
    if on >= lease.end_date:
        raise RuleViolation(
            gettext("Lease %(id)s ends on %(day)s anyway; choose an earlier date.", id=lease.id, day=day_text(lease.end_date)),
            violations=[{"rule": "on", "message": gettext("The termination date must be before the lease's end.")}])
    old_end = end_lease(session, lease, on, reason=reason, now=now)
    record(session, actor_id=actor.id, action="lease.terminate", target_type="lease", target_id=lease.id, now=now,
           reason=lease.termination_reason, unit=unit.code, old_end=old_end.isoformat(), new_end=on.isoformat())
    if on == lease.start_date:
        subject = _("Your lease of unit %(unit)s from %(day)s is called off", unit=unit.code, day=Day(on))
        body = _("Your lease of unit %(unit)s, which was to start on %(day)s, was called off before move-in. "
                 "Reason: %(reason)s", unit=unit.code, day=Day(on), reason=lease.termination_reason)
    else:
        subject = _("Your lease of unit %(unit)s ends on %(end)s", unit=unit.code, end=Day(on))
        body = _("Your lease of unit %(unit)s was ended early: the last night is the night before %(day)s. "
                 "Reason: %(reason)s", unit=unit.code, day=Day(on), reason=lease.termination_reason)
    notify(session, user_id=lease.user_id, kind="lease_terminated", now=now, subject=subject, body=body,
           link="/housing")
    return lease


def lease_history(session: Session, unit_id: int) -> list[Lease]:
    return list(session.execute(select(Lease).where(Lease.unit_id == unit_id)
                                .order_by(Lease.start_date.desc(), Lease.id.desc())).scalars())


def list_leases(session: Session, *, viewer: User, unit_id: int | None = None, user_id: int | None = None,
                status: str | None = None, current_on: date | None = None) -> list[Lease]:
    """Leases the viewer may see: a resident its own; staff all."""
    q = select(Lease)
    if not is_staff(viewer):
        q = q.where(Lease.user_id == viewer.id)
    elif user_id is not None:
        q = q.where(Lease.user_id == user_id)
    if unit_id is not None:
        q = q.where(Lease.unit_id == unit_id)
    if status:
        q = q.where(Lease.status == status)
    if current_on is not None:
        q = q.where(Lease.start_date <= current_on, Lease.end_date > current_on)
    return list(session.execute(q.order_by(Lease.start_date.desc(), Lease.id.desc())).scalars())
