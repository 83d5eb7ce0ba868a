"""Recurring bookings: a rule (daily, weekly, every N weeks, monthly by date or by weekday of the
month; until a date or N times) expanded into concrete occurrences in the space's local time
zone. Pure: no database, no clock.

Every occurrence keeps the first one's local wall-clock start and length (a 10:00-11:00 booking
stays 10:00-11:00 across a daylight-saving change; zoneinfo turns wall time into instants).

- `count` counts the occurrences the rule produces: a month without the date ("on the 31st")
  and, when asked, a public holiday are not occurrences; both are reported in `skipped`.
- `until` is a local date, inclusive.
- At most MAX_OCCURRENCES occurrences; a rule that would give more is refused with a message
  saying so (never silently cut short).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from .dates import LATEST_DATE, RANGE_MESSAGE, date_in_range
from .phrasing import N_

UTC = timezone.utc
FREQS = ("daily", "weekly", "monthly")
MONTHLY_BY = ("date", "weekday", "last_weekday")
MAX_OCCURRENCES = 104
MAX_INTERVAL = 52
MAX_STEPS = 5000  # periods looked at before giving up (a rule whose every date is skipped)
HOLIDAY = "public holiday"
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth"}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class RecurrenceError(ValueError):
    """The rule cannot be expanded; the message says why, in words a resident understands.
    `msgid` and `params` let the caller write it in the reader's language."""

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params
        super().__init__(msgid % params if params else msgid)


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: date | None = None
    by: str = "date"  # monthly only: "date" (the 15th), "weekday" (second Tuesday), "last_weekday"
    skip_holidays: bool = False


