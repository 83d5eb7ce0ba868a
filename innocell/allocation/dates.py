"""Dates the whole app agrees on: the one accepted range, and calendar-month arithmetic for
lease terms (a term of N months ends on the same day N months later, clamped to the shorter
month's last day). The one copy the services, the forms and the demo use."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timezone

from .phrasing import N_

# The one range of dates the app accepts anywhere (forms, API, CLI, services): far enough for
# any lease or booking, near enough that date arithmetic (a month on, a week of windows) never
# overflows.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2200, 1, 1)  # exclusive
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
RANGE_MESSAGE = N_("Dates must lie between the years 2000 and 2199.")


def date_in_range(day: date) -> bool:
    return EARLIEST_DATE <= day < LATEST_DATE


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day
    (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """Whole months from start to end (a partial month counts as a month started)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) < end:
        months += 1
    return max(months, 0)
