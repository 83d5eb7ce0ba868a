"""How values read on a page, in one place, registered as Jinja filters and globals: times in
INNOCELL_TIMEZONE, days as people write them, money, report figures, labels of kinds and
unit types. Views import the same functions for their flash messages.

In English they read as they always have; in another chosen language (web/language.py) days,
times and money go through Babel in that locale (e.g. '2026年12月1日 週二 10:00', 'HK$1,234.50')."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal
from flask import Flask, current_app, g, has_request_context
from flask_babel import get_locale, gettext, ngettext

from ..extensions import db
from ..forms.housing import unit_type_label
from ..forms.spaces import kind_label as default_kind_label
from ..services import reports as report_service
from ..services import space_kinds as space_kind_service
from ..services.wording import localised as _localised
from ..services.housing import unit_types as unit_type_service
from ..timeutil import local_zone, parse_instant, to_local

UTC = timezone.utc


def as_instant(value) -> datetime | None:
    """A datetime or an ISO string (as services answer) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return parse_instant(str(value), local_zone())


def _locale():
    """The reader's Babel locale when it is not English (English keeps its own formats)."""
    if not has_request_context():
        return None
    locale = get_locale()
    return None if locale is None or locale.language == "en" else locale


def local_time(value, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """An instant in the local zone, e.g. 'Tue 01 Dec 2026 10:00'."""
    instant = as_instant(value)
    if not instant:
        return ""
    moment = to_local(instant, local_zone())
    locale = _locale()
    return _localised(moment, fmt, locale) if locale is not None else moment.strftime(fmt)


def day_format(value, fmt: str) -> str:
    """A day (or a local datetime) by a strftime format in English, the locale's way otherwise."""
    if value is None or value == "":
        return ""
    locale = _locale()
    return _localised(value, fmt, locale) if locale is not None else value.strftime(fmt)


def input_time(value) -> str:
    """An instant as a datetime-local input's value ('2026-12-01T10:00', local zone)."""
    return local_time(value, "%Y-%m-%dT%H:%M")


def day_text(value) -> str:
    """A day as people write it: '1 Mar 2027' (datetimes shown in the local zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10]) if len(value) <= 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = to_local(value, local_zone())
    locale = _locale()
    if locale is not None:
        return format_skeleton("yMMMd", value, locale=locale)
    return f"{value.day} {value:%b %Y}"


def moment_text(value) -> str:
    """An instant as '8 Dec 2026, 18:00' in the local zone."""
    if value is None:
        return ""
    local = to_local(value, local_zone())
    locale = _locale()
    if locale is not None:
        return _localised(local, "%d %b %Y %H:%M", locale)
    return f"{local.day} {local:%b %Y, %H:%M}"


def N_(message: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return message


# Statuses shown on the resident's pages: the stored value, read in the reader's language.
STATUSES = {value: value for value in (
    N_("pending"), N_("confirmed"), N_("cancelled"), N_("waiting"), N_("booked"), N_("expired"),
    N_("active"), N_("ending"), N_("ended"), N_("terminated"), N_("submitted"), N_("offered"),
    N_("waitlisted"), N_("housed"), N_("withdrawn"), N_("removed"), N_("open"), N_("accepted"),
    N_("declined"),
    # offer kinds, read the same way ('allocation offer' / '分配要約')
    N_("allocation"), N_("waitlist"), N_("renewal"))}


# A person's role as the reader reads it ('finance' / '財務').
ROLES = (N_("resident"), N_("manager"), N_("finance"), N_("admin"))


# Where an account stands (services.standing.STATES), as the people pages show it.
ACCOUNT_STATES = (N_("active"), N_("awaiting approval"), N_("deactivated"), N_("invited"), N_("unverified"))


def role_text(value) -> str:
    return gettext(value) if value in ROLES else ("" if value is None else str(value))


def state_text(value) -> str:
    return gettext(value) if value in ACCOUNT_STATES else ("" if value is None else str(value))


# Report names and their columns (keys such as 'occupied_unit_nights') as a heading reads them.
REPORT_WORDS = (N_("Occupancy"), N_("Utilisation"), N_("Revenue"), N_("Vacancy"), N_("Waitlist"),
                N_("Available unit nights"), N_("Occupied unit nights"), N_("Occupancy rate"), N_("Rent due"),
                N_("Open hours"), N_("Booked hours"), N_("Pending hours"), N_("Utilisation rate"), N_("Fees"),
                N_("Lab fees"), N_("Late cancellation fees"), N_("Total"))


def column_label(key: str | None) -> str:
    """'occupied_unit_nights' as a column heading: 'Occupied unit nights' / '已入住單位晚數'."""
    text = (key or "").replace("_", " ").capitalize()
    return gettext(text) if text in REPORT_WORDS else text


# What "My data" lists: the profile's fields and the kinds of record (table names), capitalised.
DATA_LABELS = (N_("Id"), N_("Email"), N_("Name"), N_("Role"), N_("Company"), N_("Priority tier"), N_("Active"),
               N_("Created at"), N_("Email reminders"), N_("Account links"), N_("Api tokens"), N_("Authorisations"),
               N_("Bookings"), N_("Calendar feeds"), N_("Idempotency keys"), N_("Leases"), N_("Notifications"),
               N_("Payments"), N_("Charges"), N_("Housing applications"), N_("Slot requests"), N_("Waitlist entries"),
               N_("Offers"), N_("Audit events"), N_("Login attempts"))


def data_label(key: str | None) -> str:
    """'priority_tier' or 'waitlist entries' as a label: 'Priority tier' / '優先級別'."""
    text = (key or "").replace("_", " ").capitalize()
    return gettext(text) if text in DATA_LABELS else text


def status_text(value) -> str:
    """A status as the reader reads it ('confirmed' / '已確認'); unknown values as they are."""
    return gettext(value) if value in STATUSES else ("" if value is None else str(value))


def term_text(months: int | None, nights: int | None) -> str:
    if months:
        return ngettext("%(num)d month", "%(num)d months", months)
    if nights:
        return ngettext("%(num)d night", "%(num)d nights", nights)
    return ""


def hours_label(windows) -> str:
    return ", ".join(f"{a}–{b}" for a, b in windows) if windows else gettext("closed")


def money(value) -> str:
    """HK$1,234.50"""
    if value is None:
        return ""
    locale = _locale()
    if locale is not None:
        return format_currency(Decimal(value), "HKD", locale=locale)
    return f"HK${Decimal(value):,.2f}"


def amount(value) -> str:
    """1,234.50 (a figure in a column headed with its unit)."""
    if value is None:
        return ""
    locale = _locale()
    if locale is not None:
        return format_decimal(Decimal(value), "#,##0.00", locale=locale)
    return f"{Decimal(value):,.2f}"


def report_value(value, kind: str) -> str:
    """A presented figure as text: money and hours with two places, rates as percentages."""
    if value is None:
        return "—"
    if kind == report_service.RATE:
        return f"{float(value) * 100:.1f}%"
    if kind in (report_service.MONEY, report_service.HOURS):
        return amount(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def signed(value, kind: str) -> str:
    """A difference with its sign: +1.5 pts, -200.00."""
    if value is None:
        return "—"
    if kind == report_service.RATE:
        return f"{float(value) * 100:+.1f} pts"
    if kind in (report_service.MONEY, report_service.HOURS):
        return f"{Decimal(value):+,.2f}"
    return f"{value:+,}"


def _chinese() -> bool:
    locale = _locale()
    return locale is not None and locale.language == "zh"


def _kind_labels() -> dict[str, str]:
    """The managed kinds' labels, in Chinese for a Chinese reader where a kind has one."""
    labels = space_kind_service.labels(db.session)
    if _chinese():
        labels.update(space_kind_service.chinese_labels(db.session))
    return labels


def kind_label(kind: str | None) -> str:
    """A space kind as the reader reads it: its label in the managed list, or its Chinese label
    for a Chinese reader (read once a request)."""
    if not kind:
        return ""
    labels = g.get("kind_labels")
    if labels is None:
        labels = g.kind_labels = _kind_labels()
    return labels.get(kind) or default_kind_label(kind)


def kind_labeller():
    """kind_label with the managed list read now: for a file that is written after the
    request's context has gone."""
    labels = _kind_labels()
    return lambda kind: (labels.get(kind) or default_kind_label(kind)) if kind else ""


def _unit_type_names() -> dict[str, str]:
    return unit_type_service.chinese_names(db.session) if _chinese() else {}


def unit_type_name(unit_type: str | None) -> str:
    """A unit type as the reader reads it: its Chinese name for a Chinese reader when the type
    has one (read once a request), else its English name."""
    if not unit_type:
        return ""
    names = g.get("unit_type_names")
    if names is None:
        names = g.unit_type_names = _unit_type_names()
    return names.get(unit_type) or unit_type_label(unit_type)


def unit_type_labeller():
    """unit_type_name with the names read now (a file written after the request)."""
    names = _unit_type_names()
    return lambda unit_type: (names.get(unit_type) or unit_type_label(unit_type)) if unit_type else ""


def endpoint_exists(name: str) -> bool:
    return name in current_app.view_functions


FILTERS = {"local": local_time, "dayf": day_format, "status_text": status_text, "money": money, "dmy": day_text, "moment": moment_text,
           "report_value": report_value, "signed": signed}
GLOBALS = {"kind_label": kind_label, "unit_type_label": unit_type_name, "term_text": term_text,
           "iso_local": input_time, "fmt_local": local_time, "hours_label": hours_label,
           "endpoint_exists": endpoint_exists, "role_text": role_text, "state_text": state_text,
           "column_label": column_label, "data_label": data_label}


def register(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
