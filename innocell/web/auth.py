"""Sign in, sign out, register."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms.auth import LoginForm, RegisterForm
from ..services import Conflict
from ..services.accounts import Throttled, authenticate, create_user, rotate_session_token
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
                                ip=request.remote_addr, max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                                window_minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
        except Throttled as exc:
            form.password.errors.append(exc.message)
            return render_template("auth/login.html", form=form), 429
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
    rotate_session_token(db.session, current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(db.session, email=form.email.data, password=form.password.data, role="resident",
                               now=utcnow(), name=form.name.data, company=form.company.data)
        except Conflict:
            form.email.errors.append("An account with this email exists already. Sign in instead.")
            return render_template("auth/register.html", form=form)
        session.clear()
        login_user(user)
        flash(f"Welcome to InnoCell, {user.name}.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/register.html", form=form)
