"""Units: the catalogue (create, edit, list, free over dates), out-of-service periods, and what
each unit is doing on a night (the floor plan and the per-type summary residents browse)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ...allocation.dates import add_months
from ...allocation.rounds import human_date
from ...models import UNIT_TYPES, Lease, Offer, Unit, UnitOutage, User
from .. import BadRequest, Conflict, NotFound
from ..audit import record
from ..guard import lock_resource
from ..tx import transaction
from .common import MAX_OCCUPANTS, OCCUPYING, Violations, as_date, as_int, as_money, local_day
from .leases import claims, conflict_message
from ..phrasing import day_text, gettext


def get_unit(session: Session, unit_id) -> Unit:
    unit = session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        raise NotFound(gettext("There is no unit %(unit_id)s.", unit_id=unit_id))
    return unit


def list_units(session: Session, *, unit_type: str | None = None, available_from: date | None = None,
               available_to: date | None = None, floor: int | None = None, now: datetime | None = None) -> list[Unit]:
    """Units by floor and code; with `available_from` (and `available_to`, exclusive; default
    the next day) only those free over those dates."""
    if available_to is not None and available_from is None:
        raise BadRequest(gettext("Give available_from together with available_to."))
    q = select(Unit)
    if unit_type:
        q = q.where(Unit.unit_type == unit_type)
    if floor is not None:
        q = q.where(Unit.floor == floor)
    units = list(session.execute(q.order_by(Unit.floor, Unit.code)).scalars())
    if available_from is not None:
        end = available_to or available_from + timedelta(days=1)
        if end <= available_from:
            raise BadRequest(gettext("available_to must be after available_from."))
        taken = claims(session, [u.id for u in units] if len(units) < 1000 else None, available_from, end, now=now)
        units = [u for u in units if not taken.get(u.id)]
    return units


def floors(session: Session) -> list[int]:
    return list(session.execute(select(Unit.floor).distinct().order_by(Unit.floor)).scalars())


# --- what a unit is doing on a night -----------------------------------------------------------

def _day_states(session: Session, units: list[Unit], day: date, now: datetime | None = None) -> dict[int, dict]:
    found = claims(session, [u.id for u in units], day, day + timedelta(days=1), now=now)
    lease_ids = [c.ref_id for cs in found.values() for c in cs if c.kind == "lease"]
    offer_ids = [c.ref_id for cs in found.values() for c in cs if c.kind == "offer"]
    # With their holders, which the floor plan names (one query for all, not one per unit).
    leases = {l.id: l for l in session.execute(select(Lease).where(Lease.id.in_(lease_ids))
                                               .options(selectinload(Lease.user))).scalars()} if lease_ids else {}
    offers = {o.id: o for o in session.execute(select(Offer).where(Offer.id.in_(offer_ids))
                                               .options(selectinload(Offer.user))).scalars()} if offer_ids else {}
    states = {}
    for unit in units:
        cs = found.get(unit.id, [])
        state, lease, offer, note = "free", None, None, None
        for c in cs:
            if c.kind in ("outage", "out_of_service"):
                state, note = "out_of_service", c.label
                break
        else:
            for c in cs:
                if c.kind == "lease":
                    state, lease = "occupied", leases.get(c.ref_id)
                    break
            else:
                for c in cs:
                    if c.kind == "offer":
                        state, offer = "offered", offers.get(c.ref_id)
                        break
        states[unit.id] = {"unit": unit, "state": state, "lease": lease, "offer": offer, "note": note}
    return states


def floor_plan(session: Session, *, floor: int, day: date, now: datetime | None = None) -> list[dict]:
    """Each unit of the floor with its state on the night of `day`: occupied, free, offered
    (held by an open offer) or out_of_service; with the lease (or offer) concerned."""
    units = list(session.execute(select(Unit).where(Unit.floor == floor).order_by(Unit.code)).scalars())
    states = _day_states(session, units, day, now)
    return [states[u.id] for u in units]


def unit_type_summary(session: Session, *, day: date, now: datetime | None = None) -> list[dict]:
    """Per unit type: count, rent range, units free on `day` and on the first of next month."""
    units = list(session.execute(select(Unit).order_by(Unit.unit_type, Unit.id)).scalars())
    next_month = add_months(day.replace(day=1), 1)
    today = _day_states(session, units, day, now)
    later = _day_states(session, units, next_month, now)
    rows: dict[str, dict] = {}
    for unit in units:
        row = rows.setdefault(unit.unit_type, {
            "unit_type": unit.unit_type, "count": 0, "rent_min": None, "rent_max": None, "free_now": 0,
            "free_next_month": 0, "next_month": next_month, "max_occupancy": 0})
        row["count"] += 1
        rent = Decimal(unit.monthly_rent)
        row["rent_min"] = rent if row["rent_min"] is None else min(row["rent_min"], rent)
        row["rent_max"] = rent if row["rent_max"] is None else max(row["rent_max"], rent)
        row["max_occupancy"] = max(row["max_occupancy"], unit.occupancy or 1)
        row["free_now"] += today[unit.id]["state"] == "free"
        row["free_next_month"] += later[unit.id]["state"] == "free"
    order = {t: i for i, t in enumerate(UNIT_TYPES)}
    return sorted(rows.values(), key=lambda r: (order.get(r["unit_type"], len(order)), r["unit_type"]))


# --- creating and editing units --------------------------------------------------------------

def _clean_unit(data: dict, base: dict, v: Violations) -> dict:
    out = {}
    if "code" in data or "code" not in base:
        code = data.get("code")
        if not isinstance(code, str) or not code.strip():
            v.add("code", gettext("The unit code is required (e.g. 12-07)."))
        elif len(code.strip()) > 20:
            v.add("code", gettext("The unit code has at most 20 characters."))
        else:
            out["code"] = code.strip()
    if "unit_type" in data or "unit_type" not in base:
        unit_type = data.get("unit_type")
        if unit_type not in UNIT_TYPES:
            v.add("unit_type", gettext("The unit type must be one of %(join)s.", join=', '.join(UNIT_TYPES)))
        else:
            out["unit_type"] = unit_type
    if "floor" in data or "floor" not in base:
        floor = as_int(data.get("floor"), "floor", v, minimum=0, maximum=200)
        if floor is not None:
            out["floor"] = floor
    if "monthly_rent" in data or "monthly_rent" not in base:
        rent = as_money(data.get("monthly_rent"), "monthly_rent", v)
        if rent is not None:
            out["monthly_rent"] = rent
    if "occupancy" in data:
        occ = as_int(data.get("occupancy"), "occupancy", v, minimum=1, maximum=MAX_OCCUPANTS)
        if occ is not None:
            out["occupancy"] = occ
    if "status" in data:
        if data.get("status") not in ("available", "out_of_service"):
            v.add("status", gettext("The status must be available or out_of_service."))
        else:
            out["status"] = data["status"]
    if "short_stay" in data:
        if not isinstance(data.get("short_stay"), bool):
            v.add("short_stay", gettext("short_stay must be true or false."))
        else:
            out["short_stay"] = data["short_stay"]
    if "description" in data:
        desc = data.get("description")
        if desc is not None and not isinstance(desc, str):
            v.add("description", gettext("The description must be text."))
        else:
            out["description"] = (desc or "").strip()[:2000] or None
    return out


@transaction
def create_unit(session: Session, data: dict, *, actor: User, now: datetime) -> Unit:
    if not isinstance(data, dict):
        raise BadRequest(gettext("Send the unit as a JSON object."))
    v = Violations()
    fields = _clean_unit(data, {}, v)
    v.raise_if_any()
    if session.execute(select(Unit.id).where(Unit.code == fields["code"])).first():
        raise Conflict(gettext("A unit with the code %(code)s already exists.", code=fields['code']))
    unit = Unit(code=fields["code"], unit_type=fields["unit_type"], floor=fields["floor"],
                monthly_rent=fields["monthly_rent"], occupancy=fields.get("occupancy", 1),
                status=fields.get("status", "available"), description=fields.get("description"),
                short_stay=fields.get("short_stay", False), created_at=now)
    session.add(unit)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(gettext("A unit with the code %(code)s already exists.", code=fields['code'])) from None
    record(session, actor_id=actor.id, action="unit.create", target_type="unit", target_id=unit.id, now=now,
           code=unit.code, unit_type=unit.unit_type, floor=unit.floor, monthly_rent=str(unit.monthly_rent))
    return unit


@transaction
def update_unit(session: Session, unit_id: int, data: dict, *, actor: User, now: datetime) -> Unit:
    if not isinstance(data, dict):
        raise BadRequest(gettext("Send the changes as a JSON object."))
    v = Violations()
    unit = lock_resource(session, Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        raise NotFound(gettext("There is no unit %(unit_id)s.", unit_id=unit_id))
    fields = _clean_unit(data, {k: True for k in ("code", "unit_type", "floor", "monthly_rent")}, v)
    v.raise_if_any()
    if "code" in fields and fields["code"] != unit.code:
        if session.execute(select(Unit.id).where(Unit.code == fields["code"], Unit.id != unit.id)).first():
            raise Conflict(gettext("A unit with the code %(code)s already exists.", code=fields['code']))
    if fields.get("status") == "out_of_service" and unit.status != "out_of_service":
        today = local_day(now)
        current = session.execute(
            select(Lease).where(Lease.unit_id == unit.id, Lease.status.in_(OCCUPYING), Lease.end_date > today,
                                Lease.end_date > Lease.start_date)
            .order_by(Lease.start_date)).scalars().first()
        if current is not None:
            raise Conflict(gettext("Unit %(code)s is let until %(day)s (lease %(id)s); terminate that lease first, or add an outage for dates when it is empty.", code=unit.code, day=day_text(current.end_date), id=current.id))
    changes = {}
    for key, value in fields.items():
        old = getattr(unit, key)
        if old != value:
            changes[key] = [str(old) if old is not None else None, str(value) if value is not None else None]
            setattr(unit, key, value)
    if changes:
        record(session, actor_id=actor.id, action="unit.update", target_type="unit", target_id=unit.id, now=now,
               changes=changes)
    return unit


# --- out of service ----------------------------------------------------------------------------

@transaction
def add_outage(session: Session, unit_id: int, *, start: date, end: date, reason: str, actor: User,
               now: datetime) -> UnitOutage:
    """Take a unit out of service over [start, end); refused (409) where a lease or an open
    offer holds it then."""
    v = Violations()
    start = as_date(start, "start", v, "start date")
    end = as_date(end, "end", v, "end date")
    if start and end and end <= start:
        v.add("end", gettext("The end date must be after the start date."))
    if not isinstance(reason, str) or not reason.strip():
        v.add("reason", gettext("Give a reason (e.g. 'bathroom renovation')."))
    v.raise_if_any()
    unit = lock_resource(session, Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        raise NotFound(gettext("There is no unit %(unit_id)s.", unit_id=unit_id))
    found = [c for c in claims(session, [unit.id], start, end, now=now).get(unit.id, [])
             if c.kind in ("lease", "offer")]
    if found:
        raise Conflict(conflict_message(unit, start, end, found), conflicts=[c.as_dict() for c in found])
    outage = UnitOutage(unit_id=unit.id, start_date=start, end_date=end, reason=reason.strip()[:300],
                        created_by_id=actor.id, created_at=now)
    session.add(outage)
    session.flush()
    record(session, actor_id=actor.id, action="unit.outage", target_type="unit", target_id=unit.id, now=now,
           reason=outage.reason, start=start.isoformat(), end=end.isoformat())
    return outage


def list_outages(session: Session, unit_id: int) -> list[UnitOutage]:
    return list(session.execute(select(UnitOutage).where(UnitOutage.unit_id == unit_id)
                                .order_by(UnitOutage.start_date.desc())).scalars())