@dataclass(frozen=True)
class Skipped:
    """A date the rule passes over: `start`/`end` are None for a month without the date."""
    day: date
    reason: str
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class Expansion:
    occurrences: list[tuple[datetime, datetime]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def validate(rule: Rule, first_day: date) -> None:
    """Raise RecurrenceError unless the rule is well formed for a series starting on `first_day`."""
    if rule.freq not in FREQS:
        raise RecurrenceError(N_("The repeat frequency must be one of %(freqs)s."), freqs=", ".join(FREQS))
    if isinstance(rule.interval, bool) or not isinstance(rule.interval, int) or not 1 <= rule.interval <= MAX_INTERVAL:
        raise RecurrenceError(N_("The repeat interval must be a whole number from 1 to %(max)s."), max=MAX_INTERVAL)
    if rule.by not in MONTHLY_BY:
        raise RecurrenceError(N_("A monthly repeat is by 'date' (the same day of the month) or by 'weekday' "
                                 "(the same weekday of the month, e.g. the second Tuesday)."))
    if rule.freq == "monthly" and rule.by == "last_weekday" and (first_day + timedelta(days=7)).month == first_day.month:
        raise RecurrenceError(N_("%(day)s is not the last %(weekday)s of its month; start the series on one, or "
                                 "repeat by weekday."), day=f"{first_day:%d %b %Y}",
                              weekday=DAY_NAMES[first_day.weekday()])
    if (rule.count is None) == (rule.until is None):
        raise RecurrenceError(N_("Say when the repeat ends: either a number of times or an end date, not both."))
    if rule.count is not None:
        if isinstance(rule.count, bool) or not isinstance(rule.count, int) or not 1 <= rule.count <= MAX_OCCURRENCES:
            raise RecurrenceError(N_("The number of times must be a whole number from 1 to %(max)s."),
                                  max=MAX_OCCURRENCES)
    if rule.until is not None:
        if not isinstance(rule.until, date) or isinstance(rule.until, datetime):
            raise RecurrenceError(N_("The end date must be a date."))
        if not date_in_range(rule.until):
            raise RecurrenceError(RANGE_MESSAGE)
        if rule.until < first_day:
            raise RecurrenceError(N_("The repeat's end date is before its first occurrence."))


def _week_of_month(day: date) -> int:
    return (day.day - 1) // 7 + 1


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (1-4, or -1 for the last) `weekday` of the month; None when there is no 5th."""
    days = calendar.monthrange(year, month)[1]
    if nth == -1:
        last = date(year, month, days)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + 7 * (nth - 1)
    return date(year, month, day) if day <= days else None


def describe(rule: Rule, first_day: date) -> str:
    """The rule in words: "every 2 weeks, 6 times", "monthly on the second Tuesday until 30 Jun 2027"."""
    if rule.freq == "daily":
        text = "every day" if rule.interval == 1 else f"every {rule.interval} days"
    elif rule.freq == "weekly":
        name = DAY_NAMES[first_day.weekday()]
        text = f"every {name}" if rule.interval == 1 else f"every {rule.interval} weeks on {name}"
    else:
        every = "monthly" if rule.interval == 1 else f"every {rule.interval} months"
        if rule.by == "date":
            text = f"{every} on day {first_day.day}"
        elif rule.by == "last_weekday" or _week_of_month(first_day) == 5:
            text = f"{every} on the last {DAY_NAMES[first_day.weekday()]}"
        else:
            text = f"{every} on the {ORDINALS[_week_of_month(first_day)]} {DAY_NAMES[first_day.weekday()]}"
    if rule.count is not None:
        return f"{text}, {rule.count} time{'s' if rule.count != 1 else ''}"
    return f"{text} until {rule.until:%d %b %Y}"


def _candidates(rule: Rule, first_day: date):
    """(day, None) for each period of the rule from `first_day` on, or (None, the month's first
    day) when the period has no such day (a month without the 31st)."""
    step = 0
    while step <= MAX_STEPS:
        if rule.freq == "daily":
            yield first_day + timedelta(days=step * rule.interval), None
        elif rule.freq == "weekly":
            yield first_day + timedelta(weeks=step * rule.interval), None
        else:
            index = first_day.month - 1 + step * rule.interval
            year, month = first_day.year + index // 12, index % 12 + 1
            if year >= LATEST_DATE.year:
                return
            if rule.by == "date":
                if first_day.day <= calendar.monthrange(year, month)[1]:
                    yield date(year, month, first_day.day), None
                else:
                    yield None, date(year, month, 1)
            else:
                nth = _week_of_month(first_day)
                if rule.by == "last_weekday" or nth == 5:
                    nth = -1
                yield _nth_weekday(year, month, first_day.weekday(), nth), None
        step += 1
    raise RecurrenceError(N_("This repeat skips too many dates to find its occurrences; choose another rule."))


def _instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, wall).replace(tzinfo=tz).astimezone(UTC)


def expand(rule: Rule, start: datetime, end: datetime, tz: ZoneInfo,
           holidays: Callable[[date], str | None] | None = None) -> Expansion:
    """The occurrences of `rule` for a first booking [start, end) (aware instants), in order.
    `holidays(day)` names the public holiday on `day` (or None); with `rule.skip_holidays` such
    days are skipped and reported. Raises RecurrenceError for a bad rule or too many occurrences."""
    if not start < end:
        raise RecurrenceError(N_("The end must be after the start."))
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    first_day, wall = local_start.date(), local_start.time().replace(tzinfo=None)
    length = local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None)  # wall-clock length
    validate(rule, first_day)
    result = Expansion()
    for day, missing in _candidates(rule, first_day):
        if rule.count is not None and len(result.occurrences) >= rule.count:
            break
        if rule.until is not None and (day or missing) > rule.until:
            break
        if day is None:
            result.skipped.append(Skipped(day=missing, reason=f"{missing:%B %Y} has no day {first_day.day}"))
            continue
        if not date_in_range(day) or not date_in_range(day + length):
            raise RecurrenceError(RANGE_MESSAGE)
        occurrence_start = _instant(day, wall, tz)
        occurrence_end = (datetime.combine(day, wall) + length).replace(tzinfo=tz).astimezone(UTC)
        name = holidays(day) if rule.skip_holidays and holidays is not None else None
        if name:
            result.skipped.append(Skipped(day=day, reason=HOLIDAY, start=occurrence_start, end=occurrence_end))
            continue
        if len(result.occurrences) >= MAX_OCCURRENCES:
            raise RecurrenceError(N_("This repeat gives more than %(max)s occurrences; choose an earlier end date "
                                     "or a number of times up to %(max)s."), max=MAX_OCCURRENCES)
        result.occurrences.append((occurrence_start, occurrence_end))
    if not result.occurrences:
        raise RecurrenceError(N_("This repeat gives no occurrence at all."))
    return result

