"""Sign in, sign out, register."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms.auth import LoginForm, LogoutForm, RegisterForm
from ..services import RuleViolation
from ..services.accounts import Throttled, ThrottlePolicy, authenticate, register_resident, sign_out
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
            form.password.errors.append("Wrong email or password.")
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
    flash("You are signed out.", "info")
    if revoke:
        flash(f"{revoked} API token{'' if revoked == 1 else 's'} revoked.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """The answer to a valid form is the same whether or not the email already has an account
    (its owner is told in their inbox instead), so the page does not reveal who is registered."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            register_resident(db.session, email=form.email.data, password=form.password.data, now=utcnow(),
                              name=form.name.data, company=form.company.data)
        except RuleViolation as exc:
            for violation in exc.extra.get("violations", []):
                field = form[violation["rule"]] if violation["rule"] in ("email", "password") else form.email
                field.errors.append(violation["message"])
            return render_template("auth/register.html", form=form)
        flash(f"Thank you. If {form.email.data.strip().lower()} was new to InnoCell, its resident account is "
              "ready: sign in below. If it already had an account, we have left a note in that account's inbox "
              "and nothing else has changed.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)
