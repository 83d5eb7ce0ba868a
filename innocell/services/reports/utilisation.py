"""The utilisation report (open, booked and pending hours, fees, by space or kind) and the
heat map of booked against open hours per weekday and hour."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ...allocation import usage
from . import by_company
from .common import COMPANY, check_group, check_period
from .records import load_spaces, stream_bookings, usages, was_active


def utilisation(session: Session, *, start: date, end: date, group: str = "space", tz: ZoneInfo) -> list[dict]:
    """Rows {"group","open_hours","booked_hours","pending_hours","utilisation_rate","fees"}
    (exact Fractions). A space counts when it was active at some time in the period (open
    hours only then), or when it was booked in it."""
    check_period(start, end)
    group = check_group("utilisation", group)
    ws, we = usage.period_instants(start, end, tz)
    data = load_spaces(session, ws, we, tz)
    per = usages(data, ws, we, tz)
    spaces = {space.id: space for space in data.spaces}
    if group == COMPANY:
        grouped = by_company.utilisation(session, per, lambda i, u: was_active(spaces[i], ws, we) or u.used, ws, we)
    else:
        for booking in stream_bookings(session, ws, we):
            if booking.space_id in per:
                per[booking.space_id].add_booking(booking)
        per_space = [(space, per[space.id].figures()) for space in data.spaces
                     if was_active(space, ws, we) or per[space.id].used]
        grouped = usage.group_utilisation(per_space, group)
    return [{"group": label, "open_hours": f.open_hours, "booked_hours": f.booked_hours,
             "pending_hours": f.pending_hours, "utilisation_rate": f.utilisation_rate, "fees": f.fees}
            for label, f in grouped]


def heat_map(session: Session, *, start: date, end: date, tz: ZoneInfo, space_id: int | None = None) -> usage.HeatMap:
    """Open and booked (confirmed) time per local weekday and hour over the period, for one
    space or all of them (open time only while each was active): it sums to the utilisation
    report's totals."""
    check_period(start, end)
    ws, we = usage.period_instants(start, end, tz)
    data = load_spaces(session, ws, we, tz)
    spaces = [s for s in data.spaces if s.id == space_id] if space_id else data.spaces
    heat = usage.HeatMap()
    openings = {}
    for space, u in ((s, usage.SpaceUsage(s, ws, we, tz, holidays=data.holidays,
                                          blackouts=data.blackouts.get(s.id, ()),
                                          recurring=data.recurring.get(s.id, ()))) for s in spaces):
        heat.add_open(u.opened, tz, space.capacity)
        openings[space.id] = u.opening
    for booking in stream_bookings(session, ws, we):
        if booking.space_id in openings:
            heat.add_booked(openings[booking.space_id], booking, tz)
    return heat
