"""Charges against the reports, for one month: rent lines (with their adjustments) against the
occupancy report's rent_due, booking lines against the utilisation report's fees, and late-
cancellation lines against the revenue report's late_cancellation_fees.

Both sides come from the same exact figures (`dues.py` calls the report functions per source),
so what separates them is only ever one of two things, both listed:

- **rounding**: a charge line is rounded to cents once per source; the report rounds per row
  of its grouping. `rounding` = the sum of the sources' rounded dues − the report's total.
- **records not charged as they stand**: sources whose lines add up to something other than
  what is due today (the month not charged yet, or a change since the last run, which the next
  run adjusts). `pending` = charged − the sum of the rounded dues; each such source is listed.

difference = charged − report = rounding + pending, exactly."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ...allocation import usage
from ..reports import present, totals_of
from ..reports.occupancy import occupancy
from ..reports.revenue import revenue
from ..reports.snapshots import snapshot
from ..reports.utilisation import utilisation
from .charges import charged_by_source, is_frozen
from .dues import first_of, month_dues

BASES = ("rent", "booking", "late_cancellation")
LABELS = {"rent": "Rent (occupancy report: rent_due)", "booking": "Lab fees (utilisation report: fees)",
          "late_cancellation": "Late cancellations (revenue report: late_cancellation_fees)"}
MAX_LISTED = 200


@dataclass
class Line:
    basis: str
    report: Decimal  # the report's totals row, as shown
    report_exact: Fraction
    due_exact: Fraction  # the sources' exact dues summed (equals report_exact)
    due_rounded: Decimal  # the sources' dues rounded to cents, summed
    charged: Decimal
    frozen_report: Decimal | None = None

    @property
    def label(self) -> str:
        return LABELS[self.basis]

    @property
    def difference(self) -> Decimal:
        return self.charged - self.report

    @property
    def rounding(self) -> Decimal:
        return self.due_rounded - self.report

    @property
    def pending(self) -> Decimal:
        return self.charged - self.due_rounded


@dataclass
class Reconciliation:
    month: date
    frozen: bool
    lines: list[Line]
    unsettled: list[dict] = field(default_factory=list)  # sources charged otherwise than due now
    unsettled_count: int = 0

    @property
    def agrees(self) -> bool:
        return all(line.pending == 0 for line in self.lines)


def _report_figures(session: Session, month: date, tz: ZoneInfo) -> dict[str, tuple[Decimal, Fraction]]:
    end = usage.next_month(month)
    occ = occupancy(session, start=month, end=end, group="unit_type")
    uti = utilisation(session, start=month, end=end, group="space", tz=tz)
    rev = revenue(session, start=month, end=end, tz=tz)
    late = sum((row["late_cancellation_fees"] for row in rev), Fraction(0))
    return {
        "rent": (totals_of("occupancy", present("occupancy", occ))["rent_due"],
                 sum((r["rent_due"] for r in occ), Fraction(0))),
        "booking": (totals_of("utilisation", present("utilisation", uti))["fees"],
                    sum((r["fees"] for r in uti), Fraction(0))),
        "late_cancellation": (totals_of("revenue", present("revenue", rev))["late_cancellation_fees"], late),
    }


def _frozen_total(session: Session, month: date, basis: str) -> Decimal | None:
    report, group, key = {"rent": ("occupancy", "unit_type", "rent_due"), "booking": ("utilisation", "space", "fees"),
                          "late_cancellation": ("revenue", "month", "late_cancellation_fees")}[basis]
    snap = snapshot(session, report=report, month=month, group=group)
    if snap is None:
        return None
    values = [Decimal(row[key]) for row in snap.rows if row.get(key) is not None]
    return sum(values, Decimal("0.00")) if values else None


def reconcile(session: Session, month: date, *, tz: ZoneInfo) -> Reconciliation:
    month = first_of(month)
    figures = _report_figures(session, month, tz)
    dues = month_dues(session, month, tz)
    charged = charged_by_source(session, month)
    due_sources = {d.source for d in dues}
    lines = []
    for basis in BASES:
        mine = [d for d in dues if d.basis == basis]
        report, exact = figures[basis]
        charged_total = sum((total for source, (total, _) in charged.items()
                             if source.startswith(basis + ":")), Decimal("0.00"))
        lines.append(Line(basis, report, exact, sum((d.amount for d in mine), Fraction(0)),
                          sum((d.rounded for d in mine), Decimal("0.00")), charged_total,
                          _frozen_total(session, month, basis)))
    unsettled = []
    for due in dues:
        have = charged.get(due.source, (Decimal("0.00"), 0))[0]
        if have != due.rounded:
            unsettled.append({"source": due.source, "basis": due.basis, "description": due.description,
                              "lease_id": due.lease_id, "booking_id": due.booking_id, "user_id": due.user_id,
                              "charged": have, "due": due.rounded, "difference": due.rounded - have})
    for source, (have, _) in charged.items():  # charged, but nothing meets the month any more
        if source not in due_sources and have != 0:
            unsettled.append({"source": source, "basis": source.split(":")[0], "description": "no longer due",
                              "lease_id": None, "booking_id": None, "user_id": None,
                              "charged": have, "due": Decimal("0.00"), "difference": -have})
    return Reconciliation(month, is_frozen(session, month), lines, unsettled[:MAX_LISTED], len(unsettled))
