"""Housing use cases: units, leases through the allocator, applications, allocation rounds,
offers and waitlists. One transaction per write function (it commits, or rolls back and
raises a ServiceError); `now` is always passed in; every manager action is audited.

The allocator for leases: a unit is a resource of capacity one, a lease claims it over the
dates [start, end) (end exclusive, so back-to-back leases are fine). A unit is taken on a night
by an occupying lease (active, ending, ended, and terminated ones over the nights they really
occupied, as termination moves the end), by an open, unexpired offer (it holds the unit for its
resident until answered), by an outage, or always when its status is out_of_service. Every
lease write locks the unit row (guard.lock_resource) and checks the claims with the pure
core's `overlaps`; PostgreSQL's exclusion constraint `ex_leases_no_overlap` is the backstop.

Renewals: accepting a renewal offer makes a NEW lease row from the old end date (back to back,
`previous_lease_id` pointing at the renewed lease), so each term keeps its own rent and dates and
the history reads term by term; the offer's `lease_id` stays the renewed lease. For allocation
and waitlist offers, `lease_id` becomes the lease made on acceptance.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Iterable

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..allocation import rounds as rounds_core
from ..allocation import waitlist as waitlist_core
from ..allocation.intervals import overlaps
from ..models import (
    UNIT_TYPES,
    AllocationRound,
    HousingApplication,
    Lease,
    Offer,
    Unit,
    UnitOutage,
    User,
    WaitlistEntry,
)
from . import BadRequest, Conflict, Forbidden, NotFound, RuleViolation
from .audit import record
from .guard import begin_write, is_overlap_violation, lock_resource
from .notifications import notify
from .settings import setting, zone

OCCUPYING = ("active", "ending", "ended", "terminated")
LIVE_LEASES = ("active", "ending")
OPEN_APPLICATIONS = ("submitted", "offered", "waitlisted")
STAFF_ROLES = ("manager", "admin", "finance")
MAX_PREFERENCES = 5
MAX_TERM_MONTHS = 12
MAX_TERM_NIGHTS = 365
MAX_OCCUPANTS = 8


# --- settings, time, formatting --------------------------------------------------------------

def local_day(now: datetime) -> date:
    """The date in INNOCELL_TIMEZONE at instant `now`."""
    return now.astimezone(zone()).date()


def weights() -> rounds_core.Weights:
    return rounds_core.Weights(tier=float(setting("ALLOCATION_WEIGHT_TIER")),
                               preference=float(setting("ALLOCATION_WEIGHT_PREFERENCE")),
                               wait_day=float(setting("ALLOCATION_WEIGHT_WAIT_DAY")))


def human_date(day: date) -> str:
    return rounds_core.human_date(day)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def stay_end(start: date, term_months: int, term_nights: int) -> date:
    return add_months(start, term_months) + timedelta(days=term_nights)


def term_label(term_months: int, term_nights: int) -> str:
    parts = []
    if term_months:
        parts.append(f"{term_months} month{'s' if term_months != 1 else ''}")
    if term_nights:
        parts.append(f"{term_nights} night{'s' if term_nights != 1 else ''}")
    return " and ".join(parts) or "0 nights"


def _money(value) -> float | None:
    return None if value is None else float(Decimal(value).quantize(Decimal("0.01")))


def _is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


def _iso_instant(dt: datetime | None, tz) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(tz).isoformat(timespec="seconds")


# --- JSON shapes (CONTRACT.md, Housing) ------------------------------------------------------

def unit_json(unit: Unit, *, status_on: str | None = None) -> dict:
    """Unit: {"id","code","unit_type","floor","monthly_rent","occupancy","status"}; `status_on`
    (a state computed for a day, e.g. 'out_of_service' during an outage) overrides the status."""
    return {
        "id": unit.id,
        "code": unit.code,
        "unit_type": unit.unit_type,
        "floor": unit.floor,
        "monthly_rent": _money(unit.monthly_rent),
        "occupancy": unit.occupancy,
        "status": status_on or unit.status,
        "description": unit.description,
    }


def lease_json(lease: Lease) -> dict:
    return {
        "id": lease.id,
        "unit_id": lease.unit_id,
        "user_id": lease.user_id,
        "start": lease.start_date.isoformat(),
        "end": lease.end_date.isoformat(),
        "monthly_rent": _money(lease.monthly_rent),
        "status": lease.status,
        "unit_code": lease.unit.code if lease.unit is not None else None,
        "previous_lease_id": lease.previous_lease_id,
        "termination_reason": lease.termination_reason,
    }


def offer_json(offer: Offer, tz=None) -> dict:
    tz = tz or zone()
    return {
        "id": offer.id,
        "kind": offer.kind,
        "user_id": offer.user_id,
        "unit_id": offer.unit_id,
        "lease_id": offer.lease_id,
        "start": offer.start_date.isoformat(),
        "end": offer.end_date.isoformat(),
        "expires_at": _iso_instant(offer.expires_at, tz),
        "status": offer.status,
        "monthly_rent": _money(offer.monthly_rent),
        "unit_code": offer.unit.code if offer.unit is not None else None,
        "application_id": offer.application_id,
        "waitlist_entry_id": offer.waitlist_entry_id,
        "round_id": offer.round_id,
        "responded_at": _iso_instant(offer.responded_at, tz),
    }


def application_json(app: HousingApplication) -> dict:
    return {
        "id": app.id,
        "user_id": app.user_id,
        "unit_type": app.unit_type,
        "move_in": app.move_in.isoformat(),
        "term_months": app.term_months,
        "status": app.status,
        "term_nights": app.term_nights,
        "occupants": app.occupants,
        "preferred_unit_ids": list(app.preferred_unit_ids or []),
        "reason": app.reason,
        "created_at": _iso_instant(app.created_at, zone()),
    }


def waitlist_entry_json(entry: WaitlistEntry, position: int | None, ahead: int | None,
                        explanation: str | None = None) -> dict:
    return {
        "id": entry.id,
        "unit_type": entry.unit_type,
        "position": position,
        "ahead": ahead,
        "priority_tier": entry.priority_tier,
        "joined_at": _iso_instant(entry.joined_at, zone()),
        "status": entry.status,
        "user_id": entry.user_id,
        "application_id": entry.application_id,
        "explanation": explanation,
        "reason": entry.reason,
    }


# --- validation helpers -----------------------------------------------------------------------

class _Violations:
    def __init__(self):
        self.items: list[dict] = []

    def add(self, rule: str, message: str):
        self.items.append({"rule": rule, "message": message})

    def raise_if_any(self):
        if self.items:
            raise RuleViolation(self.items[0]["message"] if len(self.items) == 1
                                else "Some fields need attention: " + " ".join(v["message"] for v in self.items),
                                violations=self.items)


def _as_int(value, field: str, v: _Violations, *, minimum: int | None = None, maximum: int | None = None,
            label: str | None = None) -> int | None:
    label = label or field.replace("_", " ")
    if isinstance(value, bool) or value is None or value == "":
        v.add(field, f"The {label} must be a whole number.")
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            v.add(field, f"The {label} must be a whole number.")
            return None
    if isinstance(value, float):
        if not value.is_integer():
            v.add(field, f"The {label} must be a whole number.")
            return None
        value = int(value)
    if not isinstance(value, int):
        v.add(field, f"The {label} must be a whole number.")
        return None
    if minimum is not None and value < minimum:
        v.add(field, f"The {label} must be at least {minimum}.")
        return None
    if maximum is not None and value > maximum:
        v.add(field, f"The {label} must be at most {maximum}.")
        return None
    return value


def _as_money(value, field: str, v: _Violations) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        v.add(field, "The monthly rent must be an amount, e.g. 12800 or 12800.50.")
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        v.add(field, "The monthly rent must be an amount, e.g. 12800 or 12800.50.")
        return None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("100000000"):
        v.add(field, "The monthly rent must be a positive amount below 100,000,000.")
        return None
    if amount != amount.quantize(Decimal("0.01")):
        v.add(field, "The monthly rent has at most two decimals.")
        return None
    return amount.quantize(Decimal("0.01"))


def _as_date(value, field: str, v: _Violations, label: str) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    v.add(field, f"The {label} must be a date (YYYY-MM-DD).")
    return None


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


FOREVER = (date(1, 1, 1), date(9999, 12, 31))


def claims(session: Session, unit_ids: Iterable[int] | None, start: date, end: date, *, now: datetime | None,
           exclude_offer_id: int | None = None, unit_filter=None) -> dict[int, list[Claim]]:
    """Claims on the given units (None: all units, or those `unit_filter` selects) that
    overlap [start, end). Reads only overlapping rows (indexed by unit and start)."""
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

    leases = session.execute(
        select(Lease).where(unit_cond(Lease.unit_id), Lease.status.in_(OCCUPYING),
                            Lease.start_date < end, Lease.end_date > start, Lease.end_date > Lease.start_date)
        .order_by(Lease.unit_id, Lease.start_date, Lease.id)
    ).scalars()
    for lease in leases:
        out.setdefault(lease.unit_id, []).append(Claim(
            lease.unit_id, lease.start_date, lease.end_date, "lease", lease.id,
            f"let from {human_date(lease.start_date)} to {human_date(lease.end_date)} (lease {lease.id})"))
    offer_q = select(Offer).where(unit_cond(Offer.unit_id), Offer.status == "open",
                                  Offer.start_date < end, Offer.end_date > start)
    if now is not None:
        offer_q = offer_q.where(Offer.expires_at > now)
    if exclude_offer_id is not None:
        offer_q = offer_q.where(Offer.id != exclude_offer_id)
    for offer in session.execute(offer_q.order_by(Offer.unit_id, Offer.start_date, Offer.id)).scalars():
        out.setdefault(offer.unit_id, []).append(Claim(
            offer.unit_id, offer.start_date, offer.end_date, "offer", offer.id,
            f"held by an open offer from {human_date(offer.start_date)} to {human_date(offer.end_date)} "
            f"(offer {offer.id}, awaiting an answer)"))
    outages = session.execute(
        select(UnitOutage).where(unit_cond(UnitOutage.unit_id), UnitOutage.start_date < end,
                                 UnitOutage.end_date > start)
        .order_by(UnitOutage.unit_id, UnitOutage.start_date, UnitOutage.id)
    ).scalars()
    for outage in outages:
        why = f": {outage.reason}" if outage.reason else ""
        out.setdefault(outage.unit_id, []).append(Claim(
            outage.unit_id, outage.start_date, outage.end_date, "outage", outage.id,
            f"out of service from {human_date(outage.start_date)} to {human_date(outage.end_date)}{why}"))
    down = select(Unit.id).where(Unit.status == "out_of_service", unit_cond(Unit.id))
    for unit_id in session.execute(down).scalars():
        out.setdefault(unit_id, []).append(Claim(unit_id, FOREVER[0], FOREVER[1], "out_of_service", None,
                                                 "out of service until a manager makes it available"))
    return out


def _conflict_message(unit: Unit, start: date, end: date, found: list[Claim]) -> str:
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return (f"Unit {unit.code} is not free from {human_date(start)} to {human_date(end)}: it is "
            f"{first.label}{more}.")


def _check_free(session: Session, unit: Unit, start: date, end: date, *, now: datetime,
                exclude_offer_id: int | None = None) -> None:
    """Raise Conflict (409) naming the clashing dates unless the unit is free over [start, end)."""
    found = [c for c in claims(session, [unit.id], start, end, now=now, exclude_offer_id=exclude_offer_id)
             .get(unit.id, []) if overlaps(start, end, c.start, c.end)]
    if found:
        raise Conflict(_conflict_message(unit, start, end, found), conflicts=[c.as_dict() for c in found])


# --- units ------------------------------------------------------------------------------------

def get_unit(session: Session, unit_id) -> Unit:
    unit = session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        raise NotFound(f"There is no unit {unit_id}.")
    return unit


def list_units(session: Session, *, unit_type: str | None = None, available_from: date | None = None,
               available_to: date | None = None, floor: int | None = None, now: datetime | None = None) -> list[Unit]:
    """Units by floor and code; with `available_from` (and `available_to`, exclusive; default
    the next day) only those free over those dates."""
    if available_to is not None and available_from is None:
        raise BadRequest("Give available_from together with available_to.")
    q = select(Unit)
    if unit_type:
        q = q.where(Unit.unit_type == unit_type)
    if floor is not None:
        q = q.where(Unit.floor == floor)
    units = list(session.execute(q.order_by(Unit.floor, Unit.code)).scalars())
    if available_from is not None:
        end = available_to or available_from + timedelta(days=1)
        if end <= available_from:
            raise BadRequest("available_to must be after available_from.")
        taken = claims(session, [u.id for u in units] if len(units) < 1000 else None, available_from, end, now=now)
        units = [u for u in units if not taken.get(u.id)]
    return units


def floors(session: Session) -> list[int]:
    return list(session.execute(select(Unit.floor).distinct().order_by(Unit.floor)).scalars())


def _day_states(session: Session, units: list[Unit], day: date, now: datetime | None = None) -> dict[int, dict]:
    found = claims(session, [u.id for u in units], day, day + timedelta(days=1), now=now)
    lease_ids = [c.ref_id for cs in found.values() for c in cs if c.kind == "lease"]
    offer_ids = [c.ref_id for cs in found.values() for c in cs if c.kind == "offer"]
    leases = {l.id: l for l in session.execute(select(Lease).where(Lease.id.in_(lease_ids))).scalars()} if lease_ids else {}
    offers = {o.id: o for o in session.execute(select(Offer).where(Offer.id.in_(offer_ids))).scalars()} if offer_ids else {}
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


def _clean_unit(data: dict, base: dict, v: _Violations) -> dict:
    out = {}
    if "code" in data or "code" not in base:
        code = data.get("code")
        if not isinstance(code, str) or not code.strip():
            v.add("code", "The unit code is required (e.g. 12-07).")
        elif len(code.strip()) > 20:
            v.add("code", "The unit code has at most 20 characters.")
        else:
            out["code"] = code.strip()
    if "unit_type" in data or "unit_type" not in base:
        unit_type = data.get("unit_type")
        if unit_type not in UNIT_TYPES:
            v.add("unit_type", f"The unit type must be one of {', '.join(UNIT_TYPES)}.")
        else:
            out["unit_type"] = unit_type
    if "floor" in data or "floor" not in base:
        floor = _as_int(data.get("floor"), "floor", v, minimum=0, maximum=200)
        if floor is not None:
            out["floor"] = floor
    if "monthly_rent" in data or "monthly_rent" not in base:
        rent = _as_money(data.get("monthly_rent"), "monthly_rent", v)
        if rent is not None:
            out["monthly_rent"] = rent
    if "occupancy" in data:
        occ = _as_int(data.get("occupancy"), "occupancy", v, minimum=1, maximum=MAX_OCCUPANTS)
        if occ is not None:
            out["occupancy"] = occ
    if "status" in data:
        if data.get("status") not in ("available", "out_of_service"):
            v.add("status", "The status must be available or out_of_service.")
        else:
            out["status"] = data["status"]
    if "description" in data:
        desc = data.get("description")
        if desc is not None and not isinstance(desc, str):
            v.add("description", "The description must be text.")
        else:
            out["description"] = (desc or "").strip()[:2000] or None
    return out


def create_unit(session: Session, data: dict, *, actor: User, now: datetime) -> Unit:
    if not isinstance(data, dict):
        raise BadRequest("Send the unit as a JSON object.")
    v = _Violations()
    fields = _clean_unit(data, {}, v)
    v.raise_if_any()
    begin_write(session)
    if session.execute(select(Unit.id).where(Unit.code == fields["code"])).first():
        session.rollback()
        raise Conflict(f"A unit with the code {fields['code']} already exists.")
    unit = Unit(code=fields["code"], unit_type=fields["unit_type"], floor=fields["floor"],
                monthly_rent=fields["monthly_rent"], occupancy=fields.get("occupancy", 1),
                status=fields.get("status", "available"), description=fields.get("description"), created_at=now)
    session.add(unit)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"A unit with the code {fields['code']} already exists.") from None
    record(session, actor_id=actor.id, action="unit.create", target_type="unit", target_id=unit.id, now=now,
           code=unit.code, unit_type=unit.unit_type, floor=unit.floor, monthly_rent=str(unit.monthly_rent))
    session.commit()
    return unit


def update_unit(session: Session, unit_id: int, data: dict, *, actor: User, now: datetime) -> Unit:
    if not isinstance(data, dict):
        raise BadRequest("Send the changes as a JSON object.")
    v = _Violations()
    unit = lock_resource(session, Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        session.rollback()
        raise NotFound(f"There is no unit {unit_id}.")
    fields = _clean_unit(data, {k: True for k in ("code", "unit_type", "floor", "monthly_rent")}, v)
    if v.items:
        session.rollback()
        v.raise_if_any()
    if "code" in fields and fields["code"] != unit.code:
        if session.execute(select(Unit.id).where(Unit.code == fields["code"], Unit.id != unit.id)).first():
            session.rollback()
            raise Conflict(f"A unit with the code {fields['code']} already exists.")
    if fields.get("status") == "out_of_service" and unit.status != "out_of_service":
        today = local_day(now)
        current = session.execute(
            select(Lease).where(Lease.unit_id == unit.id, Lease.status.in_(OCCUPYING), Lease.end_date > today,
                                Lease.end_date > Lease.start_date)
            .order_by(Lease.start_date)).scalars().first()
        if current is not None:
            session.rollback()
            raise Conflict(f"Unit {unit.code} is let until {human_date(current.end_date)} (lease {current.id}); "
                           "terminate that lease first, or add an outage for dates when it is empty.")
    changes = {}
    for key, value in fields.items():
        old = getattr(unit, key)
        if old != value:
            changes[key] = [str(old) if old is not None else None, str(value) if value is not None else None]
            setattr(unit, key, value)
    if changes:
        record(session, actor_id=actor.id, action="unit.update", target_type="unit", target_id=unit.id, now=now,
               changes=changes)
    session.commit()
    return unit


def add_outage(session: Session, unit_id: int, *, start: date, end: date, reason: str, actor: User,
               now: datetime) -> UnitOutage:
    """Take a unit out of service over [start, end); refused (409) where a lease or an open
    offer holds it then."""
    v = _Violations()
    start = _as_date(start, "start", v, "start date")
    end = _as_date(end, "end", v, "end date")
    if start and end and end <= start:
        v.add("end", "The end date must be after the start date.")
    if not isinstance(reason, str) or not reason.strip():
        v.add("reason", "Give a reason (e.g. 'bathroom renovation').")
    v.raise_if_any()
    unit = lock_resource(session, Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        session.rollback()
        raise NotFound(f"There is no unit {unit_id}.")
    found = [c for c in claims(session, [unit.id], start, end, now=now).get(unit.id, [])
             if c.kind in ("lease", "offer")]
    if found:
        session.rollback()
        raise Conflict(_conflict_message(unit, start, end, found), conflicts=[c.as_dict() for c in found])
    outage = UnitOutage(unit_id=unit.id, start_date=start, end_date=end, reason=reason.strip()[:300],
                        created_by_id=actor.id, created_at=now)
    session.add(outage)
    session.flush()
    record(session, actor_id=actor.id, action="unit.outage", target_type="unit", target_id=unit.id, now=now,
           reason=outage.reason, start=start.isoformat(), end=end.isoformat())
    session.commit()
    return outage


def list_outages(session: Session, unit_id: int) -> list[UnitOutage]:
    return list(session.execute(select(UnitOutage).where(UnitOutage.unit_id == unit_id)
                                .order_by(UnitOutage.start_date.desc())).scalars())


# --- leases -----------------------------------------------------------------------------------

def _insert_lease(session: Session, unit: Unit, *, user_id: int, start: date, end: date, monthly_rent: Decimal,
                  now: datetime, exclude_offer_id: int | None = None, previous_lease_id: int | None = None) -> Lease:
    """The guarded insert; the caller holds the unit lock. Raises Conflict after rolling back."""
    try:
        _check_free(session, unit, start, end, now=now, exclude_offer_id=exclude_offer_id)
    except Conflict:
        session.rollback()
        raise
    lease = Lease(unit_id=unit.id, user_id=user_id, start_date=start, end_date=end, monthly_rent=monthly_rent,
                  status="active", previous_lease_id=previous_lease_id, created_at=now)
    session.add(lease)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if is_overlap_violation(exc):
            raise Conflict(f"Unit {unit.code} was let over some of {human_date(start)} to {human_date(end)} "
                           "by another request a moment ago.") from None
        raise
    return lease


def create_lease(session: Session, *, unit_id, user_id, start, end, monthly_rent=None, actor: User,
                 now: datetime) -> Lease:
    """Record a lease directly (e.g. an existing tenant): 409 if it overlaps another lease,
    an open offer or an outage of the unit; back-to-back is fine."""
    v = _Violations()
    if isinstance(unit_id, bool) or not isinstance(unit_id, int):
        v.add("unit_id", "unit_id must be the id of a unit.")
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        v.add("user_id", "user_id must be the id of a resident.")
    start = _as_date(start, "start", v, "start date")
    end = _as_date(end, "end", v, "end date")
    if start and end and end <= start:
        v.add("end", "The end date must be after the start date (the end is the move-out day).")
    rent = None
    if monthly_rent is not None:
        rent = _as_money(monthly_rent, "monthly_rent", v)
    v.raise_if_any()
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise RuleViolation(f"There is no active account {user_id}.",
                            violations=[{"rule": "user_id", "message": f"There is no active account {user_id}."}])
    unit = lock_resource(session, Unit, unit_id)
    if unit is None:
        session.rollback()
        raise NotFound(f"There is no unit {unit_id}.")
    lease = _insert_lease(session, unit, user_id=user.id, start=start, end=end,
                          monthly_rent=rent if rent is not None else unit.monthly_rent, now=now)
    record(session, actor_id=actor.id, action="lease.create", target_type="lease", target_id=lease.id, now=now,
           unit=unit.code, user_id=user.id, start=start.isoformat(), end=end.isoformat(),
           monthly_rent=str(lease.monthly_rent))
    notify(session, user_id=user.id, kind="lease_created", now=now,
           subject=f"Your lease of unit {unit.code} is recorded",
           body=f"Unit {unit.code} is yours from {human_date(start)} to {human_date(end)} (move-out day).",
           link="/housing")
    session.commit()
    return lease


def get_lease(session: Session, lease_id, *, viewer: User) -> Lease:
    lease = session.get(Lease, lease_id) if isinstance(lease_id, int) else None
    if lease is None or (not _is_staff(viewer) and lease.user_id != viewer.id):
        raise NotFound(f"There is no lease {lease_id}.")
    return lease


def terminate_lease(session: Session, lease_id: int, *, on, reason: str, actor: User, now: datetime) -> Lease:
    """End a lease early: the unit frees from `on` (the lease keeps the nights before it)."""
    v = _Violations()
    on = _as_date(on, "on", v, "termination date")
    if not isinstance(reason, str) or not reason.strip():
        v.add("reason", "Give a reason for ending the lease early.")
    v.raise_if_any()
    lease = session.get(Lease, lease_id) if isinstance(lease_id, int) else None
    if lease is None:
        raise NotFound(f"There is no lease {lease_id}.")
    unit = lock_resource(session, Unit, lease.unit_id)
    lease = session.get(Lease, lease_id, populate_existing=True)
    if lease.status not in LIVE_LEASES:
        session.rollback()
        raise Conflict(f"Lease {lease.id} is already {lease.status}; only an active lease can be terminated.")
    # On or before the start date the lease is called off before move-in: it keeps no night.
    on = max(on, lease.start_date)
    if on >= lease.end_date:
        session.rollback()
        raise RuleViolation(
            f"Lease {lease.id} ends on {human_date(lease.end_date)} anyway; choose an earlier date.",
            violations=[{"rule": "on", "message": "The termination date must be before the lease's end."}])
    old_end = lease.end_date
    lease.end_date = on
    lease.status = "terminated"
    lease.terminated_at = now
    lease.termination_reason = reason.strip()[:300]
    # A renewal offer for this lease no longer makes sense.
    for offer in session.execute(select(Offer).where(Offer.lease_id == lease.id, Offer.kind == "renewal",
                                                     Offer.status == "open")).scalars():
        offer.status = "expired"
        offer.responded_at = now
    record(session, actor_id=actor.id, action="lease.terminate", target_type="lease", target_id=lease.id, now=now,
           reason=lease.termination_reason, unit=unit.code, old_end=old_end.isoformat(), new_end=on.isoformat())
    if on == lease.start_date:
        subject = f"Your lease of unit {unit.code} from {human_date(on)} is called off"
        body = (f"Your lease of unit {unit.code}, which was to start on {human_date(on)}, was called off "
                f"before move-in. Reason: {lease.termination_reason}")
    else:
        subject = f"Your lease of unit {unit.code} ends on {human_date(on)}"
        body = (f"Your lease of unit {unit.code} was ended early: the last night is the night before "
                f"{human_date(on)}. Reason: {lease.termination_reason}")
    notify(session, user_id=lease.user_id, kind="lease_terminated", now=now, subject=subject, body=body,
           link="/housing")
    session.commit()
    return lease


def lease_history(session: Session, unit_id: int) -> list[Lease]:
    return list(session.execute(select(Lease).where(Lease.unit_id == unit_id)
                                .order_by(Lease.start_date.desc(), Lease.id.desc())).scalars())


def list_leases(session: Session, *, viewer: User, unit_id: int | None = None, user_id: int | None = None,
                status: str | None = None, current_on: date | None = None) -> list[Lease]:
    """Leases the viewer may see: a resident its own; staff all."""
    q = select(Lease)
    if not _is_staff(viewer):
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


# --- applications -------------------------------------------------------------------------------

def submit_application(session: Session, *, user: User, unit_type, move_in, term_months, term_nights=0,
                       occupants=1, preferred_unit_ids=(), now: datetime) -> HousingApplication:
    v = _Violations()
    if unit_type not in UNIT_TYPES:
        v.add("unit_type", f"The unit type must be one of {', '.join(UNIT_TYPES)}.")
    move_in = _as_date(move_in, "move_in", v, "move-in date")
    today = local_day(now)
    if move_in is not None and move_in < today:
        v.add("move_in", "The move-in date cannot be in the past.")
    elif move_in is not None and move_in > add_months(today, 24):
        v.add("move_in", "The move-in date must be within the next two years.")
    months = _as_int(term_months if term_months is not None else 0, "term_months", v, minimum=0,
                     maximum=MAX_TERM_MONTHS, label="term in months")
    nights = _as_int(term_nights if term_nights is not None else 0, "term_nights", v, minimum=0,
                     maximum=MAX_TERM_NIGHTS, label="term in nights")
    if months == 0 and nights == 0:
        v.add("term_months", "Give a term: months for a lease, or nights for a short stay.")
    people = _as_int(occupants if occupants is not None else 1, "occupants", v, minimum=1, maximum=MAX_OCCUPANTS,
                     label="number of occupants")
    prefs: list[int] = []
    if preferred_unit_ids is None:
        preferred_unit_ids = ()
    if not isinstance(preferred_unit_ids, (list, tuple)):
        v.add("preferred_unit_ids", "preferred_unit_ids must be a list of unit ids, first choice first.")
    else:
        for raw in preferred_unit_ids:
            if isinstance(raw, bool) or not isinstance(raw, int):
                v.add("preferred_unit_ids", "preferred_unit_ids must be a list of unit ids, first choice first.")
                prefs = []
                break
            if raw not in prefs:
                prefs.append(raw)
        if len(prefs) > MAX_PREFERENCES:
            v.add("preferred_unit_ids", f"Name at most {MAX_PREFERENCES} preferred units.")
    if prefs and unit_type in UNIT_TYPES:
        found = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(prefs))).scalars()}
        for uid in prefs:
            if uid not in found:
                v.add("preferred_unit_ids", f"There is no unit {uid}.")
            elif found[uid].unit_type != unit_type:
                v.add("preferred_unit_ids", f"Unit {found[uid].code} is a {found[uid].unit_type}, not a {unit_type}.")
    if unit_type in UNIT_TYPES and people is not None:
        biggest = session.execute(select(func.max(Unit.occupancy)).where(Unit.unit_type == unit_type)).scalar()
        if biggest is None:
            v.add("unit_type", f"There are no {unit_type} units in the building.")
        elif people > biggest:
            v.add("occupants", f"A {unit_type} unit takes at most {biggest} occupant{'s' if biggest != 1 else ''}.")
    v.raise_if_any()
    begin_write(session)
    existing = session.execute(
        select(HousingApplication).where(HousingApplication.user_id == user.id,
                                         HousingApplication.status.in_(OPEN_APPLICATIONS))
        .order_by(HousingApplication.id)).scalars().first()
    if existing is not None:
        session.rollback()
        raise Conflict(f"You already have an open application ({existing.unit_type}, moving in "
                       f"{human_date(existing.move_in)}, {existing.status}); withdraw it before applying again.")
    app = HousingApplication(user_id=user.id, unit_type=unit_type, move_in=move_in, term_months=months,
                             term_nights=nights, occupants=people, preferred_unit_ids=prefs, status="submitted",
                             created_at=now, updated_at=now)
    session.add(app)
    session.flush()
    session.commit()
    return app


def get_application(session: Session, application_id, *, viewer: User) -> HousingApplication:
    app = session.get(HousingApplication, application_id) if isinstance(application_id, int) else None
    if app is None or (not _is_staff(viewer) and app.user_id != viewer.id):
        raise NotFound(f"There is no application {application_id}.")
    return app


def withdraw_application(session: Session, application_id: int, *, user: User, now: datetime) -> HousingApplication:
    """The applicant withdraws: its waitlist place and open offers go too (freeing the units)."""
    app = session.get(HousingApplication, application_id) if isinstance(application_id, int) else None
    if app is None or (app.user_id != user.id and not _is_staff(user)):
        raise NotFound(f"There is no application {application_id}.")
    if app.user_id != user.id:
        raise Forbidden("Only the applicant can withdraw an application.")
    begin_write(session)
    app = session.get(HousingApplication, application_id, populate_existing=True)
    if app.status not in OPEN_APPLICATIONS:
        session.rollback()
        raise Conflict(f"This application is already {app.status}.")
    app.status = "withdrawn"
    app.updated_at = now
    for entry in session.execute(select(WaitlistEntry).where(WaitlistEntry.application_id == app.id,
                                                             WaitlistEntry.status.in_(("waiting", "offered")))).scalars():
        entry.status = "removed"
        entry.reason = "The application was withdrawn."
    for offer in session.execute(select(Offer).where(Offer.application_id == app.id, Offer.status == "open")).scalars():
        offer.status = "declined"
        offer.responded_at = now
    session.commit()
    return app


def list_applications(session: Session, *, viewer: User, status: str | None = None,
                      unit_type: str | None = None) -> list[HousingApplication]:
    q = select(HousingApplication)
    if not _is_staff(viewer):
        q = q.where(HousingApplication.user_id == viewer.id)
    if status:
        q = q.where(HousingApplication.status == status)
    if unit_type:
        q = q.where(HousingApplication.unit_type == unit_type)
    return list(session.execute(q.order_by(HousingApplication.created_at.desc(), HousingApplication.id.desc())).scalars())


# --- allocation rounds ------------------------------------------------------------------------------

def _round_applications(session: Session) -> list[HousingApplication]:
    """Open applications a round considers: submitted ones, and waitlisted ones still waiting."""
    waiting_app_ids = select(WaitlistEntry.application_id).where(WaitlistEntry.status == "waiting",
                                                                 WaitlistEntry.application_id.is_not(None))
    return list(session.execute(
        select(HousingApplication).where(or_(
            HousingApplication.status == "submitted",
            and_(HousingApplication.status == "waitlisted", HousingApplication.id.in_(waiting_app_ids)),
        )).order_by(HousingApplication.id)).scalars())


def _round_inputs(session: Session, now: datetime):
    today = local_day(now)
    rows = _round_applications(session)
    users = {u.id: u for u in session.execute(select(User).where(User.id.in_({a.user_id for a in rows}))).scalars()} \
        if rows else {}
    applicants = []
    for a in rows:
        start = max(a.move_in, today)
        end = stay_end(start, a.term_months, a.term_nights)
        waited = max((today - local_day(a.created_at)).days, 0) if a.created_at else 0
        user = users.get(a.user_id)
        applicants.append(rounds_core.Applicant(
            id=a.id, tier=user.priority_tier if user else 3, unit_type=a.unit_type, move_in=start, end=end,
            preferred_unit_ids=tuple(a.preferred_unit_ids or ()), waited_days=waited, occupants=a.occupants or 1,
            term_label=term_label(a.term_months, a.term_nights)))
    types = {a.unit_type for a in applicants}
    units = list(session.execute(select(Unit).where(Unit.unit_type.in_(types)).order_by(Unit.id)).scalars()) \
        if types else []
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


def _round_payload(result: rounds_core.RoundResult, rows, users, units) -> dict:
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
            "weight": a.weight, "preferred_rank": (list(app.preferred_unit_ids or []).index(unit.id) + 1
                                                   if unit.id in (app.preferred_unit_ids or []) else None),
            "monthly_rent": _money(unit.monthly_rent),
        })
    unassigned = []
    for u in result.unassigned:
        app = apps[u.application_id]
        user = users.get(app.user_id)
        unassigned.append({"application_id": u.application_id, "reason": u.reason, "user_id": app.user_id,
                           "user_name": user.name if user else None, "unit_type": app.unit_type,
                           "priority_tier": user.priority_tier if user else None})
    w = weights()
    return {"assignments": assignments, "unassigned": unassigned, "score": result.score,
            "weights": {"tier": w.tier, "preference": w.preference, "wait_day": w.wait_day}}


def preview_round(session: Session, *, actor: User, now: datetime) -> dict:
    """What a round would do now; writes nothing."""
    rows, users, applicants, units, candidates = _round_inputs(session, now)
    result = rounds_core.solve_round(applicants, candidates, weights())
    payload = _round_payload(result, rows, users, units)
    payload["id"] = None
    payload["committed"] = False
    return payload


def commit_round(session: Session, *, actor: User, now: datetime) -> AllocationRound:
    """Run the round and make its offers (open for OFFER_RESPONSE_DAYS); applications it
    cannot place join the waitlist of their unit type with the reason. One transaction, with
    every unit of the requested types locked so leases and other rounds wait."""
    begin_write(session)
    types = sorted({a.unit_type for a in _round_applications(session)})
    if types:
        session.execute(select(Unit.id).where(Unit.unit_type.in_(types)).order_by(Unit.id).with_for_update()).all()
    rows, users, applicants, units, candidates = _round_inputs(session, now)
    result = rounds_core.solve_round(applicants, candidates, weights())
    payload = _round_payload(result, rows, users, units)
    w = weights()
    rnd = AllocationRound(created_by_id=actor.id, created_at=now, committed=True, score=result.score,
                          params={"weights": {"tier": w.tier, "preference": w.preference, "wait_day": w.wait_day},
                                  "applications": len(rows), "units": len(units)},
                          result={})
    session.add(rnd)
    session.flush()
    expires_at = now + timedelta(days=int(setting("OFFER_RESPONSE_DAYS")))
    apps = {a.id: a for a in rows}
    unit_by_id = {u.id: u for u in units}
    for a in result.assignments:
        app, unit = apps[a.application_id], unit_by_id[a.unit_id]
        entry = session.execute(select(WaitlistEntry).where(WaitlistEntry.application_id == app.id,
                                                            WaitlistEntry.status == "waiting")).scalars().first()
        _add_offer(session, kind="allocation", user_id=app.user_id, unit=unit, start=a.start, end=a.end,
                   monthly_rent=unit.monthly_rent, expires_at=expires_at, now=now, application=app,
                   waitlist_entry=entry, round_id=rnd.id)
    for u in result.unassigned:
        app = apps[u.application_id]
        app.status = "waitlisted"
        app.reason = u.reason
        app.updated_at = now
        entry = join_waitlist(session, application=app, now=now, commit=False)
        entry.reason = u.reason
        notify(session, user_id=app.user_id, kind="waitlisted", now=now,
               subject=f"You are on the waitlist for a {app.unit_type} unit",
               body=f"This round could not place you. {u.reason} You keep your place on the {app.unit_type} "
                    "waitlist; your housing page shows where you stand.",
               link="/housing", dedupe_key=f"round:{rnd.id}:waitlisted:{app.id}")
    payload["id"] = rnd.id
    payload["committed"] = True
    rnd.result = dict(payload)  # a new object, so the JSON column sees the change
    record(session, actor_id=actor.id, action="round.commit", target_type="allocation_round", target_id=rnd.id,
           now=now, score=result.score, offers=len(result.assignments), unassigned=len(result.unassigned))
    session.commit()
    return rnd


def list_rounds(session: Session, *, limit: int = 20) -> list[AllocationRound]:
    return list(session.execute(select(AllocationRound).order_by(AllocationRound.id.desc()).limit(limit)).scalars())


def round_json(rnd: AllocationRound | dict) -> dict:
    data = rnd if isinstance(rnd, dict) else dict(rnd.result or {}, id=rnd.id)
    return {"id": data.get("id"), "assignments": data.get("assignments", []),
            "unassigned": data.get("unassigned", []), "score": data.get("score", 0.0),
            "weights": data.get("weights"), "committed": data.get("committed", False)}


# --- offers -------------------------------------------------------------------------------------------

OFFER_SUBJECTS = {
    "allocation": "You have been offered unit {code}",
    "waitlist": "A unit came free for you: {code}",
    "renewal": "Renew your lease of unit {code}?",
}


def _add_offer(session: Session, *, kind: str, user_id: int, unit: Unit, start: date, end: date, monthly_rent,
               expires_at: datetime, now: datetime, application: HousingApplication | None = None,
               waitlist_entry: WaitlistEntry | None = None, lease_id: int | None = None,
               round_id: int | None = None) -> Offer:
    offer = Offer(kind=kind, user_id=user_id, unit_id=unit.id, start_date=start, end_date=end,
                  monthly_rent=monthly_rent, expires_at=expires_at, status="open", created_at=now,
                  lease_id=lease_id, application_id=application.id if application else None,
                  waitlist_entry_id=waitlist_entry.id if waitlist_entry else None, round_id=round_id)
    session.add(offer)
    session.flush()
    if application is not None:
        application.status = "offered"
        application.updated_at = now
    if waitlist_entry is not None:
        waitlist_entry.status = "offered"
    tz = zone()
    deadline = expires_at.astimezone(tz).strftime("%a %d %b %Y %H:%M")
    what = ("renew from" if kind == "renewal" else "live there from")
    notify(session, user_id=user_id, kind=f"offer_{kind}", now=now,
           subject=OFFER_SUBJECTS[kind].format(code=unit.code),
           body=(f"You can {what} {human_date(start)} to {human_date(end)} (move-out day) at "
                 f"HK${Decimal(monthly_rent):,.2f} a month. Accept or decline by {deadline}; "
                 "after that the offer passes to the next person."),
           link="/housing", dedupe_key=f"offer:{offer.id}")
    return offer


def make_offer(session: Session, *, kind: str, user_id: int, unit_id: int, start: date, end: date, monthly_rent,
               expires_at: datetime, now: datetime, lease_id: int | None = None, application_id: int | None = None,
               waitlist_entry_id: int | None = None, round_id: int | None = None) -> Offer:
    """Offer a unit over [start, end) to a resident until `expires_at` (renewal, waitlist or
    allocation). Guarded like a lease: 409 if the unit is not free then (a renewal's own lease
    ends at `start`, so it does not clash). Commits; notifies the resident."""
    if kind not in OFFER_SUBJECTS:
        raise BadRequest(f"Unknown offer kind {kind!r}.")
    if not (isinstance(start, date) and isinstance(end, date)) or end <= start:
        raise BadRequest("An offer needs dates with the end after the start.")
    if expires_at <= now:
        raise BadRequest("An offer must expire in the future.")
    unit = lock_resource(session, Unit, unit_id)
    if unit is None:
        session.rollback()
        raise NotFound(f"There is no unit {unit_id}.")
    try:
        _check_free(session, unit, start, end, now=now)
    except Conflict:
        session.rollback()
        raise
    application = session.get(HousingApplication, application_id) if application_id else None
    entry = session.get(WaitlistEntry, waitlist_entry_id) if waitlist_entry_id else None
    if entry is not None and application is None and entry.application_id:
        application = session.get(HousingApplication, entry.application_id)
    offer = _add_offer(session, kind=kind, user_id=user_id, unit=unit, start=start, end=end,
                       monthly_rent=Decimal(monthly_rent), expires_at=expires_at, now=now, application=application,
                       waitlist_entry=entry, lease_id=lease_id, round_id=round_id)
    session.commit()
    return offer


def get_offer(session: Session, offer_id, *, viewer: User) -> Offer:
    offer = session.get(Offer, offer_id) if isinstance(offer_id, int) else None
    if offer is None or (not _is_staff(viewer) and offer.user_id != viewer.id):
        raise NotFound(f"There is no offer {offer_id}.")
    return offer


def _answerable(session: Session, offer_id, user: User, now: datetime) -> tuple[Offer, Unit]:
    """Lock the offer's unit and return the offer re-read under the lock, if `user` may still
    answer it; otherwise roll back and raise."""
    offer = session.get(Offer, offer_id) if isinstance(offer_id, int) else None
    if offer is None or (offer.user_id != user.id and not _is_staff(user)):
        raise NotFound(f"There is no offer {offer_id}.")
    if offer.user_id != user.id:
        raise Forbidden("Only the resident it was made to can answer an offer.")
    unit = lock_resource(session, Unit, offer.unit_id)
    # Lock the offer row too, so an answer and the expiry job (which locks due offers) cannot
    # both change it: whichever comes second re-reads the first one's outcome.
    offer = session.execute(select(Offer).where(Offer.id == offer.id).with_for_update()
                            .execution_options(populate_existing=True)).scalar_one()
    tz = zone()
    if offer.status != "open":
        when = f" on {offer.responded_at.astimezone(tz).strftime('%d %b %Y %H:%M')}" if offer.responded_at else ""
        session.rollback()
        raise Conflict(f"This offer was already {offer.status}{when}; it cannot be answered again.")
    if offer.expires_at <= now:
        deadline = offer.expires_at.astimezone(tz).strftime("%d %b %Y %H:%M")
        session.rollback()
        raise Conflict(f"This offer expired on {deadline}; it cannot be answered any more.")
    return offer, unit


def accept_offer(session: Session, offer_id: int, *, user: User, now: datetime) -> Lease:
    """Accept: an allocation or waitlist offer makes a lease; a renewal offer makes the next
    lease, back to back with the renewed one. Conflict-checked under the unit lock: an offer
    that has become impossible (the unit was let or taken out of service meanwhile) answers 409
    with the reason and changes nothing."""
    offer, unit = _answerable(session, offer_id, user, now)
    previous = None
    if offer.kind == "renewal":
        previous = session.get(Lease, offer.lease_id) if offer.lease_id else None
        if previous is None or previous.status not in LIVE_LEASES:
            state = previous.status if previous is not None else "gone"
            session.rollback()
            raise Conflict(f"The lease this renewal was for is {state}; the renewal can no longer be accepted.")
    try:
        lease = _insert_lease(session, unit, user_id=offer.user_id, start=offer.start_date, end=offer.end_date,
                              monthly_rent=offer.monthly_rent, now=now, exclude_offer_id=offer.id,
                              previous_lease_id=previous.id if previous else None)
    except Conflict as exc:
        raise Conflict(f"This offer can no longer be accepted: {exc.message}", **exc.extra) from None
    offer.status = "accepted"
    offer.responded_at = now
    if offer.kind != "renewal":
        offer.lease_id = lease.id
    if offer.application_id:
        app = session.get(HousingApplication, offer.application_id)
        if app is not None:
            app.status = "housed"
            app.reason = None
            app.updated_at = now
        for other in session.execute(select(Offer).where(Offer.application_id == offer.application_id,
                                                         Offer.status == "open", Offer.id != offer.id)).scalars():
            other.status = "declined"
            other.responded_at = now
    for entry in session.execute(select(WaitlistEntry).where(
            or_(WaitlistEntry.id == offer.waitlist_entry_id,
                and_(WaitlistEntry.application_id.is_not(None),
                     WaitlistEntry.application_id == offer.application_id)),
            WaitlistEntry.status.in_(("waiting", "offered")))).scalars():
        entry.status = "housed"
    notify(session, user_id=offer.user_id, kind="offer_accepted", now=now,
           subject=f"Unit {unit.code}: lease confirmed",
           body=f"Your lease of unit {unit.code} runs from {human_date(lease.start_date)} to "
                f"{human_date(lease.end_date)} (move-out day) at HK${Decimal(lease.monthly_rent):,.2f} a month.",
           link="/housing", dedupe_key=f"offer-accepted:{offer.id}")
    session.commit()
    return lease


def _close_after_refusal(session: Session, offer: Offer, unit: Unit, *, reason: str, now: datetime) -> None:
    """After a decline or expiry: the application and waitlist place end (the unit goes to the
    next person); a renewal's lease becomes 'ending'."""
    if offer.kind == "renewal" and offer.lease_id:
        lease = session.get(Lease, offer.lease_id)
        if lease is not None and lease.status == "active":
            lease.status = "ending"
        return
    if offer.application_id:
        app = session.get(HousingApplication, offer.application_id)
        if app is not None and app.status in OPEN_APPLICATIONS:
            app.status = "withdrawn"
            app.reason = reason
            app.updated_at = now
    for entry in session.execute(select(WaitlistEntry).where(
            or_(WaitlistEntry.id == offer.waitlist_entry_id,
                and_(WaitlistEntry.application_id.is_not(None),
                     WaitlistEntry.application_id == offer.application_id)),
            WaitlistEntry.status.in_(("waiting", "offered")))).scalars():
        entry.status = "removed"
        entry.reason = reason


