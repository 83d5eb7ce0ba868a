"""Why a request conflicts, in words a resident understands. Plain data in, plain data out.

A booking holds [start, end + buffer) (see rules.py). So a request can be refused for time
outside the one asked for: its own buffer runs into the next booking. The conflicts of
`rules.conflicts` are the facts; this module says which cause each piece has:

- `blackout`: the space is closed then (only inside [start, end));
- `booked`: other bookings use the whole capacity inside the asked time;
- `buffer_before`: inside the asked time, but only the buffer after an earlier booking;
- `buffer`: after the asked time, inside the request's own buffer: "the 30-minute buffer
  after your booking would run into the next booking at 11:00".

Holds are (start, hold_end) with hold_end = end + the space's buffer, as stored.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable
from zoneinfo import ZoneInfo

from .intervals import merge
from .phrasing import ENGLISH, Phrasing
from .rules import SpaceSpec, capacity_conflicts

BLACKOUT, BOOKED, BUFFER_BEFORE, BUFFER = "blackout", "booked", "buffer_before", "buffer"


def _hhmm(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


def _clip(pieces, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    return [(max(a, lo), min(b, hi)) for a, b in pieces if max(a, lo) < min(b, hi)]


def explain(spec: SpaceSpec, start: datetime, end: datetime, holds: Iterable[tuple[datetime, datetime]],
            blackouts: Iterable[tuple[datetime, datetime]], tz: ZoneInfo, phrasing: Phrasing = ENGLISH) -> list[dict]:
    """Each conflicting piece of the request with its cause, sorted by time:
    {"start", "end", "reason", "message"}. Empty when the request has no conflict. Messages
    are worded by `phrasing` (English unless the caller passes the reader's language)."""
    _ = phrasing
    holds = [(s, e) for s, e in holds]
    hold_end = end + spec.buffer
    out: list[dict] = []
    for a, b in merge(_clip(blackouts, start, end)):
        out.append({"start": a, "end": b, "reason": BLACKOUT,
                    "message": _("%(name)s is closed from %(start)s to %(end)s", name=spec.name,
                                 start=_hhmm(a, tz), end=_hhmm(b, tz))})
    full = capacity_conflicts(holds, spec.capacity, start, hold_end)
    for a, b in _clip(full, start, end):
        # Taken only by the buffers of earlier bookings? Then the bookings themselves would fit.
        bare = [(s, min(e, max(s, e - spec.buffer))) for s, e in holds]
        if spec.buffer and not capacity_conflicts(bare, spec.capacity, a, b):
            before = max((e - spec.buffer for s, e in holds if s < b and a < e and e - spec.buffer <= a),
                         default=None)
            if before:
                message = _("the %(buffer)s-minute buffer after the booking that ends at %(ends)s keeps %(name)s "
                            "until %(until)s", buffer=spec.buffer_minutes, ends=_hhmm(before, tz), name=spec.name,
                            until=_hhmm(b, tz))
            else:
                message = _("the %(buffer)s-minute buffer after an earlier booking keeps %(name)s until %(until)s",
                            buffer=spec.buffer_minutes, name=spec.name, until=_hhmm(b, tz))
            out.append({"start": a, "end": b, "reason": BUFFER_BEFORE, "message": message})
        else:
            out.append({"start": a, "end": b, "reason": BOOKED,
                        "message": _("%(name)s is booked from %(start)s to %(end)s", name=spec.name,
                                     start=_hhmm(a, tz), end=_hhmm(b, tz))})
    for a, b in _clip(full, end, hold_end):
        out.append({"start": a, "end": b, "reason": BUFFER,
                    "message": _("the %(buffer)s-minute buffer after your booking would run into the next booking "
                                 "at %(at)s", buffer=spec.buffer_minutes, at=_hhmm(a, tz))})
    out.sort(key=lambda r: (r["start"], r["end"]))
    return out


def sentence(spec: SpaceSpec, span: str, reasons: list[dict], phrasing: Phrasing = ENGLISH) -> str:
    """One sentence for a refused request: '<name> cannot be booked for <span>: <why>; <why>.'"""
    _ = phrasing
    if not reasons:
        return _("%(name)s is already taken for part of %(span)s.", name=spec.name, span=span)
    return _("%(name)s cannot be booked for %(span)s: %(reasons)s.", name=spec.name, span=span,
             reasons=_("; ").join(r["message"] for r in reasons))
