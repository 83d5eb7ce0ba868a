"""Housing applications: a resident asks for a unit type from a move-in day for a term (months
for a lease, nights for a short stay), naming up to MAX_PREFERENCES units; one open application
per resident. Allocation rounds (rounds.py) turn them into offers or waitlist places.

An application whose dates overlap the applicant's own lease is a transfer request: it records
that lease (`transfer_from_lease_id`, shown as "transfer from unit X"), and accepting an offer
made for it ends that lease the day the new one starts (offers.accept_offer).

A joint application names a partner (another resident, by email) for a unit that takes two (a
twin unit): the partner confirms or declines it (`answer_joint`); only a confirmed one enters
rounds (allocation/joint.py). Either of the two may withdraw it, which ends it for both. Each
person is in at most one open application, their own or one naming them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...allocation import homes as homes_core
from ...allocation import joint as joint_core
from ...allocation.dates import add_months
from ...allocation.rounds import human_date
from ...models import UNIT_TYPES, HousingApplication, Offer, Unit, User, WaitlistEntry
from .. import Conflict, Forbidden, NotFound, RuleViolation
from ..notifications import notify
from ..guard import lock_person
from ..standing import require_good_standing
from ..tx import transaction
from ..wording import Day, UnitType, _
from .common import MAX_OCCUPANTS, OPEN_APPLICATIONS, Violations, as_date, as_int, is_staff, local_day, stay_end
from .leases import homes_of
from .unit_types import chinese_names
from ..phrasing import day_text, gettext, ngettext

MAX_PREFERENCES = 5
MAX_TERM_MONTHS = 12
MAX_TERM_NIGHTS = 365


def _unit_type(session: Session, key: str) -> UnitType:
    """The type as the notice's reader names it (its Chinese name, when managers gave one)."""
    return UnitType(key, chinese_names(session).get(key))


def _preferences(session: Session, unit_type, preferred_unit_ids, v: Violations) -> list[int]:
    """The preferred unit ids, first choice first, without repeats; each must be a unit of the type."""
    prefs: list[int] = []
    if preferred_unit_ids is None:
        preferred_unit_ids = ()
    if not isinstance(preferred_unit_ids, (list, tuple)):
        v.add("preferred_unit_ids", gettext("preferred_unit_ids must be a list of unit ids, first choice first."))
        return prefs
    for raw in preferred_unit_ids:
        if isinstance(raw, bool) or not isinstance(raw, int):
            v.add("preferred_unit_ids", gettext("preferred_unit_ids must be a list of unit ids, first choice first."))
            prefs = []
            break
        if raw not in prefs:
            prefs.append(raw)
    if len(prefs) > MAX_PREFERENCES:
        v.add("preferred_unit_ids", gettext("Name at most %(max_preferences)s preferred units.", max_preferences=MAX_PREFERENCES))
    if prefs and unit_type in UNIT_TYPES:
        found = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(prefs))).scalars()}
        for uid in prefs:
            if uid not in found:
                v.add("preferred_unit_ids", gettext("There is no unit %(uid)s.", uid=uid))
            elif found[uid].unit_type != unit_type:
                v.add("preferred_unit_ids", gettext("Unit %(code)s is a %(unit_type)s, not a %(unit_type2)s.", code=found[uid].code, unit_type=found[uid].unit_type, unit_type2=unit_type))
    return prefs


def check_floor(session: Session, unit_type: str, floor, v: Violations) -> int | None:
    """A preference for 'any unit of the type on floor N': None, or a floor with such units."""
    if floor is None or floor == "":
        return None
    number = as_int(floor, "preferred_floor", v, minimum=0, maximum=200, label="preferred floor")
    if number is None or unit_type not in UNIT_TYPES:
        return None
    if session.execute(select(Unit.id).where(Unit.unit_type == unit_type, Unit.floor == number)).first() is None:
        v.add("preferred_floor", gettext("There is no %(unit_type)s unit on floor %(number)s.", unit_type=unit_type, number=number))
        return None
    return number


def transfer_from(session: Session, user_id: int, start, end) -> int | None:
    """The applicant's lease that a stay over [start, end) would overlap (a transfer), or None."""
    found = homes_core.clashes(homes_of(session, user_id, start, end), start, end)
    return found[0].lease_id if found else None


def open_application_of(session: Session, user_id: int) -> HousingApplication | None:
    """The person's open application: their own, or a joint one naming them that is not declined."""
    return session.execute(
        select(HousingApplication).where(
            or_(HousingApplication.user_id == user_id,
                (HousingApplication.partner_id == user_id) & (HousingApplication.partner_status != "declined")),
            HousingApplication.status.in_(OPEN_APPLICATIONS))
        .order_by(HousingApplication.id)).scalars().first()


