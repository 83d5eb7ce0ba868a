"""Pages for manage_spaces (filled in by its issue)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("manage_spaces", __name__)


@bp.get("/manage/spaces")
@login_required
def index():
    return render_template("placeholder.html", title="manage_spaces")
