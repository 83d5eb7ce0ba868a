"""What every report shares: the report specs (fields and their kinds, the rates a totals row
recomputes), parameter checks, presentation (rounding for people, files and the API), the
totals row, and the difference between frozen and today's figures."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ...allocation import usage
from ...allocation.totals import totals as core_totals
from .. import BadRequest
from ..phrasing import gettext

MAX_PERIOD_DAYS = 366 * 5
BATCH = 1000
TOTAL = "Total"

# Field kinds drive rounding, JSON, CSV and XLSX alike.
INT, RATE, MONEY, HOURS = "int", "rate", "money", "hours"


@dataclass(frozen=True)
class ReportSpec:
    name: str
    groups: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (key, kind)
    rates: dict = field(default_factory=dict)  # rate key -> (numerator key, denominator key)

    @property
    def default_group(self) -> str:
        return self.groups[0]

    @property
    def summed(self) -> tuple[str, ...]:
        return tuple(key for key, kind in self.fields if kind != RATE)


COMPANY = "company"  # grouped by the holder's company (by_company.py)

SPECS = {
    "occupancy": ReportSpec("occupancy", usage.OCCUPANCY_GROUPS + (COMPANY,), (
        ("available_unit_nights", INT), ("occupied_unit_nights", INT), ("occupancy_rate", RATE),
        ("rent_due", MONEY)), {"occupancy_rate": ("occupied_unit_nights", "available_unit_nights")}),
    "utilisation": ReportSpec("utilisation", usage.UTILISATION_GROUPS + (COMPANY,), (
        ("open_hours", HOURS), ("booked_hours", HOURS), ("pending_hours", HOURS), ("utilisation_rate", RATE),
        ("fees", MONEY)), {"utilisation_rate": ("booked_hours", "open_hours")}),
    "revenue": ReportSpec("revenue", ("month",), (
        ("rent_due", MONEY), ("lab_fees", MONEY), ("late_cancellation_fees", MONEY), ("total", MONEY))),
}
FREEZABLE = tuple(SPECS)


# --------------------------------------------------------------------------- parameters


def check_period(start: date, end: date) -> None:
    if not isinstance(start, date) or not isinstance(end, date):
        raise BadRequest(gettext("Give the period as dates: from=YYYY-MM-DD and to=YYYY-MM-DD (to is exclusive)."))
    if end <= start:
        raise BadRequest(gettext("The period must end after it starts: 'to' (%(end)s) is not after 'from' (%(start)s).", end=end, start=start))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise BadRequest(gettext("The period is too long: at most %(max_period_days)s days at a time.", max_period_days=MAX_PERIOD_DAYS))


def check_group(report: str, group: str | None) -> str:
    spec = SPECS[report]
    if group in (None, ""):
        return spec.default_group
    if group not in spec.groups:
        raise BadRequest(gettext("'%(group)s' is not a grouping of the %(report)s report; use one of: %(join)s.", group=group, report=report, join=', '.join(spec.groups)))
    return group


def month_of(day: date) -> date:
    return day.replace(day=1)


def is_whole_month(start: date, end: date) -> bool:
    return start.day == 1 and end == usage.next_month(start)


def default_period(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return first, usage.next_month(first)


def last_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


# --------------------------------------------------------------------------- presentation


def present_value(kind: str, value):
    if value is None:
        return None
    if kind == INT:
        return int(value)
    if kind == RATE:
        return round(float(value), 4)
    if kind in (MONEY, HOURS):
        return usage.to_decimal(value, 2)
    raise ValueError(kind)


def present(report: str, rows: list[dict]) -> list[dict]:
    """Rows rounded for people and files: money and hours to cents, rates to four places."""
    spec = SPECS[report]
    return [{"group": row["group"], **{key: present_value(kind, row.get(key)) for key, kind in spec.fields}}
            for row in rows]


def totals_of(report: str, rows: list[dict]) -> dict:
    """The totals row of presented rows: the figures summed, rates recomputed from the sums
    (rounded like the rows), so every column adds up to it exactly."""
    spec = SPECS[report]
    summed = core_totals(rows, spec.summed, spec.rates)
    return {"group": TOTAL, **{key: present_value(kind, summed.get(key)) for key, kind in spec.fields}}


def to_json(report: str, rows: list[dict]) -> list[dict]:
    kinds = dict(SPECS[report].fields)
    return [{k: (str(v) if kinds.get(k) in (MONEY, HOURS) and v is not None else v) for k, v in row.items()}
            for row in rows]


def from_json(report: str, rows: list[dict]) -> list[dict]:
    """Stored rows as presented rows; a field the report gained after the month was frozen
    (e.g. pending_hours) reads as None, not as zero."""
    spec = SPECS[report]
    return [{"group": row["group"], **{key: (Decimal(row[key]) if kind in (MONEY, HOURS) and row.get(key) is not None
                                            else row.get(key)) for key, kind in spec.fields}}
            for row in rows]


def differences(report: str, frozen: list[dict], current: list[dict]) -> list[dict]:
    """Per group, today's figure minus the frozen one (presented values). A group missing on
    one side counts as zero there; a figure the frozen month did not have stays None."""
    spec = SPECS[report]
    by_group_f = {r["group"]: r for r in frozen}
    by_group_c = {r["group"]: r for r in current}
    out = []
    for group in list(by_group_f) + [g for g in by_group_c if g not in by_group_f]:
        f, c = by_group_f.get(group), by_group_c.get(group, {})
        row = {"group": group}
        for key, kind in spec.fields:
            a, b = (f or {}).get(key), c.get(key)
            if kind == RATE:
                row[key] = None if a is None or b is None else round(b - a, 4)
            elif f is not None and a is None:
                row[key] = None
            else:
                zero = 0 if kind == INT else Decimal("0.00")
                row[key] = (b if b is not None else zero) - (a if a is not None else zero)
        out.append(row)
    return out
