"""Forms for housing: a resident's application, and the manager's units, outages, leases,
terminations, waitlist reorders and round commits. Dates are local calendar days
(INNOCELL_TIMEZONE); lease and stay ends are exclusive (the day the resident moves out)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_babel import gettext, lazy_gettext
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..models.housing import UNIT_TYPES
from . import select_choices
from .fields import DateField

UNIT_TYPE_LABELS = {
    "solo": "Solo (one person)",
    "twin": "Twin (two people)",
    "suite": "Suite",
    "powerhub": "Powerhub (team of up to four)",
}

MAX_SHORT_STAY_NIGHTS = 90


def unit_type_label(unit_type: str) -> str:
    return UNIT_TYPE_LABELS.get(unit_type, unit_type.replace("_", " ").capitalize())


def unit_type_choices(with_any: bool = False) -> list[tuple[str, str]]:
    choices = [(t, unit_type_label(t)) for t in UNIT_TYPES]
    return ([("", "Any type")] if with_any else []) + choices


def parse_unit_codes(text: str) -> list[str]:
    """'03-05, 07-12' -> ['03-05', '07-12'] (order kept, duplicates dropped, upper-cased)."""
    codes: list[str] = []
    for part in (text or "").replace(";", ",").replace("\n", ",").split(","):
        code = part.strip().upper()
        if code and code not in codes:
            codes.append(code)
    return codes


class ApplicationForm(FlaskForm):
    unit_type = SelectField(lazy_gettext("Unit type"), choices=select_choices(unit_type_choices()), validators=[DataRequired()])
    move_in = DateField(lazy_gettext("Move-in date"), validators=[InputRequired(message=lazy_gettext("Choose the day you want to move in."))])
    term_kind = RadioField(lazy_gettext("Length of stay"), choices=select_choices([("months", lazy_gettext("A lease of 1 to 12 months")),
                                                       ("nights", lazy_gettext("A short stay, counted in nights"))]),
                           default="months", validators=[DataRequired()])
    term_months = IntegerField(lazy_gettext("Months"), default=12, validators=[Optional(), NumberRange(
        min=1, max=12, message=lazy_gettext("A lease runs from 1 to 12 months."))])
    term_nights = IntegerField(lazy_gettext("Nights"), validators=[Optional(), NumberRange(
        min=1, max=MAX_SHORT_STAY_NIGHTS, message=lazy_gettext("A short stay is 1 to %(max)s nights."))])
    occupants = IntegerField(lazy_gettext("Occupants"), default=1, validators=[InputRequired(message=lazy_gettext("Say how many will live there.")),
                                                                  NumberRange(min=1, max=8, message=lazy_gettext("Between 1 and 8 people."))])
    partner_email = EmailField(lazy_gettext("Sharing a twin unit? Your partner's email (optional)"),
                               validators=[Optional(), Length(max=254)])
    # Preferences are picked from the list of units (choices set by the page), never typed.
    preferred_1 = SelectField(lazy_gettext("First choice"), choices=select_choices([("", lazy_gettext("No preference"))]), default="")
    preferred_2 = SelectField(lazy_gettext("Second choice"), choices=select_choices([("", lazy_gettext("No preference"))]), default="")
    preferred_3 = SelectField(lazy_gettext("Third choice"), choices=select_choices([("", lazy_gettext("No preference"))]), default="")
    preferred_floor = SelectField(lazy_gettext("Or: any unit of the type on floor"), choices=select_choices([("", lazy_gettext("Any floor"))]), default="")

    PREFERENCE_FIELDS = ("preferred_1", "preferred_2", "preferred_3")

    def set_unit_choices(self, units, floors) -> None:
        """Offer every unit (code, type, floor, rent) in each preference list, and the floors."""
        options = [("", "No preference")] + [
            (str(u.id), f"{u.code} · {unit_type_label(u.unit_type)} · floor {u.floor} · HK${u.monthly_rent:,.0f}")
            for u in units]
        for name in self.PREFERENCE_FIELDS:
            getattr(self, name).choices = select_choices(options)
        self.preferred_floor.choices = select_choices([("", "Any floor")] + [(str(f), f"Floor {f}") for f in floors])

    def preferred_ids(self) -> list[int]:
        return [int(getattr(self, n).data) for n in self.PREFERENCE_FIELDS if getattr(self, n).data]

    def floor(self) -> int | None:
        return int(self.preferred_floor.data) if self.preferred_floor.data else None

    def fill_preferences(self, ids, floor) -> None:
        for name, uid in zip(self.PREFERENCE_FIELDS, list(ids or ())):
            getattr(self, name).data = str(uid)
        self.preferred_floor.data = "" if floor is None else str(floor)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # The term field that matters must be given (Optional() stops the field's own chain).
        if self.term_kind.data == "months" and self.term_months.data is None and not self.term_months.errors:
            self.term_months.errors = list(self.term_months.errors) + ["Say how many months (1 to 12)."]
            ok = False
        if self.term_kind.data == "nights" and self.term_nights.data is None and not self.term_nights.errors:
            self.term_nights.errors = list(self.term_nights.errors) + [
                f"Say how many nights (1 to {MAX_SHORT_STAY_NIGHTS})."]
            ok = False
        return ok

    def term(self) -> tuple[int, int]:
        """(term_months, term_nights) as the service takes them."""
        if self.term_kind.data == "nights":
            return 0, int(self.term_nights.data)
        return int(self.term_months.data), 0


class ChangeApplicationForm(ApplicationForm):
    """The same fields as applying, plus the confirmation a change of unit type needs."""

    confirm_type_change = BooleanField(lazy_gettext("I understand: change the unit type and give up my place in the current queue"))


class RoomChangeForm(FlaskForm):
    unit_type = SelectField(lazy_gettext("Move to a unit of type"), choices=select_choices(unit_type_choices()),
                            validators=[DataRequired()])
    move_on = DateField(lazy_gettext("Moving day"), validators=[InputRequired(message=lazy_gettext("Choose the day you would like to move."))])
    preferred_floor = SelectField(lazy_gettext("Floor"), choices=select_choices([("", lazy_gettext("Any floor"))]), default="")
    reason = TextAreaField(lazy_gettext("Why would you like to move?"),
                           validators=[DataRequired(message=lazy_gettext("Say why you would like to move.")), Length(max=500)])

    def floor(self) -> int | None:
        return int(self.preferred_floor.data) if self.preferred_floor.data else None


class AcceptForm(FlaskForm):
    agree = BooleanField(lazy_gettext("I have read the terms and the house rules above and agree to them"),
                         validators=[DataRequired(message=lazy_gettext("Tick the box to agree to the terms before accepting."))])


class UnitTypeInfoForm(FlaskForm):
    name_zh = StringField(lazy_gettext("Name in Chinese (Traditional)"), validators=[Optional(), Length(max=100)],
                          description=lazy_gettext("What Chinese readers see on pages and in exports, e.g. 單人單位; empty: "
                                      "the English name."))
    size_sqm = IntegerField(lazy_gettext("Size (m²)"), validators=[Optional(), NumberRange(min=1, max=1000)])
    furnishings = TextAreaField(lazy_gettext("Furnishings"), validators=[Optional(), Length(max=1000)])
    photo_url = StringField(lazy_gettext("Photo link"), validators=[Optional(), Length(max=500)])
    plan_url = StringField(lazy_gettext("Floor plan link"), validators=[Optional(), Length(max=500)])
    nightly_rate = DecimalField(lazy_gettext("Short stays: rate a night (HK$)"), places=2,
                                validators=[Optional(), NumberRange(min=0.01, message=lazy_gettext("The rate must be above 0."))])
    stay_max_nights = IntegerField(lazy_gettext("Short stays: longest stay (nights)"), validators=[Optional(), NumberRange(min=1, max=365)])
    stay_days_ahead = IntegerField(lazy_gettext("Short stays: bookable up to (days ahead)"),
                                   validators=[Optional(), NumberRange(min=0, max=730)])


class ConfirmForm(FlaskForm):
    """A POST with nothing but its CSRF token: withdraw, decline, accept."""


class CommitRoundForm(FlaskForm):
    confirm = BooleanField(lazy_gettext("I have read the preview: make these offers and waitlist the rest"),
                           validators=[DataRequired(message=lazy_gettext("Tick the box to confirm the round."))])


class UnitForm(FlaskForm):
    code = StringField(lazy_gettext("Code"), validators=[DataRequired(), Length(max=20)], description=lazy_gettext("e.g. 07-12 (floor-number)"))
    unit_type = SelectField(lazy_gettext("Type"), choices=select_choices(unit_type_choices()), validators=[DataRequired()])
    floor = IntegerField(lazy_gettext("Floor"), validators=[InputRequired(), NumberRange(min=0, max=200)])
    monthly_rent = DecimalField(lazy_gettext("Monthly rent (HK$)"), places=2,
                                validators=[InputRequired(), NumberRange(min=0, message=lazy_gettext("Rent cannot be negative."))])
    occupancy = IntegerField(lazy_gettext("Occupancy (people)"), default=1,
                             validators=[InputRequired(), NumberRange(min=1, max=12, message=lazy_gettext("Between 1 and 12 people."))])
    status = SelectField(lazy_gettext("Status"), choices=select_choices([("available", lazy_gettext("Available")), ("out_of_service", lazy_gettext("Out of service"))]),
                         default="available")
    description = TextAreaField(lazy_gettext("Description"), validators=[Optional(), Length(max=2000)])
    short_stay = BooleanField(lazy_gettext("Let by the night as a short stay (booked directly, never placed in a round)"))

    def data_for_service(self) -> dict:
        return {"code": self.code.data.strip(), "unit_type": self.unit_type.data, "floor": self.floor.data,
                "monthly_rent": self.monthly_rent.data, "occupancy": self.occupancy.data,
                "status": self.status.data, "description": (self.description.data or "").strip() or None,
                "short_stay": bool(self.short_stay.data)}


class StayForm(FlaskForm):
    """A short stay's dates: the check-out day is the day one leaves (not a night)."""

    check_in = DateField(lazy_gettext("Check in"), validators=[InputRequired(message=lazy_gettext("Choose the check-in day."))])
    check_out = DateField(lazy_gettext("Check out"), validators=[InputRequired(message=lazy_gettext("Choose the check-out day."))])


