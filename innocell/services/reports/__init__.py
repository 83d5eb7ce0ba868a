"""Finance reports: occupancy, utilisation, revenue, vacancy, waitlist, month-end snapshots.

The figures come from the pure core (`innocell.allocation.usage`, `listings`, `totals`); this
package reads the records they are computed from (records.py) and stores frozen months
(snapshots.py). Read functions return exact figures; `present()` rounds them for people, files
and the API (money and hours to cents, rates to four places), and every report has a totals
row: the presented figures summed, rates recomputed from the sums.

- common.py       specs, parameters, presentation, totals, frozen-versus-today differences
- records.py      units, leases, offers, spaces and their active periods, bookings (streamed)
- occupancy.py    unit-nights and rent due; the occupancy trend
- utilisation.py  open, booked and pending hours, fees; the heat map
- revenue.py      rent due and lab fees per month
- lists.py        vacancy and waitlist as of today, with totals; names for labels
- snapshots.py    reports as shown, freezing a month
"""
from __future__ import annotations

from .common import (
    FREEZABLE,
    HOURS,
    INT,
    MONEY,
    RATE,
    SPECS,
    TOTAL,
    ReportSpec,
    check_group,
    check_period,
    default_period,
    differences,
    is_whole_month,
    last_month,
    month_of,
    present,
    present_value,
    totals_of,
)
from .lists import active_spaces, space_names, unit_types, vacancy, vacancy_totals, waitlist, waitlist_totals
from .occupancy import occupancy, occupancy_trend
from .revenue import revenue
from .snapshots import ReportResult, freeze, freeze_month, frozen_months, report, run, snapshot
from .utilisation import heat_map, utilisation

__all__ = [
    "FREEZABLE", "HOURS", "INT", "MONEY", "RATE", "SPECS", "TOTAL", "ReportResult", "ReportSpec", "active_spaces",
    "check_group", "check_period", "default_period", "differences", "freeze", "freeze_month", "frozen_months",
    "heat_map", "is_whole_month", "last_month", "month_of", "occupancy", "occupancy_trend", "present",
    "present_value", "report", "revenue", "run", "snapshot", "space_names", "totals_of", "unit_types",
    "utilisation", "vacancy", "vacancy_totals", "waitlist", "waitlist_totals",
]
