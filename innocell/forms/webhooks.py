"""The admin's webhook endpoint form."""
from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, URL
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import WEBHOOK_EVENTS
from . import select_choices


class WebhookForm(FlaskForm):
    url = StringField(lazy_gettext("Receiver URL"), validators=[
        DataRequired(message=lazy_gettext("Give the receiver's URL.")),
        URL(require_tld=False, message=lazy_gettext("An http:// or https:// address.")), Length(max=500)])
    description = StringField(lazy_gettext("What it is for"), validators=[Optional(), Length(max=200)])
    events = SelectMultipleField(lazy_gettext("Events"), choices=select_choices((e, e) for e in WEBHOOK_EVENTS),
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                 validators=[DataRequired(message=lazy_gettext("Choose at least one event."))])
    secret = StringField(lazy_gettext("Secret (leave empty to have one generated)"),
                         validators=[Optional(), Length(min=16, max=128)])
    active = BooleanField(lazy_gettext("Active"), default=True)


class EmptyForm(FlaskForm):
    """CSRF only (rotate, delete)."""
