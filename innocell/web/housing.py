"""Pages for housing (filled in by its issue)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("housing", __name__)


@bp.get("/housing")
@login_required
def index():
    return render_template("placeholder.html", title="housing")
