"""Form fields for what a space has (equipment, seats, floor, photo URL): the manager's space
form includes `AttributeFields`; residents filter the spaces with `SpaceFilterForm`."""
from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import Length, NumberRange, Optional

from ..services.space_attributes import parse_tags, tag


class TagsField(StringField):
    """Tags typed as comma-separated text; shows a stored list the same way."""

    def _value(self):
        if isinstance(self.data, (list, tuple)):
            return ", ".join(self.data)
        return super()._value()


class AttributeFields:
    """Mixed into SpaceForm (WTForms collects fields from mixins)."""

    equipment = TagsField(lazy_gettext("Equipment"), validators=[Length(max=2000)],
                          description=lazy_gettext("Comma-separated, e.g. fume hood, PCR, projector. Residents filter by these."))
    seats = IntegerField(lazy_gettext("Seats"), validators=[Optional(), NumberRange(min=0, max=10000)])
    floor = StringField(lazy_gettext("Floor"), validators=[Optional(), Length(max=20)], description=lazy_gettext("e.g. G, 1, 2, B1."))
    photo_url = StringField(lazy_gettext("Photo URL"), validators=[Optional(), Length(max=500)],
                            description=lazy_gettext("Optional: a picture of the space (https://… or /static/…)."))

    def attribute_data(self) -> dict:
        tags = self.equipment.data
        return {
            "equipment": tags if isinstance(tags, list) else parse_tags(tags or ""),
            "seats": self.seats.data,
            "floor": (self.floor.data or "").strip() or None,
            "photo_url": (self.photo_url.data or "").strip() or None,
        }


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):  # an unknown tag simply matches nothing
        return None


class AttributeFilterFields:
    """What a resident asks a space to have: every ticked piece of equipment, at least so many
    seats. Mixed into the spaces list's filter and the free-at-a-time search (WTForms collects
    fields from mixins); `wanted` gives them as `space_attributes.matches` takes them."""

    equipment = MultiCheckboxField(lazy_gettext("Has all of"), validators=[Optional()])
    min_seats = IntegerField(lazy_gettext("At least seats"), validators=[Optional(), NumberRange(min=0, max=10000)])

    def wanted(self) -> dict:
        return {"equipment": [tag(t) for t in self.equipment.data or [] if isinstance(t, str)],
                "min_seats": self.min_seats.data}


class SpaceFilterForm(AttributeFilterFields, FlaskForm):
    """GET filter of the spaces list: kind, equipment (all ticked), minimum seats, floor."""

    class Meta:
        csrf = False

    kind = SelectField(lazy_gettext("Kind"), validators=[Optional()])
    floor = SelectField(lazy_gettext("Floor"), validators=[Optional()])
