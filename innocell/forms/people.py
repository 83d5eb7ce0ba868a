"""Forms for people and companies (admin), the registration policy, one's own account, and
the pages an emailed link opens (choose a password, confirm an address)."""
from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional

from ..models import COMPANY_STATUSES, ROLES
from ..services.companies import MAX_TIER
from ..services.passwords import MIN_LENGTH
from . import select_choices
ROLE_LABELS = {"resident": lazy_gettext("Resident"), "manager": lazy_gettext("Manager"), "finance": lazy_gettext("Finance"),
               "admin": lazy_gettext("Admin")}
STATUS_LABELS = {"incubatee": lazy_gettext("Incubatee"), "tenant": lazy_gettext("Tenant"), "alumnus": lazy_gettext("Alumnus"),
                 "partner": lazy_gettext("Partner"), "park": lazy_gettext("The park itself"), "other": lazy_gettext("Other")}
PASSWORD_HINT = lazy_gettext(
    "At least 8 characters, not a common password and not your email's name: a few unrelated words work well.")


def role_choices():
    return select_choices((r, ROLE_LABELS[r]) for r in ROLES)


def company_choices(companies, *, none_label: str = lazy_gettext("No company")):
    return select_choices([("", none_label)] + [(str(c.id), c.name) for c in companies])


def _tier(label: str, required: bool):
    checks = [InputRequired(message=lazy_gettext("Give the tier."))] if required else [Optional()]
    return IntegerField(label, validators=checks + [
        NumberRange(min=1, max=MAX_TIER, message=lazy_gettext("A tier is a whole number from 1 (housed first) to %(max)s."))])


class PersonForm(FlaskForm):
    """An admin's change of role, company and tier; the reason goes to the audit trail."""
    role = SelectField(lazy_gettext("Role"), choices=role_choices())
    company_id = SelectField(lazy_gettext("Company"), choices=[], validate_choice=False)
    priority_tier = _tier(lazy_gettext("Priority tier"), required=True)
    reason = StringField(lazy_gettext("Reason (needed to change the role or the tier)"), validators=[Length(max=500)])


class ReasonForm(FlaskForm):
    reason = StringField(lazy_gettext("Reason"), validators=[Length(max=500)])


class DeactivateForm(FlaskForm):
    reason = StringField(lazy_gettext("Reason (kept in the audit trail)"), validators=[
        DataRequired(message=lazy_gettext("Say why the account is deactivated.")), Length(max=500)])


class InviteForm(FlaskForm):
    name = StringField(lazy_gettext("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    role = SelectField(lazy_gettext("Role"), choices=role_choices(), default="resident")
    company_id = SelectField(lazy_gettext("Company"), choices=[], validate_choice=False)
    priority_tier = _tier(lazy_gettext("Priority tier (empty: the company's default)"), required=False)


class CompanyForm(FlaskForm):
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])
    status = SelectField(lazy_gettext("Status at the park"),
                         choices=select_choices((s, STATUS_LABELS[s]) for s in COMPANY_STATUSES), default="tenant")
    default_priority_tier = _tier(lazy_gettext("Default priority tier of its people"), required=True)
    email_domain = StringField(lazy_gettext("Email domain (optional)"), validators=[Optional(), Length(max=253)])
    billing_contact_name = StringField(lazy_gettext("Billing contact"), validators=[Optional(), Length(max=200)])
    billing_contact_email = EmailField(lazy_gettext("Billing contact's email"),
                                       validators=[Optional(), Email(check_deliverability=False), Length(max=254)])

    def to_data(self) -> dict:
        return {"name": self.name.data, "status": self.status.data,
                "default_priority_tier": self.default_priority_tier.data,
                "email_domain": self.email_domain.data or None,
                "billing_contact_name": self.billing_contact_name.data or None,
                "billing_contact_email": self.billing_contact_email.data or None}


class PolicyForm(FlaskForm):
    policy = RadioField(lazy_gettext("Who may create an account"), choices=[], validate_choice=True)


class ForgotPasswordForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(lazy_gettext("New password"), validators=[
        DataRequired(), Length(min=MIN_LENGTH, message=lazy_gettext("Use at least %(min)d characters."))])
    confirm = PasswordField(lazy_gettext("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=lazy_gettext("The passwords differ."))])


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(lazy_gettext("Current password"), validators=[DataRequired()])


class ProfileForm(FlaskForm):
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])
    contact_email = EmailField(lazy_gettext("Contact email (empty: your sign-in email)"),
                               validators=[Optional(), Email(check_deliverability=False), Length(max=254)])


class NotificationsForm(FlaskForm):
    email_reminders = SelectField(lazy_gettext("Booking reminders by email"), choices=select_choices(
        [("1", lazy_gettext("Yes, email me booking reminders")), ("0", lazy_gettext("No, the inbox is enough"))]))


class TokenForm(FlaskForm):
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(message=lazy_gettext("Name the token after what uses it.")),
                                           Length(max=100)])


class BareForm(FlaskForm):
    """A POST with its CSRF token only."""
