"""Forms to change a booking: the booking form without the weekly repeat, plus the space."""
from __future__ import annotations

from flask_babel import lazy_gettext
from wtforms import HiddenField, RadioField, SelectField
from wtforms.validators import InputRequired

from flask_wtf import FlaskForm

from . import select_choices
from .spaces import BookingForm

SCOPE_CHOICES = [("one", "Only this booking"), ("following", "This and every later booking of the series"),
                 ("series", "The whole series (every booking not yet begun)")]


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ChangeBookingForm(BookingForm):
    """New space, day, start and end (or length), and title; prefilled with the booking's."""

    repeat_weeks = None  # a change moves this one booking
    space_id = SelectField(lazy_gettext("Space"), coerce=_int_or_none, validators=[InputRequired(message=lazy_gettext("Choose a space."))])
    # Shown for an occurrence of a series only: which occurrences take the same change.
    scope = RadioField(lazy_gettext("Change"), choices=select_choices(SCOPE_CHOICES), default="one")


class TakeSuggestionForm(FlaskForm):
    """One click on a suggested free time: change the booking to exactly this interval."""

    space_id = HiddenField()
    start = HiddenField()
    end = HiddenField()
