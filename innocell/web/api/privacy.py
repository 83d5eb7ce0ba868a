"""A person's own things through the API: their data (anyone's for an admin) and their private
calendar feed."""
from __future__ import annotations

from flask import g, jsonify

from ..calendar_feed import feed_url
from ..privacy import data_file
from . import api_roles, bp


@bp.get("/me/data")
def my_data():
    return data_file(g.user.id)


@bp.get("/users/<int:user_id>/data")
@api_roles("admin")
def person_data(user_id: int):
    return data_file(user_id)


@bp.get("/me/calendar")
def my_calendar():
    return jsonify({"url": feed_url(g.user)})


@bp.post("/me/calendar/rotate")
def rotate_my_calendar():
    return jsonify({"url": feed_url(g.user, rotate=True)})
