"""Vacancy and waitlist figures, from plain data (see usage.py for the period reports).

- A unit is **vacant** tonight when it is in service, no occupying lease covers tonight and
  no open offer covers tonight: a unit offered to someone is promised, not free. A later
  lease or open offer bounds how long it stays free.
- A **waitlist**'s wait runs from each entry's `joined_at` (the application's date, see
  waitlist.waiting_since); the totals recompute the median and the longest over every entry,
  never from the rows' medians.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Iterable

from .usage import LeaseInfo, UnitInfo, micros, occupying

MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Vacancy:
    unit: UnitInfo
    free_since: date | None  # end of the last lease before today (None: never let)
    next_lease_start: date | None  # None: no lease ahead
    promised_from: date | None = None  # the start of an open offer ahead (None: none)

    @property
    def free_until(self) -> date | None:
        """The first night it is taken again: the next lease or the next open offer."""
        ahead = [d for d in (self.next_lease_start, self.promised_from) if d is not None]
        return min(ahead) if ahead else None

    def free_nights_ahead(self, today: date) -> int | None:
        return None if self.free_until is None else (self.free_until - today).days

    def vacant_nights_so_far(self, today: date) -> int | None:
        return None if self.free_since is None else (today - self.free_since).days


def vacancies(units: Iterable[UnitInfo], outages: dict[int, list[tuple[date, date]]],
              leases: dict[int, list[LeaseInfo]], today: date,
              offers: dict[int, list[tuple[date, date]]] | None = None) -> list[Vacancy]:
    """Units free tonight (in service, no occupying lease and no open offer over tonight), with
    how long they have been free and how long they stay free. `offers` are the open offers'
    [start, end) per unit."""
    offers = offers or {}
    out = []
    for unit in units:
        if unit.out_of_service:
            continue
        if any(a <= today < b for a, b in outages.get(unit.id, ())):
            continue
        unit_leases = occupying(leases.get(unit.id, ()))
        if any(lease.start <= today < lease.end for lease in unit_leases):
            continue
        unit_offers = offers.get(unit.id, ())
        if any(a <= today < b for a, b in unit_offers):
            continue  # promised to someone who has not answered yet
        past = [lease.end for lease in unit_leases if lease.end <= today]
        future = [lease.start for lease in unit_leases if lease.start > today]
        promised = [a for a, _ in unit_offers if a > today]
        out.append(Vacancy(unit, max(past) if past else None, min(future) if future else None,
                           min(promised) if promised else None))
    out.sort(key=lambda v: v.unit.code)
    return out


@dataclass(frozen=True)
class WaitStats:
    unit_type: str
    waiting: int
    median_wait_days: float | None
    longest_wait_days: float | None


def _stats(unit_type: str, days: list[Fraction]) -> WaitStats:
    return WaitStats(unit_type, len(days), float(statistics.median(days)) if days else None,
                     float(max(days)) if days else None)


def _waits(entries: Iterable[tuple[str, datetime]], now: datetime, unit_types: Iterable[str]) -> dict:
    waits: dict[str, list[Fraction]] = {t: [] for t in unit_types}
    for unit_type, joined_at in entries:
        waits.setdefault(unit_type, []).append(Fraction(micros(now - joined_at), MICROS_PER_DAY))
    return waits


def waitlist_stats(entries: Iterable[tuple[str, datetime]], now: datetime,
                   unit_types: Iterable[str] = ()) -> list[WaitStats]:
    """Length and median wait (days, so far) of the waiting entries, per unit type."""
    waits = _waits(entries, now, unit_types)
    return [_stats(unit_type, waits[unit_type]) for unit_type in sorted(waits)]


def waitlist_totals(entries: Iterable[tuple[str, datetime]], now: datetime) -> WaitStats:
    """Every waiting entry at once: the count, and the median and longest wait over all of them."""
    return _stats("", [w for days in _waits(entries, now, ()).values() for w in days])