def _partner(session: Session, user: User, email, unit_type, v: Violations) -> User | None:
    """The resident named as partner by email, checked; None (with a violation) when not fit."""
    if not isinstance(email, str) or not email.strip():
        return None
    partner = session.execute(select(User).where(func.lower(User.email) == email.strip().lower(),
                                                 User.active.is_(True), User.role == "resident")).scalars().first()
    biggest = session.execute(select(func.max(Unit.occupancy)).where(Unit.unit_type == unit_type)).scalar() \
        if unit_type in UNIT_TYPES else None
    problem = joint_core.partner_problem(user.id, partner.id if partner else None, biggest)
    if problem:
        v.add("partner_email", gettext(problem))
        return None
    return partner


@transaction
def submit_application(session: Session, *, user: User, unit_type, move_in, term_months, term_nights=0,
                       occupants=1, preferred_unit_ids=(), preferred_floor=None, partner_email=None,
                       now: datetime) -> HousingApplication:
    """Apply; with `partner_email`, a joint application for a unit taking two (the partner is
    asked to confirm it before it enters a round)."""
    require_good_standing(user, "apply for housing")
    v = Violations()
    if unit_type not in UNIT_TYPES:
        v.add("unit_type", gettext("The unit type must be one of %(join)s.", join=', '.join(UNIT_TYPES)))
    move_in = as_date(move_in, "move_in", v, "move-in date")
    today = local_day(now)
    if move_in is not None and move_in < today:
        v.add("move_in", gettext("The move-in date cannot be in the past."))
    elif move_in is not None and move_in > add_months(today, 24):
        v.add("move_in", gettext("The move-in date must be within the next two years."))
    months = as_int(term_months if term_months is not None else 0, "term_months", v, minimum=0,
                    maximum=MAX_TERM_MONTHS, label="term in months")
    nights = as_int(term_nights if term_nights is not None else 0, "term_nights", v, minimum=0,
                    maximum=MAX_TERM_NIGHTS, label="term in nights")
    if months == 0 and nights == 0:
        v.add("term_months", gettext("Give a term: months for a lease, or nights for a short stay."))
    people = as_int(occupants if occupants is not None else 1, "occupants", v, minimum=1, maximum=MAX_OCCUPANTS,
                    label="number of occupants")
    prefs = _preferences(session, unit_type, preferred_unit_ids, v)
    floor = check_floor(session, unit_type, preferred_floor, v)
    partner = _partner(session, user, partner_email, unit_type, v)
    if partner is not None and people is not None:
        people = max(people, joint_core.PAIR)
    if unit_type in UNIT_TYPES and people is not None:
        biggest = session.execute(select(func.max(Unit.occupancy)).where(Unit.unit_type == unit_type)).scalar()
        if biggest is None:
            v.add("unit_type", gettext("There are no %(unit_type)s units in the building.", unit_type=unit_type))
        elif people > biggest:
            v.add("occupants", ngettext("A %(unit_type)s unit takes at most %(num)s occupant.", "A %(unit_type)s unit takes at most %(num)s occupants.", biggest, unit_type=unit_type))
    v.raise_if_any()
    existing = open_application_of(session, user.id)
    if existing is not None:
        raise Conflict(gettext("You already have an open application (%(unit_type)s, moving in %(day)s, %(status)s); withdraw it before applying again.", unit_type=existing.unit_type, day=day_text(existing.move_in), status=gettext(existing.status)))
    if partner is not None and open_application_of(session, partner.id) is not None:
        raise Conflict(gettext("%(name)s already has an open housing application; a person is in one application at a time.", name=partner.name or partner.email))
    app = HousingApplication(user_id=user.id, unit_type=unit_type, move_in=move_in, term_months=months,
                             term_nights=nights, occupants=people, preferred_unit_ids=prefs, preferred_floor=floor,
                             status="submitted",
                             created_at=now, updated_at=now,
                             transfer_from_lease_id=transfer_from(session, user.id, move_in,
                                                                  stay_end(move_in, months, nights)),
                             partner_id=partner.id if partner else None,
                             partner_status="pending" if partner else None)
    session.add(app)
    session.flush()
    if partner is not None:
        notify(session, user_id=partner.id, kind="joint_application", now=now,
               subject=_("%(name)s asks you to share a %(type)s unit", name=user.name or user.email,
                         type=_unit_type(session, unit_type)),
               body=_("%(name)s applied for a %(type)s unit with you from %(day)s. Confirm or decline on your housing "
                      "page; the application enters allocation rounds once you confirm.", name=user.name or user.email,
                      type=_unit_type(session, unit_type), day=Day(move_in)),
               link="/housing", dedupe_key=f"joint:{app.id}")
    return app


