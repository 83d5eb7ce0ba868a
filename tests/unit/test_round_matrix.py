"""The round's NumPy matrix, its per-type solve and its reasons give what the straightforward
unit-by-unit computation gives (the code path before benchmark 4 made them fast): every matrix
entry bit for bit, the same optimum and placements, the same sentence for everyone left out."""
from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from innocell.allocation import rounds
from innocell.allocation.rounds import TIE_BREAK, Applicant, CandidateUnit, Weights, explain_unassigned, fits, weight

BASE = date(2027, 3, 1)
TYPES = ("solo", "twin", "suite", "powerhub")


def random_case(seed: int, n_apps: int, n_units: int):
    """Crowded on purpose: busy intervals that touch and overlap, units without a limit,
    suites never free for two or too small for three, preferences naming units of other types or twice, a type nobody offers."""
    rnd = random.Random(seed)
    units = []
    for uid in rnd.sample(range(1, 10 * n_units), n_units):
        busy = []
        for _ in range(rnd.randint(0, 4)):
            s = rnd.randint(-60, 200)
            busy.append((BASE + timedelta(days=s), BASE + timedelta(days=s + rnd.choice((1, 30, 90, 180)))))
        if busy and rnd.random() < 0.2:  # back to back with the first
            busy.append((busy[0][1], busy[0][1] + timedelta(days=rnd.randint(1, 40))))
        kind = rnd.choice(TYPES[:3])
        if kind == "suite":  # small and crowded: the ones for two are let for good
            occupancy = rnd.choice((1, 2))
            busy.append((BASE - timedelta(days=10), date.max if occupancy == 2
                         else BASE + timedelta(days=rnd.randint(100, 400))))
        else:
            occupancy = rnd.choice((None, 1, 2, 3))
        units.append(CandidateUnit(uid, kind, tuple(busy), occupancy))
    ids = [u.id for u in units]
    apps = []
    for aid in rnd.sample(range(1, 10 * n_apps), n_apps):
        start = rnd.randint(0, 120)
        prefs = [rnd.choice(ids) for _ in range(rnd.randint(0, 4))]
        apps.append(Applicant(aid, rnd.randint(1, 4), rnd.choice(TYPES), BASE + timedelta(days=start),
                              BASE + timedelta(days=start + rnd.choice((1, 7, 30, 182, 365))),
                              preferred_unit_ids=tuple(prefs), waited_days=rnd.choice((-3, 0, 5, 5, 40, 400)),
                              occupants=rnd.choice((1, 1, 2, 3, 4))))
    return apps, units


def per_pair(apps, cols, weights):
    """The matrix as it was built: one pair at a time with `fits` and `weight`."""
    apps = sorted(apps, key=lambda a: a.id)
    lowest = rounds.lowest_tier_of(apps)
    n = len(apps)
    matrix = np.zeros((n, len(cols)))
    feasible = np.zeros((n, len(cols)), dtype=bool)
    for i, app in enumerate(apps):
        bonus = TIE_BREAK * (n - i) / (n * n)
        for j, unit in enumerate(cols):
            if fits(app, unit):
                feasible[i, j] = True
                matrix[i, j] = weight(app, unit, weights, lowest) + bonus
    return matrix, feasible


@pytest.mark.parametrize("weights", [Weights(), Weights(tier=1000, preference=100, wait_day=1),
                                     Weights(tier=7.5, preference=33.3, wait_day=0.01)])
def test_the_vectorised_matrix_equals_the_pair_by_pair_one_bit_for_bit(weights):
    apps, units = random_case(5, 400, 150)
    apps, units = sorted(apps, key=lambda a: a.id), sorted(units, key=lambda u: u.id)
    cols = [u for u in units if u.unit_type in {a.unit_type for a in apps}]
    matrix, feasible = rounds._matrix(apps, cols, weights, rounds.lowest_tier_of(apps))
    expected_matrix, expected_feasible = per_pair(apps, cols, weights)
    assert feasible.sum() > 1000 and (~feasible).sum() > 1000  # the case has both kinds of pair
    assert np.array_equal(feasible, expected_feasible)
    assert np.array_equal(matrix, expected_matrix)  # exact: same operations in the same order


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_round_places_exactly_as_the_pair_by_pair_matrix_solved_whole(seed):
    apps, units = random_case(seed, 600, 250)
    result = rounds.solve_round(apps, units, Weights())
    apps_sorted, units_sorted = sorted(apps, key=lambda a: a.id), sorted(units, key=lambda u: u.id)
    cols = [u for u in units_sorted if u.unit_type in {a.unit_type for a in apps}]
    matrix, feasible = per_pair(apps_sorted, cols, Weights())
    rows, columns = linear_sum_assignment(matrix, maximize=True)  # the round as it was solved
    old = sorted((apps_sorted[i].id, cols[j].id) for i, j in zip(rows, columns) if feasible[i, j])
    assert 100 < len(old) < len(apps)
    # The very same units to the very same applications (not merely an equally good round).
    assert [(a.application_id, a.unit_id) for a in result.assignments] == old


@pytest.mark.parametrize("seed", [1, 4])
def test_every_reason_is_the_unit_by_unit_sentence(seed):
    apps, units = random_case(seed, 500, 120)
    result = rounds.solve_round(apps, units, Weights())
    placed = {a.application_id: a for a in result.assignments}
    apps_sorted, units_sorted = sorted(apps, key=lambda a: a.id), sorted(units, key=lambda u: u.id)
    by_app = {a.id: a for a in apps}
    kinds = set()
    for u in result.unassigned:
        assert u.reason == explain_unassigned(by_app[u.application_id], apps_sorted, units_sorted, placed)
        kinds.add(u.reason.split(" ")[0] + (" earliest" if "earliest" in u.reason else ""))
    # Every kind of sentence occurs: no such type, no room, none free (with and without a later
    # date), and the units went to others.
    assert {"There", "No", "No earliest", "All", "The"} <= kinds


def test_the_earliest_free_day_falls_back_to_unit_by_unit_for_odd_intervals():
    empty = CandidateUnit(1, "solo", busy=((BASE + timedelta(days=5), BASE + timedelta(days=5)),
                                           (BASE - timedelta(days=1), BASE + timedelta(days=3))))
    app = Applicant(1, 1, "solo", BASE, BASE + timedelta(days=4))
    reason = rounds.solve_round([app], [empty], Weights()).unassigned[0].reason
    assert reason == explain_unassigned(app, [app], [empty], {})
    assert reason.endswith("is from 6 Mar 2027.")  # the empty interval on day 5 blocks a stay across it
