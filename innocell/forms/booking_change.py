"""Forms to change a booking: the booking form without the weekly repeat, plus the space."""
from __future__ import annotations

from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from flask_wtf import FlaskForm

from .spaces import BookingForm


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ChangeBookingForm(BookingForm):
    """New space, day, start and end (or length), and title; prefilled with the booking's."""

    repeat_weeks = None  # a change moves this one booking
    space_id = SelectField("Space", coerce=_int_or_none, validators=[InputRequired(message="Choose a space.")])


class TakeSuggestionForm(FlaskForm):
    """One click on a suggested free time: change the booking to exactly this interval."""

    space_id = HiddenField()
    start = HiddenField()
    end = HiddenField()
