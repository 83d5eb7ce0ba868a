"""Allocation rounds: every open application against every unit of the types asked for,
solved by the pure core (allocation.rounds) with the published weights. A preview writes
nothing; a commit makes the offers and waitlists the applications it cannot place, with the
reason, in one transaction."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ...allocation import homes as homes_core
from ...allocation import joint as joint_core
from ...allocation import rounds as rounds_core
from ...models import AllocationRound, HousingApplication, Unit, User, WaitlistEntry
from .. import NotFound
from ..audit import record
from ..long_tasks import N_
from ..notifications import notify_many
from ..settings import setting
from ..standing import tier_note
from ..tx import transaction
from ..wording import UnitType, _
from .common import local_day, money, stay_end, term_label
from .leases import claims, homes_of, homes_of_many
from .offers import new_offer, offer_notice
from . import unit_types
from .waitlists import join_waitlists, waiting_entries


# What a round's progress page says as each step begins (services/long_tasks.py).
READING = N_("Reading the applications and free units")
LOCKING = N_("Locking the units of the requested types")
SOLVER_STAGES = {"matrix": N_("Building the preference matrix"), "solve": N_("Solving"),
                 "reasons": N_("Explaining each application that cannot be placed")}
WRITING_OFFERS = N_("Writing offers %(done)s of %(total)s")
WAITLISTING = N_("Waitlisting the applications not placed")
NOTIFYING = N_("Notifying the residents")


def _quiet(stage: str, **_progress) -> None:
    return None


def _solve(applicants, candidates, progress) -> rounds_core.RoundResult:
    return rounds_core.solve_round(applicants, candidates, weights(),
                                   stage=lambda key: progress(SOLVER_STAGES[key]))


def weights() -> rounds_core.Weights:
    return rounds_core.Weights(tier=float(setting("ALLOCATION_WEIGHT_TIER")),
                               preference=float(setting("ALLOCATION_WEIGHT_PREFERENCE")),
                               wait_day=float(setting("ALLOCATION_WEIGHT_WAIT_DAY")))


def _weights_dict(w: rounds_core.Weights) -> dict:
    return {"tier": w.tier, "preference": w.preference, "wait_day": w.wait_day}


def _round_applications(session: Session) -> list[HousingApplication]:
    """Open applications a round considers: submitted ones, and waitlisted ones still waiting;
    not those of deactivated accounts (kept for when the account is reactivated)."""
    waiting_app_ids = select(WaitlistEntry.application_id).where(WaitlistEntry.status == "waiting",
                                                                 WaitlistEntry.application_id.is_not(None))
    active_ids = select(User.id).where(User.active.is_(True))
    # A joint application waits for its partner's confirmation (allocation/joint.py).
    return list(session.execute(
        select(HousingApplication).where(or_(
            HousingApplication.status == "submitted",
            and_(HousingApplication.status == "waitlisted", HousingApplication.id.in_(waiting_app_ids)),
        ), HousingApplication.user_id.in_(active_ids),
            or_(HousingApplication.partner_id.is_(None), HousingApplication.partner_status == "confirmed"))
        .order_by(HousingApplication.id)).scalars())


def _round_inputs(session: Session, now: datetime):
    today = local_day(now)
    rows = _round_applications(session)
    users = {u.id: u for u in session.execute(select(User).where(User.id.in_({a.user_id for a in rows}))).scalars()} \
        if rows else {}
    applicants = []
    floor_units: dict[tuple[str, int], tuple[int, ...]] = {}
    for a in rows:
        if a.preferred_floor is not None and (a.unit_type, a.preferred_floor) not in floor_units:
            floor_units[(a.unit_type, a.preferred_floor)] = tuple(session.execute(
                select(Unit.id).where(Unit.unit_type == a.unit_type, Unit.floor == a.preferred_floor,
                                      Unit.short_stay.is_(False))
                .order_by(Unit.code)).scalars())
    for a in rows:
        # "Any unit on floor N" ranks that floor's units after the units named one by one.
        named = tuple(a.preferred_unit_ids or ())
        on_floor = tuple(i for i in floor_units.get((a.unit_type, a.preferred_floor), ()) if i not in named)
        # An offer starts tomorrow at the earliest: its answer-by time is before the move-in day.
        start = max(a.move_in, today + timedelta(days=1))
        end = stay_end(start, a.term_months, a.term_nights)
        waited = max((today - local_day(a.created_at)).days, 0) if a.created_at else 0
        user = users.get(a.user_id)
        blocked = None
        if a.partner_id is not None:  # both of the pair keep one home a night
            partner = session.get(User, a.partner_id)
            blocked = joint_core.blocked(partner.name or partner.email, homes_of(session, partner.id, start, end),
                                         start, end)
        applicants.append(rounds_core.Applicant(
            id=a.id, tier=user.priority_tier if user else 3, unit_type=a.unit_type, move_in=start, end=end,
            preferred_unit_ids=named + on_floor, waited_days=waited,
            occupants=max(a.occupants or 1, joint_core.PAIR if a.partner_id else 1),
            term_label=term_label(a.term_months, a.term_nights), blocked=blocked))
    types = {a.unit_type for a in applicants}
    # Short-stay units are booked directly by the night, never placed in a round.
    units = list(session.execute(select(Unit).where(Unit.unit_type.in_(types), Unit.short_stay.is_(False))
                                 .order_by(Unit.id)).scalars()) if types else []
    candidates = []
    if applicants and units:
        lo = min(a.move_in for a in applicants)
        hi = max(a.end for a in applicants)
        busy = claims(session, None, lo, hi, now=now, unit_filter=Unit.unit_type.in_(types))
        for u in units:
            candidates.append(rounds_core.CandidateUnit(
                id=u.id, unit_type=u.unit_type, occupancy=u.occupancy,
                busy=tuple((c.start, c.end) for c in busy.get(u.id, [])), code=u.code))
    return rows, users, applicants, units, candidates


def _tier_changed(user: User | None) -> dict:
    """{"tier_note": " since 29 Nov 2026 (changed by an admin: ...)"} after an admin changed the tier."""
    note = tier_note(user)
    return {"tier_note": note} if note else {}


def _transfers(session: Session, result: rounds_core.RoundResult, rows) -> dict[int, tuple[int, str]]:
    """For each placed application that overlaps the applicant's own lease (a transfer): that
    lease's id and unit code (`transfer_from`, for every placement in one query)."""
    if not result.assignments:
        return {}
    user_of = {a.id: a.user_id for a in rows}
    homes = homes_of_many(session, [user_of[a.application_id] for a in result.assignments],
                          min(a.start for a in result.assignments), max(a.end for a in result.assignments))
    out = {}
    for a in result.assignments:
        found = homes_core.clashes(homes.get(user_of[a.application_id], []), a.start, a.end)
        if found:
            out[a.application_id] = (found[0].lease_id, found[0].unit_code)
    return out


