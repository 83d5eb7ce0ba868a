"""Forms for booking spaces (residents) and keeping them (managers).

Times are local wall-clock values in INNOCELL_TIMEZONE; the views turn them into instants.
Opening hours are typed per weekday as "08:00-12:00, 13:00-22:00" (empty: closed)."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from . import select_choices
from .fields import DateField, DateTimeLocalField
from .space_attributes import AttributeFields, AttributeFilterFields

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

KIND_LABELS = {
    "wet_lab": "Wet labs",
    "dry_lab": "Dry labs",
    "meeting_room": "Meeting rooms",
    "event_space": "Event spaces",
    "gym": "Gym",
    "music_room": "Music rooms",
}

LENGTH_CHOICES = [(m, f"{m // 60} h {m % 60:02d} min" if m % 60 else f"{m // 60} h") for m in
                  (30, 60, 90, 120, 150, 180, 240, 300, 360, 480, 600, 720)]
LENGTH_CHOICES[0] = (30, "30 min")

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def kind_label(kind: str) -> str:
    """A kind's label without the database: the seeded labels, else the key made readable
    (pages read the managed labels through web.display.kind_label)."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def parse_windows(text: str) -> list[list[str]]:
    """'08:00-12:00, 13:00-22:00' -> [["08:00","12:00"],["13:00","22:00"]]; '' -> [] (closed).
    Raises ValueError with a sentence naming the bad part."""
    windows = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        bits = [b.strip() for b in re.split(r"\s*[-–]\s*", part)]
        if len(bits) != 2:
            raise ValueError(gettext("'%(part)s' is not a window; write it as 08:00-12:00.", part=part))
        start, end = (b if len(b) == 5 else b.zfill(5) for b in bits)
        if not _HHMM.match(start) or start == "24:00":
            raise ValueError(gettext("'%(text)s' is not a time of day (HH:MM).", text=bits[0]))
        if not _HHMM.match(end):
            raise ValueError(gettext("'%(text)s' is not a time of day (HH:MM, 24:00 for midnight).", text=bits[1]))
        if end <= start:
            raise ValueError(gettext("In '%(part)s' the end must come after the start.", part=part))
        windows.append([start, end])
    windows.sort()
    for before, after in zip(windows, windows[1:]):
        if after[0] < before[1]:
            raise ValueError(gettext("The windows %(first)s and %(second)s overlap.", first="-".join(before),
                                     second="-".join(after)))
    return windows


def format_windows(windows) -> str:
    return ", ".join(f"{a}-{b}" for a, b in (windows or []))


def validate_hhmm(allow_24: bool):
    def _check(form, field):
        value = (field.data or "").strip()
        if len(value) == 4 and value[1] == ":":
            value = "0" + value
        if not _HHMM.match(value) or (value == "24:00" and not allow_24):
            raise ValidationError(gettext("Enter a time of day as HH:MM (24:00 for midnight).") if allow_24
                                  else gettext("Enter a time of day as HH:MM."))
        field.data = value

    return _check


class FindSpaceForm(AttributeFilterFields, FlaskForm):
    """GET search: which spaces of a kind, with the ticked equipment and enough seats, are free
    for a stretch of time."""

    class Meta:
        csrf = False

    kind = SelectField(lazy_gettext("Kind of space"), validators=[DataRequired()])
    date = DateField(lazy_gettext("Date"), validators=[InputRequired(message=lazy_gettext("Choose a date."))])
    start = TimeField(lazy_gettext("Start time"), validators=[InputRequired(message=lazy_gettext("Choose a start time."))])
    length = SelectField(lazy_gettext("Length"), coerce=int, choices=select_choices(LENGTH_CHOICES), default=60)


