"""The Repeat section of the booking form: a recurrence rule as a resident chooses it (none,
daily, weekly, every N weeks, monthly by date or weekday; until a date or N times; skipping
public holidays). The booking page renders these fields inside its own form; the series pages
read them with the booking's date, times and title."""
from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField
from wtforms.validators import NumberRange, Optional

from ..allocation.recurrence import MAX_INTERVAL, MAX_OCCURRENCES, Rule
from . import select_choices
from .fields import DateField
from .spaces import BookingForm

FREQ_CHOICES = [("none", "Does not repeat"), ("daily", "Every day"), ("weekly", "Every week"),
                ("weeks", "Every N weeks"), ("monthly", "Every month")]
BY_CHOICES = [("date", "on the same date (e.g. the 15th)"), ("weekday", "on the same weekday (e.g. the second Tuesday)"),
              ("last_weekday", "on the last such weekday of the month")]
ENDS_CHOICES = [("count", "after a number of times"), ("until", "on a date")]


class SeriesForm(BookingForm):
    freq = SelectField(lazy_gettext("Repeat"), choices=select_choices(FREQ_CHOICES), default="none")
    interval = IntegerField(lazy_gettext("Every how many weeks"), default=2, validators=[
        Optional(), NumberRange(min=1, max=MAX_INTERVAL, message=lazy_gettext("Choose from 1 to %(max)s weeks."))])
    monthly_by = SelectField(lazy_gettext("Monthly"), choices=select_choices(BY_CHOICES), default="date")
    ends = RadioField(lazy_gettext("Ends"), choices=select_choices(ENDS_CHOICES), default="count")
    count = IntegerField(lazy_gettext("Times"), default=4, validators=[
        Optional(), NumberRange(min=1, max=MAX_OCCURRENCES, message=lazy_gettext("Choose from 1 to %(max)s times."))])
    until = DateField(lazy_gettext("Until (inclusive)"), validators=[Optional()])
    skip_holidays = BooleanField(lazy_gettext("Skip public holidays"))
    action = HiddenField(default="preview")
    repeat_weeks = None  # the older weekly repeat is not part of this form

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.freq.data == "none":
            self.freq.errors = list(self.freq.errors) + ["Choose how the booking repeats."]
            ok = False
        if self.ends.data == "until" and self.until.data is None and not self.until.errors:
            self.until.errors = list(self.until.errors) + ["Choose the last date."]
            ok = False
        if self.ends.data != "until" and self.count.data is None and not self.count.errors:
            self.count.errors = list(self.count.errors) + ["Say how many times."]
            ok = False
        return ok

    def rule(self) -> Rule:
        freq = self.freq.data
        interval = (self.interval.data or 1) if freq == "weeks" else 1
        until = self.until.data if self.ends.data == "until" else None
        return Rule(freq="weekly" if freq == "weeks" else freq, interval=interval,
                    count=None if until else self.count.data, until=until,
                    by=self.monthly_by.data if freq == "monthly" else "date",
                    skip_holidays=bool(self.skip_holidays.data))
