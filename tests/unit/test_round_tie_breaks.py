"""The allocation round's tie-breaks, published weights and every kind of refusal sentence,
by example (the optimality and order-independence are property tests in test_rounds.py)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from innocell.allocation.rounds import (
    Applicant,
    CandidateUnit,
    Weights,
    first_come_first_served,
    lowest_tier_of,
    solve_round,
    weight,
)

BASE = date(2027, 3, 1)
W = Weights(tier=1000, preference=100, wait_day=1)


def d(offset: int) -> date:
    return BASE + timedelta(days=offset)


def placed(result):
    return [(a.application_id, a.unit_id) for a in result.assignments]


def test_the_published_weight_of_a_placement():
    unit = CandidateUnit(7, "solo")
    app = Applicant(1, 1, "solo", d(0), d(10), preferred_unit_ids=(3, 7), waited_days=12)
    assert weight(app, unit, W, lowest_tier=3) == 3 * 1000 + 100 / 2 + 12
    assert weight(app, CandidateUnit(3, "solo"), W, lowest_tier=1) == 1000 + 100 + 12
    assert weight(app, CandidateUnit(9, "solo"), W, lowest_tier=1) == 1000 + 12
    late = Applicant(2, 3, "solo", d(0), d(10), waited_days=-4)  # a clock oddity never lowers the weight
    assert weight(late, unit, Weights(tier=10, preference=0, wait_day=2), lowest_tier=3) == 10
    assert lowest_tier_of([Applicant(1, 2, "solo", d(0), d(1)), Applicant(2, 4, "solo", d(0), d(1))]) == 4
    assert lowest_tier_of([]) == 1


def test_the_round_reports_its_weights_score_and_lowest_tier():
    units = [CandidateUnit(1, "solo"), CandidateUnit(2, "twin")]
    apps = [Applicant(1, 1, "solo", d(0), d(30), preferred_unit_ids=(1,), waited_days=5),
            Applicant(2, 2, "twin", d(3), d(33))]
    result = solve_round(apps, units, W)
    assert [(a.application_id, a.unit_id, a.start, a.end, a.weight) for a in result.assignments] == [
        (1, 1, d(0), d(30), 2105.0), (2, 2, d(3), d(33), 1000.0)]
    assert (result.score, result.lowest_tier, result.unassigned) == (3105.0, 2, ())


def test_equal_applicants_one_unit_the_lowest_id_wins_whatever_the_input_order():
    unit = [CandidateUnit(4, "solo")]
    apps = [Applicant(i, 2, "solo", d(0), d(10)) for i in (8, 2, 5)]
    for ordering in (apps, apps[::-1], [apps[1], apps[0], apps[2]]):
        result = solve_round(ordering, unit, W)
        assert placed(result) == [(2, 4)]
        assert [u.application_id for u in result.unassigned] == [5, 8]
    assert result.score == 1000.0


def test_equal_units_go_in_id_order_to_equal_applicants():
    units = [CandidateUnit(9, "solo"), CandidateUnit(3, "solo"), CandidateUnit(6, "solo")]
    apps = [Applicant(5, 1, "solo", d(0), d(10)), Applicant(1, 1, "solo", d(0), d(10))]
    result = solve_round(apps, units, W)
    assert sorted(u for _, u in placed(result)) in ([3, 6], [3, 9], [6, 9])  # any two; the score is what counts
    assert result.score == 2000.0
    fcfs = first_come_first_served(apps, units, W)
    assert placed(fcfs) == [(1, 3), (5, 6)]  # first come takes the lowest unit id among equals


def test_first_come_first_served_follows_the_given_order():
    units = [CandidateUnit(1, "solo")]
    apps = [Applicant(1, 1, "solo", d(0), d(10)), Applicant(2, 3, "solo", d(0), d(10))]
    fcfs = first_come_first_served(apps, units, W, order=[2, 1])
    assert placed(fcfs) == [(2, 1)]
    assert [(u.application_id, u.reason) for u in fcfs.unassigned] == [(1, "not placed first come, first served")]
    assert fcfs.score == 1000.0 and fcfs.lowest_tier == 3
    assert placed(first_come_first_served(apps, units, W)) == [(1, 1)]
    best = first_come_first_served([Applicant(1, 1, "solo", d(0), d(10), preferred_unit_ids=(2,))],
                                   [CandidateUnit(1, "solo"), CandidateUnit(2, "solo")], W)
    assert placed(best) == [(1, 2)]


def test_first_come_first_served_skips_who_fits_nothing_and_records_the_stay():
    units = [CandidateUnit(1, "solo"), CandidateUnit(2, "solo"), CandidateUnit(3, "solo")]
    apps = [Applicant(1, 1, "suite", d(0), d(10)), Applicant(2, 1, "solo", d(4), d(9), preferred_unit_ids=(9, 8, 3))]
    fcfs = first_come_first_served(apps, units, W)
    assert [(a.application_id, a.unit_id, a.start, a.end) for a in fcfs.assignments] == [(2, 3, d(4), d(9))]
    assert fcfs.score == round(1000 + 100 / 3, 6) == 1033.333333
    assert solve_round(apps, units, W).score == 1033.333333


def test_ids_must_be_unique():
    with pytest.raises(ValueError, match="^application ids must be unique$"):
        solve_round([Applicant(1, 1, "solo", d(0), d(1)), Applicant(1, 2, "solo", d(0), d(1))], [], W)
    with pytest.raises(ValueError, match="^unit ids must be unique$"):
        first_come_first_served([], [CandidateUnit(1, "solo"), CandidateUnit(1, "twin")], W)


def test_units_of_a_type_nobody_asked_for_are_left_alone():
    result = solve_round([Applicant(1, 1, "solo", d(0), d(5))], [CandidateUnit(1, "suite"), CandidateUnit(2, "solo")],
                         W)
    assert placed(result) == [(1, 2)]
    assert solve_round([], [CandidateUnit(1, "solo")], W).assignments == ()
    nobody = solve_round([Applicant(1, 1, "solo", d(0), d(5))], [CandidateUnit(1, "suite")], W)
    assert nobody.assignments == () and nobody.score == 0


def test_a_unit_busy_for_a_stay_is_not_given_even_if_it_is_the_only_one():
    unit = CandidateUnit(1, "solo", busy=((d(5), d(6)),), occupancy=2)
    result = solve_round([Applicant(1, 1, "solo", d(0), d(10)), Applicant(2, 1, "solo", d(6), d(10), occupants=2),
                          Applicant(3, 1, "solo", d(0), d(5), occupants=3)], [unit], W)
    assert placed(result) == [(2, 1)]


def test_each_reason_names_who_was_placed_first():
    units = [CandidateUnit(1, "solo"), CandidateUnit(2, "solo", busy=((d(20), d(40)),))]
    apps = [Applicant(1, 1, "solo", d(0), d(10)),  # higher tier
            Applicant(2, 2, "solo", d(0), d(10), waited_days=50),
            Applicant(3, 2, "solo", d(0), d(10), waited_days=30, term_label="10 days")]
    reasons = {u.application_id: u.reason for u in solve_round(apps, units, W).unassigned}
    assert reasons == {3: "All 2 solo units free from 1 Mar 2027 for 10 days went to applicants placed first: "
                          "1 of a higher tier and 1 of the same tier who waited longer."}
    # Same tier and wait: the earlier application wins; a preference can also decide.
    apps = [Applicant(4, 2, "solo", d(0), d(1)), Applicant(5, 2, "solo", d(0), d(1)),
            Applicant(6, 2, "solo", d(0), d(1), preferred_unit_ids=(1,)), Applicant(9, 3, "solo", d(0), d(1))]
    result = solve_round(apps, units, W)
    assert placed(result) == [(4, 2), (6, 1)]
    reasons = {u.application_id: u.reason for u in result.unassigned}
    assert reasons[5] == ("All 2 solo units free from 1 Mar 2027 for 1 night went to applicants placed first: "
                          "1 of the same tier who applied earlier and 1 of the same tier whose placement scored "
                          "higher overall.")
    assert reasons[9].endswith("went to applicants placed first: 2 of a higher tier.")


def test_a_reason_with_three_kinds_of_rival_lists_them_all():
    units = [CandidateUnit(1, "solo"), CandidateUnit(2, "solo"), CandidateUnit(3, "solo")]
    apps = [Applicant(1, 1, "solo", d(0), d(5)), Applicant(2, 2, "solo", d(0), d(5), waited_days=9),
            Applicant(3, 2, "solo", d(0), d(5), waited_days=4), Applicant(4, 2, "solo", d(0), d(5), waited_days=4)]
    reason = solve_round(apps, units, W).unassigned[0].reason
    assert reason == ("All 3 solo units free from 1 Mar 2027 for 5 nights went to applicants placed first: "
                      "1 of a higher tier, 1 of the same tier who waited longer and 1 of the same tier who applied "
                      "earlier.")


def test_a_day_of_waiting_outweighs_the_tie_break_in_a_large_round():
    weights = Weights(tier=1000, preference=100, wait_day=0.001)
    apps = [Applicant(1, 2, "solo", d(0), d(5))] + [Applicant(i, 2, "suite", d(0), d(5)) for i in range(2, 30)]
    apps.append(Applicant(30, 2, "solo", d(0), d(5), waited_days=1))
    assert placed(solve_round(apps, [CandidateUnit(1, "solo")], weights)) == [(30, 1)]


def test_a_unit_for_nobody_is_named_as_taking_no_one():
    reason = solve_round([Applicant(1, 1, "solo", d(0), d(5))], [CandidateUnit(1, "solo", occupancy=0)], W)
    assert reason.unassigned[0].reason == "No solo unit has room for 1 occupant; the largest takes 0."


def test_the_reason_counts_lower_tiers_placed_by_preference():
    # With a small tier step, a strong preference can outweigh a tier.
    weights = Weights(tier=10, preference=100, wait_day=0)
    apps = [Applicant(1, 1, "solo", d(0), d(30)), Applicant(2, 2, "solo", d(0), d(30), preferred_unit_ids=(1,))]
    result = solve_round(apps, [CandidateUnit(1, "solo")], weights)
    assert placed(result) == [(2, 1)]
    assert result.unassigned[0].reason == ("The only solo unit free from 1 Mar 2027 for 30 nights went to applicants "
                                           "placed first: 1 of a lower tier who fit no other unit.")


def test_reasons_when_no_unit_is_ever_free_or_has_room():
    units = [CandidateUnit(1, "twin", busy=((d(-10), d(400)),), occupancy=2),
             CandidateUnit(2, "twin", occupancy=1)]
    apps = [Applicant(1, 1, "twin", d(0), d(30), occupants=2), Applicant(2, 1, "twin", d(0), d(30), occupants=3)]
    reasons = {u.application_id: u.reason for u in solve_round(apps, units, W).unassigned}
    assert reasons[1] == ("No twin unit is free from 1 Mar 2027 for 30 nights; the earliest a twin unit is free for "
                          "that long is from 4 Apr 2028.")
    assert reasons[2] == "No twin unit has room for 3 occupants; the largest takes 2."
    forever = [CandidateUnit(1, "solo", busy=((d(-1), date.max),))]
    reason = solve_round([Applicant(1, 1, "solo", d(0), d(1))], forever, W).unassigned[0].reason
    assert reason == "No solo unit is free from 1 Mar 2027 for 1 night."
    # A unit taken for ever does not hide a later chance in another unit.
    forever_and_later = forever + [CandidateUnit(2, "solo", busy=((d(-1), d(40)),))]
    reason = solve_round([Applicant(1, 1, "solo", d(0), d(1))], forever_and_later, W).unassigned[0].reason
    assert reason.endswith("the earliest a solo unit is free for that long is from 10 Apr 2027.")
    unlimited = [CandidateUnit(1, "solo", busy=((d(0), d(3)),)), CandidateUnit(2, "solo", busy=((d(0), d(2)),)),
                 CandidateUnit(3, "solo", occupancy=1, busy=((d(0), d(1)),))]
    reason = solve_round([Applicant(1, 1, "solo", d(0), d(2), occupants=2)], unlimited, W).unassigned[0].reason
    assert reason.endswith("the earliest a solo unit is free for that long is from 3 Mar 2027.")
    one_room = [CandidateUnit(1, "solo", occupancy=1), CandidateUnit(2, "solo")]
    reason = solve_round([Applicant(1, 1, "solo", d(0), d(2), occupants=1)] * 1, one_room, W).unassigned
    assert reason == ()
    no_room = [CandidateUnit(1, "solo", occupancy=1), CandidateUnit(2, "solo", occupancy=None, busy=((d(-1), d(9)),))]
    text = solve_round([Applicant(1, 1, "solo", d(0), d(2), occupants=2)], no_room, W).unassigned[0].reason
    assert text.startswith("No solo unit is free from 1 Mar 2027 for 2 nights; the earliest")
