"""One home at a time: a person holds at most one lease on any night.

A unit is a resource of capacity one over dates; so is a person. The lease check asks both:
is the unit free over [start, end), and is the person? Plain data in, plain data out: the
caller loads the person's leases that hold nights (`Home`) and asks here.

- `clashes`: the person's leases a new stay over [start, end) would overlap. Every lease that
  holds nights counts, one recorded as an allowed overlap too: the exception (a manager's
  handover night, with a reason) belongs to the lease it was granted for, and lets that one
  lease overlap; it opens no door for a third.
- `transfer_ends`: a transfer (an accepted offer from an application that overlapped the
  person's own lease) ends each overlapping lease the day the new one starts; a lease that
  would only begin after that is called off (it keeps no night).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .intervals import overlaps
from .phrasing import ENGLISH, Phrasing


@dataclass(frozen=True)
class Home:
    """A lease the person holds, over [start, end) (end = move-out day)."""

    lease_id: int
    unit_code: str
    start: date
    end: date
    unit_id: int = 0

    def describe(self, phrasing: Phrasing = ENGLISH) -> str:
        _ = phrasing
        return _("unit %(code)s from %(start)s to %(end)s (lease %(lease)s)", code=self.unit_code,
                 start=_.date(self.start), end=_.date(self.end), lease=self.lease_id)


def clashes(homes: list[Home], start: date, end: date, *, ignore: frozenset[int] = frozenset()) -> list[Home]:
    """The person's leases that a stay over [start, end) would overlap, first first; leases in
    `ignore` do not count."""
    if not start < end:
        return []
    return sorted((h for h in homes if h.lease_id not in ignore
                   and h.start < h.end and overlaps(start, end, h.start, h.end)),
                  key=lambda h: (h.start, h.lease_id))


def clash_message(found: list[Home], start: date, end: date, *, whose: str = "You",
                  phrasing: Phrasing = ENGLISH) -> str:
    """A sentence naming the lease the person already holds over the asked dates (`whose` is
    "You" or the person's name)."""
    _ = phrasing
    first = found[0]
    more = _(" (and %(more)s more)", more=len(found) - 1) if len(found) > 1 else ""
    facts = {"start": _.date(start), "end": _.date(end), "lease": first.describe(_), "more": more}
    if whose == "You":
        return _("You already hold a lease over some of %(start)s to %(end)s: %(lease)s%(more)s. One person holds "
                 "one home a night.", **facts)
    return _("%(whose)s already holds a lease over some of %(start)s to %(end)s: %(lease)s%(more)s. One person "
             "holds one home a night.", whose=whose, **facts)


def transfer_ends(homes: list[Home], new_start: date, new_end: date) -> list[tuple[Home, date]]:
    """For a transfer into a new lease over [new_start, new_end): each overlapping lease of the
    person and the day it ends (the new start, or its own start when it had not begun then)."""
    return [(h, max(new_start, h.start)) for h in clashes(homes, new_start, new_end)]
