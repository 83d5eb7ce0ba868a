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
from .rules import SpaceSpec, capacity_conflicts

BLACKOUT, BOOKED, BUFFER_BEFORE, BUFFER = "blackout", "booked", "buffer_before", "buffer"


def _hhmm(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


def _clip(pieces, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    return [(max(a, lo), min(b, hi)) for a, b in pieces if max(a, lo) < min(b, hi)]


def explain(spec: SpaceSpec, start: datetime, end: datetime, holds: Iterable[tuple[datetime, datetime]],
            blackouts: Iterable[tuple[datetime, datetime]], tz: ZoneInfo) -> list[dict]:
    """Each conflicting piece of the request with its cause, sorted by time:
    {"start", "end", "reason", "message"}. Empty when the request has no conflict."""
    holds = [(s, e) for s, e in holds]
    hold_end = end + spec.buffer
    out: list[dict] = []
    for a, b in merge(_clip(blackouts, start, end)):
        out.append({"start": a, "end": b, "reason": BLACKOUT,
                    "message": f"{spec.name} is closed from {_hhmm(a, tz)} to {_hhmm(b, tz)}"})
    full = capacity_conflicts(holds, spec.capacity, start, hold_end)
    for a, b in _clip(full, start, end):
        # Taken only by the buffers of earlier bookings? Then the bookings themselves would fit.
        bare = [(s, min(e, max(s, e - spec.buffer))) for s, e in holds]
        if spec.buffer and not capacity_conflicts(bare, spec.capacity, a, b):
            before = max((e - spec.buffer for s, e in holds if s < b and a < e and e - spec.buffer <= a),
                         default=None)
            which = f"the booking that ends at {_hhmm(before, tz)}" if before else "an earlier booking"
            out.append({"start": a, "end": b, "reason": BUFFER_BEFORE,
                        "message": f"the {spec.buffer_minutes}-minute buffer after {which} keeps "
                                   f"{spec.name} until {_hhmm(b, tz)}"})
        else:
            out.append({"start": a, "end": b, "reason": BOOKED,
                        "message": f"{spec.name} is booked from {_hhmm(a, tz)} to {_hhmm(b, tz)}"})
    for a, b in _clip(full, end, hold_end):
        out.append({"start": a, "end": b, "reason": BUFFER,
                    "message": f"the {spec.buffer_minutes}-minute buffer after your booking would run "
                               f"into the next booking at {_hhmm(a, tz)}"})
    out.sort(key=lambda r: (r["start"], r["end"]))
    return out


def sentence(spec: SpaceSpec, span: str, reasons: list[dict]) -> str:
    """One sentence for a refused request: '<name> cannot be booked for <span>: <why>; <why>.'"""
    if not reasons:
        return f"{spec.name} is already taken for part of {span}."
    return f"{spec.name} cannot be booked for {span}: " + "; ".join(r["message"] for r in reasons) + "."
