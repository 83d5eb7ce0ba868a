"""The private calendar feed: served without sign-in at the secret URL, and a page where a
person copies or replaces that URL."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from ..extensions import db
from ..forms.housing import ConfirmForm
from ..services import calendar_feed
from ..timeutil import utcnow
from .access import principal

bp = Blueprint("calendar_feed", __name__)


def feed_url(user, *, rotate: bool = False) -> str:
    token = calendar_feed.feed_token(db.session, user, secret=current_app.config["SECRET_KEY"], now=utcnow(),
                                     rotate=rotate)
    return url_for("calendar_feed.feed", user_id=user.id, token=token, _external=True)


@bp.get("/calendar/<int:user_id>/<token>.ics")
def feed(user_id: int, token: str):
    owner = calendar_feed.owner_of(db.session, user_id, token, secret=current_app.config["SECRET_KEY"])
    if owner is None:
        abort(404)
    body = calendar_feed.ics(db.session, owner, now=utcnow(),
                             site=calendar_feed.uid_site(current_app.config.get("PUBLIC_URL", "")))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="innocell.ics"'
    return response


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
def page():
    user = principal()
    form = ConfirmForm()
    if form.validate_on_submit():
        feed_url(user, rotate=True)
        flash(gettext("A new calendar address is ready; the old one no longer works."), "success")
        return redirect(url_for("calendar_feed.page"))
    if request.method == "POST":
        abort(400)
    return render_template("account/calendar.html", url=feed_url(user), form=form)
