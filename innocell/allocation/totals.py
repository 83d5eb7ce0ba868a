"""The totals row of a report: the same fields summed over the rows, rates recomputed from
the summed figures (a rate of totals, never an average of the rows' rates). Plain data.

Reports total the rows as presented (rounded to cents), so a column on screen, in a CSV or in
a spreadsheet adds up exactly to its totals row."""
from __future__ import annotations

from functools import reduce
from operator import add
from typing import Iterable, Mapping, Sequence

from .usage import ratio


def total_of(rows: Iterable[Mapping], key: str):
    """The sum of a field over the rows; 0 with no rows, None when rows lack the figure."""
    rows = list(rows)
    values = [row.get(key) for row in rows if row.get(key) is not None]
    if not values:
        return None if rows else 0
    return reduce(add, values)


def totals(rows: Iterable[Mapping], summed: Sequence[str], rates: Mapping[str, tuple[str, str]]) -> dict:
    """{field: total} for the `summed` fields, and {rate: numerator total / denominator total}
    for each rate (None when the denominator is zero or missing)."""
    rows = list(rows)
    out = {key: total_of(rows, key) for key in summed}
    for key, (part, whole) in rates.items():
        num, den = out.get(part), out.get(whole)
        out[key] = None if num is None or den is None else ratio(num, den)
    return out
