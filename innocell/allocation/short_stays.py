"""Short stays booked directly: the limits a stay's dates must keep, its price, and the nearest
free dates when the asked ones are taken. Plain data in, plain data out: the caller loads the
unit's claims and the person's homes as (start, end) date pairs.

A stay is [check_in, check_out): check-out is the day one leaves, so the nights are the days
from check-in up to the day before check-out (one at least). It may begin today at the earliest
and at most `days_ahead` days from today; it lasts at most `max_nights` nights. The price is the
nightly rate times the nights, exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .intervals import overlaps
from .phrasing import ENGLISH, Phrasing

CENT = Decimal("0.01")


@dataclass(frozen=True)
class StayLimits:
    max_nights: int
    days_ahead: int
    nightly_rate: Decimal


def nights(check_in: date, check_out: date) -> int:
    return (check_out - check_in).days


def default_nightly_rate(monthly_rent) -> Decimal:
    """A type's rate a night when the park set none: the monthly rent over 30, to the cent."""
    return (Decimal(monthly_rent) / 30).quantize(CENT, rounding=ROUND_HALF_UP)


def total(rate, check_in: date, check_out: date) -> Decimal:
    """What the stay costs: the rate times the nights (cents, exact)."""
    return (Decimal(rate) * max(0, nights(check_in, check_out))).quantize(CENT)


def violations(check_in: date, check_out: date, today: date, limits: StayLimits,
               phrasing: Phrasing = ENGLISH) -> list[tuple[str, str]]:
    """Every limit the dates break, as (field, message); none when they may be booked.
    Messages are worded by `phrasing` (English unless the caller passes the reader's language)."""
    _ = phrasing
    out = []
    if check_out <= check_in:
        out.append(("check_out", _("The check-out day must be after the check-in day: a stay is one night at least.")))
    elif nights(check_in, check_out) > limits.max_nights:
        out.append(("check_out", _.ngettext("A short stay is at most %(num)s night; this is %(nights)s.",
                                            "A short stay is at most %(num)s nights; this is %(nights)s.",
                                            limits.max_nights, nights=nights(check_in, check_out))))
    if check_in < today:
        out.append(("check_in", _("The check-in day has passed; choose today or later.")))
    elif (check_in - today).days > limits.days_ahead:
        out.append(("check_in", _("Short stays can be booked at most %(days)s days ahead (check-in by %(latest)s).",
                                  days=limits.days_ahead,
                                  latest=_.iso_day(today + timedelta(days=limits.days_ahead)))))
    return out


def free(busy: list[tuple[date, date]], check_in: date, check_out: date) -> bool:
    return not any(overlaps(check_in, check_out, a, b) for a, b in busy)


def nearest_free(busy: list[tuple[date, date]], check_in: date, check_out: date, today: date,
                 limits: StayLimits, *, search_days: int = 28, limit: int = 3) -> list[date]:
    """Check-in days of the same length nearest the asked one (before or after, within
    `search_days`, ties to the earlier) that keep the limits and miss every busy interval."""
    length = timedelta(days=nights(check_in, check_out))
    found = []
    for step in range(0, 2 * search_days + 1):
        offset = (step + 1) // 2 * (-1 if step % 2 else 1)
        if step and offset == 0:
            continue
        start = check_in + timedelta(days=offset)
        if violations(start, start + length, today, limits):
            continue
        if free(busy, start, start + length):
            found.append(start)
            if len(found) >= limit:
                break
    return found
