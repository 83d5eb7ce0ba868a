"""How the core words what it finds, in the reader's language (issue 17).

The core's results stay structured (a rule or reason code with its facts); their sentences are
written through a `Phrasing` the caller passes in. The default, `ENGLISH`, writes the msgids
as they are and days and times in the core's own English formats, so the core's English never
changes. `Localised` (built by the service layer from the request's Babel catalogue and locale)
translates the msgids and writes days and times the locale's way (babel.dates, a plain library).

Msgids are marked where they are written (`_("...")`, `_.ngettext(...)`, `N_`) so
`make translations` extracts them; keep %(name)s placeholders exact."""
from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_skeleton

def N_(message: str) -> str:
    """Marks a msgid for the catalogue; it is translated where it is phrased."""
    return message


WEEKDAYS_PLURAL = (N_("Mondays"), N_("Tuesdays"), N_("Wednesdays"), N_("Thursdays"), N_("Fridays"),
                   N_("Saturdays"), N_("Sundays"))


class Phrasing:
    """English: msgids as written; `_("... %(x)s", x=1)` fills the placeholders."""

    locale = None

    def gettext(self, message: str) -> str:
        return message

    def _plural(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def __call__(self, message: str, **params) -> str:
        text = self.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params) -> str:
        params.setdefault("num", n)
        return self._plural(singular, plural, n) % params

    # Days and times (already in the local zone): English keeps the core's formats.
    def moment(self, local: datetime) -> str:
        """'Tue 08 Dec 2026 14:00'."""
        return local.strftime("%a %d %b %Y %H:%M")

    def stamp(self, local: datetime) -> str:
        """'08 Dec 2026 14:00'."""
        return local.strftime("%d %b %Y %H:%M")

    def day(self, day: date) -> str:
        """'Tue 08 Dec 2026'."""
        return day.strftime("%a %d %b %Y")

    def plain_day(self, day: date) -> str:
        """'08 Dec 2026'."""
        return day.strftime("%d %b %Y")

    def iso_day(self, day: date) -> str:
        """'2026-12-08' in English (as the short-stay limits always wrote it), the locale's way else."""
        return day.isoformat()

    def date(self, day: date) -> str:
        """'1 Mar 2027' (as the housing pages write a day)."""
        return f"{day.day} {day:%b %Y}"

    def clock(self, local: datetime) -> str:
        return local.strftime("%H:%M")

    def duration(self, minutes: float) -> str:
        """'1 h 30 min', '2 h', '45 min'."""
        minutes = int(round(minutes))
        hours, mins = divmod(minutes, 60)
        if hours and mins:
            return self(N_("%(hours)s h %(minutes)s min"), hours=hours, minutes=mins)
        if hours:
            return self(N_("%(hours)s h"), hours=hours)
        return self(N_("%(minutes)s min"), minutes=mins)

    def weekdays(self, index: int) -> str:
        """'Mondays' .. 'Sundays' (index 0 = Monday)."""
        return self(WEEKDAYS_PLURAL[index])


class Localised(Phrasing):
    """The reader's language: `translations` a gettext catalogue (e.g. Flask-Babel's), days and
    times by Babel in `locale`."""

    def __init__(self, translations, locale):
        self.translations = translations
        self.locale = locale

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def _plural(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def moment(self, local: datetime) -> str:
        return f"{format_skeleton('yMMMdEEE', local, locale=self.locale)} {local:%H:%M}"

    def stamp(self, local: datetime) -> str:
        return f"{format_skeleton('yMMMd', local, locale=self.locale)} {local:%H:%M}"

    def day(self, day: date) -> str:
        return format_skeleton("yMMMdEEE", day, locale=self.locale)

    def plain_day(self, day: date) -> str:
        return format_skeleton("yMMMd", day, locale=self.locale)

    def date(self, day: date) -> str:
        return format_skeleton("yMMMd", day, locale=self.locale)

    def iso_day(self, day: date) -> str:
        return self.date(day)


ENGLISH = Phrasing()
