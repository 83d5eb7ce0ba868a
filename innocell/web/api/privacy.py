"""A person's data through the API: one's own, or anyone's for an admin."""
from __future__ import annotations

from flask import g

from ..privacy import data_file
from . import api_roles, bp


@bp.get("/me/data")
def my_data():
    return data_file(g.user.id)


@bp.get("/users/<int:user_id>/data")
@api_roles("admin")
def person_data(user_id: int):
    return data_file(user_id)