class _Period:
    def validate_end(self, field):
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError(gettext("The end must be after the start (the end day is not included)."))


class OutageForm(_Period, FlaskForm):
    start = DateField(lazy_gettext("From"), validators=[InputRequired(message=lazy_gettext("Choose the first day out of service."))])
    end = DateField(lazy_gettext("Until (back in service)"), validators=[InputRequired(message=lazy_gettext("Choose the day it is back."))])
    reason = StringField(lazy_gettext("Reason"), validators=[DataRequired(message=lazy_gettext("Say why (residents and staff read it).")),
                                               Length(max=300)])


class LeaseForm(_Period, FlaskForm):
    unit_code = StringField(lazy_gettext("Unit code"), validators=[DataRequired(), Length(max=20)])
    email = EmailField(lazy_gettext("Resident email"), validators=[DataRequired(), Length(max=255)])
    start = DateField(lazy_gettext("Start"), validators=[InputRequired(message=lazy_gettext("Choose the first night."))])
    end = DateField(lazy_gettext("End (move-out day)"), validators=[InputRequired(message=lazy_gettext("Choose the move-out day."))])
    monthly_rent = DecimalField(lazy_gettext("Monthly rent (HK$, empty: the unit's rent)"), places=2,
                                validators=[Optional(), NumberRange(min=0, message=lazy_gettext("Rent cannot be negative."))])
    allow_overlap = BooleanField(lazy_gettext("Allow it to overlap the resident's other lease (e.g. a handover night when "
                                 "moving units)"))
    overlap_reason = StringField(lazy_gettext("Reason for the overlap (recorded)"), validators=[Optional(), Length(max=300)],
                                 description=lazy_gettext("Needed when the overlap is allowed; the service says so beside it."))


class TerminateForm(FlaskForm):
    on = DateField(lazy_gettext("Terminate on (the unit is free from this day; on or before the start date the lease is called off before move-in)"),
                   validators=[InputRequired(message=lazy_gettext("Choose the termination date."))])
    reason = StringField(lazy_gettext("Reason"), validators=[DataRequired(message=lazy_gettext("Give the reason; it is recorded.")),
                                               Length(max=300)])
    confirm = BooleanField(lazy_gettext("I confirm: end this lease early"),
                           validators=[DataRequired(message=lazy_gettext("Tick the box to confirm the termination."))])


class ReorderForm(FlaskForm):
    new_position = IntegerField(lazy_gettext("New position"), validators=[InputRequired(message=lazy_gettext("Give the new position.")),
                                                            NumberRange(min=1, message=lazy_gettext("Positions start at 1."))])
    reason = StringField(lazy_gettext("Reason (recorded)"), validators=[DataRequired(message=lazy_gettext("A reorder needs a recorded reason.")),
                                                          Length(max=300)])
