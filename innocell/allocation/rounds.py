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
from typing import Callable, Iterable, Sequence

from .intervals import merge, overlaps


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


def _silent(stage: str) -> None:
    return None


def solve_round(applications: Iterable[Applicant], units: Iterable[CandidateUnit],
                weights: Weights = Weights(), stage: Callable[[str], None] = _silent) -> RoundResult:
    """The assignment of maximum total weight, with a reason for each application left out.
    `stage` hears "matrix", "solve" and "reasons" as each step begins (a progress page)."""
    apps, unit_list = _sorted_inputs(applications, units)
    lowest = lowest_tier_of(apps)
    pairs: list[tuple[int, int]] = []
    cols: list[CandidateUnit] = []
    feasible = None
    if apps and unit_list:
        # Only units of a requested type can matter; keep the matrix small.
        wanted = {a.unit_type for a in apps}
        cols = [u for u in unit_list if u.unit_type in wanted]
        if cols:
            stage("matrix")
            matrix, feasible = _matrix(apps, cols, weights, lowest)
            index_of = {u.id: k for k, u in enumerate(unit_list)}
            stage("solve")
            pairs = [(i, index_of[cols[j].id]) for i, j in _best_pairs(matrix, feasible)]
    assignments = tuple(
        Assignment(apps[i].id, unit_list[k].id, apps[i].move_in, apps[i].end,
                   weight(apps[i], unit_list[k], weights, lowest))
        for i, k in sorted(pairs, key=lambda p: apps[p[0]].id)
    )
    stage("reasons")
    reasons = _reasons(apps, unit_list, cols, feasible, pairs)
    unassigned = tuple(Unassigned(apps[i].id, reasons[i]) for i in sorted(reasons))
    score = round(sum(a.weight for a in assignments), 6)
    return RoundResult(assignments, unassigned, score, lowest)


def _type_index(items) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for k, item in enumerate(items):
        out.setdefault(item.unit_type, []).append(k)
    return out


def _busy_arrays(cols: Sequence[CandidateUnit], positions: Sequence[int]):
    """The busy intervals of cols[positions] as arrays: local column, start and end ordinals."""
    import numpy as np

    where, starts, ends = [], [], []
    for local, j in enumerate(positions):
        for b_start, b_end in cols[j].busy:
            where.append(local)
            starts.append(b_start.toordinal())
            ends.append(b_end.toordinal())
    return np.asarray(where, dtype=np.int64), np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)


def _matrix(apps: Sequence[Applicant], cols: Sequence[CandidateUnit], weights: Weights, lowest: int):
    """The weight matrix (apps x cols) and which pairs fit, computed a unit type at a time with
    NumPy; entry for entry what `weight(...) + tie-break bonus` and `fits` give (the same
    floating-point operations in the same order; tests/unit/test_round_matrix.py checks)."""
    import numpy as np

    n = len(apps)
    matrix = np.zeros((n, len(cols)), dtype=float)
    feasible = np.zeros((n, len(cols)), dtype=bool)
    # Ties between equally weighted rounds go to the earlier applications (lower ids): a bonus
    # far below any real weight difference, summing to at most TIE_BREAK.
    bonus = TIE_BREAK * np.arange(n, 0, -1, dtype=np.int64) / (n * n)
    cols_by_type = _type_index(cols)
    for kind, rows in _type_index(apps).items():
        positions = cols_by_type.get(kind)
        if not positions:
            continue
        occupancy = np.array([np.inf if cols[j].occupancy is None else cols[j].occupancy for j in positions])
        where, b_start, b_end = _busy_arrays(cols, positions)
        groups, group_start = np.unique(where, return_index=True)
        column_of = {cols[j].id: local for local, j in enumerate(positions)}
        for chunk in range(0, len(rows), 512):
            part = rows[chunk:chunk + 512]
            move_in = np.array([apps[i].move_in.toordinal() for i in part], dtype=np.int64)
            end = np.array([apps[i].end.toordinal() for i in part], dtype=np.int64)
            occupants = np.array([apps[i].occupants for i in part])
            blocked = np.array([bool(apps[i].blocked) for i in part])
            ok = (occupants[:, None] <= occupancy[None, :]) & ~blocked[:, None]
            if len(where):
                hit = (b_start[None, :] < end[:, None]) & (move_in[:, None] < b_end[None, :])
                ok[:, groups] &= ~np.logical_or.reduceat(hit, group_start, axis=1)
            base = np.array([float(weights.tier * (lowest - apps[i].tier + 1)) for i in part])
            wait = np.array([float(weights.wait_day * max(apps[i].waited_days, 0)) for i in part])
            preference = np.zeros((len(part), len(positions)))
            for r, i in enumerate(part):
                seen = set()
                for rank, unit_id in enumerate(apps[i].preferred_unit_ids):
                    if unit_id in column_of and unit_id not in seen:
                        preference[r, column_of[unit_id]] = weights.preference / (rank + 1)
                    seen.add(unit_id)
            values = base[:, None] + preference + wait[:, None] + bonus[part][:, None]
            block = np.ix_(part, positions)
            feasible[block] = ok
            matrix[block] = np.where(ok, values, 0.0)
    return matrix, feasible


