"""A person's own things through the API: their data (anyone's for an admin) and their private
calendar feed."""
from __future__ import annotations

from flask import g, jsonify

from ..calendar_feed import feed_url
from ..privacy import data_file
from . import api_roles, bp
from .declare import documented
from .schemas import FREE, STR, obj

URL = obj({"url": STR}, ["url"])


@bp.get("/me/data")
@documented("Everything stored about me, as a JSON file", answers={200: FREE})
def my_data():
    return data_file(g.user.id)


@bp.get("/users/<int:user_id>/data")
@api_roles("admin")
@documented("Everything stored about a person, as a JSON file", answers={200: FREE})
def person_data(user_id: int):
    return data_file(user_id)


@bp.get("/me/calendar")
@documented("My private calendar-feed URL", answers={200: URL})
def my_calendar():
    return jsonify({"url": feed_url(g.user)})


@bp.post("/me/calendar/rotate")
@documented("A new calendar-feed URL; the old one stops working", answers={200: URL})
def rotate_my_calendar():
    return jsonify({"url": feed_url(g.user, rotate=True)})
