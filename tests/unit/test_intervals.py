"""Half-open intervals: the overlap predicate, union and difference that conflicts, opening
hours and report figures are built on."""
from __future__ import annotations

from datetime import date

from innocell.allocation.intervals import merge, overlaps, subtract


def test_back_to_back_intervals_do_not_overlap():
    assert not overlaps(1, 3, 3, 5) and not overlaps(3, 5, 1, 3)
    assert overlaps(1, 3, 2, 5) and overlaps(2, 5, 1, 3)
    assert overlaps(1, 5, 2, 3) and overlaps(2, 3, 1, 5)  # one inside the other
    assert overlaps(date(2026, 1, 1), date(2026, 1, 3), date(2026, 1, 2), date(2026, 1, 4))


def test_three_or_more_overlapping_intervals_merge_into_one():
    assert merge([(1, 4), (3, 6), (5, 9)]) == [(1, 9)]  # a chain: each overlaps only the next
    assert merge([(5, 9), (1, 4), (3, 6)]) == [(1, 9)]  # in any order
    assert merge([(1, 10), (2, 3), (4, 5), (6, 7)]) == [(1, 10)]  # inside the first, which stays longest
    assert merge([(1, 4), (2, 3), (3, 8), (7, 9), (12, 13)]) == [(1, 9), (12, 13)]


def test_merge_joins_touching_intervals_and_drops_empty_ones():
    assert merge([(1, 2), (2, 3), (3, 4)]) == [(1, 4)]
    assert merge([(1, 2), (4, 5)]) == [(1, 2), (4, 5)]
    assert merge([(3, 3), (5, 4), (6, 7)]) == [(6, 7)]
    assert merge([]) == []
    assert merge([(4, 5), (4, 5)]) == [(4, 5)]


def test_subtract_cuts_holes_out_of_every_piece():
    assert subtract([(0, 10)], [(2, 3), (5, 7)]) == [(0, 2), (3, 5), (7, 10)]
    assert subtract([(0, 10)], [(5, 7), (2, 3)]) == [(0, 2), (3, 5), (7, 10)]  # holes in any order
    assert subtract([(0, 10)], [(2, 5), (4, 7)]) == [(0, 2), (7, 10)]  # overlapping holes
    assert subtract([(0, 10)], [(0, 2), (8, 10)]) == [(2, 8)]  # holes at both edges
    assert subtract([(0, 10)], [(-5, 15)]) == []
    assert subtract([(0, 4), (6, 10)], [(3, 7)]) == [(0, 3), (7, 10)]
    assert subtract([(0, 4), (6, 10)], [(4, 6)]) == [(0, 4), (6, 10)]  # a hole only between the pieces
    assert subtract([(0, 4), (2, 6)], []) == [(0, 6)]
    assert subtract([(0, 4), (10, 12)], [(5, 6), (11, 20)]) == [(0, 4), (10, 11)]
    assert subtract([(0, 10)], [(0, 10)]) == []
    assert subtract([(0, 10)], [(3, 3)]) == [(0, 10)]