def _best_pairs(matrix, feasible) -> list[tuple[int, int]]:
    """A maximum-weight set of fitting (row, col) pairs: the whole matrix solved at once.
    (Solving each unit type on its own reaches the same optimum faster, but picks differently
    between equally good placements, so rounds would change; bench/bench_round.py.)"""
    from scipy.optimize import linear_sum_assignment

    # Infeasible pairs weigh 0 and every feasible pair more than 0, so a maximum-weight full
    # assignment restricted to its feasible pairs is a maximum-weight matching.
    rows, columns = linear_sum_assignment(matrix, maximize=True)
    return [(i, j) for i, j in zip(rows.tolist(), columns.tolist()) if feasible[i, j]]


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
    """One sentence: why `app` got no unit in this round (unit by unit; the round itself builds
    the same sentences from its matrix in `_reasons`)."""
    if app.blocked:
        return app.blocked
    of_type = [u for u in units if u.unit_type == app.unit_type]
    if not of_type:
        return _no_units(app)
    roomy = [u for u in of_type if u.occupancy is None or app.occupants <= u.occupancy]
    if not roomy:
        return _no_room(app, max(u.occupancy or 0 for u in of_type))
    fitting = [u for u in roomy if is_free(u, app.move_in, app.end)]
    if not fitting:
        return _none_free(app, _earliest_free_start(app, roomy))
    fitting_ids = {u.id for u in fitting}
    by_id = {a.id: a for a in apps}
    rivals = [by_id[a.application_id] for a in placed.values() if a.unit_id in fitting_ids]
    higher = sum(1 for r in rivals if r.tier < app.tier)
    same_longer = sum(1 for r in rivals if r.tier == app.tier and r.waited_days > app.waited_days)
    same_earlier = sum(1 for r in rivals if r.tier == app.tier and r.waited_days == app.waited_days and r.id < app.id)
    same_other = sum(1 for r in rivals if r.tier == app.tier and r.waited_days <= app.waited_days) - same_earlier
    lower = sum(1 for r in rivals if r.tier > app.tier)
    return _placed_first(app, len(fitting), higher, same_longer, same_earlier, same_other, lower)


def _when(app: Applicant) -> str:
    return f"from {human_date(app.move_in)} for {term_text(app)}"


def _no_units(app: Applicant) -> str:
    return f"There are no {app.unit_type} units to offer."


def _no_room(app: Applicant, largest: int) -> str:
    return (f"No {app.unit_type} unit has room for {_plural(app.occupants, 'occupant')}; "
            f"the largest takes {largest}.")


def _none_free(app: Applicant, earliest: date | None) -> str:
    later = (f"; the earliest a {app.unit_type} unit is free for that long is from {human_date(earliest)}"
             if earliest else "")
    return f"No {app.unit_type} unit is free {_when(app)}{later}."


def _placed_first(app: Applicant, fitting: int, higher: int, same_longer: int, same_earlier: int,
                  same_other: int, lower: int) -> str:
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
    units_text = (f"The only {app.unit_type} unit" if fitting == 1
                  else f"All {fitting} {app.unit_type} units")
    return f"{units_text} free {_when(app)} went to applicants placed first: {_join(parts)}."


