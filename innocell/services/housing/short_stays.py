"""Short stays booked directly: a signed-in resident books a free short-stay unit (one the park
marks `short_stay`) for check-in and check-out days, without a round. The stay is a lease of
kind 'short_stay' at the unit type's nightly rate, made by the very guarded insert every lease
goes through (leases.insert_lease: the person's lock, then the unit's; no other lease, open
offer or outage of the unit over the nights; one home a night for the person; PostgreSQL's
exclusion constraints as the backstop). The limits (nights, days ahead) and the rate are the
unit type's settings, or config.py's SHORT_STAY_* defaults; the pure rule is
allocation/short_stays.py. A refusal names what is in the way and suggests the nearest free
dates on the unit and other free short-stay units for the same dates.

A stay that has not started can be cancelled by its guest (or a manager): the lease is called
off (terminated on its check-in day, so it keeps no night and is charged nothing)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...allocation import short_stays as core
from ...allocation.rounds import human_date
from ...models import Lease, Unit, UnitTypeInfo, User
from .. import Conflict, Forbidden, NotFound, RuleViolation
from ..audit import record
from ..guard import lock_person, lock_resource
from ..notifications import notify
from ..roles import MANAGER_ROLES
from ..settings import setting
from ..tx import transaction
from ..wording import Day, Money, _
from .common import LIVE_LEASES, Violations, as_date, is_staff, local_day, money
from .leases import check_free, check_one_home, claims, end_lease, homes_of, insert_lease
from ..phrasing import current, day_text, gettext

SEARCH_DAYS = 28


def limits_for(session: Session, unit: Unit) -> core.StayLimits:
    """The unit type's rate a night and limits, or the defaults."""
    info = session.get(UnitTypeInfo, unit.unit_type)

    def pick(name: str, default):
        value = getattr(info, name) if info is not None else None
        return default if value is None else value

    return core.StayLimits(max_nights=int(pick("stay_max_nights", setting("SHORT_STAY_MAX_NIGHTS"))),
                           days_ahead=int(pick("stay_days_ahead", setting("SHORT_STAY_DAYS_AHEAD"))),
                           nightly_rate=Decimal(pick("nightly_rate", core.default_nightly_rate(unit.monthly_rent))))


def short_stay_units(session: Session) -> list[Unit]:
    return list(session.execute(select(Unit).where(Unit.short_stay.is_(True), Unit.status == "available")
                                .order_by(Unit.floor, Unit.code)).scalars())


def _dates(check_in, check_out) -> tuple[date, date]:
    v = Violations()
    start = as_date(check_in, "check_in", v, "check-in day")
    end = as_date(check_out, "check_out", v, "check-out day")
    v.raise_if_any()
    return start, end


def stay_options(session: Session, check_in, check_out, *, now: datetime) -> list[dict]:
    """Every short-stay unit for [check_in, check_out) with its rate, nights and total price,
    and `why` it cannot be had (taken, or a limit of its type), None when it is free."""
    start, end = _dates(check_in, check_out)
    units = short_stay_units(session)
    taken = claims(session, [u.id for u in units], start, end, now=now)
    today = local_day(now)
    out = []
    for unit in units:
        limits = limits_for(session, unit)
        broken = core.violations(start, end, today, limits, current())
        why = " ".join(m for _, m in broken) if broken else \
            (gettext("Taken: %(claim)s.", claim=taken[unit.id][0].label) if taken.get(unit.id) else None)
        out.append({"unit": unit, "check_in": start, "check_out": end, "nights": max(0, core.nights(start, end)),
                    "nightly_rate": limits.nightly_rate, "total": core.total(limits.nightly_rate, start, end),
                    "why": why})
    return out


def free_stays(session: Session, check_in, check_out, *, now: datetime) -> list[dict]:
    """The short-stay units free over [check_in, check_out) whose limits the dates keep, each
    with its rate, nights and total price (by floor and code)."""
    return [row for row in stay_options(session, check_in, check_out, now=now) if row["why"] is None]


def suggestions(session: Session, unit: Unit, user_id: int, start: date, end: date, *, now: datetime) -> list[dict]:
    """The nearest free dates of the same length on this unit, then other short-stay units free
    for the asked dates; none overlapping the person's own leases."""
    today = local_day(now)
    lo, hi = start - timedelta(days=SEARCH_DAYS), end + timedelta(days=SEARCH_DAYS)
    own = [(h.start, h.end) for h in homes_of(session, user_id, lo, hi)]
    out = []
    limits = limits_for(session, unit)
    busy = [(c.start, c.end) for c in claims(session, [unit.id], lo, hi, now=now).get(unit.id, [])]
    for day in core.nearest_free(busy + own, start, end, today, limits, search_days=SEARCH_DAYS):
        if day != start:
            out.append(_suggestion(unit, core.total(limits.nightly_rate, day, day + (end - start)), day,
                                   day + (end - start)))
    if core.free(own, start, end):
        out.extend(_suggestion(other["unit"], other["total"], start, end)
                   for other in free_stays(session, start, end, now=now) if other["unit"].id != unit.id)
    return out[:int(setting("SUGGESTION_COUNT"))]


def _suggestion(unit: Unit, price: Decimal, start: date, end: date) -> dict:
    return {"unit_id": unit.id, "unit_code": unit.code, "check_in": start.isoformat(), "check_out": end.isoformat(),
            "nights": core.nights(start, end), "total": money(price)}


