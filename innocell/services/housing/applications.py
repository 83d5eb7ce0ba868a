"""Housing applications: a resident asks for a unit type from a move-in day for a term (months
for a lease, nights for a short stay), naming up to MAX_PREFERENCES units; one open application
per resident. Allocation rounds (rounds.py) turn them into offers or waitlist places.

An application whose dates overlap the applicant's own lease is a transfer request: it records
that lease (`transfer_from_lease_id`, shown as "transfer from unit X"), and accepting an offer
made for it ends that lease the day the new one starts (offers.accept_offer)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...allocation import homes as homes_core
from ...allocation.dates import add_months
from ...allocation.rounds import human_date
from ...models import UNIT_TYPES, HousingApplication, Offer, Unit, User, WaitlistEntry
from .. import Conflict, Forbidden, NotFound
from ..standing import require_good_standing
from ..tx import transaction
from .common import MAX_OCCUPANTS, OPEN_APPLICATIONS, Violations, as_date, as_int, is_staff, local_day, stay_end
from .leases import homes_of

MAX_PREFERENCES = 5
MAX_TERM_MONTHS = 12
MAX_TERM_NIGHTS = 365


def _preferences(session: Session, unit_type, preferred_unit_ids, v: Violations) -> list[int]:
    """The preferred unit ids, first choice first, without repeats; each must be a unit of the type."""
    prefs: list[int] = []
    if preferred_unit_ids is None:
        preferred_unit_ids = ()
    if not isinstance(preferred_unit_ids, (list, tuple)):
        v.add("preferred_unit_ids", "preferred_unit_ids must be a list of unit ids, first choice first.")
        return prefs
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
    return prefs


def check_floor(session: Session, unit_type: str, floor, v: Violations) -> int | None:
    """A preference for 'any unit of the type on floor N': None, or a floor with such units."""
    if floor is None or floor == "":
        return None
    number = as_int(floor, "preferred_floor", v, minimum=0, maximum=200, label="preferred floor")
    if number is None or unit_type not in UNIT_TYPES:
        return None
    if session.execute(select(Unit.id).where(Unit.unit_type == unit_type, Unit.floor == number)).first() is None:
        v.add("preferred_floor", f"There is no {unit_type} unit on floor {number}.")
        return None
    return number


def transfer_from(session: Session, user_id: int, start, end) -> int | None:
    """The applicant's lease that a stay over [start, end) would overlap (a transfer), or None."""
    found = homes_core.clashes(homes_of(session, user_id, start, end), start, end)
    return found[0].lease_id if found else None


@transaction
def submit_application(session: Session, *, user: User, unit_type, move_in, term_months, term_nights=0,
                       occupants=1, preferred_unit_ids=(), preferred_floor=None, now: datetime) -> HousingApplication:
    require_good_standing(user, "apply for housing")
    v = Violations()
    if unit_type not in UNIT_TYPES:
        v.add("unit_type", f"The unit type must be one of {', '.join(UNIT_TYPES)}.")
    move_in = as_date(move_in, "move_in", v, "move-in date")
    today = local_day(now)
    if move_in is not None and move_in < today:
        v.add("move_in", "The move-in date cannot be in the past.")
    elif move_in is not None and move_in > add_months(today, 24):
        v.add("move_in", "The move-in date must be within the next two years.")
    months = as_int(term_months if term_months is not None else 0, "term_months", v, minimum=0,
                    maximum=MAX_TERM_MONTHS, label="term in months")
    nights = as_int(term_nights if term_nights is not None else 0, "term_nights", v, minimum=0,
                    maximum=MAX_TERM_NIGHTS, label="term in nights")
    if months == 0 and nights == 0:
        v.add("term_months", "Give a term: months for a lease, or nights for a short stay.")
    people = as_int(occupants if occupants is not None else 1, "occupants", v, minimum=1, maximum=MAX_OCCUPANTS,
                    label="number of occupants")
    prefs = _preferences(session, unit_type, preferred_unit_ids, v)
    floor = check_floor(session, unit_type, preferred_floor, v)
    if unit_type in UNIT_TYPES and people is not None:
        biggest = session.execute(select(func.max(Unit.occupancy)).where(Unit.unit_type == unit_type)).scalar()
        if biggest is None:
            v.add("unit_type", f"There are no {unit_type} units in the building.")
        elif people > biggest:
            v.add("occupants", f"A {unit_type} unit takes at most {biggest} occupant{'s' if biggest != 1 else ''}.")
    v.raise_if_any()
    existing = session.execute(
        select(HousingApplication).where(HousingApplication.user_id == user.id,
                                         HousingApplication.status.in_(OPEN_APPLICATIONS))
        .order_by(HousingApplication.id)).scalars().first()
    if existing is not None:
        raise Conflict(f"You already have an open application ({existing.unit_type}, moving in "
                       f"{human_date(existing.move_in)}, {existing.status}); withdraw it before applying again.")
    app = HousingApplication(user_id=user.id, unit_type=unit_type, move_in=move_in, term_months=months,
                             term_nights=nights, occupants=people, preferred_unit_ids=prefs, preferred_floor=floor,
                             status="submitted",
                             created_at=now, updated_at=now,
                             transfer_from_lease_id=transfer_from(session, user.id, move_in,
                                                                  stay_end(move_in, months, nights)))
    session.add(app)
    session.flush()
    return app


def get_application(session: Session, application_id, *, viewer: User) -> HousingApplication:
    app = session.get(HousingApplication, application_id) if isinstance(application_id, int) else None
    if app is None or (not is_staff(viewer) and app.user_id != viewer.id):
        raise NotFound(f"There is no application {application_id}.")
    return app


@transaction
def withdraw_application(session: Session, application_id: int, *, user: User, now: datetime) -> HousingApplication:
    """The applicant withdraws: its waitlist place and open offers go too (freeing the units)."""
    app = session.get(HousingApplication, application_id) if isinstance(application_id, int) else None
    if app is None or (app.user_id != user.id and not is_staff(user)):
        raise NotFound(f"There is no application {application_id}.")
    if app.user_id != user.id:
        raise Forbidden("Only the applicant can withdraw an application.")
    app = session.get(HousingApplication, application_id, populate_existing=True)
    if app.status not in OPEN_APPLICATIONS:
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
    return app


def list_applications(session: Session, *, viewer: User, status: str | None = None,
                      unit_type: str | None = None) -> list[HousingApplication]:
    q = select(HousingApplication)
    if not is_staff(viewer):
        q = q.where(HousingApplication.user_id == viewer.id)
    if status:
        q = q.where(HousingApplication.status == status)
    if unit_type:
        q = q.where(HousingApplication.unit_type == unit_type)
    return list(session.execute(q.order_by(HousingApplication.created_at.desc(), HousingApplication.id.desc())).scalars())
