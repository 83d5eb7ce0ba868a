"""The admin's webhook endpoint form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, URL
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import WEBHOOK_EVENTS
from . import select_choices


class WebhookForm(FlaskForm):
    url = StringField("Receiver URL", validators=[DataRequired(message="Give the receiver's URL."),
                                                  URL(require_tld=False, message="An http:// or https:// address."),
                                                  Length(max=500)])
    description = StringField("What it is for", validators=[Optional(), Length(max=200)])
    events = SelectMultipleField("Events", choices=select_choices((e, e) for e in WEBHOOK_EVENTS),
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                 validators=[DataRequired(message="Choose at least one event.")])
    secret = StringField("Secret (leave empty to have one generated)", validators=[Optional(), Length(min=16, max=128)])
    active = BooleanField("Active", default=True)


class EmptyForm(FlaskForm):
    """CSRF only (rotate, delete)."""
