"""The allocation round optimiser: assign free units to open applications all at once.

Plain data in, plain data out. An application fits a unit when the unit has the requested
type, room for its occupants, and is free over the whole stay [move_in, end) (half-open, so a
stay may start the day another ends). Among all sets of fitting pairs (each application and
each unit used at most once) the round picks one of maximum total weight, solved exactly with
`scipy.optimize.linear_sum_assignment` (the Hungarian method), never with a greedy loop.

Weight of placing application a in unit u (published on the manager's page):

    tier_weight x (lowest_tier - a.tier + 1)      every placement counts one step, and one more
                                                  per tier above the lowest tier in the round
  + preference_weight / rank                      1st preferred unit 100, 2nd 50, 3rd 33.3...
  + wait_day_weight x days the application waited

Because a placement is worth at least one tier step, the round never leaves a unit empty to
honour somebody's preference. Inputs are sorted by id before solving, so the same inputs give
the same round whatever their order; between equally weighted rounds the earlier applications
(lower ids) win. Every application left out gets a one-sentence reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Sequence

from .intervals import overlaps


TIE_BREAK = 1e-4  # total tie-break bonus; real weights differ by far more (tiers 1000, days 1)


@dataclass(frozen=True)
class Weights:
    tier: float = 1000.0
    preference: float = 100.0
    wait_day: float = 1.0


@dataclass(frozen=True)
class Applicant:
    """An application as the optimiser sees it. `end` is exclusive."""

    id: int
    tier: int
    unit_type: str
    move_in: date
    end: date
    preferred_unit_ids: tuple[int, ...] = ()
    waited_days: int = 0
    occupants: int = 1
    term_label: str | None = None  # e.g. "12 months"; defaults to the number of nights
    blocked: str | None = None  # why it cannot be placed at all this round (e.g. a partner's lease)

    @property
    def nights(self) -> int:
        return (self.end - self.move_in).days


@dataclass(frozen=True)
class CandidateUnit:
    """A unit with the date intervals [start, end) in which it is taken (leases, open offers,
    outages)."""

    id: int
    unit_type: str
    busy: tuple[tuple[date, date], ...] = ()
    occupancy: int | None = None  # None: no limit on occupants
    code: str | None = None


@dataclass(frozen=True)
class Assignment:
    application_id: int
    unit_id: int
    start: date
    end: date
    weight: float


@dataclass(frozen=True)
class Unassigned:
    application_id: int
    reason: str


@dataclass(frozen=True)
class RoundResult:
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    score: float
    lowest_tier: int = field(default=0)


def is_free(unit: CandidateUnit, start: date, end: date) -> bool:
    return not any(overlaps(start, end, b_start, b_end) for b_start, b_end in unit.busy)


def fits(app: Applicant, unit: CandidateUnit) -> bool:
    """Type matches, the occupants fit, and the unit is free over [move_in, end)."""
    if app.blocked or app.unit_type != unit.unit_type:
        return False
    if unit.occupancy is not None and app.occupants > unit.occupancy:
        return False
    return is_free(unit, app.move_in, app.end)


def lowest_tier_of(apps: Iterable[Applicant]) -> int:
    return max((a.tier for a in apps), default=1)


def weight(app: Applicant, unit: CandidateUnit, weights: Weights, lowest_tier: int) -> float:
    """The weight of placing `app` in `unit` (whether it fits is checked separately)."""
    value = weights.tier * (lowest_tier - app.tier + 1)
    if unit.id in app.preferred_unit_ids:
        value += weights.preference / (app.preferred_unit_ids.index(unit.id) + 1)
    value += weights.wait_day * max(app.waited_days, 0)
    return float(value)


def _sorted_inputs(applications, units):
    apps = sorted(applications, key=lambda a: a.id)
    unit_list = sorted(units, key=lambda u: u.id)
    if len({a.id for a in apps}) != len(apps):
        raise ValueError("application ids must be unique")
    if len({u.id for u in unit_list}) != len(unit_list):
        raise ValueError("unit ids must be unique")
    return apps, unit_list


def solve_round(applications: Iterable[Applicant], units: Iterable[CandidateUnit],
                weights: Weights = Weights()) -> RoundResult:
    """The assignment of maximum total weight, with a reason for each application left out."""
    import numpy as np  # imported here: the app starts without loading SciPy
    from scipy.optimize import linear_sum_assignment

    apps, unit_list = _sorted_inputs(applications, units)
    lowest = lowest_tier_of(apps)
    pairs: list[tuple[int, int]] = []
    if apps and unit_list:
        # Only units of a requested type can matter; keep the matrix small.
        wanted = {a.unit_type for a in apps}
        cols = [u for u in unit_list if u.unit_type in wanted]
        if cols:
            matrix = np.zeros((len(apps), len(cols)), dtype=float)
            feasible = np.zeros((len(apps), len(cols)), dtype=bool)
            n = len(apps)
            for i, app in enumerate(apps):
                # Ties between equally weighted rounds go to the earlier applications (lower ids):
                # a bonus far below any real weight difference, summing to at most TIE_BREAK.
                bonus = TIE_BREAK * (n - i) / (n * n)
                for j, unit in enumerate(cols):
                    if fits(app, unit):
                        feasible[i, j] = True
                        matrix[i, j] = weight(app, unit, weights, lowest) + bonus
            # Infeasible pairs weigh 0 and every feasible pair more than 0, so a maximum-weight
            # full assignment restricted to its feasible pairs is a maximum-weight matching.
            rows, columns = linear_sum_assignment(matrix, maximize=True)
            index_of = {u.id: k for k, u in enumerate(unit_list)}
            for i, j in zip(rows.tolist(), columns.tolist()):
                if feasible[i, j]:
                    pairs.append((i, index_of[cols[j].id]))
    assignments = tuple(
        Assignment(apps[i].id, unit_list[k].id, apps[i].move_in, apps[i].end,
                   weight(apps[i], unit_list[k], weights, lowest))
        for i, k in sorted(pairs, key=lambda p: apps[p[0]].id)
    )
    placed = {a.application_id: a for a in assignments}
    unassigned = tuple(
        Unassigned(app.id, explain_unassigned(app, apps, unit_list, placed))
        for app in apps if app.id not in placed
    )
    score = round(sum(a.weight for a in assignments), 6)
    return RoundResult(assignments, unassigned, score, lowest)


def first_come_first_served(applications: Iterable[Applicant], units: Iterable[CandidateUnit],
                            weights: Weights = Weights(), order: Sequence[int] | None = None) -> RoundResult:
    """The naive baseline (for comparison only): in `order` (default: by id), each application
    takes its best-weighted free fitting unit. The round never scores below this."""
    apps, unit_list = _sorted_inputs(applications, units)
    lowest = lowest_tier_of(apps)
    by_id = {a.id: a for a in apps}
    sequence = [by_id[i] for i in order] if order is not None else apps
    taken: set[int] = set()
    assignments = []
    for app in sequence:
        options = [u for u in unit_list if u.id not in taken and fits(app, u)]
        if not options:
            continue
        best = max(options, key=lambda u: (weight(app, u, weights, lowest), -u.id))
        taken.add(best.id)
        assignments.append(Assignment(app.id, best.id, app.move_in, app.end, weight(app, best, weights, lowest)))
    assignments.sort(key=lambda a: a.application_id)
    placed = {a.application_id for a in assignments}
    unassigned = tuple(Unassigned(a.id, "not placed first come, first served") for a in apps if a.id not in placed)
    return RoundResult(tuple(assignments), unassigned, round(sum(a.weight for a in assignments), 6), lowest)


# --- reasons --------------------------------------------------------------------------------

def human_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def term_text(app: Applicant) -> str:
    return app.term_label or _plural(app.nights, "night")


def _earliest_free_start(app: Applicant, units: Sequence[CandidateUnit]) -> date | None:
    """The earliest day on or after move-in from which some unit of the type (with room for
    the occupants) is free for as many nights as asked; None when none ever is."""
    from datetime import timedelta

    nights = timedelta(days=app.nights)
    best: date | None = None
    for unit in units:
        if unit.unit_type != app.unit_type or (unit.occupancy is not None and app.occupants > unit.occupancy):
            continue
        starts = sorted({app.move_in} | {end for _, end in unit.busy if end > app.move_in})
        for start in starts:
            try:
                end = start + nights
            except OverflowError:
                break
            if is_free(unit, start, end):
                if best is None or start < best:
                    best = start
                break
    return best


def explain_unassigned(app: Applicant, apps: Sequence[Applicant], units: Sequence[CandidateUnit],
                       placed: dict[int, Assignment]) -> str:
    """One sentence: why `app` got no unit in this round."""
    if app.blocked:
        return app.blocked
    of_type = [u for u in units if u.unit_type == app.unit_type]
    when = f"from {human_date(app.move_in)} for {term_text(app)}"
    if not of_type:
        return f"There are no {app.unit_type} units to offer."
    roomy = [u for u in of_type if u.occupancy is None or app.occupants <= u.occupancy]
    if not roomy:
        return (f"No {app.unit_type} unit has room for {_plural(app.occupants, 'occupant')}; "
                f"the largest takes {max(u.occupancy or 0 for u in of_type)}.")
    fitting = [u for u in roomy if is_free(u, app.move_in, app.end)]
    if not fitting:
        earliest = _earliest_free_start(app, roomy)
        later = (f"; the earliest a {app.unit_type} unit is free for that long is from {human_date(earliest)}"
                 if earliest else "")
        return f"No {app.unit_type} unit is free {when}{later}."
    fitting_ids = {u.id for u in fitting}
    by_id = {a.id: a for a in apps}
    rivals = [by_id[a.application_id] for a in placed.values() if a.unit_id in fitting_ids]
    higher = sum(1 for r in rivals if r.tier < app.tier)
    same_longer = sum(1 for r in rivals if r.tier == app.tier and r.waited_days > app.waited_days)
    same_earlier = sum(1 for r in rivals if r.tier == app.tier and r.waited_days == app.waited_days and r.id < app.id)
    same_other = sum(1 for r in rivals if r.tier == app.tier and r.waited_days <= app.waited_days) - same_earlier
    lower = sum(1 for r in rivals if r.tier > app.tier)
    parts = []
    if higher:
        parts.append(f"{higher} of a higher tier")
    if same_longer:
        parts.append(f"{same_longer} of the same tier who waited longer")
    if same_earlier:
        parts.append(f"{same_earlier} of the same tier who applied earlier")
    if same_other:
        parts.append(f"{same_other} of the same tier whose placement scored higher overall")
    if lower:
        parts.append(f"{lower} of a lower tier who fit no other unit")
    units_text = (f"The only {app.unit_type} unit" if len(fitting) == 1
                  else f"All {len(fitting)} {app.unit_type} units")
    return f"{units_text} free {when} went to applicants placed first: {_join(parts)}."


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
