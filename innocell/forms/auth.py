from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..services.passwords import MIN_LENGTH, password_problem
from ..services.phrasing import current


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])
    remember = BooleanField(lazy_gettext("Keep me signed in on this device"))
    next = HiddenField()


class StrongPassword:
    """The password rules of services.passwords, judged against the form's email field."""

    def __init__(self, email_field: str = "email"):
        self.email_field = email_field

    def __call__(self, form, field):
        if field.errors:  # too short: Length has said so already
            return
        problem = password_problem(field.data, form[self.email_field].data, current())
        if problem:
            raise ValidationError(problem)


class RegisterForm(FlaskForm):
    name = StringField(lazy_gettext("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    company = StringField(lazy_gettext("Company (if your email is not at your company's domain)"),
                          validators=[Optional(), Length(max=200)])
    password = PasswordField(lazy_gettext("Password"), validators=[
        DataRequired(), Length(min=MIN_LENGTH, message=lazy_gettext("Use at least %(min)d characters.")), StrongPassword()])
    confirm = PasswordField(lazy_gettext("Repeat password"), validators=[DataRequired(), EqualTo("password", message=lazy_gettext("The passwords differ."))])


class LogoutForm(FlaskForm):
    revoke_tokens = BooleanField(lazy_gettext("Also revoke this account's API tokens"))