class BookingForm(FlaskForm):
    date = DateField(lazy_gettext("Date"), validators=[InputRequired(message=lazy_gettext("Choose a date."))])
    start = TimeField(lazy_gettext("Start"), validators=[InputRequired(message=lazy_gettext("Choose a start time."))])
    end = TimeField(lazy_gettext("End"), validators=[Optional()])
    length = SelectField(lazy_gettext("or length"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                         choices=select_choices([("", "use the end time")] + LENGTH_CHOICES), validators=[Optional()])
    title = StringField(lazy_gettext("Title"), validators=[Length(max=200)],
                        description=lazy_gettext("What it is for, shown to the managers (optional)."))
    repeat_weeks = IntegerField(lazy_gettext("Repeat weekly"), validators=[Optional(), NumberRange(min=1, max=26,
                                message=lazy_gettext("Repeat between 1 and 26 weeks, or leave it empty."))],
                                description=lazy_gettext("Number of weeks in all, including the first; empty for a single booking."))
    # Managers only (the view fills the choices): book on behalf of this resident.
    for_user = SelectField(lazy_gettext("Book for"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                           choices=[], validators=[Optional()], description=lazy_gettext("Leave empty to book for yourself."))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.end.data is None and not self.end.errors and not self.length.data:
            self.end.errors = list(self.end.errors) + ["Give an end time or choose a length."]
            ok = False
        return ok

    def interval_local(self) -> tuple[date, time, date, time]:
        """(start day, start time, end day, end time) as typed; an end at 00:00 means midnight."""
        day, start = self.date.data, self.start.data
        if self.length.data:
            from datetime import datetime

            begin = datetime.combine(day, start)
            finish = begin + timedelta(minutes=self.length.data)
            return day, start, finish.date(), finish.time()
        end = self.end.data
        end_day = day + timedelta(days=1) if end == time(0, 0) else day
        return day, start, end_day, end


class SuggestionForm(FlaskForm):
    """One-click alternative: book exactly this interval (ISO local times)."""

    space_id = HiddenField()
    start = HiddenField()
    end = HiddenField()
    title = HiddenField()
    repeat_weeks = HiddenField()
    for_user = HiddenField()


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token, for confirmations."""


class CancelForm(FlaskForm):
    reason = StringField(lazy_gettext("Reason (optional)"), validators=[Length(max=300)])


class RejectForm(FlaskForm):
    reason = StringField(lazy_gettext("Reason"), validators=[DataRequired(message=lazy_gettext("Tell the resident why.")), Length(max=300)])


class SpaceForm(AttributeFields, FlaskForm):
    code = StringField(lazy_gettext("Code"), validators=[DataRequired(), Length(max=40)], description=lazy_gettext("Short and unique, e.g. WL-04."))
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(lazy_gettext("Kind"), validators=[DataRequired(message=lazy_gettext("Choose the kind of space."))],
                       description=lazy_gettext("One of the managed kinds; its quota and simultaneous limit apply."))
    description = TextAreaField(lazy_gettext("Description"), validators=[Optional(), Length(max=4000)])
    capacity = IntegerField(lazy_gettext("Capacity"), default=1, validators=[InputRequired(), NumberRange(min=1, max=1000)],
                            description=lazy_gettext("How many bookings may overlap (benches, seats)."))
    slot_minutes = IntegerField(lazy_gettext("Slot grid (minutes)"), default=30, validators=[InputRequired(), NumberRange(min=1, max=1440)])
    min_minutes = IntegerField(lazy_gettext("Shortest booking (minutes)"), default=30, validators=[InputRequired(), NumberRange(min=1, max=100000)])
    max_minutes = IntegerField(lazy_gettext("Longest booking (minutes)"), default=480, validators=[InputRequired(), NumberRange(min=1, max=100000)])
    buffer_minutes = IntegerField(lazy_gettext("Buffer after each booking (minutes)"), default=0,
                                  validators=[InputRequired(), NumberRange(min=0, max=1440)])
    max_days_ahead = IntegerField(lazy_gettext("Bookable days ahead"), default=60, validators=[InputRequired(), NumberRange(min=1, max=3650)])
    hourly_rate = DecimalField(lazy_gettext("Hourly rate (HK$)"), default=0, places=2,
                               validators=[InputRequired(), NumberRange(min=0, max=1000000)])
    requires_approval = BooleanField(lazy_gettext("Bookings need a manager's approval"))
    requires_authorisation = BooleanField(lazy_gettext("Only authorised (trained) users may book"))
    requires_checkin = BooleanField(lazy_gettext("Holders must check in"))
    closed_on_holidays = BooleanField(lazy_gettext("Closed on Hong Kong public holidays"))
    late_cancel_hours = IntegerField(lazy_gettext("Late-cancellation window (hours)"), default=0,
                                     validators=[Optional(), NumberRange(min=0, max=720)],
                                     description=lazy_gettext("A holder's cancellation less than this many hours before the start "
                                                 "is recorded as late; 0 or empty: no window."))
    late_cancel_fee = DecimalField(lazy_gettext("Late-cancellation fee (HK$)"), default=0, places=2,
                                   validators=[Optional(), NumberRange(min=0, max=1000000)])
    hours_mon = StringField(lazy_gettext("Monday"))
    hours_tue = StringField(lazy_gettext("Tuesday"))
    hours_wed = StringField(lazy_gettext("Wednesday"))
    hours_thu = StringField(lazy_gettext("Thursday"))
    hours_fri = StringField(lazy_gettext("Friday"))
    hours_sat = StringField(lazy_gettext("Saturday"))
    hours_sun = StringField(lazy_gettext("Sunday"))
    confirm = HiddenField(default="")  # "yes": cancel the upcoming bookings the change breaks

    def hour_fields(self):
        return [getattr(self, f"hours_{d}") for d in WEEKDAY_KEYS]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for f in self.hour_fields():
            try:
                parse_windows(f.data)
            except ValueError as exc:
                f.errors = list(f.errors) + [str(exc)]
                ok = False
        if (self.min_minutes.data and self.max_minutes.data and not self.max_minutes.errors
                and self.max_minutes.data < self.min_minutes.data):
            self.max_minutes.errors = list(self.max_minutes.errors) + ["The longest booking cannot be shorter than the shortest."]
            ok = False
        return ok

    def opening_hours(self) -> dict:
        return {d: w for d in WEEKDAY_KEYS if (w := parse_windows(getattr(self, f"hours_{d}").data))}

    def fill_hours(self, opening_hours: dict) -> None:
        for d in WEEKDAY_KEYS:
            getattr(self, f"hours_{d}").data = format_windows((opening_hours or {}).get(d))

    def to_data(self) -> dict:
        return {
            "code": self.code.data.strip(), "name": self.name.data.strip(), "kind": self.kind.data.strip(),
            "description": (self.description.data or "").strip() or None, "capacity": self.capacity.data,
            "opening_hours": self.opening_hours(), "slot_minutes": self.slot_minutes.data,
            "min_minutes": self.min_minutes.data, "max_minutes": self.max_minutes.data,
            "buffer_minutes": self.buffer_minutes.data, "max_days_ahead": self.max_days_ahead.data,
            "hourly_rate": str(self.hourly_rate.data), "requires_approval": bool(self.requires_approval.data),
            "requires_authorisation": bool(self.requires_authorisation.data),
            "requires_checkin": bool(self.requires_checkin.data),
            "closed_on_holidays": bool(self.closed_on_holidays.data),
            "late_cancel_hours": self.late_cancel_hours.data or 0,
            "late_cancel_fee": str(self.late_cancel_fee.data or 0),
            **self.attribute_data(),
        }


class SpaceKindForm(FlaskForm):
    """A managed kind of space; the key is set once, when the kind is added."""

    key = StringField(lazy_gettext("Key"), validators=[DataRequired(message=lazy_gettext("Give the key, e.g. wet_lab.")), Length(max=40)],
                      description=lazy_gettext("Lower-case letters, digits and underscores, e.g. wet_lab; it cannot change later."))
    label = StringField(lazy_gettext("Label"), validators=[DataRequired(message=lazy_gettext("Give the name people read, e.g. Wet labs.")),
                                             Length(max=100)])
    label_zh = StringField(lazy_gettext("Label in Chinese (Traditional)"), validators=[Optional(), Length(max=100)],
                           description=lazy_gettext("What Chinese readers see, e.g. 濕實驗室; empty: the label above."))
    quota_hours = DecimalField(lazy_gettext("Weekly quota (hours)"), places=2,
                               validators=[InputRequired(message=lazy_gettext("Give the hours a resident may book a week.")),
                                           NumberRange(min=0, max=168)],
                               description=lazy_gettext("Hours a resident may book a week in spaces of this kind."))
    simultaneous = IntegerField(lazy_gettext("Bookings at the same time"), validators=[
        InputRequired(message=lazy_gettext("Say how many bookings one resident may hold at once.")), NumberRange(min=1, max=100)],
        description=lazy_gettext("How many bookings of this kind one resident may hold at the same instant."))

    def to_data(self, *, with_key: bool) -> dict:
        data = {"label": self.label.data.strip(), "label_zh": (self.label_zh.data or "").strip() or None,
                "quota_hours": str(self.quota_hours.data),
                "simultaneous": self.simultaneous.data}
        if with_key:
            data["key"] = self.key.data.strip()
        return data


class EditSpaceKindForm(SpaceKindForm):
    key = None  # the key is fixed once the kind exists


class BlackoutForm(FlaskForm):
    start = DateTimeLocalField(lazy_gettext("From"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(message=lazy_gettext("Give the start."))])
    end = DateTimeLocalField(lazy_gettext("Until"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(message=lazy_gettext("Give the end."))])
    reason = StringField(lazy_gettext("Reason"), validators=[DataRequired(message=lazy_gettext("Say why (residents see it).")), Length(max=300)])
    confirm = HiddenField(default="")

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(gettext("The end must come after the start."))


class RecurringBlackoutForm(FlaskForm):
    weekday = SelectField(lazy_gettext("Every"), coerce=int, choices=select_choices((i, lazy_gettext(name)) for i, name in enumerate(WEEKDAY_NAMES)))
    start_time = StringField(lazy_gettext("From (HH:MM)"), validators=[DataRequired(), validate_hhmm(False)])
    end_time = StringField(lazy_gettext("Until (HH:MM)"), validators=[DataRequired(), validate_hhmm(True)])
    valid_from = DateField(lazy_gettext("Starting on"), validators=[Optional()])
    valid_until = DateField(lazy_gettext("Until (exclusive)"), validators=[Optional()])
    reason = StringField(lazy_gettext("Reason"), validators=[DataRequired(message=lazy_gettext("Say why (residents see it).")), Length(max=300)])

    def validate_end_time(self, field):
        if not self.start_time.errors and self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(gettext("The end must come after the start."))

    def validate_valid_until(self, field):
        if self.valid_from.data and field.data and field.data <= self.valid_from.data:
            raise ValidationError(gettext("The last day must come after the first."))


class AuthorisationForm(FlaskForm):
    email = EmailField(lazy_gettext("User's email"), validators=[DataRequired(), Length(max=255)])
    space_id = SelectField(lazy_gettext("Space"), coerce=int)
    expires_on = DateField(lazy_gettext("Expires on"), validators=[Optional()], description=lazy_gettext("Empty: does not expire."))
    note = StringField(lazy_gettext("Note"), validators=[Optional(), Length(max=300)], description=lazy_gettext("e.g. the training course passed."))


class BookingFilterForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField(lazy_gettext("From"), validators=[Optional()])
    date_to = DateField(lazy_gettext("To (inclusive)"), validators=[Optional()])
    status = SelectField(lazy_gettext("Status"), choices=select_choices([("", lazy_gettext("any")), ("confirmed", lazy_gettext("confirmed")), ("pending", lazy_gettext("pending")),
                                            ("cancelled", lazy_gettext("cancelled"))]), validators=[Optional()])
    user = StringField(lazy_gettext("User email"), validators=[Optional(), Length(max=255)])

    def validate_date_to(self, field):
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(gettext("The last day cannot come before the first."))
