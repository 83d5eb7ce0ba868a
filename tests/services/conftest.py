"""People and a space maker shared by the booking-service tests."""
from __future__ import annotations

import pytest

from innocell.services import spaces as space_svc


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def alice(make_user):
    return make_user("resident", name="Alice")


@pytest.fixture
def bob(make_user):
    return make_user("resident", name="Bob")


@pytest.fixture
def new_space(session, manager, now):
    counter = {"n": 0}

    def _make(**fields):
        counter["n"] += 1
        data = {"code": f"S{counter['n']}", "name": f"Lab {counter['n']}", "kind": "wet_lab"}
        data.update(fields)
        return space_svc.create_space(session, data, actor=manager, now=now)

    return _make
