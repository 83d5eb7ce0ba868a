"""One home at a time, in the pure core: which leases a stay would overlap, the sentence that
says so, and where a transfer ends the old lease."""
from __future__ import annotations

from datetime import date

from innocell.allocation.homes import Home, clash_message, clashes, transfer_ends

OLD = Home(lease_id=7, unit_code="03-01", start=date(2026, 6, 1), end=date(2027, 6, 1), unit_id=1)
LATER = Home(lease_id=9, unit_code="05-02", start=date(2027, 3, 1), end=date(2027, 9, 1), unit_id=2)


def test_a_stay_overlapping_a_lease_clashes_and_one_touching_it_does_not():
    assert clashes([OLD], date(2027, 5, 31), date(2027, 7, 1)) == [OLD]
    assert clashes([OLD], date(2027, 6, 1), date(2027, 7, 1)) == []  # moves in the day the old one ends
    assert clashes([OLD], date(2026, 5, 1), date(2026, 6, 1)) == []
    assert clashes([OLD], date(2027, 1, 1), date(2027, 1, 1)) == []  # no night asked for
    assert clashes([OLD, LATER], date(2027, 1, 1), date(2027, 12, 1)) == [OLD, LATER]  # first first
    assert clashes([LATER, OLD], date(2027, 1, 1), date(2027, 12, 1), ignore=frozenset({7})) == [LATER]


def test_the_sentence_names_the_lease_held_and_counts_the_rest():
    assert clash_message([OLD], date(2027, 1, 1), date(2028, 1, 1)) == (
        "You already hold a lease over some of 1 Jan 2027 to 1 Jan 2028: unit 03-01 from 1 Jun 2026 to "
        "1 Jun 2027 (lease 7). One person holds one home a night.")
    assert clash_message([OLD, LATER], date(2027, 1, 1), date(2028, 1, 1), whose="Rita Resident") == (
        "Rita Resident already holds a lease over some of 1 Jan 2027 to 1 Jan 2028: unit 03-01 from 1 Jun 2026 to "
        "1 Jun 2027 (lease 7) (and 1 more). One person holds one home a night.")


def test_a_transfer_ends_each_overlapping_lease_on_the_new_start_or_calls_off_a_later_one():
    assert transfer_ends([OLD, LATER], date(2027, 2, 1), date(2028, 2, 1)) == [
        (OLD, date(2027, 2, 1)), (LATER, date(2027, 3, 1))]
    assert transfer_ends([OLD], date(2027, 6, 1), date(2028, 6, 1)) == []
