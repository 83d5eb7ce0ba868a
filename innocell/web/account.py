"""My account (everyone signed in): name, contact email, notification preferences, password,
API tokens, sessions, email confirmation. And the pages an emailed link opens without
signing in: forgotten password, choose a password (reset or invitation), confirm an address."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required, login_user

from ..extensions import db
from ..forms.people import (
    PASSWORD_HINT,
    BareForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    NewPasswordForm,
    NotificationsForm,
    ProfileForm,
    TokenForm,
)
from ..services import NotFound, RuleViolation, ServiceError
from ..services import account_links as link_service
from ..services import accounts as account_service
from ..services import notifications as notification_service
from ..services.accounts import Throttled
from ..timeutil import utcnow
from .access import principal
from .auth import throttle_policy

bp = Blueprint("account", __name__)


def _me():
    return principal()


def _errors(form, exc: ServiceError, default: str) -> None:
    for v in exc.extra.get("violations") or [{"rule": default, "message": exc.message}]:
        target = getattr(form, v.get("rule") or "", None)
        target = target if target is not None and hasattr(target, "errors") else getattr(form, default)
        target.errors = list(target.errors) + [v["message"]]


def _page(status: int = 200, **forms):
    user, now = _me(), utcnow()
    profile = forms.get("profile") or ProfileForm(formdata=None, name=user.name, contact_email=user.contact_email)
    notices = forms.get("notices") or NotificationsForm(formdata=None, email_reminders="1" if user.email_reminders
                                                        else "0")
    pending_contact = link_service.waiting_link(db.session, user.id, "contact_email", now=now)
    return render_template("account/index.html", user=user, profile=profile, notices=notices,
                           token_form=forms.get("token") or TokenForm(formdata=None), bare=BareForm(),
                           tokens=account_service.live_tokens(db.session, user.id, now=now),
                           new_token=forms.get("new_token"), pending_contact=pending_contact), status


@bp.get("/account")
@login_required
def index():
    return _page()


@bp.post("/account/profile")
@login_required
def profile():
    form, user, now = ProfileForm(), _me(), utcnow()
    if not form.validate_on_submit():
        return _page(422, profile=form)
    try:
        account_service.rename(db.session, user, form.name.data)
        sent_to = link_service.request_contact_email(db.session, user, form.contact_email.data or "", now=now)
    except RuleViolation as exc:
        _errors(form, exc, "name")
        return _page(422, profile=form)
    flash(gettext("Your details are saved. We sent a link to %(email)s: notices go there once you open it.",
                  email=sent_to) if sent_to else gettext("Your details are saved."), "success")
    return redirect(url_for("account.index"))


@bp.post("/account/notifications")
@login_required
def notifications():
    form = NotificationsForm()
    if not form.validate_on_submit():
        return _page(422, notices=form)
    notification_service.set_email_reminders(db.session, user_id=_me().id, on=form.email_reminders.data == "1")
    flash(gettext("Your notification preferences are saved."), "success")
    return redirect(url_for("account.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form, user = ChangePasswordForm(), _me()
    status = 200
    if form.validate_on_submit():
        try:
            revoked = account_service.change_own_password(
                db.session, user, current=form.current.data, new_password=form.password.data, now=utcnow(),
                ip=request.remote_addr, policy=throttle_policy())
        except Throttled as exc:
            form.current.errors = list(form.current.errors) + [exc.message]
            return render_template("account/password.html", form=form, hint=PASSWORD_HINT), 429, \
                {"Retry-After": str(exc.retry_after)}
        except RuleViolation as exc:
            _errors(form, exc, "password")
            status = 422
        else:
            session.clear()
            login_user(user)  # this browser stays signed in; every other one is signed out
            flash(ngettext("Your password is changed. Other browsers are signed out and %(num)d API token revoked.",
                           "Your password is changed. Other browsers are signed out and %(num)d API tokens revoked.",
                           revoked) if revoked else gettext("Your password is changed. Other browsers are signed out."),
                  "success")
            return redirect(url_for("account.index"))
    elif request.method == "POST":
        status = 422
    return render_template("account/password.html", form=form, hint=PASSWORD_HINT), status


@bp.post("/account/tokens")
@login_required
def create_token():
    form, user = TokenForm(), _me()
    if not form.validate_on_submit():
        return _page(422, token=form)
    plain, row = account_service.issue_token(db.session, user, now=utcnow(),
                                             hours=int(current_app.config["API_TOKEN_HOURS"]), name=form.name.data)
    return _page(201, new_token=(row, plain))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not BareForm().validate_on_submit():
        abort(400)
    try:
        row = account_service.revoke_own_token(db.session, _me(), token_id, now=utcnow())
    except NotFound:
        abort(404)
    flash(gettext("The API token %(name)s is revoked.", name=row.name or '#' + str(row.id)), "success")
    return redirect(url_for("account.index"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    if not BareForm().validate_on_submit():
        abort(400)
    user = _me()
    account_service.rotate_session_token(db.session, user)
    session.clear()
    login_user(user)
    flash(gettext("Every other browser signed in to your account is signed out."), "success")
    return redirect(url_for("account.index"))


@bp.post("/account/verify")
@login_required
def resend_verification():
    if not BareForm().validate_on_submit():
        abort(400)
    user = _me()
    if user.email_verified_at is not None:
        flash(gettext("Your email is confirmed already."), "info")
    elif link_service.send_verification(db.session, user, now=utcnow()):
        flash(gettext("We sent a new link to %(email)s.", email=user.email), "success")
    else:
        flash(gettext("We have sent several links this hour; open the latest, or try again later."), "info")
    return redirect(url_for("account.index"))


# ----------------------------------------------------------------------------- from an emailed link


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        link_service.request_password_reset(db.session, form.email.data, now=utcnow())
        return render_template("account/reset_sent.html", email=form.email.data.strip().lower())
    return render_template("account/forgot.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/password/<token>", methods=["GET", "POST"])
def choose_password(token: str):
    now = utcnow()
    link = link_service.peek(db.session, token, link_service.PASSWORD_PURPOSES, now)
    if link is None:
        return render_template("account/link_gone.html", message=gettext(link_service.GONE)), 404
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = link_service.set_password_with_link(db.session, token, form.password.data, now=now)
        except RuleViolation as exc:
            _errors(form, exc, "password")
            status = 422
        except ServiceError as exc:
            return render_template("account/link_gone.html", message=exc.message), exc.status
        else:
            if current_user.is_authenticated:
                session.clear()
            flash(gettext("Your password is set. Sign in with %(email)s.", email=user.email), "success")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 422
    return render_template("account/choose_password.html", form=form, link=link, hint=PASSWORD_HINT), status


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """GET shows a button, so a mail scanner that fetches links confirms nothing."""
    now = utcnow()
    link = link_service.peek(db.session, token, link_service.CONFIRM_PURPOSES, now)
    if link is None:
        return render_template("account/link_gone.html", message=gettext(link_service.GONE)), 404
    form = BareForm()
    if form.validate_on_submit():
        try:
            user, used = link_service.confirm_email(db.session, token, now=now)
        except ServiceError as exc:
            return render_template("account/link_gone.html", message=exc.message), exc.status
        flash(gettext("%(email)s is confirmed. You can book spaces and apply for housing now.", email=used.email)
              if used.purpose == "email_verification" else
              gettext("%(email)s is confirmed. Notices are emailed there from now on.", email=used.email), "success")
        return redirect(url_for("account.index") if current_user.is_authenticated else url_for("auth.login"))
    return render_template("account/confirm.html", form=form, link=link)