def _reasons(apps: Sequence[Applicant], units: Sequence[CandidateUnit], cols: Sequence[CandidateUnit], feasible,
             pairs: Sequence[tuple[int, int]]) -> dict[int, str]:
    """{row: reason} for every application left out: the sentences of `explain_unassigned`,
    counted with NumPy over the round's fit matrix instead of unit by unit."""
    import numpy as np

    placed_rows = {i for i, _ in pairs}
    left = [i for i in range(len(apps)) if i not in placed_rows]
    if not left:
        return {}
    if feasible is None:  # no unit of any requested type: nothing fits anybody
        feasible = np.zeros((len(apps), 0), dtype=bool)
    holder = np.full(len(cols), -1, dtype=np.int64)  # the row placed in each column
    col_of = {u.id: j for j, u in enumerate(cols)}
    for i, k in pairs:
        holder[col_of[units[k].id]] = i
    tier = np.array([a.tier for a in apps])
    waited = np.array([a.waited_days for a in apps])
    ids = np.array([a.id for a in apps])
    cols_by_type = _type_index(cols)
    free_after = {kind: _FreeAfter(cols, positions) for kind, positions in cols_by_type.items()}
    room = {}  # per type: the most occupants some unit takes (inf: no limit), the largest limit
    for kind, positions in cols_by_type.items():
        occupancy = [cols[j].occupancy for j in positions]
        room[kind] = (max(float("inf") if o is None else o for o in occupancy), max(o or 0 for o in occupancy))
    out = {}
    for i in left:
        app = apps[i]
        if app.blocked:
            out[i] = app.blocked
            continue
        positions = cols_by_type.get(app.unit_type)
        if not positions:
            out[i] = _no_units(app)
            continue
        most, largest = room[app.unit_type]
        if app.occupants > most:
            out[i] = _no_room(app, largest)
            continue
        fitting = feasible[i]
        count = int(fitting.sum())
        if not count:
            out[i] = _none_free(app, free_after[app.unit_type].earliest(app))
            continue
        rivals = holder[fitting]
        rivals = rivals[rivals >= 0]
        r_tier, r_waited = tier[rivals], waited[rivals]
        same = r_tier == app.tier
        same_earlier = int((same & (r_waited == app.waited_days) & (ids[rivals] < app.id)).sum())
        out[i] = _placed_first(app, count, int((r_tier < app.tier).sum()), int((same & (r_waited > app.waited_days)).sum()),
                               same_earlier, int((same & (r_waited <= app.waited_days)).sum()) - same_earlier,
                               int((r_tier > app.tier).sum()))
    return out


class _FreeAfter:
    """`_earliest_free_start` for many applications over one type's units at once: the busy
    intervals merged per unit and searched with NumPy. Falls back to the unit-by-unit search
    for inputs where merging would not be the same (empty or reversed intervals, no nights)."""

    BIG = 4_000_000  # above date.max.toordinal(): keys (unit, day) sort as one integer

    def __init__(self, cols: Sequence[CandidateUnit], positions: Sequence[int]):
        import numpy as np

        self.units = [cols[j] for j in positions]
        self.exact = all(s < e for u in self.units for s, e in u.busy)
        where, starts, ends = [], [], []
        for local, unit in enumerate(self.units):
            for s, e in merge(unit.busy):
                where.append(local)
                starts.append(s.toordinal())
                ends.append(e.toordinal())
        self.where, self.start, self.end = (np.asarray(v, dtype=np.int64) for v in (where, starts, ends))
        self.key = self.where * self.BIG + self.start
        # Candidate days: the end of every busy interval (its unit too), as the unit-by-unit search.
        c_where, c_day = [], []
        for local, unit in enumerate(self.units):
            for _, e in unit.busy:
                c_where.append(local)
                c_day.append(e.toordinal())
        self.c_where, self.c_day = np.asarray(c_where, dtype=np.int64), np.asarray(c_day, dtype=np.int64)
        self.occupancy = np.array([np.inf if u.occupancy is None else u.occupancy for u in self.units])

    def earliest(self, app: Applicant) -> date | None:
        """Only asked when no roomy unit is free from move-in itself."""
        import numpy as np

        nights = app.nights
        if not self.exact or nights < 1:
            return _earliest_free_start(app, self.units)
        move_in = app.move_in.toordinal()
        pick = (self.c_day > move_in) & (self.occupancy[self.c_where] >= app.occupants)
        where, day = self.c_where[pick], self.c_day[pick]
        day_end = day + nights
        ok = day_end <= date.max.toordinal()  # past date.max: the unit-by-unit search stops too
        k = np.searchsorted(self.key, where * self.BIG + day, side="right") - 1
        last = len(self.key) - 1
        inside = (k >= 0) & (self.where[np.clip(k, 0, None)] == where) & (self.end[np.clip(k, 0, None)] > day)
        nxt = np.clip(k + 1, 0, max(last, 0))
        blocked = (k + 1 <= last) & (self.where[nxt] == where) & (self.start[nxt] < day_end)
        free = ok & ~inside & ~blocked
        if not free.any():
            return None
        return date.fromordinal(int(day[free].min()))


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
