"""The occupancy report (unit-nights and rent due, by unit type, unit or floor) and the
dashboard's occupancy trend."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ...allocation import month_grid, usage
from . import by_company
from .common import COMPANY, check_group, check_period
from .records import HousingData, load_housing


def occupancy(session: Session, *, start: date, end: date, group: str = "unit_type",
              tz: ZoneInfo | None = None) -> list[dict]:
    """Rows {"group","available_unit_nights","occupied_unit_nights","occupancy_rate","rent_due"}
    (exact: rent_due is a Fraction)."""
    check_period(start, end)
    group = check_group("occupancy", group)
    data = load_housing(session, start, end)
    return occupancy_rows(data, start, end, group, session)


def occupancy_rows(data: HousingData, start: date, end: date, group: str, session: Session | None = None) -> list[dict]:
    grouped = by_company.occupancy(session, data.units, data.outages, start, end) if group == COMPANY \
        else month_grid.occupancy_over_period(data.units, data.outages, data.leases, start, end, group)
    return [_row(label, f) for label, f in grouped]


def _row(label: str, f: usage.OccupancyFigures) -> dict:
    return {"group": label, "available_unit_nights": f.available_unit_nights,
            "occupied_unit_nights": f.occupied_unit_nights, "occupancy_rate": f.occupancy_rate,
            "rent_due": f.rent_due}


def occupancy_trend(session: Session, *, months: list[date]) -> dict:
    """Occupancy rate per month (first days given, consecutive) and unit type, for the
    dashboard's chart: {"months": [...], "series": {unit_type: [rate|None, ...]}, "rows": [...]}."""
    if not months:
        return {"months": [], "series": {}, "rows": []}
    end = usage.next_month(months[-1])
    data = load_housing(session, months[0], end)
    grid = month_grid.occupancy_by_month(data.units, data.outages, data.leases, months[0], end, "unit_type")
    series: dict[str, list] = {}
    rows = []
    for index, month in enumerate(months):
        for label, f in grid.get(month, ()):
            series.setdefault(label, [None] * len(months))[index] = f.occupancy_rate
            rows.append({"month": month, **_row(label, f)})
    return {"months": months, "series": dict(sorted(series.items())), "rows": rows}