@transaction
def answer_joint(session: Session, application_id, *, user: User, confirm: bool, now: datetime) -> HousingApplication:
    """The partner named in a joint application confirms it (it may enter rounds) or declines
    it (it ends)."""
    app = session.get(HousingApplication, application_id) if isinstance(application_id, int) else None
    if app is None or app.partner_id != user.id:
        raise NotFound(gettext("There is no joint application %(application_id)s naming you.", application_id=application_id))
    lock_person(session, app.user_id)
    app = session.get(HousingApplication, app.id, populate_existing=True)
    if app.status not in OPEN_APPLICATIONS or app.partner_status != "pending":
        raise Conflict(gettext("This joint application is already %(status)s.", status=gettext(app.partner_status if app.status in OPEN_APPLICATIONS else app.status)))
    if not isinstance(confirm, bool):
        raise RuleViolation(gettext("confirm must be true or false."),
                            violations=[{"rule": "confirm", "message": gettext("confirm must be true or false.")}])
    app.partner_status = "confirmed" if confirm else "declined"
    app.partner_answered_at = now
    app.updated_at = now
    who = user.name or user.email
    if not confirm:
        _end(session, app, reason=f"{who} declined the joint application.", now=now)
    notify(session, user_id=app.user_id, kind="joint_answered", now=now,
           subject=(_("%(name)s confirmed your joint application", name=who) if confirm else
                    _("%(name)s declined your joint application", name=who)),
           body=(_("%(name)s confirmed: your application for a %(type)s unit together enters the next allocation "
                   "round.", name=who, type=_unit_type(session, app.unit_type)) if confirm else
                 _("%(name)s declined, so the joint application has ended. You can apply again on your own or with "
                   "someone else.", name=who)),
           link="/housing", dedupe_key=f"joint-answer:{app.id}")
    return app


def get_application(session: Session, application_id, *, viewer: User) -> HousingApplication:
    app = session.get(HousingApplication, application_id) if isinstance(application_id, int) else None
    if app is None or (not is_staff(viewer) and viewer.id not in (app.user_id, app.partner_id)):
        raise NotFound(gettext("There is no application %(application_id)s.", application_id=application_id))
    return app


@transaction
def withdraw_application(session: Session, application_id: int, *, user: User, now: datetime) -> HousingApplication:
    """The applicant withdraws: its waitlist place and open offers go too (freeing the units)."""
    app = session.get(HousingApplication, application_id) if isinstance(application_id, int) else None
    if app is None or (user.id not in (app.user_id, app.partner_id) and not is_staff(user)):
        raise NotFound(gettext("There is no application %(application_id)s.", application_id=application_id))
    if user.id not in (app.user_id, app.partner_id):
        raise Forbidden(gettext("Only the applicant (or the partner of a joint application) can withdraw an application."))
    app = session.get(HousingApplication, application_id, populate_existing=True)
    if app.status not in OPEN_APPLICATIONS:
        raise Conflict(gettext("This application is already %(status)s.", status=gettext(app.status)))
    other = app.partner_id if user.id == app.user_id else app.user_id
    _end(session, app, reason=f"{user.name or user.email} withdrew it." if app.partner_id else None, now=now)
    if app.partner_id and other is not None:
        notify(session, user_id=other, kind="joint_withdrawn", now=now,
               subject=_("Your joint housing application has ended"),
               body=_("%(name)s withdrew the joint application for a %(type)s unit; it has ended for you both. You "
                      "can apply again.", name=user.name or user.email, type=_unit_type(session, app.unit_type)),
               link="/housing", dedupe_key=f"joint-withdrawn:{app.id}")
    return app


def _end(session: Session, app: HousingApplication, *, reason: str | None, now: datetime) -> None:
    """Withdraw the application: its waitlist place and open offers go too (freeing the units)."""
    app.status = "withdrawn"
    if reason is not None:
        app.reason = reason
    app.updated_at = now
    for entry in session.execute(select(WaitlistEntry).where(WaitlistEntry.application_id == app.id,
                                                             WaitlistEntry.status.in_(("waiting", "offered")))).scalars():
        entry.status = "removed"
        entry.reason = "The application was withdrawn."
    for offer in session.execute(select(Offer).where(Offer.application_id == app.id, Offer.status == "open")).scalars():
        offer.status = "declined"
        offer.responded_at = now


def list_applications(session: Session, *, viewer: User, status: str | None = None,
                      unit_type: str | None = None) -> list[HousingApplication]:
    q = select(HousingApplication)
    if not is_staff(viewer):
        q = q.where(or_(HousingApplication.user_id == viewer.id, HousingApplication.partner_id == viewer.id))
    if status:
        q = q.where(HousingApplication.status == status)
    if unit_type:
        q = q.where(HousingApplication.unit_type == unit_type)
    return list(session.execute(q.order_by(HousingApplication.created_at.desc(), HousingApplication.id.desc())).scalars())
