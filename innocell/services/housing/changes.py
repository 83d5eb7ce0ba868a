"""Changing an open application (move-in day, term, occupants, preferences, unit type) without
withdrawing it. The waiting time already earned is kept while the type stays the same: the
waitlist place (its joined_at and any manual rank) is untouched. Changing the type gives up
the place in the old queue and joins the new one from now; `type_change_cost` says what that
costs before it is done, and the change needs `confirm_type_change`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...allocation import waitlist as waitlist_core
from ...allocation.dates import add_months
from ...models import UNIT_TYPES, HousingApplication, Offer, Unit, User, WaitlistEntry
from .. import Conflict, Forbidden, NotFound, RuleViolation
from ..guard import lock_person
from ..tx import transaction
from .applications import MAX_TERM_MONTHS, MAX_TERM_NIGHTS, _preferences, check_floor, transfer_from
from .common import MAX_OCCUPANTS, Violations, as_date, as_int, is_staff, local_day, stay_end
from .waitlists import queue_entry, waiting
from ..phrasing import gettext, ngettext

CHANGEABLE = ("submitted", "waitlisted")
FIELDS = ("unit_type", "move_in", "term_months", "term_nights", "occupants", "preferred_unit_ids", "preferred_floor")
NEW_ENTRY_ID = 10**15  # stands for the entry the change would make, in a queue preview


def _own_application(session: Session, application_id, user: User) -> HousingApplication:
    app = session.get(HousingApplication, application_id) if isinstance(application_id, int) else None
    if app is None or (app.user_id != user.id and not is_staff(user)):
        raise NotFound(gettext("There is no application %(application_id)s.", application_id=application_id))
    if app.user_id != user.id:
        raise Forbidden(gettext("Only the applicant can change an application."))
    return app


def waiting_entry(session: Session, app: HousingApplication) -> WaitlistEntry | None:
    return session.execute(select(WaitlistEntry).where(WaitlistEntry.application_id == app.id,
                                                       WaitlistEntry.status == "waiting")
                           .order_by(WaitlistEntry.id)).scalars().first()


def type_change_cost(session: Session, app: HousingApplication, new_type: str, *, now: datetime) -> dict | None:
    """What moving `app` to `new_type` costs: the place given up and the place taken (None when
    the type does not change). Reads only."""
    if new_type == app.unit_type or new_type not in UNIT_TYPES:
        return None
    user = session.get(User, app.user_id)
    entry = waiting_entry(session, app)
    old_position = None
    if entry is not None:
        queue = [queue_entry(e) for e in waiting(session, app.unit_type)]
        if any(q.id == entry.id for q in queue):
            old_position, _ = waitlist_core.position_of(queue, entry.id)
    new_queue = [queue_entry(e) for e in waiting(session, new_type)]
    me = waitlist_core.QueueEntry(id=NEW_ENTRY_ID, tier=user.priority_tier, joined_at=now)
    new_position, ahead = waitlist_core.position_of(new_queue + [me], me.id)
    why = waitlist_core.explain(me, ahead)
    if entry is not None:
        joins = f"you will join the {new_type} queue at position {new_position} ({why})"
        gives = (f"your place in the {app.unit_type} queue ({old_position}), waiting since "
                 f"{entry.joined_at.date().isoformat()}, is given up" if old_position else
                 f"your place in the {app.unit_type} queue is given up")
    else:
        joins = (f"if the next round cannot place you, you will join the {new_type} queue counting from now "
                 f"(today that is position {new_position})")
        gives = "the waiting time since you applied is given up"
    return {"from_type": app.unit_type, "to_type": new_type, "old_position": old_position,
            "new_position": new_position, "ahead": len(ahead),
            "message": gettext("Changing to %(new_type)s: %(joins)s; %(gives)s.", new_type=new_type, joins=joins, gives=gives)}


def _clean(session: Session, app: HousingApplication, data: dict, now: datetime, v: Violations) -> dict:
    unit_type = data.get("unit_type", app.unit_type)
    if unit_type not in UNIT_TYPES:
        v.add("unit_type", gettext("The unit type must be one of %(join)s.", join=', '.join(UNIT_TYPES)))
    out = {"unit_type": unit_type}
    if "move_in" in data:
        move_in = as_date(data["move_in"], "move_in", v, "move-in date")
        today = local_day(now)
        if move_in is not None and move_in < today:
            v.add("move_in", gettext("The move-in date cannot be in the past."))
        elif move_in is not None and move_in > add_months(today, 24):
            v.add("move_in", gettext("The move-in date must be within the next two years."))
        out["move_in"] = move_in
    if "term_months" in data or "term_nights" in data:
        months = as_int(data.get("term_months", app.term_months) or 0, "term_months", v, minimum=0,
                        maximum=MAX_TERM_MONTHS, label="term in months")
        nights = as_int(data.get("term_nights", app.term_nights) or 0, "term_nights", v, minimum=0,
                        maximum=MAX_TERM_NIGHTS, label="term in nights")
        if months == 0 and nights == 0:
            v.add("term_months", gettext("Give a term: months for a lease, or nights for a short stay."))
        out["term_months"], out["term_nights"] = months, nights
    if "occupants" in data:
        out["occupants"] = as_int(data["occupants"], "occupants", v, minimum=1, maximum=MAX_OCCUPANTS,
                                  label="number of occupants")
    type_changes = unit_type != app.unit_type
    if "preferred_unit_ids" in data or type_changes:
        # Preferences name units of the type: a new type drops the old ones unless new ones are given.
        out["preferred_unit_ids"] = _preferences(session, unit_type, data.get("preferred_unit_ids", ()), v)
    if "preferred_floor" in data or type_changes:
        out["preferred_floor"] = check_floor(session, unit_type, data.get("preferred_floor"), v)
    people = out.get("occupants", app.occupants)
    if app.partner_id is not None and people is not None:
        people = out["occupants"] = max(people, 2)  # a joint application is for the two of them
    if unit_type in UNIT_TYPES and people is not None:
        biggest = session.execute(select(func.max(Unit.occupancy)).where(Unit.unit_type == unit_type)).scalar()
        if biggest is None:
            v.add("unit_type", gettext("There are no %(unit_type)s units in the building.", unit_type=unit_type))
        elif people > biggest:
            v.add("occupants", ngettext("A %(unit_type)s unit takes at most %(num)s occupant.", "A %(unit_type)s unit takes at most %(num)s occupants.", biggest, unit_type=unit_type))
    return out


@transaction
def change_application(session: Session, application_id, data: dict, *, user: User, now: datetime,
                       confirm_type_change: bool = False) -> HousingApplication:
    """Change the given fields of the applicant's open application (submitted or waitlisted).
    Same type: the waitlist place stays as it is. New type: refused (422, rule
    confirm_type_change, saying what it costs) unless confirmed; then the old place is given up
    and, if it was waitlisted, it joins the new type's queue from `now`."""
    if not isinstance(data, dict):
        raise RuleViolation(gettext("Send the changes as a JSON object."), violations=[
            {"rule": "body", "message": gettext("Send the changes as a JSON object.")}])
    unknown = sorted(set(data) - set(FIELDS) - {"confirm_type_change"})
    if unknown:
        raise RuleViolation(gettext("These fields cannot be changed: %(join)s.", join=', '.join(unknown)),
                            violations=[{"rule": unknown[0], "message": gettext("Unknown field %(unknown)s.", unknown=unknown[0])}])
    app = _own_application(session, application_id, user)
    lock_person(session, app.user_id)
    app = session.get(HousingApplication, app.id, populate_existing=True)
    if app.status not in CHANGEABLE:
        if app.status == "offered":
            raise Conflict(gettext("A unit has been offered for this application: accept or decline the offer first."))
        raise Conflict(gettext("This application is %(status)s; only an open one can be changed.", status=gettext(app.status)))
    if session.execute(select(Offer.id).where(Offer.application_id == app.id, Offer.status == "open")).first():
        raise Conflict(gettext("A unit has been offered for this application: accept or decline the offer first."))
    v = Violations()
    fields = _clean(session, app, data, now, v)
    v.raise_if_any()
    new_type = fields["unit_type"]
    cost = type_change_cost(session, app, new_type, now=now)
    if cost is not None and not confirm_type_change:
        raise RuleViolation(cost["message"] + gettext(" Confirm the change to go ahead."), cost=cost,
                            violations=[{"rule": "confirm_type_change", "message": cost["message"]}])
    if cost is not None:
        # Lock both queues (id order) against a concurrent reorder while the place moves.
        session.execute(select(WaitlistEntry.id).where(WaitlistEntry.unit_type.in_((app.unit_type, new_type)),
                                                       WaitlistEntry.status == "waiting")
                        .order_by(WaitlistEntry.id).with_for_update()).all()
        old = waiting_entry(session, app)
        if old is not None:
            old.status = "removed"
            old.reason = f"The application changed to the {new_type} type."
            person = session.get(User, app.user_id)
            session.add(WaitlistEntry(user_id=app.user_id, application_id=app.id, unit_type=new_type,
                                      priority_tier=person.priority_tier, joined_at=now, status="waiting"))
        app.created_at = now  # the wait for the new type counts from now (rounds weigh time waited)
    for key, value in fields.items():
        setattr(app, key, value)
    app.transfer_from_lease_id = transfer_from(session, app.user_id, app.move_in,
                                               stay_end(app.move_in, app.term_months, app.term_nights))
    app.updated_at = now
    session.flush()
    return app