def _round_payload(result: rounds_core.RoundResult, rows, users, units, transfers: dict) -> dict:
    apps = {a.id: a for a in rows}
    unit_by_id = {u.id: u for u in units}
    assignments = []
    for a in result.assignments:
        app, unit = apps[a.application_id], unit_by_id[a.unit_id]
        user = users.get(app.user_id)
        assignments.append({
            "application_id": a.application_id, "unit_id": a.unit_id,
            "start": a.start.isoformat(), "end": a.end.isoformat(),
            "unit_code": unit.code, "unit_type": unit.unit_type, "user_id": app.user_id,
            "user_name": user.name if user else None, "priority_tier": user.priority_tier if user else None,
            **_tier_changed(user), "weight": a.weight, "preferred_rank": (list(app.preferred_unit_ids or []).index(unit.id) + 1
                                                   if unit.id in (app.preferred_unit_ids or []) else None),
            "monthly_rent": money(unit.monthly_rent),
            "transfer_from_unit": transfers[a.application_id][1] if a.application_id in transfers else None,
            "partner_id": app.partner_id,
        })
    unassigned = []
    for u in result.unassigned:
        app = apps[u.application_id]
        user = users.get(app.user_id)
        unassigned.append({"application_id": u.application_id, "reason": u.reason, "user_id": app.user_id,
                           "user_name": user.name if user else None, "unit_type": app.unit_type,
                           "priority_tier": user.priority_tier if user else None, **_tier_changed(user)})
    return {"assignments": assignments, "unassigned": unassigned, "score": result.score,
            "weights": _weights_dict(weights())}


def preview_round(session: Session, *, actor: User, now: datetime, progress=_quiet) -> dict:
    """What a round would do now; writes nothing. `progress(stage, done=, total=)` hears each
    step (a progress page; services/long_tasks.Progress)."""
    progress(READING)
    rows, users, applicants, units, candidates = _round_inputs(session, now)
    result = _solve(applicants, candidates, progress)
    payload = _round_payload(result, rows, users, units, _transfers(session, result, rows))
    payload["id"] = None
    payload["committed"] = False
    return payload


