"""Short stays through the pages and the API: from the units page a resident picks dates, sees
the free short-stay units with the total price, confirms one and sees the confirmation; a
taken unit is refused with the nearest free dates; the stay is cancelled before check-in;
managers see the stays and set the rates and limits with the unit type. The API books (201),
refuses (409 with suggestions, 422 naming the limit), lists and cancels, as documented."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from innocell.extensions import db
from innocell.models import Lease, UnitTypeInfo
from innocell.services import housing as hs
from innocell.services.housing.short_stays import book_short_stay
from innocell.services.housing.unit_types import update_type_info
from tests.conftest import FIXED_NOW

TODAY = FIXED_NOW.astimezone(ZoneInfo("Asia/Hong_Kong")).date()


def day(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


@pytest.fixture
def manager(make_user):
    return make_user("manager", name="Mona Manager")


@pytest.fixture
def stay_units(session, manager):
    made = {code: hs.create_unit(session, {"code": code, "unit_type": "solo", "floor": 30, "monthly_rent": 9000,
                                           "short_stay": True}, actor=manager, now=FIXED_NOW)
            for code in ("30-01", "30-02")}
    made["01-01"] = hs.create_unit(session, {"code": "01-01", "unit_type": "solo", "floor": 1, "monthly_rent": 9000},
                                   actor=manager, now=FIXED_NOW)
    update_type_info(session, "solo", {"nightly_rate": "450", "stay_max_nights": 10}, actor=manager, now=FIXED_NOW)
    session.commit()
    return made


def stays_of(user_id: int) -> list[Lease]:
    db.session.rollback()
    return list(db.session.execute(select(Lease).where(Lease.user_id == user_id, Lease.kind == "short_stay"))
                .scalars())


def test_a_resident_books_a_short_stay_from_the_units_page_and_cancels_it(client, login, make_user, stay_units):
    rita = make_user(name="Rita Resident")
    login(rita)
    units_page = client.get("/housing/units").get_data(as_text=True)
    assert 'data-testid="short-stay-dates"' in units_page and 'data-testid="stay-link-30-01"' in units_page
    assert 'data-testid="apply-unit-30-01"' not in units_page  # not let by rounds
    listing = client.get(f"/housing/stays?check_in={day(3)}&check_out={day(6)}").get_data(as_text=True)
    assert 'data-testid="stay-total-30-01">HK$1,350.00<' in listing  # 3 nights at 450
    assert 'data-testid="stay-unit-01-01"' not in listing
    confirm = client.get(f"/housing/stays/book?unit={stay_units['30-01'].id}&check_in={day(3)}&check_out={day(6)}")
    assert confirm.status_code == 200
    assert 'data-testid="confirm-total"><strong>HK$1,350.00</strong>' in confirm.get_data(as_text=True)
    assert stays_of(rita.id) == []  # nothing is booked before the confirmation
    done = client.post(f"/housing/stays/book?unit={stay_units['30-01'].id}",
                       data={"check_in": day(3), "check_out": day(6)})
    stay = stays_of(rita.id)[0]
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/housing/stays/{stay.id}")
    shown = client.get(f"/housing/stays/{stay.id}").get_data(as_text=True)
    assert "Booked: unit 30-01" in shown and 'data-testid="stay-total">HK$1,350.00<' in shown
    assert 'data-testid="cancel-stay"' in shown
    # The unit is no longer free for those nights.
    again = client.get(f"/housing/stays?check_in={day(4)}&check_out={day(5)}").get_data(as_text=True)
    assert 'data-testid="book-30-01"' not in again and 'data-testid="book-30-02"' in again
    cancelled = client.post(f"/housing/stays/{stay.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "is cancelled; nothing is charged" in cancelled
    assert stays_of(rita.id)[0].status == "terminated"
    freed = client.get(f"/housing/stays?check_in={day(4)}&check_out={day(5)}").get_data(as_text=True)
    assert 'data-testid="book-30-01"' in freed


def test_a_taken_unit_is_refused_on_the_confirm_page_with_the_nearest_free_dates(
        client, login, make_user, stay_units, session):
    book_short_stay(session, user=make_user(), unit_id=stay_units["30-01"].id, check_in=TODAY + timedelta(days=3),
                    check_out=TODAY + timedelta(days=6), now=FIXED_NOW)
    session.commit()
    rita = make_user()
    login(rita)
    refused = client.post(f"/housing/stays/book?unit={stay_units['30-01'].id}",
                          data={"check_in": day(4), "check_out": day(5)})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Unit 30-01 is not free" in html
    assert f"unit={stay_units['30-02'].id}&amp;check_in={day(4)}" in html  # the other unit, same nights
    assert f"unit={stay_units['30-01'].id}&amp;check_in={day(6)}" in html  # this unit, from the day it frees
    assert stays_of(rita.id) == []
    too_long = client.post(f"/housing/stays/book?unit={stay_units['30-02'].id}",
                           data={"check_in": day(1), "check_out": day(20)})
    assert too_long.status_code == 422 and "at most 10 nights" in too_long.get_data(as_text=True)
    hostile = client.get("/housing/stays?check_in=9999-12-31&check_out=soon")
    assert hostile.status_code == 200 and 'data-testid="stay-options"' not in hostile.get_data(as_text=True)
    far = client.get("/housing/stays?check_in=9999-12-30&check_out=9999-12-31").get_data(as_text=True)
    assert 'role="alert"' in far and 'data-testid="stay-options"' not in far
    ahead = client.get(f"/housing/stays?check_in={day(200)}&check_out={day(202)}").get_data(as_text=True)
    assert "at most 180 days ahead" in ahead and 'data-testid="book-30-02"' not in ahead  # the default limit
    backwards = client.get(f"/housing/stays?check_in={day(5)}&check_out={day(2)}").get_data(as_text=True)
    assert "one night at least" in backwards
    assert client.get("/housing/stays/book?unit=999999").status_code == 302


def test_managers_see_short_stays_and_set_their_rates_and_limits(client, login, make_user, manager, stay_units,
                                                                 session):
    guest = make_user(name="Gus Guest")
    stay = book_short_stay(session, user=guest, unit_id=stay_units["30-02"].id, check_in=TODAY + timedelta(days=2),
                           check_out=TODAY + timedelta(days=4), now=FIXED_NOW)
    session.commit()
    login(manager)
    page = client.get("/manage/housing/short-stays").get_data(as_text=True)
    assert f'data-testid="manage-stay-{stay.id}"' in page and "Gus Guest" in page and "HK$900.00" in page
    saved = client.post("/manage/housing/types/solo", data={"nightly_rate": "500", "stay_max_nights": "5",
                                                            "stay_days_ahead": "30"})
    assert saved.status_code == 302
    db.session.rollback()
    info = db.session.get(UnitTypeInfo, "solo")
    assert (str(info.nightly_rate), info.stay_max_nights, info.stay_days_ahead) == ("500.00", 5, 30)
    bad = client.post("/manage/housing/types/solo", data={"nightly_rate": "-3", "stay_max_nights": "0"})
    assert bad.status_code == 422
    marked = client.post(f"/manage/housing/units/{stay_units['01-01'].id}/edit",
                         data={"code": "01-01", "unit_type": "solo", "floor": "1", "monthly_rent": "9000",
                               "occupancy": "1", "status": "available", "short_stay": "y"})
    assert marked.status_code == 302
    db.session.rollback()
    assert db.session.get(type(stay_units["01-01"]), stay_units["01-01"].id).short_stay is True


def test_the_short_stay_api_books_refuses_lists_and_cancels(api, make_user, stay_units, manager):
    rita, other = make_user(), make_user()
    client = api(rita)
    free = client.get(f"/api/v1/short-stays/free?check_in={day(2)}&check_out={day(5)}")
    assert free.status_code == 200
    assert [(f["unit"]["code"], f["total"]) for f in free.get_json()["free"]] == [("30-01", 1350.0), ("30-02", 1350.0)]
    bad = client.get("/api/v1/short-stays/free?check_in=soon&check_out=2026-13-01")
    assert bad.status_code == 400 and "check-in day must be a date" in bad.get_json()["message"]
    made = client.post("/api/v1/short-stays", json={"unit_id": stay_units["30-01"].id, "check_in": day(2),
                                                    "check_out": day(5)})
    assert made.status_code == 201, made.get_json()
    stay = made.get_json()["short_stay"]
    assert (stay["unit_code"], stay["nights"], stay["nightly_rate"], stay["total"], stay["cancellable"]) == \
        ("30-01", 3, 450.0, 1350.0, True)
    clash = api(other).post("/api/v1/short-stays", json={"unit_id": stay_units["30-01"].id, "check_in": day(3),
                                                         "check_out": day(4)})
    assert clash.status_code == 409
    body = clash.get_json()
    assert body["error"] == "conflict" and body["conflicts"][0]["kind"] == "lease"
    assert any((s["unit_code"], s["check_in"], s["check_out"]) == ("30-02", day(3), day(4))
               for s in body["suggestions"])
    limit = client.post("/api/v1/short-stays", json={"unit_id": stay_units["30-02"].id, "check_in": day(1),
                                                     "check_out": day(1)})
    assert limit.status_code == 422 and limit.get_json()["violations"][0]["rule"] == "check_out"
    not_short = client.post("/api/v1/short-stays", json={"unit_id": stay_units["01-01"].id, "check_in": day(8),
                                                         "check_out": day(9)})
    assert not_short.status_code == 404
    malformed = client.post("/api/v1/short-stays", json={"unit_id": "x", "check_in": day(1)})
    assert malformed.status_code == 422 and malformed.get_json()["error"] == "rule_violation"
    mine = client.get("/api/v1/short-stays").get_json()["short_stays"]
    assert [s["id"] for s in mine] == [stay["id"]]
    assert api(other).get("/api/v1/short-stays").get_json()["short_stays"] == []
    assert api(other).delete(f"/api/v1/short-stays/{stay['id']}").status_code == 404
    assert [s["id"] for s in api(manager).get("/api/v1/short-stays").get_json()["short_stays"]] == [stay["id"]]
    gone = client.delete(f"/api/v1/short-stays/{stay['id']}")
    assert gone.status_code == 200 and gone.get_json()["short_stay"]["status"] == "terminated"
    assert client.get("/api/v1/short-stays?upcoming=1").get_json()["short_stays"] == []
    assert client.delete(f"/api/v1/short-stays/{stay['id']}").status_code == 409
    db.session.rollback()
    assert db.session.execute(select(func.count(Lease.id)).where(Lease.status == "active")).scalar_one() == 0