def decline_offer(session: Session, offer_id: int, *, user: User, now: datetime) -> Offer:
    """Decline: the unit is free for the next person at once. Declining an allocation or
    waitlist offer closes the application (apply again to be considered anew); declining a
    renewal sets the lease 'ending'."""
    offer, unit = _answerable(session, offer_id, user, now)
    offer.status = "declined"
    offer.responded_at = now
    _close_after_refusal(session, offer, unit, reason=f"You declined the offer of unit {unit.code}.", now=now)
    session.commit()
    return offer


def expire_offers(session: Session, *, now: datetime) -> list[Offer]:
    """Mark every open offer whose deadline has passed as expired (idempotent; one transaction).
    The unit is free again; an expired renewal sets its lease 'ending'; an expired allocation or
    waitlist offer closes the application and the waitlist place, so the next person is offered."""
    begin_write(session)
    due = list(session.execute(select(Offer).where(Offer.status == "open", Offer.expires_at <= now)
                               .order_by(Offer.id).with_for_update()).scalars())
    for offer in due:
        offer.status = "expired"
        offer.responded_at = now
        unit = session.get(Unit, offer.unit_id)
        _close_after_refusal(session, offer, unit,
                             reason=f"The offer of unit {unit.code} expired without an answer.", now=now)
        notify(session, user_id=offer.user_id, kind="offer_expired", now=now,
               subject=f"Your offer of unit {unit.code} has expired",
               body=("The renewal offer expired; your lease ends as planned." if offer.kind == "renewal" else
                     f"The offer of unit {unit.code} was not answered in time and has passed to the next person."),
               link="/housing", dedupe_key=f"offer-expired:{offer.id}")
    session.commit()
    return due


