"""The mutation score of the allocation core and the booking check path, from mutmut's results.

    .venv/bin/python tests/mutation/report.py        (run by `make mutate` after `mutmut run`)

Reads mutmut's per-file results under mutants/, keeps the mutants in scope (every function of
innocell/allocation/, and the functions of the booking service that `check` and `book` run
through), takes out the survivors listed as equivalent in tests/mutation/equivalents.txt (one
mutant name, then its reason, per line), and prints killed / total / percentage per module and
overall. A mutant no selected test reaches counts as not killed. Exits 1 below the threshold,
or when the run is incomplete, or when the equivalents list names a mutant that was killed or
no longer exists (a stale entry would hide a real survivor).
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "mutants"
EQUIVALENTS = Path(__file__).resolve().parent / "equivalents.txt"
THRESHOLD = 90.0

# The booking check path: what `bookings.check` (and `book`, `availability`) run through
# before the pure core decides. Matched in any module under innocell/services/bookings*, so
# the list survives splitting bookings.py into a package.
CHECK_PATH = ("spec_of", "_scan", "_holds", "_blackouts", "_holidays", "_state", "_quota_minutes",
              "_used_minutes", "_user_context", "_validate_times", "_evaluate", "suggestions_for", "check",
              "availability")
SCOPE = ["innocell.allocation.*"] + [f"innocell.services.bookings*.x_{name}__mutmut_*" for name in CHECK_PATH]
OUT_OF_SCOPE = ["innocell.allocation.usage.*"]  # report figures; see [tool.mutmut] in pyproject.toml

# mutmut's exit codes (mutmut.stats.status_by_exit_code); a timeout or a crash under a mutant
# means the tests noticed it.
KILLED = {1, 3, 24, -24, 36, 37, 152, 255, -9, -11}
SURVIVED = {0}
NO_TESTS = {5, 33}


def in_scope(name: str) -> bool:
    return (any(fnmatch.fnmatch(name, pattern) for pattern in SCOPE)
            and not any(fnmatch.fnmatch(name, pattern) for pattern in OUT_OF_SCOPE))


def module_of(name: str) -> str:
    return name.rsplit(".", 1)[0]


def load_results(mutants_dir: Path) -> dict[str, int | None]:
    results: dict[str, int | None] = {}
    for meta in sorted(mutants_dir.glob("innocell/**/*.py.meta")):
        data = json.loads(meta.read_text())
        for name, code in data["exit_code_by_key"].items():
            if in_scope(name):
                results[name] = code
    return results


def load_equivalents(path: Path) -> dict[str, str]:
    """name -> reason; blank lines and lines starting with # are skipped. A name without a
    reason is an error: an equivalent mutant is a claim that needs its argument."""
    found: dict[str, str] = {}
    if not path.exists():
        return found
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path.name}:{number}: {name} has no reason")
        found[name] = reason.strip()
    return found


def classify(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=MUTANTS)
    parser.add_argument("--equivalents", type=Path, default=EQUIVALENTS)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--scope", action="store_true", help="print the mutant name patterns for `mutmut run`")
    args = parser.parse_args(argv)
    if args.scope:
        print("\n".join(SCOPE))
        return 0

    results = load_results(args.mutants)
    if not results:
        print(f"No mutmut results under {args.mutants}: run `make mutate`.")
        return 1
    equivalents = load_equivalents(args.equivalents)
    problems = []
    for name in sorted(equivalents):
        if name not in results:
            problems.append(f"listed as equivalent but no such mutant: {name}")
        elif classify(results[name]) == "killed":
            problems.append(f"listed as equivalent but killed (remove it from the list): {name}")

    per_module: dict[str, Counter] = defaultdict(Counter)
    open_mutants = []
    for name, code in sorted(results.items()):
        status = classify(code)
        counts = per_module[module_of(name)]
        if status != "killed" and name in equivalents:
            counts["equivalent"] += 1
            continue
        counts["total"] += 1
        counts[status] += 1
        if status != "killed":
            open_mutants.append((status, name))
    unchecked = [name for status, name in open_mutants if status == "not checked"]
    if unchecked:
        problems.append(f"{len(unchecked)} mutants were never run (an interrupted run?), e.g. {unchecked[0]}")

    print(f"{'module':44} {'killed':>7} {'total':>6} {'score':>7} {'equiv.':>6}")
    overall = Counter()
    for module, counts in sorted(per_module.items()):
        overall.update(counts)
        print(f"{module:44} {counts['killed']:7d} {counts['total']:6d} {percent(counts):>7} {counts['equivalent']:6d}")
    print(f"{'all in scope':44} {overall['killed']:7d} {overall['total']:6d} {percent(overall):>7} "
          f"{overall['equivalent']:6d}")
    if open_mutants:
        print("\nNot killed (see one with `.venv/bin/mutmut show NAME`):")
        for status, name in open_mutants:
            print(f"  {status:9} {name}")
    score = 100.0 * overall["killed"] / overall["total"] if overall["total"] else 0.0
    print(f"\nMutation score: {overall['killed']} killed of {overall['total']} non-equivalent mutants = "
          f"{score:.1f}% (threshold {args.threshold:.0f}%; {overall['equivalent']} equivalent survivors listed "
          f"in {args.equivalents.name})")
    for problem in problems:
        print("PROBLEM:", problem)
    return 0 if score >= args.threshold and not problems else 1


def percent(counts: Counter) -> str:
    return f"{100.0 * counts['killed'] / counts['total']:.1f}%" if counts["total"] else "-"


if __name__ == "__main__":
    sys.exit(main())
