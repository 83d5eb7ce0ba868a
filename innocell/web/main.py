"""Home page per role."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..services import dashboard
from ..timeutil import local_zone, utcnow

bp = Blueprint("main", __name__)


def user_json(user) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role, "company": user.company,
            "priority_tier": user.priority_tier}


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.login"))


@bp.get("/home")
@login_required
def home():
    now = utcnow()
    tz = local_zone()
    today = now.astimezone(tz).date()
    role = current_user.role
    if role == "resident":
        data = dashboard.resident_home(db.session, current_user.id, now)
        return render_template("home/resident.html", **data)
    if role == "finance":
        first, nxt = dashboard.month_bounds(today)
        last_first = (first - timedelta(days=1)).replace(day=1)
        data = dashboard.manager_home(db.session, today, now, now)
        return render_template("home/finance.html", stats=data, this_month=(first, nxt), last_month=(last_first, first))
    day_start = datetime.combine(today, time.min, tz)
    data = dashboard.manager_home(db.session, today, day_start, day_start + timedelta(days=1))
    return render_template("home/manager.html", stats=data, today=today)
