"""The allocation round optimiser: optimal (against brute force), never worse than first come
first served, deterministic, respecting every fit rule, and explaining every refusal."""
from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from innocell.allocation.rounds import (
    Applicant,
    CandidateUnit,
    Weights,
    first_come_first_served,
    fits,
    solve_round,
    weight,
)

BASE = date(2027, 3, 1)
W = Weights(tier=1000, preference=100, wait_day=1)


def d(offset: int) -> date:
    return BASE + timedelta(days=offset)


@st.composite
def instances(draw, max_apps=5, max_units=4):
    types = ["solo", "twin"]
    n_units = draw(st.integers(0, max_units))
    units = []
    for uid in range(1, n_units + 1):
        busy = []
        for _ in range(draw(st.integers(0, 2))):
            s = draw(st.integers(-30, 90))
            busy.append((d(s), d(s + draw(st.integers(1, 60)))))
        units.append(CandidateUnit(id=uid * 10, unit_type=draw(st.sampled_from(types)), busy=tuple(busy),
                                   occupancy=draw(st.sampled_from([None, 1, 2]))))
    n_apps = draw(st.integers(0, max_apps))
    apps = []
    for aid in range(1, n_apps + 1):
        start = draw(st.integers(0, 60))
        prefs = draw(st.lists(st.sampled_from([u.id for u in units]), unique=True, max_size=3)) if units else []
        apps.append(Applicant(id=aid, tier=draw(st.integers(1, 3)), unit_type=draw(st.sampled_from(types)),
                              move_in=d(start), end=d(start + draw(st.integers(1, 120))),
                              preferred_unit_ids=tuple(prefs), waited_days=draw(st.integers(0, 400)),
                              occupants=draw(st.integers(1, 2))))
    return apps, units


def brute_force_best(apps, units) -> float:
    """Try every way of giving each application one unit or none."""
    lowest = max((a.tier for a in apps), default=1)
    options = []
    for app in apps:
        options.append([None] + [u for u in units if fits(app, u)])
    best = 0.0
    for choice in itertools.product(*options):
        used = [u.id for u in choice if u is not None]
        if len(used) != len(set(used)):
            continue
        total = sum(weight(app, u, W, lowest) for app, u in zip(apps, choice) if u is not None)
        best = max(best, total)
    return best


def assert_valid(result, apps, units):
    by_app = {a.id: a for a in apps}
    by_unit = {u.id: u for u in units}
    unit_ids = [a.unit_id for a in result.assignments]
    assert len(unit_ids) == len(set(unit_ids)), "a unit was given twice"
    placed = [a.application_id for a in result.assignments]
    assert len(placed) == len(set(placed)), "an application was placed twice"
    for a in result.assignments:
        assert fits(by_app[a.application_id], by_unit[a.unit_id])
        assert (a.start, a.end) == (by_app[a.application_id].move_in, by_app[a.application_id].end)
    assert set(placed) | {u.application_id for u in result.unassigned} == set(by_app)
    assert not set(placed) & {u.application_id for u in result.unassigned}
    for u in result.unassigned:
        assert u.reason and u.reason.endswith(".") and len(u.reason) > 20


@settings(max_examples=150, deadline=None)
@given(instances())
def test_round_is_optimal_against_brute_force(instance):
    apps, units = instance
    result = solve_round(apps, units, W)
    assert_valid(result, apps, units)
    assert abs(result.score - brute_force_best(apps, units)) < 1e-6


@settings(max_examples=150, deadline=None)
@given(instances(max_apps=7, max_units=6), st.randoms(use_true_random=False))
def test_round_never_worse_than_first_come_first_served(instance, rnd):
    apps, units = instance
    result = solve_round(apps, units, W)
    order = [a.id for a in apps]
    rnd.shuffle(order)
    fcfs = first_come_first_served(apps, units, W, order=order)
    assert result.score >= fcfs.score - 1e-6
    # A placement is worth at least one tier step, so the round also houses at least as many.
    assert len(result.assignments) >= len(fcfs.assignments)


@settings(max_examples=80, deadline=None)
@given(instances(max_apps=7, max_units=6), st.randoms(use_true_random=False))
def test_same_inputs_same_round_whatever_the_order(instance, rnd):
    apps, units = instance
    first = solve_round(apps, units, W)
    shuffled_apps, shuffled_units = list(apps), list(units)
    rnd.shuffle(shuffled_apps)
    rnd.shuffle(shuffled_units)
    assert solve_round(shuffled_apps, shuffled_units, W) == first


def test_ties_go_to_the_earlier_applications():
    units = [CandidateUnit(5, "solo"), CandidateUnit(6, "solo")]
    apps = [Applicant(i, 2, "solo", d(0), d(10)) for i in (9, 3, 7, 4)]
    result = solve_round(apps, units, W)
    assert sorted(a.application_id for a in result.assignments) == [3, 4]
    assert result.score == 2 * 1000  # the tie-break never shows in the weights
    assert all(u.reason.endswith("2 of the same tier who applied earlier.") for u in result.unassigned)


