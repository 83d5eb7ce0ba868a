"""What every booking module checks or writes the same way: the shape of a requested time,
a booking's title, the overlap scan bound, and a span of time written for people."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .. import BadRequest
from ..settings import setting
from ...allocation.dates import EARLIEST, LATEST, RANGE_MESSAGE
from ...allocation.phrasing import ENGLISH, Phrasing
from ..phrasing import gettext

UTC = timezone.utc


def scan_bound() -> timedelta:
    """How far back before a window a booking overlapping it can start: no hold is longer than
    BOOKING_MAX_SCAN_HOURS, so `start_at >= window_start - scan_bound()` keeps overlap queries
    on the (space_id, start_at) index, their cost independent of the park's history."""
    return timedelta(hours=int(setting("BOOKING_MAX_SCAN_HOURS")))


def validate_times(start, end) -> None:
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise BadRequest(gettext("Give the start and the end as dates with times."))
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRequest(gettext("Times must carry a time zone."))
    if not start < end:
        raise BadRequest(gettext("The end must be after the start."))
    if not (EARLIEST <= start and end <= LATEST):
        raise BadRequest(gettext(RANGE_MESSAGE))


def clean_title(title) -> str:
    """A booking's (or a slot request's) title: text, trimmed, at most 200 characters."""
    if title is None:
        return ""
    if not isinstance(title, str):
        raise BadRequest(gettext("The title must be text."))
    title = title.strip()
    if len(title) > 200:
        raise BadRequest(gettext("The title can be at most 200 characters."))
    return title


def fmt_span(start: datetime, end: datetime, tz: ZoneInfo, phrasing: Phrasing = ENGLISH) -> str:
    """'Tue 08 Dec 2026 14:00-16:00', or both ends in full when the span crosses midnight
    (in English unless `phrasing` is the reader's language)."""
    s, e = start.astimezone(tz), end.astimezone(tz)
    if s.date() == e.date():
        return f"{phrasing.moment(s)}-{phrasing.clock(e)}"
    return phrasing("%(start)s to %(end)s", start=phrasing.moment(s), end=phrasing.moment(e))
