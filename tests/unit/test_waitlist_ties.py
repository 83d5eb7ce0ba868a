"""Waitlist ties and a manager's moves at the edges: equal tiers and join times, a move to a
value another entry already has, positions outside the queue, and the sentence for each kind of
entry ahead."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from innocell.allocation.waitlist import (
    QueueEntry,
    explain,
    natural_value,
    order,
    position_of,
    rank_for_position,
    renumbered,
)

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def e(id, tier, minutes, rank=None):
    return QueueEntry(id=id, tier=tier, joined_at=T0 + timedelta(minutes=minutes), manual_rank=rank)


def ids(entries):
    return [x.id for x in order(entries)]


def test_equal_tier_and_time_go_by_id():
    assert ids([e(9, 2, 0), e(3, 2, 0), e(5, 2, 0)]) == [3, 5, 9]
    assert ids([e(1, 2, 1), e(2, 1, 500_000), e(3, 2, 0)]) == [2, 3, 1]  # a year later, still ahead by tier


def test_a_moved_entry_level_with_another_is_ordered_by_tier_then_time_then_id():
    value = natural_value(2, T0)
    assert ids([e(1, 2, 0), e(2, 3, 0, rank=value)]) == [1, 2]
    assert ids([e(1, 2, 0), e(2, 1, 0, rank=value)]) == [2, 1]
    assert ids([e(1, 2, 0), e(2, 2, -5, rank=value)]) == [2, 1]
    assert ids([e(4, 2, 0), e(2, 2, 0, rank=value)]) == [2, 4]
    assert ids([e(1, 3, 0, rank=0.0), e(2, 1, 0)]) == [1, 2]  # a rank of zero is a rank


def test_moves_to_the_front_the_back_and_out_of_range_positions():
    entries = [e(1, 1, 0), e(2, 2, 0), e(3, 3, 0)]
    front = rank_for_position(entries, 3, 1)
    assert front == natural_value(1, T0) - 1.0
    assert rank_for_position(entries, 3, 0) == front and rank_for_position(entries, 3, -4) == front
    back = rank_for_position(entries, 1, 3)
    assert back == natural_value(3, T0) + 1.0 and rank_for_position(entries, 1, 50) == back
    middle = rank_for_position(entries, 1, 2)
    assert middle == (natural_value(2, T0) + natural_value(3, T0)) / 2
    moved = [e(1, 1, 0, rank=middle), entries[1], entries[2]]
    assert ids(moved) == [2, 1, 3]
    assert position_of(moved, 1) == (2, [entries[1]])


def test_alone_in_the_queue_an_entry_keeps_its_value():
    assert rank_for_position([e(1, 2, 30)], 1, 1) == natural_value(2, T0 + timedelta(minutes=30))
    assert rank_for_position([e(1, 2, 30, rank=7.5)], 1, 4) == 7.5


def test_when_no_value_is_left_between_neighbours_the_queue_is_renumbered():
    tight = [e(1, 1, 0, rank=1.0), e(2, 1, 0, rank=math.nextafter(1.0, 2.0)), e(3, 1, 0)]
    with pytest.raises(ValueError, match="^no room between neighbours$"):
        rank_for_position(tight, 3, 2)
    # The midpoint of two neighbouring values rounds to one of them, either way.
    up = math.nextafter(1.0, 2.0)
    tight_up = [e(1, 1, 0, rank=up), e(2, 1, 0, rank=math.nextafter(up, 2.0)), e(3, 1, 0)]
    with pytest.raises(ValueError, match="^no room between neighbours$"):
        rank_for_position(tight_up, 3, 2)
    # Renumbered in the natural order's own space: the first keeps its natural value, each next
    # one second later, so a midpoint exists between any two again.
    ranks = renumbered(order(tight))
    base = natural_value(1, tight[0].joined_at)
    assert ranks == {1: base, 2: base + 1.0, 3: base + 2.0}
    assert rank_for_position([e(i, 1, 0, rank=ranks[i]) for i in (1, 2)] + [e(3, 1, 0, rank=ranks[3])], 3, 2) \
        == base + 0.5
    assert renumbered([]) == {}


def test_position_of_someone_not_in_the_queue_is_an_error():
    with pytest.raises(KeyError) as err:
        position_of([e(1, 1, 0)], 2)
    assert err.value.args == (2,)
    assert position_of([e(1, 1, 0), e(2, 1, 5), e(3, 1, 10)], 3) == (3, [e(1, 1, 0), e(2, 1, 5)])


def test_the_explanation_names_every_kind_of_entry_ahead():
    me = e(10, 3, 60)
    ahead = [e(1, 1, 90), e(2, 1, 99), e(3, 2, 0), e(4, 3, 0), e(5, 3, 60), e(11, 3, 60, rank=1.0),
             e(12, 4, 0, rank=2.0)]
    assert explain(me, ahead) == ("Tier 3; 7 applicants ahead: 2 of tier 1, 1 of tier 2, 2 of tier 3 who joined "
                                  "earlier, 2 placed ahead by a manager.")
    assert explain(me, [e(11, 3, 60, rank=1.0)]) == "Tier 3; 1 applicant ahead: 1 placed ahead by a manager."
    assert explain(me, [e(4, 3, 0)]) == "Tier 3; 1 applicant ahead: 1 of tier 3 who joined earlier."
    moved = e(10, 3, 60, rank=5.0)
    assert explain(moved, []) == "Tier 3; no one ahead: you are first in line."
    assert explain(moved, [e(1, 2, 0), e(2, 2, 1)]) == (
        "Tier 3; 2 applicants ahead: 2 of tier 2; a manager set your place in the queue.")