def list_offers(session: Session, *, viewer: User, status: str | None = None, kind: str | None = None) -> list[Offer]:
    q = select(Offer)
    if not _is_staff(viewer):
        q = q.where(Offer.user_id == viewer.id)
    if status:
        q = q.where(Offer.status == status)
    if kind:
        q = q.where(Offer.kind == kind)
    return list(session.execute(q.order_by(Offer.created_at.desc(), Offer.id.desc())).scalars())


# --- waitlists --------------------------------------------------------------------------------------------

def _queue_entry(entry: WaitlistEntry) -> waitlist_core.QueueEntry:
    return waitlist_core.QueueEntry(id=entry.id, tier=entry.priority_tier, joined_at=entry.joined_at,
                                    manual_rank=entry.manual_rank)


def _waiting(session: Session, unit_type: str) -> list[WaitlistEntry]:
    return list(session.execute(select(WaitlistEntry).where(WaitlistEntry.unit_type == unit_type,
                                                            WaitlistEntry.status == "waiting")).scalars())


def ordered_waitlist(session: Session, unit_type: str) -> list[WaitlistEntry]:
    """The waiting entries of a unit type, first in line first."""
    entries = _waiting(session, unit_type)
    by_id = {e.id: e for e in entries}
    return [by_id[q.id] for q in waitlist_core.order(_queue_entry(e) for e in entries)]


