"""A pytest plugin for `make mutate` only: run the quick example tests before the database
tests and the Hypothesis property tests.

mutmut runs each mutant's tests with -x, so a mutant is killed by the first failing test; when
the cheap tests come first most mutants cost a fraction of a second instead of every property
test. The order decides only how soon a kill is seen, never whether it is.
"""
from __future__ import annotations


def _cost(item) -> tuple[int, int]:
    slow = bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))
    database = "/services/" in item.nodeid or "both_db" in item.keywords
    return int(slow), int(database)


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=_cost)  # stable: keeps the file order within each group
