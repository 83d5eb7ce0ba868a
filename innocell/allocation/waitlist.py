"""Waitlist ordering and the explanation of a place in the queue. Plain data in and out.

The natural order is priority tier (1 first), then the time joined, then id. A manager may
move an entry: the entry then carries a `manual_rank`, a sort value in the same space as the
natural order (`natural_value`), set between its new neighbours. So a moved entry keeps its
place relative to the others when entries ahead leave, and later joiners still slot in by tier
and time. Sort key: (manual_rank if set else natural value, tier, joined_at, id).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from .phrasing import ENGLISH, Phrasing

TIER_SPAN = 10_000_000_000.0  # seconds per tier step in the natural value (about 317 years)


@dataclass(frozen=True)
class QueueEntry:
    id: int
    tier: int
    joined_at: datetime
    manual_rank: float | None = None


def natural_value(tier: int, joined_at: datetime) -> float:
    return tier * TIER_SPAN + joined_at.timestamp()


def sort_value(entry: QueueEntry) -> float:
    return entry.manual_rank if entry.manual_rank is not None else natural_value(entry.tier, entry.joined_at)


def sort_key(entry: QueueEntry):
    return (sort_value(entry), entry.tier, entry.joined_at, entry.id)


def order(entries: Iterable[QueueEntry]) -> list[QueueEntry]:
    """The queue, first in line first."""
    return sorted(entries, key=sort_key)


def rank_for_position(entries: Sequence[QueueEntry], entry_id: int, new_position: int) -> float:
    """The manual_rank that puts `entry_id` at 1-based `new_position` of the ordered queue
    (clamped to the queue). Raises ValueError when the value space between neighbours is
    exhausted (the caller then renumbers with `renumbered`)."""
    others = [e for e in order(entries) if e.id != entry_id]
    index = min(max(new_position, 1), len(others) + 1) - 1
    before = sort_value(others[index - 1]) if index > 0 else None
    after = sort_value(others[index]) if index < len(others) else None
    if before is None and after is None:  # alone in the queue
        return sort_value(next(e for e in entries if e.id == entry_id))
    if before is None:
        value = after - 1.0
    elif after is None:
        value = before + 1.0
    else:
        value = (before + after) / 2.0
        if not before < value < after:
            raise ValueError("no room between neighbours")
    return value


def renumbered(ordered: Sequence[QueueEntry]) -> dict[int, float]:
    """Manual ranks keeping the given order, used when midpoints run out (entries that joined
    at the same instant tie). Each stays as close to its natural value as the order allows
    (at least one second after the previous), so ranks stay in the same space as the natural
    order: an entry whose tier changes later (its manual rank cleared) still lands where its
    new tier puts it among the renumbered ones."""
    ranks: dict[int, float] = {}
    previous: float | None = None
    for entry in ordered:
        value = natural_value(entry.tier, entry.joined_at)
        if previous is not None and value < previous + 1.0:
            value = previous + 1.0
        ranks[entry.id] = previous = value
    return ranks


def position_of(entries: Iterable[QueueEntry], entry_id: int) -> tuple[int, list[QueueEntry]]:
    """(1-based position, the entries ahead) of `entry_id`."""
    ordered = order(entries)
    for i, e in enumerate(ordered):
        if e.id == entry_id:
            return i + 1, ordered[:i]
    raise KeyError(entry_id)


def explain(entry: QueueEntry, ahead: Sequence[QueueEntry], tier_note: str = "",
            phrasing: Phrasing = ENGLISH) -> str:
    """'Tier 2; 3 applicants ahead: 1 of tier 1, 2 of tier 2 who joined earlier.' A
    `tier_note` follows the tier ('Tier 1 since 29 Nov 2026 (changed by an admin: ...)').
    Worded by `phrasing` (English unless the caller passes the reader's language)."""
    _ = phrasing
    head = _("Tier %(tier)s%(note)s", tier=entry.tier, note=tier_note)
    if not ahead:
        return _("%(head)s; no one ahead: you are first in line.", head=head)
    by_tier: dict[int, int] = {}
    same_earlier = 0
    moved = 0
    for other in ahead:
        if other.tier < entry.tier:
            by_tier[other.tier] = by_tier.get(other.tier, 0) + 1
        elif other.tier == entry.tier and (other.joined_at, other.id) < (entry.joined_at, entry.id):
            same_earlier += 1
        else:
            moved += 1
    parts = [_("%(count)s of tier %(tier)s", count=n, tier=t) for t, n in sorted(by_tier.items())]
    if same_earlier:
        parts.append(_("%(count)s of tier %(tier)s who joined earlier", count=same_earlier, tier=entry.tier))
    if moved:
        parts.append(_("%(count)s placed ahead by a manager", count=moved))
    who = _.ngettext("%(head)s; %(num)s applicant ahead: %(parts)s", "%(head)s; %(num)s applicants ahead: %(parts)s",
                     len(ahead), head=head, parts=_(", ").join(parts))
    if entry.manual_rank is not None:
        return _("%(who)s; a manager set your place in the queue.", who=who)
    return _("%(who)s.", who=who)


def waiting_since(applied_at: datetime | None, now: datetime, earlier: datetime | None = None) -> datetime:
    """When a place in the queue starts counting: the application's time, or an explicit earlier
    date (for instance a place carried over from an older list), never later than `now`. An
    allocation round that cannot place an application does not restart the wait."""
    candidates = [t for t in (applied_at, earlier) if t is not None]
    return min(candidates + [now])
