"""Joint applications: a unit for two people together (a twin unit), applied for by one and
confirmed by the other. Plain data in, plain data out.

- A joint application enters allocation rounds only once the partner has confirmed it; while
  the partner has not answered it waits, and a decline (or a withdrawal by either) ends it.
- A round places the pair in one unit that takes both (occupancy two or more) and offers it to
  each at once. One home a night holds for each of them: the pair cannot be placed over dates
  the partner already holds a lease on (the applicant's own overlapping lease makes the
  application a transfer, as for anyone); `blocked` says why in one sentence.
- Each accepts for themself and gets a lease of the unit; the two leases of one joint
  application may overlap each other, and nothing else may overlap them.
"""
from __future__ import annotations

from datetime import date

from .homes import Home, clashes
from .phrasing import ENGLISH, N_, Phrasing

PARTNER_STATES = ("pending", "confirmed", "declined")
PAIR = 2


def enters_rounds(partner_id: int | None, partner_status: str | None) -> bool:
    """A single application always; a joint one only when the partner has confirmed."""
    return partner_id is None or partner_status == "confirmed"


def blocked(partner_name: str, partner_homes: list[Home], start: date, end: date,
            phrasing: Phrasing = ENGLISH) -> str | None:
    """Why the pair cannot be placed over [start, end), or None: the partner's own lease."""
    _ = phrasing
    found = clashes(partner_homes, start, end)
    if not found:
        return None
    return _("Your partner %(partner)s already holds a lease over some of %(start)s to %(end)s (%(lease)s); one "
             "person holds one home a night.", partner=partner_name, start=_.date(start), end=_.date(end),
             lease=found[0].describe(_))


def partner_problem(applicant_id: int, partner_id: int | None, unit_occupancy: int | None) -> str | None:
    """Why this partner cannot be named for a unit type whose largest unit takes
    `unit_occupancy`, or None."""
    if partner_id is None:
        return N_("There is no resident with that email address.")
    if partner_id == applicant_id:
        return N_("Name someone else as your partner: a joint application is for two people.")
    if unit_occupancy is not None and unit_occupancy < PAIR:
        return N_("A joint application is for a unit that takes two people (a twin unit).")
    return None
