"""Sign in, sign out, register."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms.auth import LoginForm, LogoutForm, RegisterForm
from ..services import RuleViolation
from ..services import registration
from ..services.accounts import Throttled, ThrottlePolicy, authenticate, sign_out
from ..timeutil import utcnow

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a local path may be a redirect target: no scheme, host, '//' or backslash."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def throttle_policy() -> ThrottlePolicy:
    return ThrottlePolicy.from_config(current_app.config)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = authenticate(db.session, email=form.email.data, password=form.password.data, now=utcnow(),
                                ip=request.remote_addr, policy=throttle_policy())
        except Throttled as exc:
            form.password.errors.append(exc.message)
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(exc.retry_after)}
        if user is None:
            form.password.errors.append(gettext("Wrong email or password."))
            return render_template("auth/login.html", form=form), 200
        session.clear()
        login_user(user, remember=form.remember.data)
        return redirect(safe_next(form.next.data) or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Signs out every browser of the account; with the box ticked, its API tokens too."""
    revoke = bool(LogoutForm().revoke_tokens.data)  # CSRFProtect has checked the token already
    revoked = sign_out(db.session, current_user._get_current_object(), now=utcnow(), revoke_api_tokens=revoke)
    logout_user()
    session.clear()
    flash(gettext("You are signed out."), "info")
    if revoke:
        flash(f"{revoked} API token{'' if revoked == 1 else 's'} revoked.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Under the admin's registration policy (services.registration). The answer to a valid
    form is the same whether or not the email already has an account (its owner is told in
    their inbox instead), so the page does not reveal who is registered."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    rule = registration.policy(db.session)
    if rule == "invitation":
        return render_template("auth/register.html", form=None, policy=rule), 403 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            registration.register(db.session, email=form.email.data, password=form.password.data, now=utcnow(),
                                  name=form.name.data, company=form.company.data)
        except RuleViolation as exc:
            for violation in exc.extra.get("violations", []):
                field = form[violation["rule"]] if violation["rule"] in ("email", "password") else form.email
                field.errors.append(violation["message"])
            return render_template("auth/register.html", form=form, policy=rule)
        email = form.email.data.strip().lower()
        if rule == "approval":
            flash(f"Thank you. If {email} was new to InnoCell, its account waits for the park office's approval "
                  "(we email you when it is approved) and we sent a link to confirm the address. If it already had "
                  "an account, we have left a note in that account's inbox and nothing else has changed.", "success")
        else:
            flash(f"Thank you. If {email} was new to InnoCell, its resident account is ready: sign in below, and "
                  "open the link we sent to confirm the address before you book or apply. If it already had an "
                  "account, we have left a note in that account's inbox and nothing else has changed.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form, policy=rule)
