"""Waitlist order (tier, then time joined, then id; a manager's move kept) and the sentence
that explains a resident's place."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from innocell.allocation.waitlist import QueueEntry, explain, order, position_of, rank_for_position, renumbered

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def e(id, tier, minutes, rank=None):
    return QueueEntry(id=id, tier=tier, joined_at=T0 + timedelta(minutes=minutes), manual_rank=rank)


def test_tier_first_then_time_joined_then_id():
    entries = [e(1, 3, 0), e(2, 1, 50), e(3, 2, 10), e(4, 2, 5), e(5, 2, 5)]
    assert [x.id for x in order(entries)] == [2, 4, 5, 3, 1]


def test_explanation_counts_who_is_ahead_and_why():
    entries = [e(1, 1, 100), e(2, 2, 0), e(3, 2, 10), e(4, 2, 20), e(5, 3, 0)]
    position, ahead = position_of(entries, 4)
    assert position == 4
    assert explain(e(4, 2, 20), ahead) == "Tier 2; 3 applicants ahead: 1 of tier 1, 2 of tier 2 who joined earlier."
    position, ahead = position_of(entries, 1)
    assert (position, ahead) == (1, [])
    assert explain(e(1, 1, 100), ahead) == "Tier 1; no one ahead: you are first in line."
    _, ahead = position_of(entries, 2)
    assert explain(e(2, 2, 0), ahead) == "Tier 2; 1 applicant ahead: 1 of tier 1."


def test_moving_an_entry_puts_it_exactly_there_and_explains_it():
    entries = [e(1, 1, 0), e(2, 2, 0), e(3, 3, 0), e(4, 3, 10)]
    moved = e(4, 3, 10, rank_for_position(entries, 4, 2))
    entries = [x if x.id != 4 else moved for x in entries]
    assert [x.id for x in order(entries)] == [1, 4, 2, 3]
    _, ahead = position_of(entries, 2)
    assert explain(entries[1], ahead) == "Tier 2; 2 applicants ahead: 1 of tier 1, 1 placed ahead by a manager."
    _, ahead = position_of(entries, 4)
    assert explain(moved, ahead) == "Tier 3; 1 applicant ahead: 1 of tier 1; a manager set your place in the queue."


def test_a_moved_entry_keeps_its_place_when_others_leave_and_newcomers_slot_in_by_tier():
    entries = [e(1, 1, 0), e(2, 2, 0), e(3, 3, 0)]
    moved = e(3, 3, 0, rank_for_position(entries, 3, 1))
    entries = [entries[0], entries[1], moved]
    assert [x.id for x in order(entries)] == [3, 1, 2]
    # Entry 1 is housed; a tier-1 newcomer joins later: still after the manager's pick.
    entries = [moved, entries[1], e(9, 1, 500)]
    assert [x.id for x in order(entries)] == [3, 9, 2]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(0, 1000)), min_size=1, max_size=12),
       st.data())
def test_any_move_lands_at_the_asked_position_and_keeps_the_others_in_order(spec, data):
    entries = [e(i + 1, tier, minutes) for i, (tier, minutes) in enumerate(spec)]
    # apply a few moves in a row
    for _ in range(data.draw(st.integers(1, 4))):
        target = data.draw(st.sampled_from([x.id for x in entries]))
        new_position = data.draw(st.integers(1, len(entries)))
        before = [x.id for x in order(entries) if x.id != target]
        try:
            rank = rank_for_position(entries, target, new_position)
            entries = [QueueEntry(x.id, x.tier, x.joined_at, rank) if x.id == target else x for x in entries]
        except ValueError:
            wanted = list(before)
            wanted.insert(new_position - 1, target)
            ranks = renumbered([next(x for x in entries if x.id == i) for i in wanted])
            entries = [QueueEntry(x.id, x.tier, x.joined_at, ranks[x.id]) for x in entries]
        ids = [x.id for x in order(entries)]
        assert ids.index(target) == new_position - 1
        assert [i for i in ids if i != target] == before


def test_position_beyond_the_end_means_last():
    entries = [e(1, 1, 0), e(2, 1, 1)]
    rank = rank_for_position(entries, 1, 99)
    entries = [QueueEntry(1, 1, entries[0].joined_at, rank), entries[1]]
    assert [x.id for x in order(entries)] == [2, 1]


def test_renumbering_entries_that_joined_together_keeps_the_order_and_the_tiers_meaning():
    """Three joined at the same instant (ties leave no midpoint). After a renumbering, an entry
    whose tier later rises to 1 (its manual rank cleared) goes first, as its tier says."""
    same = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    first, second, third = QueueEntry(1, 2, same), QueueEntry(2, 2, same), QueueEntry(3, 3, same)
    ranks = renumbered([first, third, second])  # a manager put the third second
    assert ranks[1] < ranks[3] < ranks[2]
    ranked = [QueueEntry(e.id, e.tier, e.joined_at, ranks[e.id]) for e in (first, second)]
    promoted = QueueEntry(3, 1, same)  # tier 1 now, manual place cleared
    assert [e.id for e in order(ranked + [promoted])] == [3, 1, 2]