CLOSED_EXPLANATIONS = {
    "offered": "A unit has been offered to you; answer the offer on your housing page.",
    "housed": "You were housed from this waitlist.",
    "removed": "You are no longer on this waitlist.",
}


def _explain(entry: WaitlistEntry, queue: list[waitlist_core.QueueEntry]) -> tuple[int | None, int | None, str]:
    if entry.status != "waiting":
        text = CLOSED_EXPLANATIONS.get(entry.status, "")
        if entry.status == "removed" and entry.reason:
            text = f"{text[:-1]}: {entry.reason}"
        return None, None, text
    position, ahead = waitlist_core.position_of(queue, entry.id)
    return position, len(ahead), waitlist_core.explain(_queue_entry(entry), ahead)


def waitlist_position(session: Session, entry: WaitlistEntry) -> tuple[int | None, int | None, str]:
    """(position from 1, how many are ahead, why) of an entry; position None unless waiting."""
    queue = [_queue_entry(e) for e in _waiting(session, entry.unit_type)]
    return _explain(entry, queue)


def waitlist(session: Session, *, unit_type: str | None = None, viewer: User,
             include_closed: bool = False) -> list[tuple[WaitlistEntry, int | None, int | None, str]]:
    """(entry, position, ahead, explanation) in queue order per unit type: a resident's own
    entries, or every entry for staff. Closed entries (offered, housed, removed) only when
    `include_closed` (residents always see their open offer state)."""
    q = select(WaitlistEntry)
    if unit_type:
        q = q.where(WaitlistEntry.unit_type == unit_type)
    if not _is_staff(viewer):
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
            queues[entry.unit_type] = [_queue_entry(e) for e in _waiting(session, entry.unit_type)]
        position, ahead, text = _explain(entry, queues[entry.unit_type])
        out.append((entry, position, ahead, text))
    type_order = {t: i for i, t in enumerate(UNIT_TYPES)}
    out.sort(key=lambda row: (type_order.get(row[0].unit_type, 99), row[0].unit_type,
                              row[1] if row[1] is not None else 10**9, row[0].id))
    return out


