"""Time helpers: storage is UTC, people see INNOCELL_TIMEZONE. Nothing here reads the clock
except `utcnow`, which only the outermost layers (views, CLI, scheduler) call: it asks the
app's injectable clock (config `CLOCK`, a callable returning an aware UTC datetime; tests pin
it) and falls back to the real clock."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

UTC = timezone.utc

from .allocation.dates import (  # noqa: E402,F401  (the range lives in the pure core)
    EARLIEST,
    EARLIEST_DATE,
    LATEST,
    LATEST_DATE,
    RANGE_MESSAGE,
    date_in_range,
)


def utcnow() -> datetime:
    """Now, from the app's clock when one is configured (the test suite pins it)."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["INNOCELL_TIMEZONE"])


def parse_instant(value: str, tz: ZoneInfo) -> datetime:
    """ISO 8601 to an aware UTC datetime; a value without offset is local time in `tz`.
    Raises ValueError with a readable message."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a date and time is required (ISO 8601, e.g. 2026-12-01T14:00)")
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{value}' is not an ISO 8601 date and time") from None
    if not date_in_range(parsed.date()):
        raise ValueError(f"'{value}': {RANGE_MESSAGE}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def parse_date(value: str) -> date:
    if not isinstance(value, str):
        raise ValueError("a date is required (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from None
    if not date_in_range(day):
        raise ValueError(f"'{value}': {RANGE_MESSAGE}")
    return day


def to_local(dt: datetime, tz: ZoneInfo) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(tz)


def iso_local(dt: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the offset of the local zone, as the API answers."""
    if dt is None:
        return None
    return to_local(dt, tz).isoformat(timespec="seconds")
