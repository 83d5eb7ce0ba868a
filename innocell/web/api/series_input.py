"""The `repeat` and `on_conflict` fields of POST /api/v1/bookings (and its preview), read
strictly: a wrong type, an unknown key or both `count` and `until` is a 400 that says what to
send. The ranges (count up to 104, dates 2000-2199, the rule's size) are the pure core's."""
from __future__ import annotations

from ...allocation.recurrence import FREQS, MONTHLY_BY, Rule
from ...services import BadRequest
from ...timeutil import parse_date

REPEAT_KEYS = {"freq", "interval", "count", "until", "by", "skip_holidays"}


def _whole(repeat: dict, name: str):
    value = repeat.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'repeat.{name}' must be a whole number.")
    return value


def repeat_rule(data: dict) -> Rule | None:
    """The recurrence rule of a request (None without `repeat`)."""
    repeat = data.get("repeat")
    if repeat is None:
        if data.get("on_conflict") is not None:
            raise BadRequest("'on_conflict' goes with 'repeat'.")
        return None
    if data.get("repeat_weeks") is not None:
        raise BadRequest("Send either 'repeat' or the older 'repeat_weeks', not both.")
    if not isinstance(repeat, dict):
        raise BadRequest("'repeat' must be an object, e.g. {\"freq\": \"weekly\", \"count\": 4}.")
    unknown = sorted(set(repeat) - REPEAT_KEYS)
    if unknown:
        raise BadRequest(f"'repeat' has unknown fields ({', '.join(map(str, unknown))}); it takes "
                         f"{', '.join(sorted(REPEAT_KEYS))}.")
    freq = repeat.get("freq")
    if not isinstance(freq, str) or freq not in FREQS:
        raise BadRequest(f"'repeat.freq' must be one of {', '.join(FREQS)}.")
    interval, count = _whole(repeat, "interval"), _whole(repeat, "count")
    until = repeat.get("until")
    if count is not None and until is not None:
        raise BadRequest("'repeat' ends after 'count' times or on 'until', not both.")
    if count is None and until is None:
        raise BadRequest("'repeat' needs 'count' (how many times) or 'until' (the last date, YYYY-MM-DD).")
    if until is not None:
        try:
            until = parse_date(until)
        except ValueError as exc:
            raise BadRequest(f"'repeat.until': {exc}.") from None
    by = repeat.get("by", "date")
    if by is None:
        by = "date"
    if not isinstance(by, str) or by not in MONTHLY_BY:
        raise BadRequest(f"'repeat.by' must be one of {', '.join(MONTHLY_BY)}.")
    if "by" in repeat and freq != "monthly":
        raise BadRequest("'repeat.by' applies to a monthly repeat only.")
    skip = repeat.get("skip_holidays", False)
    if not isinstance(skip, bool):
        raise BadRequest("'repeat.skip_holidays' must be true or false.")
    return Rule(freq=freq, interval=1 if interval is None else interval, count=count, until=until, by=by,
                skip_holidays=skip)


def on_conflict(data: dict) -> str:
    value = data.get("on_conflict")
    if value is None:
        return "fail"
    if value not in ("fail", "skip"):
        raise BadRequest("'on_conflict' must be 'fail' (book all or nothing) or 'skip' (book only the free ones).")
    return value
