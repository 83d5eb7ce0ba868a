"""How long a place on a waitlist is likely to wait. Plain data in, plain data out.

A unit of a type frees when a lease of that type ends and is not renewed. Known end dates come
from the leases; whether each is renewed is uncertain: a lease whose renewal was declined (or
expired) frees for certain, any other frees with probability 1 - r, where r is the share of
renewal offers of that type accepted over the last year (smoothed towards a default when there
is little history). Units free today count as freeing today.

A person with `ahead` people in front needs the (ahead + 1)-th vacancy. The number of
vacancies by a day is a sum of independent yes/no events (a Poisson binomial); the estimate is
the range of days by which it reaches ahead + 1 with probability 25% (early) and 75% (late),
and 50% (likely). Shown by month: "between March and May 2027".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Sequence

from babel.dates import format_skeleton

from .dates import add_months
from .phrasing import ENGLISH, Phrasing

DEFAULT_RENEWAL_RATE = 0.5
PRIOR_WEIGHT = 2  # how many offers' worth the default counts for against the observed history
HORIZON_MONTHS = 12
EARLY, LIKELY, LATE = 0.25, 0.5, 0.75

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


@dataclass(frozen=True)
class LeaseEnd:
    """A lease of the type ending (move-out day `end`); `certain` when its renewal was refused."""

    end: date
    certain: bool = False


@dataclass(frozen=True)
class Estimate:
    earliest: date | None
    likely: date | None
    latest: date | None  # None: not within the horizon at 75%
    rate: float
    sentence: str
    horizon_end: date | None = None
    phrasing: Phrasing = field(default=ENGLISH, compare=False, repr=False)

    @property
    def range_text(self) -> str:
        return range_text(self.earliest, self.latest, self.horizon_end, self.phrasing)


def renewal_rate(offered: int, accepted: int, *, default: float = DEFAULT_RENEWAL_RATE,
                 weight: int = PRIOR_WEIGHT) -> float:
    """The share of renewal offers accepted, smoothed: with no history, `default`; with much,
    the observed share."""
    offered = max(offered, 0)
    accepted = min(max(accepted, 0), offered)
    return (accepted + default * weight) / (offered + weight)


def month_text(day: date, phrasing: Phrasing = ENGLISH) -> str:
    if phrasing.locale is not None:
        return format_skeleton("yMMMM", day, locale=phrasing.locale)
    return f"{MONTHS[day.month - 1]} {day.year}"


def _month_name(day: date, phrasing: Phrasing) -> str:
    if phrasing.locale is not None:
        return format_skeleton("MMMM", day, locale=phrasing.locale)
    return MONTHS[day.month - 1]


def range_text(earliest: date | None, latest: date | None, horizon_end: date | None = None,
               phrasing: Phrasing = ENGLISH) -> str:
    """'between March and May 2027', 'in March 2027', 'after March 2027', 'not known'."""
    _ = phrasing
    if earliest is None:
        return _("after %(month)s", month=month_text(horizon_end, _)) if horizon_end else _("not known")
    if latest is None:
        return _("from %(month)s, possibly after %(later)s", month=month_text(earliest, _),
                 later=month_text(horizon_end, _)) if horizon_end else _("from %(month)s", month=month_text(earliest, _))
    if (earliest.year, earliest.month) == (latest.year, latest.month):
        return _("in %(month)s", month=month_text(earliest, _))
    if earliest.year == latest.year:
        return _("between %(first)s and %(last)s", first=_month_name(earliest, _), last=month_text(latest, _))
    return _("between %(first)s and %(last)s", first=month_text(earliest, _), last=month_text(latest, _))


def _events(today: date, free_now: int, ends: Sequence[LeaseEnd], rate: float,
            horizon: date) -> list[tuple[date, float]]:
    """(day, probability the unit frees that day), in day order, within the horizon."""
    events = [(today, 1.0)] * max(free_now, 0)
    for e in ends:
        if e.end < horizon:
            events.append((max(e.end, today), 1.0 if e.certain else 1.0 - rate))
    return sorted(events, key=lambda ev: ev[0])


def _day_reaching(events: list[tuple[date, float]], need: int, level: float) -> date | None:
    """The first day by which at least `need` vacancies happened with probability >= level."""
    dist = [1.0]  # dist[k] = P(k vacancies so far)
    for day, p in events:
        grown = [0.0] * (len(dist) + 1)
        for k, q in enumerate(dist):
            grown[k] += q * (1.0 - p)
            grown[k + 1] += q * p
        dist = grown
        if sum(dist[need:]) >= level - 1e-12:
            return day
    return None


def estimate(*, today: date, unit_type: str, ahead: int, free_now: int, ends: Sequence[LeaseEnd],
             rate: float, offered: int = 0, accepted: int = 0, move_in: date | None = None,
             horizon_months: int = HORIZON_MONTHS, phrasing: Phrasing = ENGLISH) -> Estimate:
    """When a unit of `unit_type` is likely to free for a person with `ahead` people in front
    (the sentence worded by `phrasing`, English unless the caller passes the reader's language)."""
    _ = phrasing
    horizon = add_months(today, horizon_months)
    events = _events(today, free_now, ends, rate, horizon)
    need = max(ahead, 0) + 1
    floor_day = max(today, move_in) if move_in else today
    days = [_day_reaching(events, need, level) for level in (EARLY, LIKELY, LATE)]
    earliest, likely, latest = (max(d, floor_day) if d else None for d in days)
    n_ends = sum(1 for e in ends if e.end < horizon)  # the ends the events count (a past end frees today)
    percent = round(rate * 100)
    history = (_("%(accepted)s of %(offered)s renewal offers for %(type)s units were accepted in the past year "
                 "(so about %(percent)s%% renew)", accepted=accepted, offered=offered, type=unit_type, percent=percent)
               if offered else _("with no renewal history for %(type)s units we assume %(percent)s%% renew",
                                 type=unit_type, percent=percent))
    people = _("No one is ahead of you") if need == 1 else \
        _.ngettext("%(num)s person is ahead of you", "%(num)s people are ahead of you", need - 1)
    free = _.ngettext("%(num)s %(type)s unit is free now, ", "%(num)s %(type)s units are free now, ", free_now,
                      type=unit_type) if free_now else ""
    leases = _.ngettext("%(num)s %(type)s lease ends", "%(num)s %(type)s leases end", n_ends, type=unit_type) \
        if n_ends else _("no %(type)s leases end", type=unit_type)
    sentence = _("%(people)s; %(free)s%(leases)s in the next %(months)s months and %(history)s: a unit is likely to "
                 "free for you %(when)s.", people=people, free=free, leases=leases, months=horizon_months,
                 history=history, when=range_text(earliest, latest, horizon, _))
    return Estimate(earliest=earliest, likely=likely, latest=latest, rate=rate, sentence=sentence,
                    horizon_end=horizon, phrasing=phrasing)


def monthly_forecast(*, today: date, free_now: int, ends: Sequence[LeaseEnd], rate: float,
                     months: int = HORIZON_MONTHS) -> list[tuple[date, float]]:
    """(first day of month, expected vacancies that month) for the next `months` months, this
    month first (units free today count in it)."""
    start = today.replace(day=1)
    out = []
    for i in range(months):
        lo, hi = add_months(start, i), add_months(start, i + 1)
        expected = float(max(free_now, 0)) if i == 0 else 0.0
        for e in ends:
            day = max(e.end, today)
            if lo <= day < hi:
                expected += 1.0 if e.certain else 1.0 - rate
        out.append((lo, round(expected, 2)))
    return out
