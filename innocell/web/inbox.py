"""Pages for inbox (filled in by its issue)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("inbox", __name__)


@bp.get("/inbox")
@login_required
def index():
    return render_template("placeholder.html", title="inbox")