def join_waitlist(session: Session, *, application: HousingApplication, now: datetime,
                  commit: bool = True) -> WaitlistEntry:
    """Put the application on its unit type's waitlist (its existing waiting entry if any).
    The tier is the applicant's priority tier at joining."""
    entry = session.execute(select(WaitlistEntry).where(WaitlistEntry.application_id == application.id,
                                                        WaitlistEntry.status == "waiting")).scalars().first()
    if entry is None:
        user = session.get(User, application.user_id)
        entry = WaitlistEntry(user_id=application.user_id, application_id=application.id,
                              unit_type=application.unit_type, priority_tier=user.priority_tier if user else 3,
                              joined_at=now, status="waiting")
        session.add(entry)
        session.flush()
    if application.status in ("submitted", "offered"):
        application.status = "waitlisted"
        application.updated_at = now
    if commit:
        session.commit()
    return entry


def reorder_waitlist(session: Session, entry_id: int, *, new_position, reason: str, actor: User,
                     now: datetime) -> WaitlistEntry:
    """Move a waiting entry to `new_position` (1 = first) of its queue; a reason is required
    and recorded in the audit trail."""
    v = _Violations()
    position = _as_int(new_position, "position", v, minimum=1, label="new position")
    if not isinstance(reason, str) or not reason.strip():
        v.add("reason", "Give the reason for moving this entry; it is kept in the audit trail.")
    v.raise_if_any()
    entry = session.get(WaitlistEntry, entry_id) if isinstance(entry_id, int) else None
    if entry is None:
        raise NotFound(f"There is no waitlist entry {entry_id}.")
    begin_write(session)
    session.execute(select(WaitlistEntry.id).where(WaitlistEntry.unit_type == entry.unit_type,
                                                   WaitlistEntry.status == "waiting")
                    .order_by(WaitlistEntry.id).with_for_update()).all()
    entry = session.get(WaitlistEntry, entry_id, populate_existing=True)
    if entry.status != "waiting":
        session.rollback()
        raise Conflict(f"This entry is {entry.status}; only waiting entries can be moved.")
    waiting = _waiting(session, entry.unit_type)
    queue = [_queue_entry(e) for e in waiting]
    old_position, _ = waitlist_core.position_of(queue, entry.id)
    try:
        entry.manual_rank = waitlist_core.rank_for_position(queue, entry.id, position)
    except ValueError:
        # Midpoints ran out: renumber the queue with the entry in its new place.
        ordered = [q for q in waitlist_core.order(queue) if q.id != entry.id]
        index = min(position, len(ordered) + 1) - 1
        ordered.insert(index, _queue_entry(entry))
        ranks = waitlist_core.renumbered(ordered)
        for e in waiting:
            e.manual_rank = ranks[e.id]
    queue = [_queue_entry(e) for e in waiting]
    new_pos, _ = waitlist_core.position_of(queue, entry.id)
    record(session, actor_id=actor.id, action="waitlist.reorder", target_type="waitlist_entry", target_id=entry.id,
           now=now, reason=reason.strip()[:500], unit_type=entry.unit_type, old_position=old_position,
           new_position=new_pos)
    session.commit()
    return entry
