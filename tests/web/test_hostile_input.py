"""Each class of hostile input that once answered 500, refused where it enters with a clear
message and nothing written (the route fuzzer in test_fuzz_routes.py covers the rest)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Booking, LoginAttempt, Space, User

pytestmark = pytest.mark.both_db


@pytest.fixture
def manager_api(api, make_user):
    return api(make_user("manager"))


def error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code and body["message"]
    return body["message"]


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("space_id", [2**31, 2**63, 10**30])
def test_an_id_no_column_can_hold_is_simply_not_found(manager_api, space_id):
    error(manager_api.get(f"/api/v1/spaces/{space_id}"), 404, "not_found")
    error(manager_api.delete(f"/api/v1/bookings/{space_id}"), 404, "not_found")


def test_a_page_for_an_impossible_id_is_a_404_page(client, login, make_user):
    login(make_user("manager"))
    response = client.get(f"/manage/spaces/{2**63}/edit")
    assert response.status_code == 404 and "There is nothing here" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", [2**31, 2**63, -(2**63)])
def test_a_number_beyond_any_column_in_a_body_is_a_bad_request_naming_the_field(manager_api, value):
    message = error(manager_api.post("/api/v1/bookings", json={"space_id": value, "start": "2026-12-03T10:00",
                                                                "end": "2026-12-03T11:00"}), 400, "bad_request")
    assert "space_id" in message
    assert count(Booking) == 0


def test_a_query_number_out_of_range_is_a_bad_request(manager_api):
    message = error(manager_api.get(f"/api/v1/bookings?space_id={2**63}"), 400, "bad_request")
    assert "space_id" in message


@pytest.mark.parametrize("text", ["Lab\x00", "\ud800"])
def test_text_the_database_cannot_store_is_refused_in_json(manager_api, text):
    message = error(manager_api.post("/api/v1/spaces", json={"code": "NEW", "name": text, "kind": "wet_lab"}),
                    400, "bad_request")
    assert "name" in message
    assert count(Space) == 0


def test_a_nul_in_the_sign_in_form_is_refused_and_not_stored(client):
    response = client.post("/login", data={"email": "someone@example.test\x00", "password": "x" * 10})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert count(LoginAttempt) == 0


def test_a_nul_in_the_token_request_is_refused(client):
    error(client.post("/api/v1/tokens", json={"email": "a\x00@example.test", "password": "x"}), 400, "bad_request")
    assert count(LoginAttempt) == 0


def test_json_nested_thousands_deep_is_a_bad_request(client, manager_api):
    deep = "[" * 50_000 + "]" * 50_000
    response = manager_api.post("/api/v1/bookings", data=deep, headers={"Content-Type": "application/json"})
    assert "nested" in error(response, 400, "bad_request")
    anonymous = client.post("/api/v1/tokens", data=deep, headers={"Content-Type": "application/json"})
    error(anonymous, 400, "bad_request")


def test_not_a_number_is_refused(manager_api):
    response = manager_api.post("/api/v1/spaces", data='{"code": "N", "name": "n", "kind": "wet_lab", "capacity": NaN}',
                                headers={"Content-Type": "application/json"})
    error(response, 400, "bad_request")
    assert count(Space) == 0


def test_a_body_over_the_limit_is_too_large(app, manager_api, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024  # the contract's 1 MB default
    huge = {"code": "BIG", "name": "x" * (limit + 10), "kind": "wet_lab"}
    message = error(manager_api.post("/api/v1/spaces", json=huge), 413, "too_large")
    assert "1024 KB" in message
    assert count(Space) == 0
    page = client.post("/login", data={"email": "a@example.test", "password": "x" * (limit + 10)})
    assert page.status_code == 413


@pytest.mark.parametrize("when", ["0001-01-01T10:00", "9999-12-31T10:00", "1999-12-31T10:00"])
def test_a_time_outside_the_apps_range_is_refused(manager_api, when):
    message = error(manager_api.get(f"/api/v1/bookings?start={when}"), 400, "bad_request")
    assert "2000" in message and "2199" in message


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "0000-01"])
def test_a_report_month_outside_the_range_is_a_clear_refusal(client, login, make_user, month):
    login(make_user("finance"))
    response = client.get(f"/reports/freeze?month={month}")
    assert response.status_code == 400
    assert "is not a month (YYYY-MM) from 2000 to 2199" in response.get_data(as_text=True)


def test_a_form_date_in_year_9999_is_an_inline_error(client, login, make_user):
    login(make_user("resident"))
    response = client.post("/housing/apply", data={"unit_type": "solo", "move_in": "9999-12-31",
                                                   "term_kind": "months", "term_months": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422) and "between the years 2000 and 2199" in page
    assert count(User) == 1


@pytest.mark.parametrize("amount", ["99999999.995", 99999999.995, "100000000", "1e9"])
def test_money_that_would_round_past_its_column_is_refused_for_rates_and_rents(manager_api, amount):
    space = manager_api.post("/api/v1/spaces", json={"code": "RATE", "name": "Rated", "kind": "wet_lab",
                                                      "hourly_rate": amount})
    assert space.status_code == 422 and space.get_json()["violations"][0]["rule"] == "hourly_rate"
    unit = manager_api.post("/api/v1/units", json={"code": "01-01", "unit_type": "solo", "floor": 1,
                                                    "monthly_rent": amount})
    assert unit.status_code == 422 and "monthly rent" in unit.get_json()["message"]
    assert count(Space) == 0


def test_the_largest_amount_a_column_holds_is_kept_exactly(manager_api):
    made = manager_api.post("/api/v1/spaces", json={"code": "MAX", "name": "Max", "kind": "wet_lab",
                                                     "hourly_rate": "99999999.99"})
    assert made.status_code == 201 and made.get_json()["space"]["hourly_rate"] == 99999999.99
