"""A refused request's conflicts, explained: the 409's sentence and its `conflicts` list, where
a piece caused by a buffer says so (allocation.conflict_reasons decides the cause). Reads the
space's claims again, inside the caller's transaction (under its lock when it holds one)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ...allocation import conflict_reasons
from ...models import Space
from ...timeutil import iso_local
from ..phrasing import current
from .common import fmt_span
from .reads import space_state

BUFFER_REASONS = (conflict_reasons.BUFFER, conflict_reasons.BUFFER_BEFORE)


def explained(session: Session, space: Space, start: datetime, end: datetime,
              found: list[tuple[datetime, datetime]], tz: ZoneInfo) -> tuple[str, list[dict]]:
    """(sentence, conflicts as JSON) for [start, end) refused with the conflicts `found`.
    Each conflict is {"start","end"}; one that only a buffer causes also carries "reason"
    ("buffer": the request's own buffer runs into the next booking; "buffer_before": an
    earlier booking's buffer) and "message"."""
    state = space_state(session, space, start, end, tz)
    phrasing = current()
    reasons = conflict_reasons.explain(state.spec, start, end, state.holds, state.blackouts, tz, phrasing)
    out = []
    for s, e in found:
        item = {"start": iso_local(s, tz), "end": iso_local(e, tz)}
        same = [r for r in reasons if (r["start"], r["end"]) == (s, e) and r["reason"] in BUFFER_REASONS]
        if same:
            text = same[0]["message"]
            item.update(reason=same[0]["reason"], message=text[0].upper() + text[1:] + ".")
        out.append(item)
    return conflict_reasons.sentence(state.spec, fmt_span(start, end, tz, phrasing), reasons, phrasing), out