def _refuse(session: Session, exc: Conflict, unit: Unit, user_id: int, start: date, end: date, now: datetime):
    found = suggestions(session, unit, user_id, start, end, now=now)
    message = exc.message + (gettext(" Here are the nearest free dates.") if found else "")
    return Conflict(message, conflicts=exc.extra.get("conflicts", []), suggestions=found)


@transaction
def book_short_stay(session: Session, *, user: User, unit_id, check_in, check_out, now: datetime) -> Lease:
    """Book unit `unit_id` for the nights [check_in, check_out): 422 when the dates break a
    limit, 409 (with suggestions) when the unit or the person is taken over them."""
    if isinstance(unit_id, bool) or not isinstance(unit_id, int):
        raise RuleViolation(gettext("unit_id must be the id of a short-stay unit."),
                            violations=[{"rule": "unit_id", "message": gettext("unit_id must be the id of a short-stay unit.")}])
    start, end = _dates(check_in, check_out)
    lock_person(session, user.id)
    unit = lock_resource(session, Unit, unit_id)
    if unit is None or not unit.short_stay:
        raise NotFound(gettext("There is no short-stay unit %(unit_id)s.", unit_id=unit_id))
    limits = limits_for(session, unit)
    broken = core.violations(start, end, local_day(now), limits, current())
    if broken:
        raise RuleViolation(broken[0][1] if len(broken) == 1 else " ".join(m for _, m in broken),
                            violations=[{"rule": f, "message": m, "field": f} for f, m in broken])
    try:
        check_free(session, unit, start, end, now=now)
        check_one_home(session, user.id, start, end)
    except Conflict as exc:
        raise _refuse(session, exc, unit, user.id, start, end, now) from None
    stay = insert_lease(session, unit, user_id=user.id, start=start, end=end, monthly_rent=Decimal("0"), now=now,
                        kind="short_stay", nightly_rate=limits.nightly_rate)
    price = core.total(limits.nightly_rate, start, end)
    record(session, actor_id=user.id, action="short_stay.book", target_type="lease", target_id=stay.id, now=now,
           unit=unit.code, check_in=start.isoformat(), check_out=end.isoformat(),
           nightly_rate=str(limits.nightly_rate), total=str(price))
    notify(session, user_id=user.id, kind="short_stay_booked", now=now,
           subject=_("Your short stay in unit %(unit)s is booked", unit=unit.code),
           body=_("Unit %(unit)s is yours from %(start)s (check-in) to %(end)s (check-out): %(nights)s night(s) at "
                  "%(rate)s, %(total)s in all.", unit=unit.code, start=Day(start), end=Day(end),
                  nights=core.nights(start, end), rate=Money(limits.nightly_rate), total=Money(price)),
           link=f"/housing/stays/{stay.id}")
    return stay


def get_stay(session: Session, stay_id, *, viewer: User) -> Lease:
    stay = session.get(Lease, stay_id) if isinstance(stay_id, int) else None
    if stay is None or stay.kind != "short_stay" or (not is_staff(viewer) and stay.user_id != viewer.id):
        raise NotFound(gettext("There is no short stay %(stay_id)s.", stay_id=stay_id))
    return stay


def list_stays(session: Session, *, viewer: User, upcoming_on: date | None = None) -> list[Lease]:
    """Short stays the viewer may see (a resident their own; staff all), latest check-in first;
    with `upcoming_on`, only those not over by that day."""
    q = select(Lease).where(Lease.kind == "short_stay")
    if not is_staff(viewer):
        q = q.where(Lease.user_id == viewer.id)
    if upcoming_on is not None:
        q = q.where(Lease.end_date > upcoming_on, Lease.status.in_(LIVE_LEASES))
    return list(session.execute(q.order_by(Lease.start_date.desc(), Lease.id.desc())).scalars())


def stay_total(stay: Lease) -> Decimal:
    return core.total(stay.nightly_rate or 0, stay.start_date, stay.end_date)


def cancellable(stay: Lease, today: date) -> bool:
    return stay.status in LIVE_LEASES and today < stay.start_date


@transaction
def cancel_short_stay(session: Session, stay_id, *, user: User, now: datetime) -> Lease:
    """Call off a stay that has not started: its nights free at once and nothing is charged."""
    stay = get_stay(session, stay_id, viewer=user)
    if stay.user_id != user.id and user.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only the guest or a manager can cancel a short stay."))
    unit = lock_resource(session, Unit, stay.unit_id)
    stay = session.get(Lease, stay.id, populate_existing=True)
    if stay.status not in LIVE_LEASES:
        raise Conflict(gettext("This stay is already %(status)s.", status=gettext(stay.status)))
    if not local_day(now) < stay.start_date:
        raise Conflict(gettext("This stay began on %(day)s; only a stay that has not started can be cancelled. Ask the housing team to end it early.", day=day_text(stay.start_date)))
    end_lease(session, stay, stay.start_date, reason="Short stay cancelled before check-in", now=now)
    record(session, actor_id=user.id, action="short_stay.cancel", target_type="lease", target_id=stay.id, now=now,
           unit=unit.code, check_in=stay.start_date.isoformat())
    if stay.user_id != user.id:
        notify(session, user_id=stay.user_id, kind="short_stay_cancelled", now=now,
               subject=_("Your short stay in unit %(unit)s is cancelled", unit=unit.code),
               body=_("Your stay from %(day)s was cancelled by the housing team.", day=Day(stay.start_date)),
               link="/housing/stays")
    return stay
