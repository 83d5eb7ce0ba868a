"""A notice's words, written in its reader's language (issue 17).

A service describes a notice with `_()` (a message id marked for the catalogue, with %(name)s
values), `sentences()` and the values in it (`When`, `Day`, `Money`); nothing is
translated then. `written(text, language)` renders it inside flask_babel.force_locale, which
needs only an application context (flask.g), no request: `notify` writes each notice in the
language its recipient chose, whether a resident's own page, a manager acting on it, or a
scheduled job wrote it. Without an application context everything reads in English.

In English every value reads as the notices always have (e.g. 'Tue 01 Dec 10:00', '1 Mar 2027',
'HK$1,234.50'); in Chinese days and times go through Babel's skeletons in the park's zone
('2026年12月1日週二 10:00') and sentences are joined without spaces."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_skeleton
from babel.numbers import format_currency
from flask_babel import force_locale, get_locale, gettext

from ..timeutil import to_local
from .languages import ENGLISH, known


def _reader():
    """The Babel locale being written in, None for English (which keeps its own formats)."""
    try:
        locale = get_locale()
    except (KeyError, RuntimeError):  # an app without Flask-Babel, or no app at all
        return None
    return None if locale is None or locale.language == "en" else locale


class Text:
    """A message id and its values, translated when it is rendered (str())."""
    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params

    def __str__(self) -> str:
        translated = gettext(self.msgid)
        return translated % {k: str(v) for k, v in self.params.items()} if self.params else translated


def _(msgid: str, **params) -> Text:
    """Mark a notice's text (extracted by `make translations` as `_`)."""
    return Text(msgid, **params)


class sentences:  # noqa: N801
    """Parts read one after another: spaced in English, run together in Chinese."""
    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = [p for p in parts if p is not None and p != ""]

    def __str__(self) -> str:
        locale = _reader()
        sep = "" if locale is not None and locale.language == "zh" else " "
        return sep.join(str(p) for p in self.parts)


def localised(moment, fmt: str, locale) -> str:
    """A strftime format's fields written the locale's way: the day part by a Babel skeleton
    (year, month, day, weekday as `fmt` has them), then the time."""
    if "%Y-%m-%d" in fmt or "%Y-%m-%dT" in fmt:
        return moment.strftime(fmt)  # machine formats (input values, ISO days) stay as they are
    month = "MMMM" if "%B" in fmt and "%d" not in fmt else "MMMd" if "%d" in fmt else "MMM" if "%b" in fmt else ""
    skeleton = ("y" if "%Y" in fmt or "%y" in fmt else "") + month + \
        ("EEEE" if "%A" in fmt else "EEE" if "%a" in fmt else "")
    day = format_skeleton(skeleton, moment, locale=locale) if skeleton else ""
    clock = moment.strftime("%H:%M:%S" if "%S" in fmt else "%H:%M") if "%H" in fmt else ""
    return " ".join(part for part in (day, clock) if part)


class When:
    """An instant in the park's zone by a strftime format ('%a %d %b %H:%M')."""
    __slots__ = ("instant", "fmt", "tz")

    def __init__(self, instant: datetime, fmt: str = "%a %d %b %Y %H:%M", tz=None):
        self.instant, self.fmt, self.tz = instant, fmt, tz

    def __str__(self) -> str:
        from .settings import zone  # needs the app's config; only read when written
        moment = to_local(self.instant, self.tz or zone())
        locale = _reader()
        return localised(moment, self.fmt, locale) if locale is not None else moment.strftime(self.fmt)


class Day:
    """A calendar day: '1 Mar 2027' (or '2027-03-01' with iso=True) in English."""
    __slots__ = ("day", "iso")

    def __init__(self, day: date, *, iso: bool = False):
        self.day, self.iso = day, iso

    def __str__(self) -> str:
        locale = _reader()
        if locale is not None:
            return format_skeleton("yMMMd", self.day, locale=locale)
        return self.day.isoformat() if self.iso else f"{self.day.day} {self.day:%b %Y}"


class Money:
    """HK$1,234.50"""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = Decimal(value)

    def __str__(self) -> str:
        locale = _reader()
        if locale is not None:
            return format_currency(self.value, "HKD", locale=locale)
        return f"HK${self.value:,.2f}"


class UnitType:
    """A unit type as its reader names it: the Chinese name its managers gave it (unit type
    settings) for a Chinese reader, else its key, as English notices have always said it."""
    __slots__ = ("key", "name_zh")

    def __init__(self, key: str, name_zh: str | None = None):
        self.key, self.name_zh = key, name_zh

    def __str__(self) -> str:
        locale = _reader()
        if locale is not None and locale.language == "zh" and self.name_zh:
            return self.name_zh
        return self.key


def written(text, language: str | None) -> str:
    """The text in `language` (an unknown or missing one: English); a plain str as it is."""
    if text is None or isinstance(text, str):
        return text
    with force_locale(known(language) or ENGLISH):
        return str(text)



FULL = "%a %d %b %Y %H:%M"


def span(start: datetime, end: datetime, tz) -> Text:
    """'Tue 08 Dec 2026 14:00-16:00', or both ends in full when the span crosses midnight."""
    if to_local(start, tz).date() == to_local(end, tz).date():
        return _("%(start)s-%(end)s", start=When(start, FULL, tz), end=When(end, "%H:%M", tz))
    return _("%(start)s to %(end)s", start=When(start, FULL, tz), end=When(end, FULL, tz))


def N_(msgid: str) -> str:
    """Mark a message id kept in a table; `Text(msgid, ...)` translates it where it is written."""
    return msgid
