"""Local times for the space pages' tests (Hong Kong, on the real calendar)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from innocell.timeutil import utcnow

HK = ZoneInfo("Asia/Hong_Kong")
ALL_DAY = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def next_tuesday() -> date:
    today = utcnow().astimezone(HK).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), HK).astimezone(timezone.utc)