def test_optimal_round_beats_first_come_first_served_on_a_classic_case():
    # The early applicant can live in either unit; the later one only fits unit 1.
    # First come first served gives unit 1 (the first's preference) away and houses one.
    units = [CandidateUnit(1, "solo"), CandidateUnit(2, "solo", busy=((d(100), d(200)),))]
    apps = [Applicant(1, 3, "solo", d(0), d(30), preferred_unit_ids=(1,)),
            Applicant(2, 3, "solo", d(0), d(150))]
    fcfs = first_come_first_served(apps, units, W)
    result = solve_round(apps, units, W)
    assert len(fcfs.assignments) == 1
    assert {(a.application_id, a.unit_id) for a in result.assignments} == {(1, 2), (2, 1)}
    assert result.unassigned == ()


def test_higher_tier_wins_the_last_unit_and_the_reason_says_so():
    units = [CandidateUnit(1, "twin")]
    apps = [Applicant(1, 3, "twin", d(0), d(365), waited_days=300, term_label="12 months"),
            Applicant(2, 1, "twin", d(0), d(365), term_label="12 months")]
    result = solve_round(apps, units, W)
    assert [(a.application_id, a.unit_id) for a in result.assignments] == [(2, 1)]
    assert result.unassigned[0].application_id == 1
    assert result.unassigned[0].reason == (
        "The only twin unit free from 1 Mar 2027 for 12 months went to applicants placed first: "
        "1 of a higher tier.")


def test_reason_when_no_unit_is_free_names_the_dates_and_the_earliest_alternative():
    units = [CandidateUnit(1, "twin", busy=((d(-10), d(40)),)), CandidateUnit(2, "twin", busy=((d(-5), d(20)),))]
    apps = [Applicant(7, 2, "twin", d(0), d(30), term_label="1 month")]
    result = solve_round(apps, units, W)
    assert result.assignments == ()
    assert result.unassigned[0].reason == (
        "No twin unit is free from 1 Mar 2027 for 1 month; the earliest a twin unit is free for that long "
        "is from 21 Mar 2027.")


def test_reasons_for_missing_type_and_too_many_occupants():
    units = [CandidateUnit(1, "solo", occupancy=1)]
    apps = [Applicant(1, 2, "suite", d(0), d(10)), Applicant(2, 2, "solo", d(0), d(10), occupants=2)]
    reasons = {u.application_id: u.reason for u in solve_round(apps, units, W).unassigned}
    assert reasons[1] == "There are no suite units to offer."
    assert reasons[2] == "No solo unit has room for 2 occupants; the largest takes 1."


def test_half_open_stays_fit_back_to_back():
    unit = CandidateUnit(1, "solo", busy=((d(-30), d(0)), (d(30), d(60))))
    assert fits(Applicant(1, 1, "solo", d(0), d(30)), unit)
    assert not fits(Applicant(2, 1, "solo", d(0), d(31)), unit)
    assert not fits(Applicant(3, 1, "solo", d(-1), d(30)), unit)


def test_preference_decides_between_equal_applicants_and_wait_between_equal_tiers():
    units = [CandidateUnit(1, "solo"), CandidateUnit(2, "solo")]
    apps = [Applicant(1, 2, "solo", d(0), d(10), preferred_unit_ids=(2, 1)),
            Applicant(2, 2, "solo", d(0), d(10), preferred_unit_ids=(1,))]
    pairs = {(a.application_id, a.unit_id) for a in solve_round(apps, units, W).assignments}
    assert pairs == {(1, 2), (2, 1)}
    # One unit, same tier: the one who waited longer gets it.
    apps = [Applicant(1, 2, "solo", d(0), d(10), waited_days=3), Applicant(2, 2, "solo", d(0), d(10), waited_days=9)]
    result = solve_round(apps, units[:1], W)
    assert [a.application_id for a in result.assignments] == [2]
    assert "1 of the same tier who waited longer" in result.unassigned[0].reason


def test_a_preference_never_costs_someone_a_home():
    # Applicant 1 prefers unit 1, the only unit applicant 2 fits; both must be housed.
    units = [CandidateUnit(1, "solo"), CandidateUnit(2, "solo", busy=((d(5), d(6)),))]
    apps = [Applicant(1, 3, "solo", d(0), d(3), preferred_unit_ids=(1,)), Applicant(2, 3, "solo", d(0), d(10))]
    result = solve_round(apps, units, W)
    assert {(a.application_id, a.unit_id) for a in result.assignments} == {(1, 2), (2, 1)}


def test_larger_round_is_fast_enough_and_valid():
    rng = random.Random(7)
    units = [CandidateUnit(i, rng.choice(["solo", "twin", "suite"]),
                           busy=((d(rng.randint(-60, 60)), d(rng.randint(61, 200))),) if rng.random() < 0.6 else ())
             for i in range(1, 512)]
    apps = [Applicant(i, rng.randint(1, 3), rng.choice(["solo", "twin", "suite", "powerhub"]), d(rng.randint(0, 90)),
                      d(rng.randint(91, 400)), waited_days=rng.randint(0, 100)) for i in range(1, 400)]
    result = solve_round(apps, units, W)
    assert_valid(result, apps, units)
    fcfs = first_come_first_served(apps, units, W)
    assert result.score >= fcfs.score
