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
from .rounds import human_date


@dataclass(frozen=True)
class Home:
    """A lease the person holds, over [start, end) (end = move-out day)."""

    lease_id: int
    unit_code: str
    start: date
    end: date
    unit_id: int = 0

    def describe(self) -> str:
        return f"unit {self.unit_code} from {human_date(self.start)} to {human_date(self.end)} (lease {self.lease_id})"


def clashes(homes: list[Home], start: date, end: date, *, ignore: frozenset[int] = frozenset()) -> list[Home]:
    """The person's leases that a stay over [start, end) would overlap, first first; leases in
    `ignore` do not count."""
    if not start < end:
        return []
    return sorted((h for h in homes if h.lease_id not in ignore
                   and h.start < h.end and overlaps(start, end, h.start, h.end)),
                  key=lambda h: (h.start, h.lease_id))


def clash_message(found: list[Home], start: date, end: date, *, whose: str = "You") -> str:
    """A sentence naming the lease the person already holds over the asked dates."""
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    verb = "hold" if whose == "You" else "holds"
    return (f"{whose} already {verb} a lease over some of {human_date(start)} to {human_date(end)}: "
            f"{first.describe()}{more}. One person holds one home a night.")


def transfer_ends(homes: list[Home], new_start: date, new_end: date) -> list[tuple[Home, date]]:
    """For a transfer into a new lease over [new_start, new_end): each overlapping lease of the
    person and the day it ends (the new start, or its own start when it had not begun then)."""
    return [(h, max(new_start, h.start)) for h in clashes(homes, new_start, new_end)]
