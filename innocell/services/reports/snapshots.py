"""Reports as people see them, and month-end snapshots: a finished month frozen for every
grouping; its reports then show the frozen rows, with today's figures and the difference
alongside. Each answer carries its totals row."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...allocation import usage
from ...models import ReportSnapshot, User
from .. import BadRequest, Conflict
from ..audit import record
from ..tx import transaction
from .common import (
    FREEZABLE,
    SPECS,
    check_group,
    check_period,
    differences,
    from_json,
    is_whole_month,
    month_of,
    present,
    to_json,
    totals_of,
)
from .occupancy import occupancy
from .revenue import revenue
from .utilisation import utilisation
from ..phrasing import gettext

RUNNERS = {"occupancy": occupancy, "utilisation": utilisation, "revenue": revenue}


def run(session: Session, report: str, *, start: date, end: date, group: str | None, tz: ZoneInfo) -> list[dict]:
    return RUNNERS[report](session, start=start, end=end, group=check_group(report, group), tz=tz)


def snapshot(session: Session, *, report: str, month: date, group: str) -> ReportSnapshot | None:
    return session.execute(select(ReportSnapshot).where(
        ReportSnapshot.report == report, ReportSnapshot.month == month_of(month),
        ReportSnapshot.grouping == group)).scalar_one_or_none()


def frozen_months(session: Session) -> list[dict]:
    """Frozen months, newest first: {"month","frozen_at","frozen_by","reports"}."""
    rows = session.execute(select(ReportSnapshot.month, ReportSnapshot.report, ReportSnapshot.frozen_at, User.name)
                           .outerjoin(User, User.id == ReportSnapshot.frozen_by_id)
                           .order_by(ReportSnapshot.month.desc(), ReportSnapshot.frozen_at)).all()
    months: dict[date, dict] = {}
    for month, report, frozen_at, name in rows:
        entry = months.setdefault(month, {"month": month, "frozen_at": frozen_at, "frozen_by": name, "reports": set()})
        entry["reports"].add(report)
    return list(months.values())


@transaction
def freeze(session: Session, *, report: str, month: date, group: str, actor: User | None, now: datetime,
           tz: ZoneInfo) -> ReportSnapshot:
    """Store a finished month's presented rows for one report and grouping. A month not yet
    over, or already frozen for that report and grouping, is refused."""
    if report not in SPECS:
        raise BadRequest(gettext("'%(report)s' cannot be frozen; use one of: %(join)s.", report=report, join=', '.join(FREEZABLE)))
    group = check_group(report, group)
    month = month_of(month)
    today = now.astimezone(tz).date()
    if usage.next_month(month) > today:
        raise BadRequest(gettext("%(month)s is not over yet; a month can be frozen from its last night on (%(next_month)s).", month=format(month, "%B %Y"), next_month=usage.next_month(month)))
    if snapshot(session, report=report, month=month, group=group) is not None:
        raise Conflict(gettext("The %(report)s report by %(group)s for %(month)s is already frozen.", report=report, group=group, month=format(month, "%B %Y")))
    rows = present(report, run(session, report, start=month, end=usage.next_month(month), group=group, tz=tz))
    snap = ReportSnapshot(report=report, month=month, grouping=group, rows=to_json(report, rows),
                          frozen_by_id=actor.id if actor else None, frozen_at=now)
    session.add(snap)
    record(session, actor_id=actor.id if actor else None, action="report.freeze", target_type="report_snapshot",
           target_id=None, now=now, report=report, month=month.isoformat(), grouping=group)
    try:
        session.flush()
    except IntegrityError:  # another freeze of the same month committed first
        raise Conflict(gettext("The %(report)s report by %(group)s for %(month)s was frozen by someone else just now.", report=report, group=group, month=format(month, "%B %Y"))) \
            from None
    return snap


@transaction
def freeze_month(session: Session, *, month: date, actor: User | None, now: datetime, tz: ZoneInfo) -> int:
    """Freeze every report in every grouping for a finished month, in one transaction;
    groupings frozen before are kept as they are. Returns how many were frozen now."""
    month = month_of(month)
    made = 0
    for report, spec in SPECS.items():
        for group in spec.groups:
            if snapshot(session, report=report, month=month, group=group) is None:
                freeze(session, report=report, month=month, group=group, actor=actor, now=now, tz=tz)
                made += 1
    if not made:
        raise Conflict(gettext("%(month)s is already frozen.", month=format(month, "%B %Y")))
    return made


@dataclass
class ReportResult:
    report: str
    start: date
    end: date
    group: str
    rows: list[dict]  # presented (frozen ones when the month is frozen)
    totals: dict  # of `rows`: the figures summed, rates recomputed
    frozen_at: datetime | None = None
    frozen_by: str | None = None
    current: list[dict] | None = None  # today's presented figures, when frozen
    changes: list[dict] | None = None  # current - frozen, when frozen
    current_totals: dict | None = None
    change_totals: dict | None = None

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


def report(session: Session, name: str, *, start: date, end: date, group: str | None, tz: ZoneInfo) -> ReportResult:
    """A report as people see it: presented rows and their totals; for a frozen month, the
    frozen rows with today's figures and the difference alongside."""
    if name not in SPECS:
        raise BadRequest(gettext("There is no report called '%(name)s'.", name=name))
    group = check_group(name, group)
    check_period(start, end)
    current = present(name, run(session, name, start=start, end=end, group=group, tz=tz))
    snap = snapshot(session, report=name, month=start, group=group) if is_whole_month(start, end) else None
    if snap is None:
        return ReportResult(name, start, end, group, current, totals_of(name, current))
    frozen = from_json(name, snap.rows)
    by = session.get(User, snap.frozen_by_id).name if snap.frozen_by_id else None
    totals, current_totals = totals_of(name, frozen), totals_of(name, current)
    return ReportResult(name, start, end, group, frozen, totals, snap.frozen_at, by, current,
                        differences(name, frozen, current), current_totals,
                        differences(name, [totals], [current_totals])[0])
