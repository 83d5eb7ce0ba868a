"""The charge run: for a finished month, one line per source that is due (rounded to cents
once, from the exact figure), and for a source whose due changed after it was charged (a lease
ended early, a booking ended early, a rate changed), an `adjustment` line of the difference.
Lines are never edited. Running a month again writes nothing unless something changed.

A frozen month (its reports frozen at month end) stays frozen: any line for it, first charge
or adjustment, is posted in the open month (`month`), while `service_month` keeps the month it
is for, so the reconciliation of that month still adds up."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...allocation import usage
from ...models import Charge, ReportSnapshot, User
from .. import BadRequest, Conflict
from ..audit import record
from ..tx import transaction
from .dues import Due, companies_of, first_of, instant_month, month_dues
from ..phrasing import gettext


@dataclass
class RunOutcome:
    month: date
    charged: int = 0
    adjusted: int = 0
    amount: Decimal = Decimal("0.00")
    posted_in: set = field(default_factory=set)

    @property
    def summary(self) -> str:
        if not (self.charged or self.adjusted):
            return f"{self.month:%B %Y}: nothing new to charge"
        return (f"{self.month:%B %Y}: {self.charged} charge lines and {self.adjusted} adjustments, "
                f"{self.amount:,.2f} in all")


def is_frozen(session: Session, month: date) -> bool:
    return session.execute(select(func.count()).select_from(ReportSnapshot)
                           .where(ReportSnapshot.month == month)).scalar_one() > 0


def charged_by_source(session: Session, month: date) -> dict[str, tuple[Decimal, int]]:
    """{source: (sum of its lines, number of lines)} for lines of a service month."""
    return {source: (Decimal(total), n) for source, total, n in session.execute(
        select(Charge.source, func.sum(Charge.amount), func.count()).where(Charge.service_month == month)
        .group_by(Charge.source))}


def last_finished_month(now: datetime, tz: ZoneInfo) -> date:
    return _previous(instant_month(now, tz))


def _previous(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def _lock(session: Session, month: date) -> None:
    """Charge runs of one month queue (PostgreSQL); SQLite's BEGIN IMMEDIATE already does."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(18, :m)"), {"m": month.year * 100 + month.month})


@transaction
def charge_month(session: Session, month: date, *, now: datetime, tz: ZoneInfo, actor: User | None = None) -> RunOutcome:
    """Charge a finished month (one transaction): new lines for sources not yet charged,
    adjustments where the due changed; nothing when nothing changed."""
    month = first_of(month)
    today_month = instant_month(now, tz)
    if month >= today_month:
        raise BadRequest(gettext("%(month)s is not over yet; a month is charged from its first day after (%(next_month)s).", month=format(month, "%B %Y"), next_month=usage.next_month(month)))
    _lock(session, month)
    post_in = today_month if is_frozen(session, month) else month
    charged = charged_by_source(session, month)
    dues = month_dues(session, month, tz)
    companies = companies_of(session, {d.user_id for d in dues})
    outcome = RunOutcome(month)
    for due in dues:
        before, lines = charged.get(due.source, (Decimal("0.00"), 0))
        amount = due.rounded - before
        if amount == 0:
            continue
        first = lines == 0
        session.add(Charge(kind=due.basis if first else "adjustment", basis=due.basis, month=post_in,
                           service_month=month, amount=amount, lease_id=due.lease_id, booking_id=due.booking_id,
                           user_id=due.user_id, company_id=companies.get(due.user_id), source=due.source,
                           key=f"{due.source}#{lines + 1}", created_at=now,
                           description=_describe(due, first, before)))
        outcome.charged += first
        outcome.adjusted += not first
        outcome.amount += amount
        outcome.posted_in.add(post_in)
    _reverse_orphans(session, charged, {d.source for d in dues}, month, post_in, now, outcome)
    try:
        session.flush()
    except IntegrityError:  # a run of the same month by another process committed first
        raise Conflict(gettext("%(month)s was being charged by someone else just now; run it again.", month=format(month, "%B %Y"))) from None
    if outcome.charged or outcome.adjusted:
        record(session, actor_id=actor.id if actor else None, action="charges.run", target_type="charges",
               target_id=None, now=now, month=month.isoformat(), lines=outcome.charged,
               adjustments=outcome.adjusted, amount=str(outcome.amount))
    return outcome


def _reverse_orphans(session: Session, charged: dict, due_sources: set, month: date, post_in: date,
                     now: datetime, outcome: RunOutcome) -> None:
    """A source charged for the month that nothing makes due any more (a late cancellation
    waived) is adjusted back to zero."""
    for source, (before, lines) in charged.items():
        if source in due_sources or before == 0:
            continue
        first = session.execute(select(Charge).where(Charge.source == source).order_by(Charge.id).limit(1)).scalar_one()
        session.add(Charge(kind="adjustment", basis=first.basis, month=post_in, service_month=month, amount=-before,
                           lease_id=first.lease_id, booking_id=first.booking_id, user_id=first.user_id,
                           company_id=first.company_id, source=source, key=f"{source}#{lines + 1}", created_at=now,
                           description=f"Adjustment ({before:,.2f} charged, nothing due now): {first.description}"[:300]))
        outcome.adjusted += 1
        outcome.amount -= before
        outcome.posted_in.add(post_in)


def _describe(due: Due, first: bool, before: Decimal) -> str:
    if first:
        return due.description[:300]
    return f"Adjustment ({before:,.2f} charged, {due.rounded:,.2f} due now): {due.description}"[:300]


def months_to_check(session: Session, now: datetime, tz: ZoneInfo, back: int) -> list[date]:
    """The last finished month and the `back` months before it, plus none earlier: the months
    the scheduled job charges and adjusts."""
    month = _previous(instant_month(now, tz))
    out = [month]
    for _ in range(max(back, 0)):
        month = _previous(month)
        out.append(month)
    return sorted(out)


def charges_of_month(session: Session, month: date) -> dict[str, dict[str, Decimal]]:
    """Sums per basis and kind of a service month's lines (for pages and the reconciliation)."""
    out: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for basis, kind, total in session.execute(
            select(Charge.basis, Charge.kind, func.sum(Charge.amount)).where(Charge.service_month == month)
            .group_by(Charge.basis, Charge.kind)):
        out[basis][kind] = Decimal(total)
    return dict(out)