@transaction
def commit_round(session: Session, *, actor: User, now: datetime, progress=_quiet) -> AllocationRound:
    """Run the round and make its offers (open for OFFER_RESPONSE_DAYS); applications it
    cannot place join the waitlist of their unit type with the reason. One transaction, with
    every unit of the requested types locked so leases and other rounds wait. `progress`
    as in preview_round."""
    progress(LOCKING)
    types = sorted({a.unit_type for a in _round_applications(session)})
    if types:
        session.execute(select(Unit.id).where(Unit.unit_type.in_(types)).order_by(Unit.id).with_for_update()).all()
    progress(READING)
    rows, users, applicants, units, candidates = _round_inputs(session, now)
    result = _solve(applicants, candidates, progress)
    transfers = _transfers(session, result, rows)
    payload = _round_payload(result, rows, users, units, transfers)
    rnd = AllocationRound(created_by_id=actor.id, created_at=now, committed=True, score=result.score,
                          params={"weights": _weights_dict(weights()), "applications": len(rows),
                                  "units": len(units)},
                          result={})
    session.add(rnd)
    session.flush()
    expires_at = now + timedelta(days=int(setting("OFFER_RESPONSE_DAYS")))
    apps = {a.id: a for a in rows}
    unit_by_id = {u.id: u for u in units}
    # Every write below is added first and flushed together: a few statements per kind of row,
    # not several per application (bench/bench_round.py counts them).
    entries = waiting_entries(session, [a.application_id for a in result.assignments])
    offers = []
    for done, a in enumerate(result.assignments):
        progress(WRITING_OFFERS, done=done, total=len(result.assignments))
        app, unit = apps[a.application_id], unit_by_id[a.unit_id]
        app.transfer_from_lease_id = transfers[app.id][0] if app.id in transfers else None
        offers.append((new_offer(session, kind="allocation", user_id=app.user_id, unit=unit, start=a.start, end=a.end,
                                 monthly_rent=unit.monthly_rent, expires_at=expires_at, now=now, application=app,
                                 waitlist_entry=entries.get(app.id), round_id=rnd.id), unit))
        if app.partner_id is not None:  # a joint application: the unit is offered to both at once
            offers.append((new_offer(session, kind="allocation", user_id=app.partner_id, unit=unit, start=a.start,
                                     end=a.end, monthly_rent=unit.monthly_rent, expires_at=expires_at, now=now,
                                     application=app, round_id=rnd.id), unit))
    progress(WAITLISTING)
    left = [apps[u.application_id] for u in result.unassigned]
    for u in result.unassigned:
        app = apps[u.application_id]
        app.status = "waitlisted"
        app.reason = u.reason
        app.updated_at = now
    join_waitlists(session, left, now=now, reasons={u.application_id: u.reason for u in result.unassigned})
    progress(NOTIFYING)
    session.flush()  # the offers' ids name their notices
    notices = [offer_notice(offer, unit) for offer, unit in offers]
    names = unit_types.chinese_names(session)
    for u in result.unassigned:
        app = apps[u.application_id]
        notices.append(dict(
            user_id=app.user_id, kind="waitlisted",
            subject=_("You are on the waitlist for a %(type)s unit",
                      type=UnitType(app.unit_type, names.get(app.unit_type))),
            body=_("This round could not place you. %(reason)s You keep your place on the %(type)s waitlist; your "
                   "housing page shows where you stand.", reason=u.reason,
                   type=UnitType(app.unit_type, names.get(app.unit_type))),
            link="/housing", dedupe_key=f"round:{rnd.id}:waitlisted:{app.id}"))
    notify_many(session, notices, now=now)
    payload["id"] = rnd.id
    payload["committed"] = True
    rnd.result = dict(payload)  # a new object, so the JSON column sees the change
    record(session, actor_id=actor.id, action="round.commit", target_type="allocation_round", target_id=rnd.id,
           now=now, score=result.score, offers=len(result.assignments), unassigned=len(result.unassigned))
    return rnd


def get_round(session: Session, round_id: int) -> AllocationRound:
    rnd = session.get(AllocationRound, round_id) if 0 < round_id < 2**31 else None
    if rnd is None:
        raise NotFound(f"There is no allocation round {round_id}.")
    return rnd


def list_rounds(session: Session, *, limit: int = 20) -> list[AllocationRound]:
    return list(session.execute(select(AllocationRound).order_by(AllocationRound.id.desc()).limit(limit)).scalars())
