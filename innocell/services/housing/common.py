"""What the housing modules share: the states that matter to more than one of them, days and
terms in the local zone, and field checks that collect every problem of a request into one
RuleViolation (so a form shows them all at once)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from ...allocation.dates import add_months
from ...models import User
from .. import RuleViolation
from ..settings import zone
from ...allocation.dates import RANGE_MESSAGE, date_in_range
from .. import fields
from ..phrasing import gettext

OCCUPYING = ("active", "ending", "ended", "terminated")  # leases that hold their unit's nights
LIVE_LEASES = ("active", "ending")
OPEN_APPLICATIONS = ("submitted", "offered", "waitlisted")
STAFF_ROLES = ("manager", "admin", "finance")
MAX_OCCUPANTS = 8


def local_day(now: datetime) -> date:
    """The date in INNOCELL_TIMEZONE at instant `now`."""
    return now.astimezone(zone()).date()


def stay_end(start: date, term_months: int, term_nights: int) -> date:
    """The move-out day of a stay of months and nights from `start`."""
    return add_months(start, term_months) + timedelta(days=term_nights)


def term_label(term_months: int, term_nights: int) -> str:
    parts = []
    if term_months:
        parts.append(f"{term_months} month{'s' if term_months != 1 else ''}")
    if term_nights:
        parts.append(f"{term_nights} night{'s' if term_nights != 1 else ''}")
    return " and ".join(parts) or "0 nights"


def money(value) -> float | None:
    """An amount as the API answers it: a number rounded to cents."""
    return None if value is None else float(Decimal(value).quantize(Decimal("0.01")))


def is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


# --- field checks --------------------------------------------------------------------------------

class Violations:
    """Collects {"rule","message"} items; `raise_if_any` turns them into one RuleViolation."""

    def __init__(self):
        self.items: list[dict] = []

    def add(self, rule: str, message: str):
        self.items.append({"rule": rule, "message": message})

    def raise_if_any(self):
        if self.items:
            raise RuleViolation(self.items[0]["message"] if len(self.items) == 1
                                else gettext("Some fields need attention: %(problems)s", problems=" ".join(v["message"] for v in self.items)),
                                violations=self.items)


def as_int(value, field: str, v: Violations, *, minimum: int | None = None, maximum: int | None = None,
           label: str | None = None) -> int | None:
    label = label or field.replace("_", " ")
    if isinstance(value, bool) or value is None or value == "":
        v.add(field, gettext("The %(label)s must be a whole number.", label=label))
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            v.add(field, gettext("The %(label)s must be a whole number.", label=label))
            return None
    if isinstance(value, float):
        if not value.is_integer():
            v.add(field, gettext("The %(label)s must be a whole number.", label=label))
            return None
        value = int(value)
    if not isinstance(value, int):
        v.add(field, gettext("The %(label)s must be a whole number.", label=label))
        return None
    if minimum is not None and value < minimum:
        v.add(field, gettext("The %(label)s must be at least %(minimum)s.", label=label, minimum=minimum))
        return None
    if maximum is not None and value > maximum:
        v.add(field, gettext("The %(label)s must be at most %(maximum)s.", label=label, maximum=maximum))
        return None
    return value


def as_money(value, field: str, v: Violations) -> Decimal | None:
    try:
        return fields.money(value, label="monthly rent", allow_minimum=False)
    except ValueError as exc:
        v.add(field, str(exc))
        return None


def as_date(value, field: str, v: Violations, label: str) -> date | None:
    day = None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if day is None:
        v.add(field, gettext("The %(label)s must be a date (YYYY-MM-DD).", label=label))
        return None
    if not date_in_range(day):
        v.add(field, gettext("The %(label)s: %(range_message)s", label=label, range_message=gettext(RANGE_MESSAGE)))
        return None
    return day
